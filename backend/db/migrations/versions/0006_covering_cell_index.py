"""events: the cell index holds the point (PostGIS), so the edge cells of a box are tested
against it from the index alone (an index-only scan)

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

from backend.db.spatial import cell_index_ddl, dialect_of_bind

revision = "0006"
down_revision = "0005"

_EVENTS = sa.table("events", sa.column("geom"))


def upgrade() -> None:
    if dialect_of_bind(op.get_bind()) == "postgis":
        op.drop_index("ix_events_cell", "events")
        op.execute(cell_index_ddl(_EVENTS, covering=True))


def downgrade() -> None:
    if dialect_of_bind(op.get_bind()) == "postgis":
        op.drop_index("ix_events_cell", "events")
        op.execute(cell_index_ddl(_EVENTS, covering=False))
