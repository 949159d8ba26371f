"""areas and auth: districts, townships, villages, grids, households, departments, users

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0001"
down_revision = None


def _geom(kind: str, nullable: bool = True) -> sa.Column:
    # GeoAlchemy2's DDL events register the column and build its spatial index on both
    # backends (GIST on PostGIS, an R*Tree idx_<table>_geom on SpatiaLite).
    return sa.Column("geom", Geometry(kind, srid=4326, spatial_index=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(6), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        _geom("MULTIPOLYGON"),
    )
    op.create_table(
        "townships",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(9), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("district_id", sa.Integer, sa.ForeignKey("districts.id"), nullable=False,
                  index=True),
        _geom("MULTIPOLYGON"),
    )
    op.create_table(
        "villages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(12), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("townships.id"), nullable=False,
                  index=True),
        _geom("MULTIPOLYGON"),
    )
    op.create_table(
        "grids",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(15), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("village_id", sa.Integer, sa.ForeignKey("villages.id"), nullable=False,
                  index=True),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("townships.id"), nullable=False,
                  index=True),
        sa.Column("household_count", sa.Integer, nullable=False, server_default="0"),
        _geom("POLYGON", nullable=False),
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(20)),
        sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"), index=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
    )
    op.create_table(
        "user_townships",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("townships.id"), primary_key=True,
                  index=True),
    )
    op.create_table(
        "grid_agents",
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True,
                  index=True),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("grid_id", sa.Integer, sa.ForeignKey("grids.id"), index=True),
        sa.Column("village_id", sa.Integer, sa.ForeignKey("villages.id"), index=True),
        sa.Column("township_id", sa.Integer, sa.ForeignKey("townships.id"), index=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("address_key", sa.String(200), nullable=False, index=True),
        sa.Column("size", sa.Integer, nullable=False, server_default="1"),
        sa.Column("head_name", sa.String(50), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        *(sa.Column(flag, sa.Boolean, nullable=False, server_default=sa.false())
          for flag in ("elderly", "living_alone", "disabled", "veteran", "low_income",
                       "left_behind_child")),
        _geom("POINT", nullable=False),
    )


def downgrade() -> None:
    for table in ("households", "grid_agents", "user_townships", "user_roles", "users",
                  "departments", "grids",
                  "villages", "townships", "districts"):
        op.drop_table(table)
