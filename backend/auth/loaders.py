"""Batch functions behind the auth dataloaders."""

from backend.auth.service import roles_by_user_ids as roles
from backend.auth.service import users_by_ids as user

__all__ = ["roles", "user"]
