"""Batch functions behind the auth dataloaders."""

from backend.auth.service import roles_by_user_ids as roles

__all__ = ["roles"]
