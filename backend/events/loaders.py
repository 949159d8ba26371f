"""Batch functions behind the events dataloaders."""

from backend.auth.loaders import user
from backend.events.service import (
    categories_by_ids as category,
)
from backend.events.service import (
    departments_by_ids as department,
)
from backend.events.service import (
    events_by_ids as event,
)
from backend.events.service import (
    history,
    media,
)
from backend.events.service import (
    locations_by_ids as location,
)

__all__ = ["category", "department", "event", "history", "location", "media", "user"]
