"""door-to-door services: residents (areas), service items (seeded) and the departments they
need, qualifications, requests, their transitions, visits, reminders

Revision ID: 0003
"""

import json

import sqlalchemy as sa
from alembic import op

from backend.db.spatial import append_only_ddl, dialect_of_bind
from backend.db.types import UTCDateTime
from backend.services.catalogue import DEPARTMENTS, ITEMS

revision = "0003"
down_revision = "0002"

_KEY_GROUPS = ("elderly", "living_alone", "disabled", "veteran", "low_income",
               "left_behind_child")


def upgrade() -> None:
    op.create_table(
        "residents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False,
                  index=True),
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id"), index=True),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("townships.id"), index=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("phone", sa.String(20)),
        sa.Column("birth_date", sa.Date),
        sa.Column("relation", sa.String(10), nullable=False),
        *(sa.Column(k, sa.Boolean, nullable=False, server_default=sa.false())
          for k in _KEY_GROUPS),
    )
    op.create_table(
        "service_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(8), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"),
                  nullable=False),
        sa.Column("proxy_allowed", sa.Boolean, nullable=False),
        sa.Column("home_for_key_groups", sa.Boolean, nullable=False),
        sa.Column("time_limit_days", sa.Integer, nullable=False),
        sa.Column("materials", sa.Text, nullable=False),
        sa.Column("validity_days", sa.Integer),
    )
    op.create_table(
        "resident_qualifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("resident_id", sa.Integer, sa.ForeignKey("residents.id"), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("service_items.id"), nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False, index=True),
        sa.UniqueConstraint("resident_id", "item_id"),
    )
    op.create_table(
        "service_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("service_items.id"), nullable=False,
                  index=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False,
                  index=True),
        sa.Column("resident_id", sa.Integer, sa.ForeignKey("residents.id"), index=True),
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id"), index=True),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("townships.id")),
        sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"),
                  nullable=False, index=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("at_home", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("users.id"), index=True),
        sa.Column("requester_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("requested_at", UTCDateTime, nullable=False, index=True),
        sa.Column("due_at", UTCDateTime, nullable=False, index=True),
        sa.Column("escalate2_at", UTCDateTime, nullable=False),
        *(sa.Column(c, UTCDateTime) for c in ("scheduled_for", "visited_at", "submitted_at",
                                              "decided_at", "delivered_at", "closed_at",
                                              "evaluated_at")),
        sa.Column("rating", sa.String(20)),
        sa.Column("rating_comment", sa.Text),
    )
    op.create_index("ix_service_requests_township_status", "service_requests",
                    ["township_id", "status"])
    op.create_table(
        "service_transitions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("service_requests.id"),
                  nullable=False, index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(10)),
        sa.Column("to_status", sa.String(10), nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("data", sa.Text),
    )
    op.create_table(
        "service_visits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("service_requests.id"),
                  nullable=False, index=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id")),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("townships.id"), index=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False,
                  index=True),
        sa.Column("at", UTCDateTime, nullable=False),
        *(sa.Column(c, sa.Float, nullable=False) for c in ("lon", "lat", "orig_lon",
                                                           "orig_lat")),
        sa.Column("orig_crs", sa.String(10), nullable=False),
        sa.Column("accuracy_m", sa.Float),
        sa.Column("mocked", sa.Boolean),
        sa.Column("distance_m", sa.Float, nullable=False),
        sa.Column("geofence_m", sa.Float, nullable=False),
        sa.Column("flagged", sa.Boolean, nullable=False, index=True),
        sa.Column("flag_reasons", sa.String(100)),
    )
    op.create_index("ix_service_visits_grid_at", "service_visits", ["grid_id", "at"])
    op.create_index("ix_service_visits_household_at", "service_visits", ["household_id", "at"])
    op.create_table(
        "service_reminders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("resident_id", sa.Integer, sa.ForeignKey("residents.id"), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("service_items.id"), nullable=False),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("resident_id", "item_id", "expires_on",
                            name="uq_service_reminders_once"),
    )
    for table in ("service_transitions", "service_visits"):
        for ddl in append_only_ddl(table, dialect_of_bind(op.get_bind())):
            op.execute(ddl)
    _seed()


def _seed() -> None:
    bind = op.get_bind()
    departments = sa.table("departments", sa.column("id"), sa.column("code"), sa.column("name"))
    have = set(bind.execute(sa.select(departments.c.code)).scalars())
    new = [{"code": d.code, "name": d.name} for d in DEPARTMENTS if d.code not in have]
    if new:
        op.bulk_insert(departments, new)
    dept = dict(bind.execute(sa.select(departments.c.code, departments.c.id)).all())
    items = sa.table("service_items", *(sa.column(c) for c in (
        "code", "name", "department_id", "proxy_allowed", "home_for_key_groups",
        "time_limit_days", "materials", "validity_days")))
    op.bulk_insert(items, [
        {"code": i.code, "name": i.name, "department_id": dept[i.department],
         "proxy_allowed": i.proxy_allowed, "home_for_key_groups": i.home_for_key_groups,
         "time_limit_days": i.time_limit_days,
         "materials": json.dumps(list(i.materials), ensure_ascii=False),
         "validity_days": i.validity_days} for i in ITEMS])


def downgrade() -> None:
    for table in ("service_reminders", "service_visits", "service_transitions",
                  "service_requests", "resident_qualifications", "service_items",
                  "residents"):
        op.drop_table(table)
    codes = [d.code for d in DEPARTMENTS]
    departments = sa.table("departments", sa.column("code"))
    op.execute(departments.delete().where(departments.c.code.in_(codes)))
