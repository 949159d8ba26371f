"""Batch functions behind the services dataloaders."""

from backend.areas.models import Household, Resident
from backend.auth.loaders import user
from backend.auth.models import Department
from backend.db.batch import rows_of
from backend.services.models import ServiceItem, ServiceRequest, Visit
from backend.services.service import (
    history,
    qualifications_by_resident_ids,
    reminders_by_ids,
    visits_by_request_ids,
)

item = rows_of(ServiceItem)
request = rows_of(ServiceRequest)
visit = rows_of(Visit)
household = rows_of(Household)
resident = rows_of(Resident)
department = rows_of(Department)
reminder = reminders_by_ids
qualifications = qualifications_by_resident_ids
visits = visits_by_request_ids

__all__ = ["department", "history", "household", "item", "qualifications", "reminder",
           "request", "resident", "user", "visit", "visits"]
