"""Batch functions behind the events dataloaders."""

from backend.auth.loaders import user
from backend.auth.models import Department
from backend.db.batch import rows_of
from backend.events.models import Event, EventCategory
from backend.events.service import history, media

category = rows_of(EventCategory)
department = rows_of(Department)
event = rows_of(Event)

__all__ = ["category", "department", "event", "history", "media", "user"]
