"""events and tasks: categories (seeded), departments (seeded), events, transitions, media,
the task inbox

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from backend.db.spatial import append_only_ddl, dialect_of_bind
from backend.db.types import UTCDateTime
from backend.events.catalogue import CATEGORIES, DEPARTMENTS

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "event_categories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(4), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("event_categories.id")),
        sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id")),
        sa.Column("self_handleable", sa.Boolean, nullable=False),
        sa.Column("response", sa.Float, nullable=False),
        sa.Column("resolution", sa.Float, nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("urgency", sa.String(8), nullable=False),
        sa.Column("duplicate_radius_m", sa.Float, nullable=False),
        sa.Column("duplicate_window_h", sa.Float, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("category_id", sa.Integer, sa.ForeignKey("event_categories.id"),
                  nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("address_text", sa.String(300)),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True)),
        sa.Column("orig_lon", sa.Float), sa.Column("orig_lat", sa.Float),
        sa.Column("orig_crs", sa.String(10)), sa.Column("accuracy_m", sa.Float),
        sa.Column("mocked", sa.Boolean),
        sa.Column("routing", sa.String(10), nullable=False),
        sa.Column("geocoded", sa.Boolean, nullable=False),
        sa.Column("snap_distance_m", sa.Float),
        sa.Column("near_boundary", sa.Boolean, nullable=False),
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id"), index=True),
        sa.Column("village_id", sa.Integer, sa.ForeignKey("villages.id")),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("townships.id")),
        sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"), index=True),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("users.id"), index=True),
        sa.Column("reporter_id", sa.Integer, sa.ForeignKey("users.id"), index=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("urgency", sa.String(8), nullable=False),
        sa.Column("self_handleable", sa.Boolean, nullable=False),
        sa.Column("duplicate_of_id", sa.Integer, sa.ForeignKey("events.id")),
        sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reported_at", UTCDateTime, nullable=False, index=True),
        sa.Column("response_due_at", UTCDateTime, nullable=False),
        sa.Column("resolution_due_at", UTCDateTime, nullable=False, index=True),
        sa.Column("escalate2_at", UTCDateTime, nullable=False),
        *(sa.Column(c, UTCDateTime) for c in ("dispatched_at", "accepted_at", "submitted_at",
                                              "verified_at", "closed_at", "evaluated_at")),
        sa.Column("rating", sa.String(20)),
        sa.Column("rating_comment", sa.Text),
    )
    op.create_index("ix_events_township_status", "events", ["township_id", "status"])
    op.create_index("ix_events_category_status", "events", ["category_id", "status"])
    op.create_table(
        "event_transitions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False,
                  index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(12)),
        sa.Column("to_status", sa.String(12), nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("lon", sa.Float), sa.Column("lat", sa.Float),
        sa.Column("data", sa.Text),
    )
    op.create_table(
        "event_evaluations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False,
                  index=True),
        sa.Column("rating", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "event_media",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.Integer, nullable=False),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("due_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("townships.id")),
        sa.Column("lon", sa.Float), sa.Column("lat", sa.Float),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_tasks_inbox", "tasks", ["assignee_id", "status", "due_at"])
    op.create_index("ix_tasks_subject", "tasks", ["kind", "subject_id"])
    op.create_table(
        "calendar_days",  # admins' overrides of the official working calendar
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("workday", sa.Boolean, nullable=False),
    )
    for table in ("event_transitions", "event_evaluations"):
        for ddl in append_only_ddl(table, dialect_of_bind(op.get_bind())):
            op.execute(ddl)
    _seed()


def _seed() -> None:
    bind = op.get_bind()
    departments = sa.table("departments", sa.column("id"), sa.column("code"), sa.column("name"))
    op.bulk_insert(departments, [{"code": d.code, "name": d.name} for d in DEPARTMENTS])
    dept = dict(bind.execute(sa.select(departments.c.code, departments.c.id)).all())
    cats = sa.table("event_categories", *(sa.column(c) for c in (
        "id", "code", "name", "parent_id", "department_id", "self_handleable", "response",
        "resolution", "unit", "urgency", "duplicate_radius_m", "duplicate_window_h")))
    ids: dict[str, int] = {}
    for c in CATEGORIES:  # big classes come first, so parents exist
        row = bind.execute(cats.insert().values(
            code=c.code, name=c.name, parent_id=ids.get(c.parent) if c.parent else None,
            department_id=dept.get(c.department) if c.department else None,
            self_handleable=c.self_handleable, response=c.response, resolution=c.resolution,
            unit=c.unit, urgency=c.urgency, duplicate_radius_m=c.duplicate_radius_m,
            duplicate_window_h=c.duplicate_window_h).returning(cats.c.id))
        ids[c.code] = row.scalar_one()


def downgrade() -> None:
    for table in ("calendar_days", "tasks", "event_media", "event_evaluations",
                  "event_transitions", "events", "event_categories"):
        op.drop_table(table)
