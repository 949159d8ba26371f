"""events: the cell index, for the newest events in a box

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

from backend.db.spatial import cell_index_ddl, dialect_of_bind

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute(cell_index_ddl(sa.table("events", sa.column("geom")), dialect_of_bind(op.get_bind())))


def downgrade() -> None:
    op.drop_index("ix_events_cell", "events")
