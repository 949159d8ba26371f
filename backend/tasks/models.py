"""The task table: an assignment of some subject to a person, with a due time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import UTCDateTime

KINDS = ("EVENT", "SERVICE_REQUEST", "REMINDER", "INSPECTION")
STATUSES = ("OPEN", "DONE", "CANCELLED")


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_inbox", "assignee_id", "status", "due_at"),
                      Index("ix_tasks_subject", "kind", "subject_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="OPEN")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    # where the work is (the phone sorts and maps its inbox by it)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
