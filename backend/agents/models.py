"""Where each field worker's phone last said it was (one row a person: no track is kept)."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import SRID, Base
from backend.db.types import UTCDateTime


class AgentPosition(Base):
    __tablename__ = "agent_positions"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)
    # the position as converted to WGS-84, and as the phone sent it (evidence)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    orig_lon: Mapped[float] = mapped_column(Float)
    orig_lat: Mapped[float] = mapped_column(Float)
    orig_crs: Mapped[str] = mapped_column(String(10))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    mocked: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
