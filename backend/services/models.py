"""Tables of the door-to-door services domain (上门代办): the item catalogue, residents'
qualifications, requests with their immutable history, visits (proof of presence) and
reminders."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.db.types import UTCDateTime


class ServiceItem(Base):
    """An item of the catalogue (代办事项). Requests copy its time limit when made, so later
    edits never move a running deadline."""

    __tablename__ = "service_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    proxy_allowed: Mapped[bool] = mapped_column(Boolean)
    home_for_key_groups: Mapped[bool] = mapped_column(Boolean)
    time_limit_days: Mapped[int] = mapped_column(Integer)  # working days
    materials: Mapped[str] = mapped_column(Text)  # JSON list of strings
    validity_days: Mapped[int | None] = mapped_column(Integer)


class Qualification(Base):
    """A resident's certificate or qualification that expires (e.g. the yearly pension
    qualification check): what reminders are made from."""

    __tablename__ = "resident_qualifications"
    __table_args__ = (UniqueConstraint("resident_id", "item_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    expires_on: Mapped[date] = mapped_column(Date, index=True)


class ServiceRequest(Base):
    __tablename__ = "service_requests"
    __table_args__ = (Index("ix_service_requests_township_status", "township_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # HOTLINE | APP | ROUND
    note: Mapped[str | None] = mapped_column(Text)
    at_home: Mapped[bool] = mapped_column(Boolean)  # a key-group resident served at home
    status: Mapped[str] = mapped_column(String(10))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    escalate2_at: Mapped[datetime] = mapped_column(UTCDateTime)  # twice the time limit
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[str | None] = mapped_column(String(20))
    rating_comment: Mapped[str | None] = mapped_column(Text)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ServiceTransition(Base):
    """One step of a request; the database refuses UPDATE and DELETE on this table."""

    __tablename__ = "service_transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str | None] = mapped_column(Text)  # JSON


class Visit(Base):
    """An agent's check-in at a household: the proof of presence. Append-only (the database
    refuses UPDATE and DELETE): its time and position can never be edited."""

    __tablename__ = "service_visits"
    __table_args__ = (Index("ix_service_visits_grid_at", "grid_id", "at"),
                      Index("ix_service_visits_household_at", "household_id", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float] = mapped_column(Float)  # WGS-84
    lat: Mapped[float] = mapped_column(Float)
    orig_lon: Mapped[float] = mapped_column(Float)  # as the phone sent it
    orig_lat: Mapped[float] = mapped_column(Float)
    orig_crs: Mapped[str] = mapped_column(String(10))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    mocked: Mapped[bool | None] = mapped_column(Boolean)
    distance_m: Mapped[float] = mapped_column(Float)
    geofence_m: Mapped[float] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
    flag_reasons: Mapped[str | None] = mapped_column(String(100))  # comma-separated


class Reminder(Base):
    """A reminder to the household's agent before a qualification expires; made once per
    (resident, item, expiry date) whatever how often the job runs."""

    __tablename__ = "service_reminders"
    __table_args__ = (UniqueConstraint("resident_id", "item_id", "expires_on",
                                       name="uq_service_reminders_once"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    expires_on: Mapped[date] = mapped_column(Date)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
