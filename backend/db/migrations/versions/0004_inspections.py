"""inspections: inspectors' codes, targets, devices, conflicts, plans, assignments,
inspections, rectifications, credit records, device alarms

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from backend.db.types import UTCDateTime

revision = "0004"
down_revision = "0003"


def _fk(name: str, table: str, **kw: object) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey(f"{table}.id"), **kw)


def upgrade() -> None:
    op.create_table(
        "inspectors",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
    )
    op.create_table(
        "inspection_targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("risk", sa.String(1), nullable=False),
        sa.Column("address", sa.String(300)),
        # GeoAlchemy2's DDL events register the column and its spatial index on both backends
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True)),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        _fk("grid_id", "grids"),
        _fk("township_id", "townships"),
    )
    op.create_index("ix_inspection_targets_township_category", "inspection_targets",
                    ["township_id", "category"])
    op.create_table(
        "target_devices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        _fk("target_id", "inspection_targets", nullable=False, index=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "inspector_conflicts",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("target_id", sa.Integer, sa.ForeignKey("inspection_targets.id"),
                  primary_key=True),
        sa.Column("reason", sa.String(200)),
    )
    op.create_table(
        "inspection_plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _fk("department_id", "departments", nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("population_filter", sa.Text, nullable=False),
        sa.Column("sample_size", sa.Integer, nullable=False),
        sa.Column("per_target", sa.Integer, nullable=False),
        sa.Column("population_size", sa.Integer, nullable=False),
        sa.Column("population_hash", sa.String(64), nullable=False),
        sa.Column("seed_commitment", sa.String(64), nullable=False),
        sa.Column("seed", sa.String(200)),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("due_at", UTCDateTime),
        _fk("created_by", "users", nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("drawn_at", UTCDateTime),
    )
    op.create_table(
        "inspection_assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        _fk("plan_id", "inspection_plans", index=True),
        sa.Column("rectification_id", sa.Integer, index=True),
        _fk("target_id", "inspection_targets", nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("due_at", UTCDateTime),
    )
    op.create_table(
        "assignment_inspectors",
        sa.Column("assignment_id", sa.Integer, sa.ForeignKey("inspection_assignments.id"),
                  primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True,
                  index=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        _fk("assignment_id", "inspection_assignments", nullable=False, unique=True),
        _fk("plan_id", "inspection_plans", index=True),
        _fk("target_id", "inspection_targets", nullable=False, index=True),
        _fk("inspector_id", "users", nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("result", sa.String(10), nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("at", UTCDateTime, nullable=False, index=True),
        *(sa.Column(c, sa.Float) for c in ("lon", "lat", "orig_lon", "orig_lat")),
        sa.Column("orig_crs", sa.String(10)),
        sa.Column("accuracy_m", sa.Float),
        sa.Column("mocked", sa.Boolean),
        sa.Column("distance_m", sa.Float),
        sa.Column("outside_geofence", sa.Boolean),
        _fk("device_id", "target_devices"),
        sa.Column("evidence_kind", sa.String(10)),
        sa.Column("evidence_ref", sa.String(500)),
        sa.Column("evidence_value", sa.Float),
        sa.Column("evidence_at", UTCDateTime),
    )
    op.create_table(
        "rectifications",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("inspection_id", "inspections", nullable=False, unique=True),
        _fk("target_id", "inspection_targets", nullable=False, index=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("deadline", UTCDateTime, nullable=False),
        sa.Column("opened_at", UTCDateTime, nullable=False),
        sa.Column("closed_at", UTCDateTime),
        _fk("closed_by_id", "inspections"),
    )
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("target_id", "inspection_targets", nullable=False, index=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        _fk("inspection_id", "inspections"),
    )
    op.create_table(
        "device_alarms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        _fk("device_id", "target_devices", nullable=False),
        sa.Column("alarm_type", sa.String(30), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("note", sa.String(500)),
        sa.Column("raised_at", UTCDateTime),
        sa.Column("received_at", UTCDateTime, nullable=False),
        _fk("event_id", "events", nullable=False, index=True),
        sa.Column("merged", sa.Boolean, nullable=False),
    )
    op.create_index("ix_device_alarms_device_type", "device_alarms",
                    ["device_id", "alarm_type", "id"])


def downgrade() -> None:
    for table in ("device_alarms", "credit_records", "rectifications", "inspections",
                  "assignment_inspectors", "inspection_assignments", "inspection_plans",
                  "inspector_conflicts", "target_devices", "inspection_targets", "inspectors"):
        op.drop_table(table)
