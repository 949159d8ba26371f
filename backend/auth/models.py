"""Users, their roles and their jurisdiction (townships; agents' grids are in areas.GridAgent)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base

ROLES = ("AGENT", "INSPECTOR", "DISPATCHER", "SUPERVISOR", "ADMIN", "DEPARTMENT")


class Department(Base):
    """A district department (区直部门) that handles cases and approves services."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # inspectors and department clerks belong to a department
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class UserTownship(Base):
    """A township in the user's jurisdiction (dispatchers, inspectors, township supervisors)."""

    __tablename__ = "user_townships"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    township_id: Mapped[int] = mapped_column(
        ForeignKey("townships.id"), primary_key=True, index=True
    )
