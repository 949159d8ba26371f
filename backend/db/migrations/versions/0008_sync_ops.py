"""sync: the operations phones replayed from their offline queues (syncBatch)

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

from backend.db.types import UTCDateTime

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "sync_ops",
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("done_at", UTCDateTime),
        sa.Column("synced_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_ops")
