"""Dividing villages into grids in the database, and re-dividing them without churn.

Each village is divided by its households (geo.division.divide). A new grid equal to an old
one (symmetric difference under AREA_TOLERANCE of the old grid's area) keeps the old row, id
and code; the others are numbered around the kept codes (geo.coding.number_grids), a code
that already exists is updated in place, and old grids left without a code are deleted.
Households go to the grid the division puts them in. The agents of a changed or deleted
grid, and any other row pointing at a deleted grid, go to the new grid that overlaps the old
one most, so nothing is orphaned. Every village is computed before anything is written, so
an error in any of them writes nothing; a dry run computes and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Polygon
from sqlalchemy import column, delete, insert, inspect, select, table, update
from sqlalchemy.orm import Session

from backend.areas.imports import ADMINS, require_role, township_id_of
from backend.areas.models import Grid, GridAgent, Household, Township, Village
from backend.auth.service import Caller
from backend.db.base import SRID
from backend.errors import BadInput, NotFound
from geo.coding import check_code, number_grids
from geo.division import DivisionQuality, combine, divide
from geo.errors import GeoError

AREA_TOLERANCE = 1e-9


class Status(StrEnum):
    KEPT = "KEPT"  # the same polygon as before: same row, id and code
    CHANGED = "CHANGED"  # an existing code with a new polygon: the row is updated
    NEW = "NEW"


@dataclass(frozen=True)
class DivideScope:
    """Exactly one of the two."""

    township_id: int | None = None
    village_id: int | None = None


@dataclass
class DividedGrid:
    code: str
    village_code: str
    households: int
    status: Status
    polygon: Polygon
    grid_id: int | None = None  # the row, once written


@dataclass
class DivisionReport:
    grids: list[DividedGrid]
    removed_codes: list[str]
    quality: DivisionQuality


@dataclass
class _OldGrid:
    id: int
    code: str
    polygon: Polygon


@dataclass
class _Plan:
    """One village's division, computed and not yet written."""

    village: Village
    grids: list[DividedGrid]
    rows: dict[int, _OldGrid]  # grid index -> the existing row it keeps or updates
    old: list[_OldGrid]
    households: np.ndarray  # ids, in the order of `assignment`
    current: np.ndarray  # their grid ids now (-1 for none)
    assignment: np.ndarray  # grid index of each household
    quality: DivisionQuality


def scope_of_codes(session: Session, township: str, village: str | None = None) -> DivideScope:
    """The scope of `wangge divide --township CODE [--village CODE]`."""
    if village is None:
        return DivideScope(township_id=township_id_of(session, township))
    try:
        check_code(village, "village", township)
    except GeoError as e:
        raise BadInput(str(e), "village") from None
    vid = session.scalar(select(Village.id).where(Village.code == village))
    if vid is None:
        raise NotFound(f"no village with code {village}", "village")
    return DivideScope(village_id=vid)


def _villages(session: Session, scope: DivideScope) -> list[Village]:
    if (scope.township_id is None) == (scope.village_id is None):
        raise BadInput("give exactly one of townshipId and villageId", "scope")
    if scope.village_id is not None:
        village = session.get(Village, scope.village_id)
        if village is None:
            raise NotFound(f"no village with id {scope.village_id}", "scope.villageId")
        return [village]
    if session.get(Township, scope.township_id) is None:
        raise NotFound(f"no township with id {scope.township_id}", "scope.townshipId")
    return list(session.scalars(select(Village).where(Village.township_id == scope.township_id)
                                .order_by(Village.code)))


def _shapes(elements: list) -> list:
    """Geometries read from the database as WKB: exact doubles, so a grid written by one
    division compares equal when read back by the next."""
    return [to_shape(e) for e in elements]


def _same(a: Polygon, b: Polygon) -> bool:
    return shapely.symmetric_difference(a, b).area < AREA_TOLERANCE * b.area


def _unchanged(polygons: list[Polygon], old: list[_OldGrid]) -> dict[int, _OldGrid]:
    """New grid index -> the old grid with the same polygon."""
    if not old:
        return {}
    tree = shapely.STRtree([o.polygon for o in old])
    found: dict[int, _OldGrid] = {}
    taken: set[int] = set()
    for i, poly in enumerate(polygons):
        for j in sorted(tree.query(poly)):
            if j not in taken and _same(poly, old[j].polygon):
                found[i] = old[j]
                taken.add(j)
                break
    return found


def _plan(session: Session, village: Village, households_per_grid: int) -> _Plan:
    label = f"village {village.code} {village.name}"
    if village.geom is None:
        raise BadInput(f"{label} has no boundary to divide", "scope")
    old_rows = session.execute(select(Grid.id, Grid.code, Grid.geom)
                               .where(Grid.village_id == village.id).order_by(Grid.code)).all()
    old = [_OldGrid(r.id, r.code, p) for r, p in zip(old_rows, _shapes([r.geom for r in old_rows]),
                                                    strict=True)]
    homes = session.execute(select(Household.id, Household.grid_id, Household.geom)
                            .where(Household.village_id == village.id)
                            .order_by(Household.id)).all()
    points = shapely.get_coordinates(_shapes([h.geom for h in homes])).reshape(-1, 2)
    try:
        division = divide(to_shape(village.geom), points, households_per_grid)
        same = _unchanged(division.polygons, old)
        codes = number_grids(village.code, division.polygons,
                             keep={i: o.code for i, o in same.items()})
    except GeoError as e:
        raise BadInput(f"{label}: {e}", "scope") from None
    by_code = {o.code: o for o in old}
    rows = {i: same.get(i) or by_code[c] for i, c in enumerate(codes) if c in by_code}
    grids = [DividedGrid(code, village.code, n,
                         Status.KEPT if i in same else Status.CHANGED if i in rows else Status.NEW,
                         poly)
             for i, (code, poly, n) in enumerate(zip(codes, division.polygons, division.counts,
                                                     strict=True))]
    return _Plan(village, grids, rows, old, np.array([h.id for h in homes], dtype=np.int64),
                 np.array([h.grid_id if h.grid_id is not None else -1 for h in homes]),
                 division.assignment, division.quality)


def _removed(plan: _Plan) -> list[_OldGrid]:
    kept = {o.id for o in plan.rows.values()}
    return [o for o in plan.old if o.id not in kept]


def _successors(plan: _Plan, ids: list[int]) -> dict[int, int]:
    """Old grid id -> id of the new grid overlapping it most (then the nearest, then the lowest
    code), for every old grid that changed or vanished."""
    polygons = np.array([g.polygon for g in plan.grids], dtype=object)
    kept = {plan.rows[i].id for i, g in enumerate(plan.grids) if g.status is Status.KEPT}
    out = {}
    for o in plan.old:
        if o.id in kept:
            continue
        overlap = shapely.area(shapely.intersection(polygons, o.polygon))
        distance = shapely.distance(polygons, o.polygon)
        best = min(range(len(polygons)),
                   key=lambda i: (-overlap[i], distance[i], plan.grids[i].code))
        out[o.id] = ids[best]
    return out


def _write(session: Session, plan: _Plan) -> None:
    v = plan.village
    ids = []
    for i, g in enumerate(plan.grids):
        row = plan.rows.get(i)
        if row is None:
            grid = Grid(code=g.code, name=f"{v.name}{int(g.code[-3:])}号网格", village_id=v.id,
                        township_id=v.township_id, household_count=g.households,
                        geom=from_shape(g.polygon, srid=SRID))
            session.add(grid)
            session.flush()
            ids.append(grid.id)
            continue
        values = {"household_count": g.households}
        if g.status is Status.CHANGED:
            values["geom"] = from_shape(g.polygon, srid=SRID)
        session.execute(update(Grid).where(Grid.id == row.id).values(**values))
        ids.append(row.id)
    for g, grid_id in zip(plan.grids, ids, strict=True):
        g.grid_id = grid_id
    target = np.array(ids, dtype=np.int64)[plan.assignment]
    moved = np.flatnonzero(target != plan.current)
    if len(moved):
        session.execute(update(Household), [
            {"id": int(plan.households[j]), "grid_id": int(target[j])} for j in moved])
    successors = _successors(plan, ids)
    _move_agents(session, successors)
    removed = [o.id for o in _removed(plan)]
    if removed:
        _repoint(session, {o: successors[o] for o in removed})
        session.execute(delete(Grid).where(Grid.id.in_(removed)))


def _move_agents(session: Session, successors: dict[int, int]) -> None:
    """Reassign the agents of each moving grid to its successor (once, if already there)."""
    moving = {old: new for old, new in successors.items() if old != new}
    rows = {tuple(r) for r in session.execute(select(GridAgent.grid_id, GridAgent.user_id)
                                              .where(GridAgent.grid_id.in_(moving)))}
    if not rows:
        return
    # assignments on successors that are not moving away themselves
    staying = {tuple(r) for r in session.execute(
        select(GridAgent.grid_id, GridAgent.user_id)
        .where(GridAgent.grid_id.in_(set(moving.values()) - set(moving))))}
    wanted = {(moving[g], u) for g, u in rows} - staying
    session.execute(delete(GridAgent).where(GridAgent.grid_id.in_(moving)))
    if wanted:
        session.execute(insert(GridAgent),
                        [{"grid_id": g, "user_id": u} for g, u in sorted(wanted)])


def _repoint(session: Session, successors: dict[int, int]) -> None:
    """Rows of other tables (events...) that point at a vanished grid follow its successor."""
    handled = {Household.__tablename__, GridAgent.__tablename__}
    fks = inspect(session.connection()).get_multi_foreign_keys()
    for (_, name), keys in fks.items():
        for fk in keys:
            if fk["referred_table"] != Grid.__tablename__ or name in handled:
                continue
            col = fk["constrained_columns"][0]
            t = table(name, column(col))
            for old, new in successors.items():
                session.execute(update(t).where(t.c[col] == old).values({col: new}))


def divide_grids(session: Session, caller: Caller, scope: DivideScope,
                 households_per_grid: int = 200, dry_run: bool = False) -> DivisionReport:
    """Divide (or re-divide) the villages in scope into grids of about households_per_grid
    households; see the module docstring for what is kept, changed and moved."""
    require_role(caller, ADMINS)
    if households_per_grid <= 0:
        raise BadInput(f"householdsPerGrid must be above 0, got {households_per_grid}",
                       "householdsPerGrid")
    plans = [_plan(session, v, households_per_grid) for v in _villages(session, scope)]
    if not dry_run:
        for plan in plans:
            _write(session, plan)
        session.flush()
    grids = [g for p in plans for g in p.grids]
    return DivisionReport(
        grids=grids,
        removed_codes=sorted(o.code for p in plans for o in _removed(p)),
        quality=combine([p.quality for p in plans], [g.households for g in grids],
                         households_per_grid))

