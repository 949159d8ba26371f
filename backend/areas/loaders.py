"""Batch functions behind the areas dataloaders (one query per list field, whatever N)."""

from backend.areas.models import Grid, Household, Township, Village
from backend.areas.service import agents_by_grid_ids as agents_by_grid
from backend.areas.service import grids_by_agent_ids as grids_by_agent
from backend.areas.service import residents_by_household_ids as residents_by_household
from backend.db.batch import geojson_of, rows_of

grid = rows_of(Grid)
grid_geometry = geojson_of(Grid)
household_position = geojson_of(Household)
township = rows_of(Township)
village = rows_of(Village)

__all__ = ["agents_by_grid", "grid", "grid_geometry", "grids_by_agent", "household_position",
           "residents_by_household", "township", "village"]
