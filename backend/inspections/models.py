"""Tables of the inspections domain (双随机、一公开, 非现场执法): targets and their devices,
inspectors' codes and declared conflicts, random plans with their frozen population, the
assignments a draw makes, inspections with evidence, rectifications, credit records and
device alarms."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import SRID, Base
from backend.db.types import UTCDateTime

CATEGORIES = ("RESTAURANT", "SCHOOL_KITCHEN", "FOOD_SHOP", "CONSTRUCTION_SITE", "PHARMACY",
              "HOTEL", "FACTORY", "GAS_STATION")
RISKS = ("A", "B", "C", "D")  # A the highest risk
DEVICE_KINDS = ("CAMERA", "SENSOR")


class Inspector(Base):
    """An inspector's public code (执法证号) beside their user; department and jurisdiction
    are the user's (users.department_id, user_townships)."""

    __tablename__ = "inspectors"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)


class InspectionTarget(Base):
    """A market subject or premises (市场主体): a restaurant, school kitchen, site, ..."""

    __tablename__ = "inspection_targets"
    __table_args__ = (Index("ix_inspection_targets_township_category", "township_id",
                            "category"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 统一社会信用代码-like
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    risk: Mapped[str] = mapped_column(String(1))
    address: Mapped[str | None] = mapped_column(String(300))
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))


class TargetDevice(Base):
    """A camera (明厨亮灶) or sensor (扬尘监测) of a target; it authenticates with its own key,
    of which only the SHA-256 is kept."""

    __tablename__ = "target_devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("inspection_targets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InspectorConflict(Base):
    """A declared conflict of interest (回避): this inspector never inspects this target."""

    __tablename__ = "inspector_conflicts"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("inspection_targets.id"),
                                           primary_key=True)
    reason: Mapped[str | None] = mapped_column(String(200))


class InspectionPlan(Base):
    """A random plan. `document` is the published plan document of docs/draw.md without the
    seed and result, frozen at creation; the draw adds them."""

    __tablename__ = "inspection_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    items: Mapped[str] = mapped_column(Text)  # JSON list of inspection items
    population_filter: Mapped[str] = mapped_column(Text)  # JSON
    sample_size: Mapped[int] = mapped_column(Integer)
    per_target: Mapped[int] = mapped_column(Integer)
    population_size: Mapped[int] = mapped_column(Integer)
    population_hash: Mapped[str] = mapped_column(String(64))
    seed_commitment: Mapped[str] = mapped_column(String(64))
    seed: Mapped[str | None] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # CREATED | DRAWN
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InspectionAssignment(Base):
    """A target to inspect: drawn by a plan (kind PLAN) or a rectification's follow-up
    (FOLLOW_UP). One inspection record closes it."""

    __tablename__ = "inspection_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    rectification_id: Mapped[int | None] = mapped_column(Integer, index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("inspection_targets.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # draw order
    status: Mapped[str] = mapped_column(String(10))  # OPEN | DONE
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AssignmentInspector(Base):
    __tablename__ = "assignment_inspectors"
    assignment_id: Mapped[int] = mapped_column(ForeignKey("inspection_assignments.id"),
                                               primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Inspection(Base):
    __tablename__ = "inspections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("inspection_assignments.id"),
                                               unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("inspection_targets.id"), index=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(8))  # ON_SITE | REMOTE
    result: Mapped[str] = mapped_column(String(10))  # PASS | ISSUES | VIOLATION
    items: Mapped[str] = mapped_column(Text)  # JSON [{item, finding, ok}]
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # ON_SITE: the inspector's position (converted) and as sent, the geofence check
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    orig_lon: Mapped[float | None] = mapped_column(Float)
    orig_lat: Mapped[float | None] = mapped_column(Float)
    orig_crs: Mapped[str | None] = mapped_column(String(10))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    mocked: Mapped[bool | None] = mapped_column(Boolean)
    distance_m: Mapped[float | None] = mapped_column(Float)
    outside_geofence: Mapped[bool | None] = mapped_column(Boolean)
    # REMOTE: evidence from one of the target's devices
    device_id: Mapped[int | None] = mapped_column(ForeignKey("target_devices.id"))
    evidence_kind: Mapped[str | None] = mapped_column(String(10))  # SNAPSHOT | READING | VIDEO
    evidence_ref: Mapped[str | None] = mapped_column(String(500))
    evidence_value: Mapped[float | None] = mapped_column(Float)
    evidence_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Rectification(Base):
    """An order to put a violation right (整改) by a deadline; a passing follow-up closes it."""

    __tablename__ = "rectifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), unique=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("inspection_targets.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # OPEN | CLOSED
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))


class CreditRecord(Base):
    """An entry of the target's credit record (信用记录), pushed to the credit platform."""

    __tablename__ = "credit_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("inspection_targets.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    points: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(100))
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))


class DeviceAlarm(Base):
    """An alarm a device raised; several of one storm point to the same event."""

    __tablename__ = "device_alarms"
    __table_args__ = (Index("ix_device_alarms_device_type", "device_id", "alarm_type", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[int] = mapped_column(ForeignKey("target_devices.id"))
    alarm_type: Mapped[str] = mapped_column(String(30))
    value: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(500))
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    merged: Mapped[bool] = mapped_column(Boolean)  # attached to an open event of its storm
