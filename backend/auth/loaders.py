"""Batch functions behind the auth dataloaders."""

from backend.auth.models import User
from backend.auth.service import roles_by_user_ids as roles
from backend.db.batch import rows_of

user = rows_of(User)

__all__ = ["roles", "user"]
