"""events: the cell index (PostGIS), for the newest events in a box; partial indexes for the
sweep

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

from backend.db.spatial import cell_index_ddl, dialect_of_bind
from backend.events.workflow import OPEN

revision = "0005"
down_revision = "0004"

# The sweep looks for open cases past a deadline and not yet escalated to that level: a few
# hundred among a million, which it found by walking every case (2 s on PostGIS).
_SWEEP = (("ix_events_sweep_1", "resolution_due_at", 1), ("ix_events_sweep_2", "escalate2_at", 2))


def upgrade() -> None:
    if dialect_of_bind(op.get_bind()) == "postgis":  # SpatiaLite keeps its R*Tree query
        op.execute(cell_index_ddl(sa.table("events", sa.column("geom")), covering=False))
    statuses = ", ".join(f"'{s}'" for s in OPEN)
    for name, due, level in _SWEEP:
        where = sa.text(f"status IN ({statuses}) AND escalation_level < {level}")
        op.create_index(name, "events", [due, "id"], postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for name, _, _ in _SWEEP:
        op.drop_index(name, "events")
    if dialect_of_bind(op.get_bind()) == "postgis":
        op.drop_index("ix_events_cell", "events")
