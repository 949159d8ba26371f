"""events: a spatial index of the open cases alone (PostGIS), for the duplicate check of a
report: the candidates in its radius's box are the open cases, not every case ever reported
there (in a dense block of the bench's 1,000,000 cases: 74 candidates, none open, 60 heap
pages read, 1.1 ms)

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

from backend.db.spatial import dialect_of_bind

revision = "0009"
down_revision = "0008"

# events.workflow.OPEN when this was written (tests/events/test_duplicate_plan.py checks that
# they still agree: a query's IN list must match the predicate for the index to serve it)
OPEN = ("REPORTED", "DISPATCHED", "ACCEPTED", "IN_PROGRESS", "SUBMITTED", "VERIFIED",
        "RETURNED")


def upgrade() -> None:
    if dialect_of_bind(op.get_bind()) == "postgis":
        statuses = ", ".join(f"'{s}'" for s in OPEN)
        op.create_index("ix_events_open_geom", "events", ["geom"], postgresql_using="gist",
                        postgresql_where=sa.text(f"status IN ({statuses})"))


def downgrade() -> None:
    if dialect_of_bind(op.get_bind()) == "postgis":
        op.drop_index("ix_events_open_geom", "events")
