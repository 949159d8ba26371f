"""Tables of the administrative hierarchy, grids and households (区 → 镇/街道 → 村/社区 → 网格)."""

from __future__ import annotations

from datetime import date

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import SRID, Base


class District(Base):
    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=True)


class Township(Base):
    """镇 (TOWN) or 街道 (SUBDISTRICT)."""

    __tablename__ = "townships"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=True)


class Village(Base):
    """村 (VILLAGE) or 社区 (COMMUNITY)."""

    __tablename__ = "villages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=True)


class Grid(Base):
    """A unit grid (网格): 15-digit code = village code + 3-digit sequence."""

    __tablename__ = "grids"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    # Denormalised so every hot query can be scoped by township (one shard under Citus).
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    household_count: Mapped[int] = mapped_column(Integer, default=0)
    geom = mapped_column(Geometry("POLYGON", srid=SRID, spatial_index=True), nullable=False)


class GridAgent(Base):
    """The assignment of a grid agent (网格员/代办员) to a grid."""

    __tablename__ = "grid_agents"
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Household(Base):
    __tablename__ = "households"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    # the address normalised (geo-coding hotline calls against the register)
    address_key: Mapped[str] = mapped_column(String(200), index=True)
    size: Mapped[int] = mapped_column(Integer, default=1)
    head_name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str] = mapped_column(String(20))
    # Key groups (重点人群) that get services at home.
    elderly: Mapped[bool] = mapped_column(Boolean, default=False)
    living_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    veteran: Mapped[bool] = mapped_column(Boolean, default=False)
    low_income: Mapped[bool] = mapped_column(Boolean, default=False)
    left_behind_child: Mapped[bool] = mapped_column(Boolean, default=False)
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)


KEY_GROUPS = ("elderly", "living_alone", "disabled", "veteran", "low_income", "left_behind_child")


class Resident(Base):
    """A member of a household (户籍人口), with the key-group flags that bring services to
    the door. Grid and township are copied from the household so lists scope by township."""

    __tablename__ = "residents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    birth_date: Mapped[date | None] = mapped_column(Date)
    relation: Mapped[str] = mapped_column(String(10), default="户主")  # to the household head
    elderly: Mapped[bool] = mapped_column(Boolean, default=False)  # 80 and over
    living_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    veteran: Mapped[bool] = mapped_column(Boolean, default=False)
    low_income: Mapped[bool] = mapped_column(Boolean, default=False)  # 低保 minimum allowance
    left_behind_child: Mapped[bool] = mapped_column(Boolean, default=False)
