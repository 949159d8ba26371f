"""Rules of the areas domain: what a caller may see of townships, villages, grids and
households, and the spatial questions asked of them (which grid covers a point, which grids
are near or intersect a shape)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from sqlalchemy import Float, Select, bindparam, false, or_, select, true
from sqlalchemy.orm import Session, defer
from sqlalchemy.sql.elements import ColumnElement

from backend.areas.models import (
    KEY_GROUPS,
    Grid,
    GridAgent,
    Household,
    Resident,
    Township,
    Village,
)
from backend.auth.models import User
from backend.auth.service import Caller
from backend.db import direct, spatial
from backend.db.batch import geojson_by_ids, rows_by_key
from backend.db.paging import Page, keyset_page
from backend.errors import BadInput, Forbidden, Unauthenticated
from backend.positions import Position, check_radius
from geo.errors import GeoError
from geo.validate import validate_geojson

MAX_QUERY_VERTICES = 10_000


class GridLike(Protocol):
    """A Grid row: the ORM object, or a Core row of GRID_COLUMNS on hot paths."""

    id: int
    code: str
    name: str
    village_id: int
    township_id: int
    household_count: int


GRID_COLUMNS = (Grid.id, Grid.code, Grid.name, Grid.village_id, Grid.township_id,
                Grid.household_count)


@dataclass(frozen=True)
class GridView:
    """A grid as the caller may see it: `full` False means only code and name (the public,
    or an agent asking gridAt about a neighbour's grid)."""

    grid: GridLike
    full: bool


@dataclass(frozen=True)
class Near:
    position: Position
    radius_m: float


@dataclass(frozen=True)
class GridFilter:
    township_id: int | None = None
    village_id: int | None = None
    intersects: dict | None = None
    near: Near | None = None


@dataclass(frozen=True)
class HouseholdFilter:
    grid_id: int | None = None
    village_id: int | None = None
    key_group: str | None = None
    near: Near | None = None


@dataclass(frozen=True)
class HouseholdView:
    household: Household
    id_number: str
    phone: str


def _require_login(caller: Caller) -> None:
    if caller.is_public:
        raise Unauthenticated("log in to see this")


# --- scopes: the caller's jurisdiction as SQL ---------------------------------------------

def _township_scope(caller: Caller) -> ColumnElement:
    if caller.district_wide:
        return true()
    ids = caller.township_ids | caller.grid_township_ids
    return Township.id.in_(ids) if ids else false()


def _grid_scope(caller: Caller, grid_id: ColumnElement, township_id: ColumnElement
                ) -> ColumnElement:
    if caller.district_wide:
        return true()
    conds = []
    if caller.township_ids:
        conds.append(township_id.in_(caller.township_ids))
    if caller.grid_ids:
        conds.append(grid_id.in_(caller.grid_ids))
    return or_(*conds) if conds else false()


# --- townships and villages -----------------------------------------------------------------

def list_townships(session: Session, caller: Caller, first: int | None, after: str | None,
                   max_page: int) -> Page[Township]:
    _require_login(caller)
    stmt = select(Township).options(defer(Township.geom)).where(_township_scope(caller))
    return keyset_page(session, stmt, Township.code, first, after, max_page, lambda t: t.code)


def get_township(session: Session, caller: Caller, township_id: int) -> Township | None:
    t = session.get(Township, township_id, options=[defer(Township.geom)])
    if t is None:
        return None
    if not caller.sees_township(t.id):
        raise Forbidden("this township is outside your jurisdiction")
    return t


def get_village(session: Session, caller: Caller, village_id: int) -> Village | None:
    v = session.get(Village, village_id, options=[defer(Village.geom)])
    if v is None:
        return None
    if not caller.sees_village(v.id, v.township_id):
        raise Forbidden("this village is outside your jurisdiction")
    return v


# --- grids ------------------------------------------------------------------------------------

def _grids(caller: Caller) -> Select:
    return (select(Grid).options(defer(Grid.geom))
            .where(_grid_scope(caller, Grid.id, Grid.township_id)))


def get_grid(session: Session, caller: Caller, grid_id: int) -> GridView | None:
    g = session.get(Grid, grid_id, options=[defer(Grid.geom)])
    if g is None:
        return None
    if not caller.sees_grid(g.id, g.township_id):
        raise Forbidden("this grid is outside your jurisdiction")
    return GridView(g, True)


def list_grids(session: Session, caller: Caller, f: GridFilter, first: int | None,
               after: str | None, max_page: int) -> Page[GridView]:
    _require_login(caller)
    d = spatial.dialect_of(session)
    stmt = _grids(caller)
    if f.township_id is not None:
        if not caller.sees_township(f.township_id):
            raise Forbidden("townshipId is outside your jurisdiction")
        stmt = stmt.where(Grid.township_id == f.township_id)
    if f.village_id is not None:
        stmt = stmt.where(Grid.village_id == f.village_id)
    if f.intersects is not None:
        try:
            shape = validate_geojson(f.intersects, name="intersects",
                                     max_vertices=MAX_QUERY_VERTICES)
        except GeoError as e:
            raise BadInput(str(e), "intersects") from None
        stmt = stmt.where(spatial.intersects(Grid.__table__, shape.wkt, shape.bounds, d))
    if f.near is not None:
        lon, lat = f.near.position.wgs84("near.point")
        radius = check_radius(f.near.radius_m, "near.radiusM")
        stmt = stmt.where(spatial.within_m(Grid.__table__, lon, lat, radius, d))
    page = keyset_page(session, stmt, Grid.code, first, after, max_page, lambda g: g.code)
    page.rows = [GridView(g, True) for g in page.rows]
    return page


def grid_at(session: Session, caller: Caller, position: Position) -> GridView | None:
    """The grid covering the point, boundary included; on a shared edge or vertex the grid
    with the lowest code wins, so the answer never depends on the query plan."""
    g = covering_grid(session, *position.wgs84("point"))
    if g is None:
        return None
    return GridView(g, caller.sees_grid(g.id, g.township_id))


def covering_grid(session: Session, lon: float, lat: float) -> GridLike | None:
    """The grid covering a WGS-84 point (lowest code on shared boundaries), or None."""
    return direct.first(session, _grid_at_statement(spatial.dialect_of(session)),
                        {"lon": lon, "lat": lat})


def nearest_grid(session: Session, lon: float, lat: float, max_m: float
                 ) -> tuple[GridLike, float] | None:
    """The nearest grid within max_m metres and its distance, or None."""
    row = direct.first(session, _nearest_statement(spatial.dialect_of(session)),
                       within_values(lon, lat, max_m))
    return (row, float(row.distance)) if row else None


# The statements of a point and a radius are built once per dialect, with the point, the
# radius and its box bound (within_values): building them cost more than running them.
def _within(d: spatial.Dialect) -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    """The bound point, and the condition: a grid within the bound radius of it."""
    lon, lat, r = (bindparam(k, type_=Float) for k in ("lon", "lat", "r"))
    return lon, lat, spatial.within_m(Grid.__table__, lon, lat, r, d, spatial.bound_box())


def within_values(lon: float, lat: float, radius_m: float) -> dict[str, float]:
    return {"lon": lon, "lat": lat, "r": radius_m, **spatial.box_values(lon, lat, radius_m)}


@cache
def _nearest_statement(d: spatial.Dialect) -> Select:
    lon, lat, within = _within(d)
    dist = spatial.distance_m(Grid.__table__, lon, lat, d)
    return (select(*GRID_COLUMNS, dist.label("distance")).where(within)
            .order_by(dist, Grid.code).limit(1))


def around_select(d: spatial.Dialect) -> Select:
    """Every grid within the bound radius of the point (GRID_COLUMNS), and whether it covers
    the point (`covers`; on shared boundaries several do: the lowest code is the point's), for
    statements that take them in (a report's routing); the parameters of within_values."""
    lon, lat, within = _within(d)
    covers = spatial.covers_point(Grid.__table__, lon, lat, d)
    return select(*GRID_COLUMNS, covers.label("covers")).where(within)


def covering_township(session: Session, lon: float, lat: float) -> int | None:
    return direct.scalar(session, _township_at_statement(spatial.dialect_of(session)),
                         {"lon": lon, "lat": lat})


@cache
def _township_at_statement(d: spatial.Dialect) -> Select:
    lon, lat = bindparam("lon", type_=Float), bindparam("lat", type_=Float)
    return (select(Township.id).where(spatial.covers_point(Township.__table__, lon, lat, d))
            .order_by(Township.code).limit(1))


_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_PREFIXES = ("山东省", "淄博市", "临淄区")


def address_key(address: str) -> str:
    """An address reduced to what identifies it: full-width characters to ASCII, no spaces
    or punctuation, no province/city/district prefix, no trailing 室."""
    key = address.translate(_FULL_WIDTH)
    key = "".join(ch for ch in key if ch.isalnum())
    for prefix in _PREFIXES:
        key = key.removeprefix(prefix)
    return key.removesuffix("室").upper()


def geocode_address(session: Session, text: str) -> tuple[float, float] | None:
    """A hotline address matched against the household register: the exact address first,
    then the normalised one. Returns WGS-84 (lon, lat) or None."""
    for column, value in ((Household.address, text.strip()),
                          (Household.address_key, address_key(text))):
        hid = session.scalar(select(Household.id).where(column == value)
                             .order_by(Household.id).limit(1))
        if hid is not None:
            point = geojson_by_ids(session, [hid], Household)[0]
            return point["coordinates"][0], point["coordinates"][1]
    return None


def township_named_in(session: Session, text: str) -> int | None:
    """The township whose name appears in an address text, when exactly one does."""
    ids = [t.id for t in session.execute(select(Township.id, Township.name)) if t.name in text]
    return ids[0] if len(ids) == 1 else None


@cache
def _grid_at_statement(d: spatial.Dialect) -> Select:
    # Built once per dialect: constructing the statement cost more than running it.
    lon, lat = bindparam("lon", type_=Float), bindparam("lat", type_=Float)
    return (select(*GRID_COLUMNS).where(spatial.covers_point(Grid.__table__, lon, lat, d))
            .order_by(Grid.code).limit(1))


def agents_by_grid_ids(session: Session, ids: Sequence[int]) -> list[list[User]]:
    out: dict[int, list[User]] = {i: [] for i in ids}
    rows = session.execute(
        select(GridAgent.grid_id, User).join(User, User.id == GridAgent.user_id)
        .where(GridAgent.grid_id.in_(ids)).order_by(User.username)
    ).all()
    for grid_id, user in rows:
        out[grid_id].append(user)
    return [out[i] for i in ids]


def grids_by_agent_ids(session: Session, ids: Sequence[int]) -> list[list[Grid]]:
    out: dict[int, list[Grid]] = {i: [] for i in ids}
    rows = session.execute(
        select(GridAgent.user_id, Grid).options(defer(Grid.geom))
        .join(Grid, Grid.id == GridAgent.grid_id)
        .where(GridAgent.user_id.in_(ids)).order_by(Grid.code)
    ).all()
    for user_id, grid in rows:
        out[user_id].append(grid)
    return [out[i] for i in ids]


# --- households -------------------------------------------------------------------------------

def mask_id_number(value: str) -> str:
    """370305********1234: region and last four stay, birth date and sequence go."""
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:] if len(value) > 10 else "****"


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) >= 8 else "****"


def household_view(caller: Caller, h: Household) -> HouseholdView:
    if caller.sees_personal_data():
        return HouseholdView(h, h.id_number, h.phone)
    return HouseholdView(h, mask_id_number(h.id_number), mask_phone(h.phone))


def get_household(session: Session, caller: Caller, household_id: int) -> HouseholdView | None:
    _require_login(caller)
    h = session.get(Household, household_id, options=[defer(Household.geom)])
    if h is None:
        return None
    if not (caller.district_wide or h.township_id in caller.township_ids
            or h.grid_id in caller.grid_ids):
        raise Forbidden("this household is outside your jurisdiction")
    return household_view(caller, h)


def list_households(session: Session, caller: Caller, f: HouseholdFilter, first: int | None,
                    after: str | None, max_page: int) -> Page[HouseholdView]:
    _require_login(caller)
    d = spatial.dialect_of(session)
    stmt = (select(Household).options(defer(Household.geom))
            .where(_grid_scope(caller, Household.grid_id, Household.township_id)))
    if f.grid_id is not None:
        stmt = stmt.where(Household.grid_id == f.grid_id)
    if f.village_id is not None:
        stmt = stmt.where(Household.village_id == f.village_id)
    if f.key_group is not None:
        if f.key_group not in KEY_GROUPS:
            raise BadInput(f"unknown key group {f.key_group!r}", "keyGroup")
        stmt = stmt.where(getattr(Household, f.key_group).is_(True))
    if f.near is not None:
        lon, lat = f.near.position.wgs84("near.point")
        radius = check_radius(f.near.radius_m, "near.radiusM")
        stmt = stmt.where(spatial.within_m(Household.__table__, lon, lat, radius, d))
    page = keyset_page(session, stmt, Household.id, first, after, max_page, lambda h: h.id)
    page.rows = [household_view(caller, h) for h in page.rows]
    return page


# --- residents (members of households) ----------------------------------------------------

def mask_name(name: str) -> str:
    """王*英 style: the surname stays, so a call-back can still address the resident."""
    return name[:1] + "*" * max(len(name) - 1, 1)


@dataclass
class ResidentView:
    resident: Resident
    name: str
    id_number: str
    phone: str | None


def resident_view(caller: Caller, r: Resident) -> ResidentView:
    if caller.sees_personal_data():
        return ResidentView(r, r.name, r.id_number, r.phone)
    return ResidentView(r, mask_name(r.name), mask_id_number(r.id_number),
                        mask_phone(r.phone) if r.phone else None)


def sees_home(caller: Caller, grid_id: int | None, township_id: int | None) -> bool:
    return (caller.district_wide or township_id in caller.township_ids
            or grid_id in caller.grid_ids)


def get_resident(session: Session, caller: Caller, resident_id: int) -> ResidentView | None:
    if caller.is_public:
        raise Unauthenticated("log in to see residents")
    r = session.get(Resident, resident_id)
    if r is None:
        return None
    if not sees_home(caller, r.grid_id, r.township_id):
        raise Forbidden("this resident is outside your jurisdiction")
    return resident_view(caller, r)


def residents_by_household_ids(session: Session, ids: Sequence[int]) -> list[list[Resident]]:
    return rows_by_key(session, Resident.household_id, ids)
