"""agents: each field worker's latest position (pingLocation, nearestAgents)

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from backend.db.types import UTCDateTime

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "agent_positions",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        # GeoAlchemy2's DDL events register the column and its spatial index on both backends
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True), nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("orig_lon", sa.Float, nullable=False),
        sa.Column("orig_lat", sa.Float, nullable=False),
        sa.Column("orig_crs", sa.String(10), nullable=False),
        sa.Column("accuracy_m", sa.Float),
        sa.Column("mocked", sa.Boolean, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agent_positions")
