"""Batch functions behind the inspections dataloaders."""

from backend.areas.loaders import grid, township
from backend.auth.models import Department
from backend.db.batch import rows_of
from backend.inspections.models import InspectionAssignment, InspectionPlan, InspectionTarget
from backend.inspections.service import (
    assignments_by_plan_ids as assignments_by_plan,
)
from backend.inspections.service import (
    credit_by_target_ids as credit_by_target,
)
from backend.inspections.service import (
    devices_by_target_ids as devices_by_target,
)
from backend.inspections.service import (
    inspector_codes_by_assignment_ids as inspector_codes,
)
from backend.inspections.service import (
    rectification_by_inspection_ids as rectification_by_inspection,
)

assignment = rows_of(InspectionAssignment)
department = rows_of(Department)
plan = rows_of(InspectionPlan)
target = rows_of(InspectionTarget)

__all__ = ["assignment", "assignments_by_plan", "credit_by_target", "department",
           "devices_by_target", "grid", "inspector_codes", "plan", "rectification_by_inspection",
           "target", "township"]
