"""The operations a phone replayed from its offline queue, with the first answer to each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import UTCDateTime


class SyncOp(Base):
    __tablename__ = "sync_ops"
    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    operation: Mapped[str] = mapped_column(String(32))
    request_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)  # the answer as JSON: ok, id, errors
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # on the phone, as it says
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime)
