"""Batch functions behind the areas dataloaders (one query per list field, whatever N)."""

from backend.areas.service import (
    agents_by_grid_ids as agents_by_grid,
)
from backend.areas.service import (
    grid_geojson_by_ids as grid_geometry,
)
from backend.areas.service import (
    grids_by_agent_ids as grids_by_agent,
)
from backend.areas.service import (
    grids_by_ids as grid,
)
from backend.areas.service import (
    household_positions_by_ids as household_position,
)
from backend.areas.service import (
    townships_by_ids as township,
)
from backend.areas.service import (
    villages_by_ids as village,
)

__all__ = ["agents_by_grid", "grid", "grid_geometry", "grids_by_agent", "household_position", "township",
           "village"]
