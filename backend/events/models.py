"""Tables of the events domain: categories, events, their transitions and media."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, column_property, mapped_column

from backend.db.base import SRID, Base
from backend.db.types import UTCDateTime


class EventCategory(Base):
    """A big class (2 digits) or small class (4 digits), after GB/T 30428.2. Only small
    classes carry settings; events copy what they need at report time, so editing a
    category never rewrites past events."""

    __tablename__ = "event_categories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("event_categories.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    self_handleable: Mapped[bool] = mapped_column(Boolean, default=False)
    response: Mapped[float] = mapped_column(Float, default=0)
    resolution: Mapped[float] = mapped_column(Float, default=0)
    unit: Mapped[str] = mapped_column(String(16), default="HOURS")  # HOURS | WORKING_DAYS
    urgency: Mapped[str] = mapped_column(String(8), default="NORMAL")
    duplicate_radius_m: Mapped[float] = mapped_column(Float, default=50)
    duplicate_window_h: Mapped[float] = mapped_column(Float, default=24)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_township_status", "township_id", "status"),
        Index("ix_events_category_status", "category_id", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(12))
    category_id: Mapped[int] = mapped_column(ForeignKey("event_categories.id"))
    description: Mapped[str] = mapped_column(Text)
    address_text: Mapped[str | None] = mapped_column(String(300))
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=True)
    # its coordinates, read with the row (both databases know ST_X and ST_Y): a case answers
    # `location` without a query of its own, as list rows (which select them) do
    lon: Mapped[float | None] = column_property(func.ST_X(geom))
    lat: Mapped[float | None] = column_property(func.ST_Y(geom))
    # the position as the phone sent it, kept as evidence
    orig_lon: Mapped[float | None] = mapped_column(Float)
    orig_lat: Mapped[float | None] = mapped_column(Float)
    orig_crs: Mapped[str | None] = mapped_column(String(10))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    mocked: Mapped[bool | None] = mapped_column(Boolean)
    # GRID (covering grid), SNAPPED (nearest grid within 500 m), UNROUTED (no grid near:
    # township or district queue), UNLOCATED (an address that matched nothing)
    routing: Mapped[str] = mapped_column(String(10))
    geocoded: Mapped[bool] = mapped_column(Boolean, default=False)
    snap_distance_m: Mapped[float | None] = mapped_column(Float)
    near_boundary: Mapped[bool] = mapped_column(Boolean, default=False)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    urgency: Mapped[str] = mapped_column(String(8))
    self_handleable: Mapped[bool] = mapped_column(Boolean)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    response_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    escalate2_at: Mapped[datetime] = mapped_column(UTCDateTime)  # twice the deadline
    # first time each step happened, for the statistics
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[str | None] = mapped_column(String(20))
    rating_comment: Mapped[str | None] = mapped_column(Text)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EventTransition(Base):
    """One step of a case. Rows are only ever inserted (the database refuses UPDATE and
    DELETE on this table)."""

    __tablename__ = "event_transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    data: Mapped[str | None] = mapped_column(Text)  # JSON: routing before/after, escalation


class EventEvaluation(Base):
    """A reporter's rating of a closing (append-only: a rectified case may be rated again)."""

    __tablename__ = "event_evaluations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    rating: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventMedia(Base):
    __tablename__ = "event_media"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))  # <sha256>.<ext> under the media directory
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarDay(Base):
    """An admin's override of the official working calendar (a local holiday, a make-up day)."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
