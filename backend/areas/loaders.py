"""Batch functions behind the areas dataloaders (one query per list field, whatever N)."""

from backend.areas.service import (
    agents_by_grid_ids as agents_by_grid,
    grid_geojson_by_ids as grid_geometry,
    grids_by_agent_ids as grids_by_agent,
    household_positions_by_ids as household_position,
    townships_by_ids as township,
    villages_by_ids as village,
)

__all__ = ["agents_by_grid", "grid_geometry", "grids_by_agent", "household_position", "township",
           "village"]
