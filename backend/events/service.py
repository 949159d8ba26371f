"""Rules of the events domain: intake, routing, duplicates, the workflow, deadlines,
escalation, evaluation, queries and statistics (DOMAIN.md, "The event workflow")."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from types import SimpleNamespace

from sqlalchemy import (
    Float,
    Insert,
    Select,
    and_,
    bindparam,
    case,
    event,
    func,
    insert,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, defer
from sqlalchemy.sql.elements import ColumnElement

from backend.areas import service as areas
from backend.areas.models import Grid, Township
from backend.auth.models import Department, User
from backend.auth.service import Caller, case_scope, sees_case
from backend.db import direct, spatial
from backend.db.batch import geojson_by_ids, rows_by_key, rows_of
from backend.db.paging import Page, keyset_page
from backend.errors import (
    BadInput,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    Unauthenticated,
)
from backend.events.models import (
    CalendarDay,
    Event,
    EventCategory,
    EventEvaluation,
    EventMedia,
    EventTransition,
)
from backend.events.workflow import EVENTS, OPEN
from backend.live import Feed
from backend.positions import Position, check_radius
from backend.tasks import service as tasks
from backend.worktime import WorkCalendar, deadline

SOURCES = ("APP", "HOTLINE", "CITIZEN", "SENSOR", "INSPECTION")
RATINGS = ("SATISFIED", "BASICALLY_SATISFIED", "UNSATISFIED")
MAX_DESCRIPTION = 4000
SNAP_M = 500.0  # a point in no grid goes to the nearest grid within this distance
BOUNDARY_M = 30.0  # nearer than this (or the accuracy radius) to another grid: ambiguous


@dataclass(frozen=True)
class ReportInput:
    client_id: str
    category_code: str
    description: str
    source: str
    position: Position | None = None
    address_text: str | None = None
    acknowledge_duplicate: bool = False
    media_digests: tuple[str, ...] = ()  # sha256 of each attached file, part of the request

    def request_hash(self) -> str:
        p = self.position
        body = [self.category_code, self.description, self.source, self.address_text,
                self.acknowledge_duplicate, list(self.media_digests),
                p and [p.lon, p.lat, p.crs.value, p.accuracy_m, p.mocked]]
        return hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()


@dataclass
class Reported:
    event: Event | SimpleNamespace  # the case as read, or as just written (its columns)
    duplicate_id: int | None  # the case it was merged into
    replayed: bool = False
    neighbours: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """Where a dispatcher sends a case: a grid (its agent), a department, or a person."""

    grid_id: int | None = None
    department_code: str | None = None
    assignee_id: int | None = None


@dataclass(frozen=True)
class EventFilter:
    statuses: tuple[str, ...] = ()
    category_code: str | None = None
    township_id: int | None = None
    grid_id: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    near: areas.Near | None = None
    overdue: bool | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None


# --- reading ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CategorySettings:
    """What a report copies from its category (a snapshot, so it can be cached)."""

    id: int
    code: str
    name: str
    parent_id: int | None
    department_id: int | None
    self_handleable: bool
    response: float
    resolution: float
    unit: str
    urgency: str
    duplicate_radius_m: float
    duplicate_window_h: float


REFERENCE_TTL_S = 30.0  # other workers see an admin's edit of categories or calendar this late
_reference: dict[str, tuple[float, dict[str, CategorySettings], WorkCalendar]] = {}


def _reference_data(session: Session) -> tuple[dict[str, CategorySettings], WorkCalendar]:
    """Categories and the calendar, read once per database every REFERENCE_TTL_S: reading
    them cost a report two of its ten round trips."""
    key = session.get_bind().url.render_as_string()
    cached = _reference.get(key)
    if cached is None or time.monotonic() - cached[0] > REFERENCE_TTL_S:
        cats = {c.code: CategorySettings(**{f: getattr(c, f) for f in
                                             CategorySettings.__dataclass_fields__})
                for c in session.scalars(select(EventCategory))}
        cal = WorkCalendar({d.day: d.workday for d in session.scalars(select(CalendarDay))})
        cached = _reference[key] = (time.monotonic(), cats, cal)
    return cached[1], cached[2]


def _forget_after_commit(session: Session) -> None:
    """An admin's edit reaches this worker's reports as soon as it is committed."""
    event.listen(session, "after_commit", lambda _s: _reference.clear(), once=True)


def calendar(session: Session) -> WorkCalendar:
    return _reference_data(session)[1]


def category_by_code(session: Session, code: str) -> CategorySettings:
    cat = _reference_data(session)[0].get(code)
    if cat is None:
        raise NotFound(f"no event category {code!r}", "categoryCode")
    if cat.parent_id is None:
        raise BadInput(f"{code} {cat.name} is a big class: report with one of its small "
                       "classes", "categoryCode")
    return cat


def categories(session: Session) -> list[EventCategory]:
    return list(session.scalars(select(EventCategory).order_by(EventCategory.code)))


def is_overdue(e: Event, now: datetime) -> bool:
    if e.status not in OPEN:
        return False
    return now > e.resolution_due_at or (e.accepted_at is None and now > e.response_due_at)


def _overdue_sql(now: datetime | ColumnElement) -> ColumnElement:
    return and_(Event.status.in_(OPEN),
                or_(Event.resolution_due_at < now,
                    and_(Event.accepted_at.is_(None), Event.response_due_at < now)))


def _scope(caller: Caller) -> ColumnElement:
    """The events a caller may see."""
    return case_scope(caller, (Event.reporter_id, Event.assignee_id), Event.township_id,
                      Event.grid_id, Event.department_id)


def sees(caller: Caller, e: Event) -> bool:
    return sees_case(caller, (e.reporter_id, e.assignee_id), e.township_id, e.grid_id,
                     e.department_id)


def get_event(session: Session, caller: Caller, event_id: int) -> Event | None:
    e = session.get(Event, event_id, options=[defer(Event.geom)])
    if e is None:
        return None
    if not sees(caller, e):
        raise Forbidden("this event is outside your jurisdiction")
    return e


def list_events(session: Session, caller: Caller, f: EventFilter, now: datetime,
                first: int | None, after: str | None, max_page: int,
                columns: frozenset[str] | None = None) -> Page[Event]:
    """Newest first, as rows of `columns` (names of the table's columns, and lon and lat; the
    id always) or of all of them. The statement is built once per shape (the caller, which
    filters are given, the cells of a box, the columns) with the filters' values bound:
    building it afresh for every page cost more than running it."""
    if caller.is_public:
        raise Unauthenticated("log in to see events")
    d = spatial.dialect_of(session)
    values: dict[str, object] = {}
    if f.statuses:
        values["statuses"] = list(f.statuses)
    if f.category_code:
        escaped = f.category_code.replace("/", "//").replace("%", "/%").replace("_", "/_")
        values["category_like"] = escaped + "%"
    if f.township_id is not None:
        values["township_id"] = f.township_id
    if f.grid_id is not None:
        values["grid_id"] = f.grid_id
    cells = 0
    if f.bbox is not None:
        box = _checked_bbox(f.bbox)
        by_cell = spatial.points_in_bbox_by_cell(Event.__table__, box, d)
        if by_cell is None:
            cells = -1
            values.update(spatial.bbox_values(box, "bbox"))
        else:
            cells = len(by_cell[0])
            values.update(by_cell[1])
    if f.near is not None:
        lon, lat = f.near.position.wgs84("near.point")
        r = check_radius(f.near.radius_m, "near.radiusM")
        values.update(near_lon=lon, near_lat=lat, near_r=r,
                      **spatial.box_values(lon, lat, r, "near"))
    if f.overdue is not None:
        values["now"] = now
    if f.reported_from is not None:
        values["reported_from"] = f.reported_from
    if f.reported_to is not None:
        values["reported_to"] = f.reported_to
    stmt, partitions = _list_statement(d, caller, frozenset(values), cells, f.overdue, columns)
    return keyset_page(session, stmt, Event.id, first, after, max_page, lambda e: e.id,
                       descending=True, scalars=False, partitions=partitions, params=values)


@lru_cache(maxsize=512)
def _list_statement(d: spatial.Dialect, caller: Caller, given: frozenset[str], cells: int,
                    overdue: bool | None, columns: frozenset[str] | None
                    ) -> tuple[Select, list[ColumnElement] | None]:
    """The list statement of a shape: `given`, the filters' parameter names; `cells`, the
    number of cells of the box (0: no box, -1: a box too large for cells)."""
    t = Event.__table__
    stmt = _rows(d, columns).where(_scope(caller))
    if "statuses" in given:
        stmt = stmt.where(Event.status.in_(bindparam("statuses", expanding=True)))
    if "category_like" in given:
        ids = select(EventCategory.id).where(
            EventCategory.code.like(bindparam("category_like"), escape="/"))
        stmt = stmt.where(Event.category_id.in_(ids))
    if "township_id" in given:
        stmt = stmt.where(Event.township_id == bindparam("township_id"))
    if "grid_id" in given:
        stmt = stmt.where(Event.grid_id == bindparam("grid_id"))
    if cells == -1:
        stmt = stmt.where(spatial.points_in_bbox(t, spatial.bound_box("bbox"), d))
    if "near_r" in given:
        stmt = stmt.where(spatial.within_m(t, bindparam("near_lon", type_=Float),
                                           bindparam("near_lat", type_=Float),
                                           bindparam("near_r", type_=Float), d,
                                           spatial.bound_box("near")))
    if overdue is not None:
        late = _overdue_sql(bindparam("now", type_=Event.resolution_due_at.type))
        stmt = stmt.where(late if overdue else ~late)
    if "reported_from" in given:
        stmt = stmt.where(Event.reported_at >= bindparam("reported_from"))
    if "reported_to" in given:
        stmt = stmt.where(Event.reported_at < bindparam("reported_to"))
    return stmt, (spatial.cell_conditions(t, cells) if cells > 0 else None)


# Lists read rows, not ORM objects (a row has the same attribute names, plus lon and lat):
# building 50 objects cost more than the query.
_LIST_COLUMNS = tuple(c for c in Event.__table__.c if c.name != "geom")


def _checked_bbox(b: Sequence[float]) -> tuple[float, float, float, float]:
    if len(b) != 4:
        raise BadInput("bbox is [minLon, minLat, maxLon, maxLat]", "bbox")
    x0, y0, x1, y1 = b
    for lon, lat in ((x0, y0), (x1, y1)):
        Position(lon, lat).wgs84("bbox")
    if x0 > x1 or y0 > y1:
        raise BadInput("bbox must be [minLon, minLat, maxLon, maxLat] with min <= max", "bbox")
    return x0, y0, x1, y1


def history(session: Session, event_ids: Sequence[int]) -> list[list[EventTransition]]:
    return rows_by_key(session, EventTransition.event_id, event_ids)


def media(session: Session, event_ids: Sequence[int]) -> list[list[EventMedia]]:
    return rows_by_key(session, EventMedia.event_id, event_ids)


# --- intake and routing ----------------------------------------------------------------

@dataclass
class Routing:
    routing: str
    lon: float | None = None
    lat: float | None = None
    geocoded: bool = False
    grid: areas.GridLike | None = None
    township_id: int | None = None
    snap_distance_m: float | None = None
    neighbours: list[str] = field(default_factory=list)
    agent_id: int | None = None  # the grid's least-loaded agent, for a self-handleable category
    duplicate_id: int | None = None  # an open duplicate nearby, when looked for


def route(session: Session, caller: Caller, inp: ReportInput, cat: CategorySettings,
          now: datetime) -> Routing:
    """Where a report lands: its covering grid; else the nearest grid within 500 m; else the
    township (or district) queue; an address alone is geocoded against the household
    register, and an unmatched one waits unlocated in the township queue. With the grid come
    its agent, for a self-handleable category, and an open duplicate of the report unless it
    is acknowledged: for a covering grid, all in the statement that finds the grids."""
    geocoded = False
    if inp.position is not None:
        lon, lat = inp.position.wgs84("location")
    else:
        found = areas.geocode_address(session, inp.address_text or "")
        if found is None:
            township = (next(iter(caller.township_ids)) if len(caller.township_ids) == 1
                        else areas.township_named_in(session, inp.address_text or ""))
            return Routing("UNLOCATED", township_id=township)
        (lon, lat), geocoded = found, True
    radius = max(BOUNDARY_M, (inp.position.accuracy_m or 0) if inp.position else 0)
    duplicates = (not inp.acknowledge_duplicate and cat.duplicate_radius_m > 0
                  and cat.duplicate_window_h > 0)
    values = areas.within_values(lon, lat, radius)
    if duplicates:
        values.update(_duplicate_values(cat, lon, lat, now))
    rows = direct.rows(session, _surroundings_statement(spatial.dialect_of(session), duplicates,
                                                        cat.self_handleable), values)
    duplicate_id = rows[0].duplicate_id  # every row has it; a point near no grid has one row
    near = [g for g in rows if g.id is not None]
    grid = next((g for g in near if g.covers), None)
    if grid is not None:
        neighbours = [g.code for g in near if g.code != grid.code]
        return Routing("GRID", lon, lat, geocoded, grid, grid.township_id, None, neighbours,
                       grid.agent_id, duplicate_id)
    snapped = areas.nearest_grid(session, lon, lat, SNAP_M)
    if snapped is not None:
        grid, distance = snapped
        agent = tasks.least_loaded_agent(session, grid.id) if cat.self_handleable else None
        return Routing("SNAPPED", lon, lat, geocoded, grid, grid.township_id, distance,
                       agent_id=agent, duplicate_id=duplicate_id)
    return Routing("UNROUTED", lon, lat, geocoded,
                   township_id=areas.covering_township(session, lon, lat),
                   duplicate_id=duplicate_id)


@cache
def _surroundings_statement(d: spatial.Dialect, duplicates: bool, agent: bool) -> Select:
    """The grids within the bound radius of the point (areas.around_select), each with the
    least-loaded agent of the covering one when `agent`, and the nearest open duplicate when
    `duplicates` (the same on every row, and on the one row of a point near no grid): one
    round trip, where three cost the driver and PostgreSQL more than the lookups."""
    g = areas.around_select(d).subquery("g")
    dup = (_duplicate_statement(d).scalar_subquery() if duplicates
           else null()).label("duplicate_id")
    anchor = select(dup).subquery("anchor")
    agent_id = (case((g.c.covers, tasks.least_loaded_select(g.c.id).scalar_subquery()))
                if agent else null()).label("agent_id")
    return (select(anchor.c.duplicate_id, *g.c, agent_id)
            .select_from(anchor.outerjoin(g, true())).order_by(g.c.code))


def _check_report(caller: Caller, inp: ReportInput) -> None:
    if inp.source not in SOURCES:
        raise BadInput(f"unknown source {inp.source}: use one of {', '.join(SOURCES)}", "source")
    if caller.is_public and inp.source != "CITIZEN":
        raise Forbidden("the public reports with source CITIZEN")
    if inp.source == "SENSOR" and not caller.district_wide:
        raise Forbidden("SENSOR reports come from devices (ingestDeviceAlarm)")
    if not inp.description.strip():
        raise BadInput("describe the problem", "description")
    if len(inp.description) > MAX_DESCRIPTION:
        raise BadInput(f"description is {len(inp.description)} characters; at most "
                       f"{MAX_DESCRIPTION}", "description")
    if inp.position is None and not (inp.address_text or "").strip():
        raise BadInput("give a location or an addressText", "location")
    if inp.address_text is not None and len(inp.address_text) > 300:
        raise BadInput("addressText is over 300 characters", "addressText")


def _replay(session: Session, inp: ReportInput) -> Reported | None:
    """The first answer to a clientId sent again with the same input; CONFLICT otherwise."""
    found = reported_as(session, inp.client_id)
    if found is not None and found.event.request_hash != inp.request_hash():
        raise Conflict(f"clientId {inp.client_id} was already used for a different report",
                       "clientId")
    return found


def reported_as(session: Session, client_id: str) -> Reported | None:
    """The answer to the report of this clientId, again: the case as it is now, the case it
    was merged into, and the neighbours its routing found (from its REPORT step)."""
    d = spatial.dialect_of(session)
    e = direct.first(session, _case_by_client_statement(d), {"client_id": client_id})
    if e is None:
        return None
    routed = direct.scalar(session, _REPORT_STEP, {"id": e.id})
    neighbours = json.loads(routed).get("neighbours", []) if routed else []
    return Reported(e, e.duplicate_of_id, replayed=True, neighbours=neighbours)


@cache
def _case_by_client_statement(d: spatial.Dialect) -> Select:
    return _rows(d).where(Event.client_id == bindparam("client_id"))


_REPORT_STEP = (select(EventTransition.data)
                .where(EventTransition.event_id == bindparam("id"),
                       EventTransition.action == "REPORT")
                .order_by(EventTransition.id).limit(1))


def _duplicate_values(cat: CategorySettings, lon: float, lat: float, now: datetime
                      ) -> dict[str, object]:
    r = cat.duplicate_radius_m
    return {"cat": cat.id, "since": now - timedelta(hours=cat.duplicate_window_h),
            "dup_r": r, **spatial.box_values(lon, lat, r, "dup")}


@cache
def _duplicate_statement(d: spatial.Dialect) -> Select:
    """An open event of the same category within its radius and window, nearest first."""
    # Built once per dialect: composing it cost more than running it. The candidates are the
    # few rows in the radius's box, taken through the spatial index first (a materialized
    # CTE): left to itself, PostgreSQL's generic plan ANDed the box with the thousands of open
    # events of a busy category (ix_events_category_status), 3.5 ms instead of 0.1. The box
    # and the point are hidden from the planner, so that it keeps one plan (generic_value).
    # The statuses are constants it sees: on PostGIS the open cases have a spatial index of
    # their own (migration 0009), which spares reading the closed ones in the box.
    t = Event.__table__
    lon, lat, r = (bindparam(k, type_=Float) for k in ("lon", "lat", "dup_r"))
    near = (select(t.c.id, t.c.geom, t.c.category_id, t.c.reported_at)
            .where(spatial.near_box(t, spatial.bound_box("dup"), d, generic=True),
                   direct.constant_in(t.c.status, OPEN))
            .cte("near").prefix_with("MATERIALIZED"))
    distance = spatial.distance_m(near, lon, lat, d, generic=True)
    return (select(near.c.id)
            .where(near.c.category_id == bindparam("cat"),
                   near.c.reported_at >= bindparam("since", type_=Event.reported_at.type),
                   distance <= r)
            .order_by(distance, near.c.id).limit(1))


def report(session: Session, caller: Caller, inp: ReportInput, now: datetime) -> Reported:
    """Take a report, route it, open its case (or merge it into an open duplicate); the
    caller commits. Idempotent on clientId.

    The hot path of the API, so it is two statements (the grids around the point with the
    agent and an open duplicate, see `route`; the case with its steps and the agent's task)
    on the driver's cursor (backend/db/direct.py):
    the ORM's unit of work, and then SQLAlchemy's execution layer, cost more than the queries.
    The case is inserted in its final state (dispatched or merged), with the steps that led
    there; a clientId already used makes the insert do nothing, and the first answer is
    read back."""
    _check_report(caller, inp)
    cat = category_by_code(session, inp.category_code)
    r = route(session, caller, inp, cat, now)
    cal = calendar(session)
    p = inp.position
    duplicate_id = r.duplicate_id
    v = dict(
        client_id=inp.client_id, request_hash=inp.request_hash(), source=inp.source,
        category_id=cat.id, description=inp.description, address_text=inp.address_text,
        geom=spatial.point_ewkt(r.lon, r.lat) if r.lon is not None else None,
        orig_lon=p.lon if p else None, orig_lat=p.lat if p else None,
        orig_crs=p.crs.value if p else None, accuracy_m=p.accuracy_m if p else None,
        mocked=p.mocked if p else None, routing=r.routing, geocoded=r.geocoded,
        snap_distance_m=r.snap_distance_m, near_boundary=bool(r.neighbours),
        grid_id=r.grid.id if r.grid else None, village_id=r.grid.village_id if r.grid else None,
        township_id=r.township_id, department_id=cat.department_id, assignee_id=None,
        reporter_id=caller.user_id, status="REPORTED", urgency=cat.urgency,
        self_handleable=cat.self_handleable, duplicate_of_id=duplicate_id,
        escalation_level=0, reported_at=now,
        response_due_at=deadline(now, cat.response, cat.unit, cal),
        resolution_due_at=deadline(now, cat.resolution, cat.unit, cal),
        escalate2_at=deadline(now, 2 * cat.resolution, cat.unit, cal),
        **dict.fromkeys(("dispatched_at", "accepted_at", "submitted_at", "verified_at",
                         "closed_at", "evaluated_at", "rating", "rating_comment")))
    steps = [_step("REPORT", None, "REPORTED", caller.user_id, now, None,
                   p.lon if p else None, p.lat if p else None,
                   {"routing": r.routing, "grid": r.grid.code if r.grid else None,
                    "neighbours": r.neighbours, "snapDistanceM": r.snap_distance_m})]
    if duplicate_id is not None:
        v["status"] = "MERGED"
        steps.append(_step("MERGE", "REPORTED", "MERGED", None, now,
                           f"merged into event {duplicate_id}", data={"into": duplicate_id}))
    elif (dispatch := _auto_dispatch(r, cat)) is not None:
        agent_id, note = dispatch
        v.update(status="DISPATCHED", assignee_id=agent_id, dispatched_at=now)
        steps.append(_step("DISPATCH", "REPORTED", "DISPATCHED", None, now, note,
                           data={"assignee": agent_id, "department": cat.department_id}))
    task = ([tasks.task_values("EVENT", None, v["assignee_id"], v["resolution_due_at"], now,
                               v["township_id"], r.lon, r.lat, None)]
            if v["assignee_id"] is not None else [])
    # The case, its steps and the agent's task together (one statement on PostgreSQL), on the
    # driver's cursor (backend/db/direct.py): no ORM or SQLAlchemy layer per statement
    event_id = direct.insert_linked(
        session, _insert_event_statement(spatial.dialect_of(session)), v,
        [(_INSERT_STEPS, "event_id", steps), (tasks.INSERT_TASK, "subject_id", task)])
    if event_id is None:  # this clientId was used before (perhaps by a retry meanwhile)
        replayed = _replay(session, inp)
        if replayed is None:  # pragma: no cover - the conflict was on another key
            raise Conflict("the report could not be stored; send it again", "clientId")
        return replayed
    # The payload's view of the case: its columns, and its coordinates as list rows carry them
    # (building an ORM object of 40 attributes for it cost more than a statement)
    e = SimpleNamespace(id=event_id, lon=r.lon, lat=r.lat, **v)
    return Reported(e, duplicate_id, neighbours=r.neighbours)


def _rows(d: spatial.Dialect, columns: frozenset[str] | None = None) -> Select:
    """Cases as rows: their columns and coordinates (what Event.of and lists read); `columns`:
    those alone, and the id (a page of 50 with all 40 columns cost PostgreSQL and the driver
    about twice one of the few a list usually shows)."""
    lon_lat = spatial.lon_lat(Event.__table__, d)
    if columns is None:
        return select(*_LIST_COLUMNS, *lon_lat)
    unknown = columns - {c.name for c in _LIST_COLUMNS} - {"lon", "lat"}
    if unknown:
        raise ValueError(f"events have no columns {sorted(unknown)}")
    return select(*(c for c in _LIST_COLUMNS if c.name == "id" or c.name in columns),
                  *(lon_lat if columns & {"lon", "lat"} else ()))


_INSERT_STEPS = insert(EventTransition.__table__)


@cache
def _insert_event_statement(d: spatial.Dialect) -> Insert:
    return spatial.insert_unless_exists(Event.__table__, "client_id", d).returning(
        Event.__table__.c.id)


def _step(action: str, before: str | None, after: str, actor_id: int | None, now: datetime,
          note: str | None, lon: float | None = None, lat: float | None = None,
          data: dict | None = None) -> dict:
    return {"action": action, "from_status": before, "to_status": after,
            "actor_id": actor_id, "at": now, "note": note, "lon": lon, "lat": lat,
            "data": json.dumps(data, ensure_ascii=False) if data else None}


def _auto_dispatch(r: Routing, cat: CategorySettings) -> tuple[int | None, str] | None:
    """(agent, note) of a new case: the grid's least-loaded agent when the category is
    self-handleable, else the department's queue (no agent). None: unlocated cases, and
    self-handleable ones with no grid or agent, wait in the township (or district) queue
    for a dispatcher."""
    if r.routing == "UNLOCATED":
        return None
    if cat.self_handleable:
        return (r.agent_id, "routed to the grid's agent") if r.agent_id is not None else None
    if cat.department_id is not None:
        return None, "routed to the department"
    return None


def _dispatch(session: Session, e: Event, now: datetime, actor_id: int | None, *,
              agent_id: int | None, department_id: int | None, note: str | None,
              data: dict | None = None, where: tuple[float, float] | None = None) -> None:
    if e.dispatched_at is not None:  # a re-dispatch: the previous handler's task goes
        tasks.close_tasks(session, "EVENT", e.id, "CANCELLED", now)
    e.assignee_id, e.department_id = agent_id, department_id
    _move(session, e, "DISPATCH", "DISPATCHED", actor_id, now, note,
          data={"assignee": agent_id, "department": department_id, **(data or {})})
    if agent_id is not None:
        _open_task(session, e, agent_id, now, where)


def _open_task(session: Session, e: Event, user_id: int, now: datetime,
               where: tuple[float, float] | None = None) -> None:
    lon = lat = None
    if where is not None:
        lon, lat = where
    elif e.routing != "UNLOCATED":
        loc = geojson_by_ids(session, [e.id], Event)[0]
        lon, lat = loc["coordinates"] if loc else (None, None)
    tasks.open_task(session, "EVENT", e.id, user_id, e.resolution_due_at, now, e.township_id,
                    lon, lat)


# --- the workflow ------------------------------------------------------------------------

def relations(caller: Caller, e: Event) -> frozenset[str]:
    rel = set()
    if caller.user_id is not None:
        if caller.user_id == e.assignee_id:
            rel.add("assignee")
        elif caller.user_id == e.reporter_id:
            rel.add("reporter")
    if "DEPARTMENT" in caller.roles and e.department_id is not None \
            and caller.department_id == e.department_id and e.assignee_id is None:
        rel.add("department")
    if "DISPATCHER" in caller.roles and e.township_id in caller.township_ids:
        rel.add("dispatcher")
    rel |= {r.lower() for r in caller.roles & {"SUPERVISOR", "ADMIN"}}
    return frozenset(rel)


_STEP_TIMES = {"DISPATCHED": "dispatched_at", "ACCEPTED": "accepted_at",
               "SUBMITTED": "submitted_at", "VERIFIED": "verified_at"}


def _record(session: Session, e: Event, action: str, before: str | None, after: str,
            actor_id: int | None, now: datetime, note: str | None, lon: float | None = None,
            lat: float | None = None, data: dict | None = None) -> None:
    session.add(EventTransition(event_id=e.id, action=action, from_status=before,
                                to_status=after, actor_id=actor_id, at=now, note=note,
                                lon=lon, lat=lat,
                                data=json.dumps(data, ensure_ascii=False) if data else None))


def _move(session: Session, e: Event, action: str, after: str, actor_id: int | None,
          now: datetime, note: str | None, position: tuple[float, float] | None = None,
          data: dict | None = None) -> None:
    before = e.status
    e.status = after
    if (column := _STEP_TIMES.get(after)) and getattr(e, column) is None:
        setattr(e, column, now)
    if after == "CLOSED":
        e.closed_at = now  # the latest closing
    _record(session, e, action, before, after, actor_id, now, note,
            *(position or (None, None)), data)


def transition(session: Session, caller: Caller, event_id: int, action: str,
               note: str | None, position: Position | None, target: Target | None,
               now: datetime) -> Event:
    """Take one action on a case, if the table allows it to this caller; the caller commits."""
    e = session.get(Event, event_id, options=[defer(Event.geom)], with_for_update=True)
    if e is None:
        raise NotFound(f"no event {event_id}", "id")
    if not sees(caller, e):
        raise Forbidden("this event is outside your jurisdiction")
    where = position.wgs84("location") if position else None
    if note is not None and len(note) > MAX_DESCRIPTION:
        raise BadInput(f"note is over {MAX_DESCRIPTION} characters", "note")
    after = EVENTS.apply(e.status, action, relations(caller, e))
    if action == "REJECT" and not (note or "").strip():
        raise BadInput("say why the case is rejected", "note")
    if action == "DISPATCH":
        _redispatch(session, caller, e, target, note, now)
        return e
    if action == "ESCALATE":
        e.escalation_level += 1
    if action == "ACCEPT" and e.assignee_id is None:  # a department clerk takes the case
        e.assignee_id = caller.user_id
    _move(session, e, action, after, caller.user_id, now, note, where,
          {"level": e.escalation_level} if action == "ESCALATE" else None)
    _update_tasks(session, e, action, caller, now)
    return e


def _redispatch(session: Session, caller: Caller, e: Event, target: Target | None,
                note: str | None, now: datetime) -> None:
    """A dispatcher sends the case on: to another grid (its agent), a department, or a
    person. The routing history stays in the transitions."""
    if target is None or (target.grid_id, target.department_code, target.assignee_id) == (
            None, None, None):
        raise BadInput("DISPATCH needs a target: gridId, departmentCode or assigneeId", "target")
    before = {"grid": e.grid_id, "department": e.department_id, "assignee": e.assignee_id}
    agent_id, department_id = None, e.department_id
    if target.grid_id is not None:
        grid = session.get(Grid, target.grid_id)
        if grid is None:
            raise NotFound(f"no grid {target.grid_id}", "target.gridId")
        if not caller.sees_grid(grid.id, grid.township_id):
            raise Forbidden("that grid is outside your jurisdiction")
        e.grid_id, e.village_id, e.township_id = grid.id, grid.village_id, grid.township_id
        agent_id = tasks.least_loaded_agent(session, grid.id)
        if agent_id is None and target.department_code is None:
            raise BadInput(f"grid {grid.code} has no agent: send it to a department",
                           "target.gridId")
    if target.department_code is not None:
        department_id = session.scalar(select(Department.id)
                                       .where(Department.code == target.department_code))
        if department_id is None:
            raise NotFound(f"no department {target.department_code}", "target.departmentCode")
        agent_id = None if target.grid_id is None else agent_id
    if target.assignee_id is not None:
        if session.get(User, target.assignee_id) is None:
            raise NotFound(f"no user {target.assignee_id}", "target.assigneeId")
        agent_id = target.assignee_id
    _dispatch(session, e, now, caller.user_id, agent_id=agent_id, department_id=department_id,
              note=note, data={"before": before})


def _update_tasks(session: Session, e: Event, action: str, caller: Caller,
                  now: datetime) -> None:
    if action in ("SUBMIT_RESULT", "RETURN"):
        tasks.close_tasks(session, "EVENT", e.id, "DONE" if action == "SUBMIT_RESULT"
                          else "CANCELLED", now)
        if action == "RETURN":
            e.assignee_id = None
    elif action in ("CLOSE", "REJECT"):
        tasks.close_tasks(session, "EVENT", e.id, "CANCELLED", now)
    elif action == "ACCEPT" and e.assignee_id is not None:
        has_task = session.scalar(select(func.count()).select_from(tasks.Task).where(
            tasks.Task.kind == "EVENT", tasks.Task.subject_id == e.id,
            tasks.Task.status == "OPEN"))
        if not has_task:
            _open_task(session, e, e.assignee_id, now)
    elif action == "REOPEN" and e.assignee_id is not None:
        _open_task(session, e, e.assignee_id, now)


def evaluate(session: Session, caller: Caller, event_id: int, rating: str,
             comment: str | None, now: datetime) -> Event:
    """The reporter rates a closed case; UNSATISFIED reopens it for rectification (整改)."""
    if rating not in RATINGS:
        raise BadInput(f"rating is one of {', '.join(RATINGS)}", "rating")
    e = session.get(Event, event_id, options=[defer(Event.geom)], with_for_update=True)
    if e is None:
        raise NotFound(f"no event {event_id}", "id")
    if caller.user_id is None or caller.user_id != e.reporter_id:
        raise Forbidden("only the reporter evaluates a case")
    if e.status != "CLOSED":
        raise InvalidTransition(f"an event is evaluated once it is CLOSED; it is {e.status}",
                                "id")
    if e.evaluated_at is not None:
        raise InvalidTransition("this closing has already been evaluated", "id")
    e.rating, e.rating_comment, e.evaluated_at = rating, comment, now
    session.add(EventEvaluation(event_id=e.id, rating=rating, comment=comment,
                                user_id=caller.user_id, at=now))
    _record(session, e, "EVALUATE", "CLOSED", "CLOSED", caller.user_id, now, comment,
            data={"rating": rating})
    if rating == "UNSATISFIED":
        EVENTS.apply(e.status, "REOPEN", frozenset({"system"}))
        _move(session, e, "REOPEN", "IN_PROGRESS", None, now,
              "rectification: the reporter is unsatisfied")
        e.evaluated_at = None  # the next closing is evaluated afresh
        if e.assignee_id is not None:
            _open_task(session, e, e.assignee_id, now)
    return e


# --- changes (the eventChanged subscription) ---------------------------------------------

# Every change of a case writes a row of its history, so the history's new rows are the
# changes; a subscriber gets each changed case once per poll, as it is then.
CHANGES = Feed(EventTransition.id, EventTransition.event_id, rows_of(Event))


def check_follow(session: Session, caller: Caller, township_id: int | None) -> None:
    """Whether the caller may follow changes (of one township, when given)."""
    if caller.is_public:
        raise Unauthenticated("log in to follow events")
    if township_id is not None:
        if session.get(Township, township_id) is None:
            raise NotFound(f"no township {township_id}", "townshipId")
        if not caller.sees_township(township_id):
            raise Forbidden("this township is outside your jurisdiction", "townshipId")


def follows(caller: Caller, e: Event | None, township_id: int | None) -> bool:
    """Whether a changed case goes to a follower: one they see, of their township if given."""
    return (e is not None and (township_id is None or e.township_id == township_id)
            and sees(caller, e))


# --- administration ---------------------------------------------------------------------

CATEGORY_SETTINGS = ("self_handleable", "response", "resolution", "unit", "urgency",
                     "duplicate_radius_m", "duplicate_window_h", "department_code")


def update_category(session: Session, caller: Caller, code: str, changes: dict) -> EventCategory:
    """An admin changes a small class; events already reported keep what they copied."""
    if "ADMIN" not in caller.roles:
        raise Forbidden("only admins edit event categories")
    category_by_code(session, code)  # a small class, or the error that says why not
    cat = session.scalar(select(EventCategory).where(EventCategory.code == code))
    _forget_after_commit(session)
    if unknown := set(changes) - set(CATEGORY_SETTINGS):
        raise BadInput(f"unknown settings {sorted(unknown)}", "input")
    if "unit" in changes and changes["unit"] not in ("HOURS", "WORKING_DAYS"):
        raise BadInput("deadlineUnit is HOURS or WORKING_DAYS", "deadlineUnit")
    if "urgency" in changes and changes["urgency"] not in ("LOW", "NORMAL", "URGENT"):
        raise BadInput("urgency is LOW, NORMAL or URGENT", "urgency")
    for key in ("response", "resolution", "duplicate_radius_m", "duplicate_window_h"):
        if key in changes and not 0 <= changes[key] <= 10_000:
            raise BadInput(f"{key} must be between 0 and 10000", key)
    if "department_code" in changes:
        dept = session.scalar(select(Department.id)
                              .where(Department.code == changes.pop("department_code")))
        if dept is None:
            raise NotFound("no such department", "departmentCode")
        cat.department_id = dept
    for key, value in changes.items():
        setattr(cat, key, value)
    return cat


def set_calendar_day(session: Session, caller: Caller, day: date, workday: bool | None
                     ) -> None:
    """An admin overrides the official calendar for a day (None removes the override)."""
    if "ADMIN" not in caller.roles:
        raise Forbidden("only admins change the working calendar")
    _forget_after_commit(session)
    row = session.get(CalendarDay, day)
    if workday is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(CalendarDay(day=day, workday=workday))
    else:
        row.workday = workday


# --- deadlines and escalation ---------------------------------------------------------------

def sweep(session: Session, now: datetime, limit: int | None = None) -> tuple[int, int]:
    """Escalate overdue cases: at the deadline to the township supervision (level 1), at twice
    it to the district (level 2), each exactly once; at most `limit` cases a level per call
    (call again until it returns (0, 0)); the caller commits."""
    done = [0, 0]
    for level, due in ((1, Event.resolution_due_at), (2, Event.escalate2_at)):
        rows = session.scalars(select(Event).options(defer(Event.geom))
                               .where(Event.status.in_(OPEN), Event.escalation_level < level,
                                      due <= now)
                               # in the order of the sweep's partial indexes (migration
                               # 0005): no match is found without walking every case
                               .order_by(due, Event.id).limit(limit).with_for_update()).all()
        for e in rows:
            while e.escalation_level < level:  # a case may skip straight past both
                e.escalation_level += 1
                _move(session, e, "ESCALATE", e.status, None, now,
                      "overdue: escalated to the " + ("township supervision"
                                                      if e.escalation_level == 1
                                                      else "district"),
                      data={"level": e.escalation_level})
                done[e.escalation_level - 1] += 1
    return done[0], done[1]


# --- statistics ----------------------------------------------------------------------------

@dataclass
class Stats:
    total: int
    by_status: dict[str, int]
    acceptance_rate: float | None
    dispatch_rate: float | None
    feedback_rate: float | None
    supervision_rate: float | None
    on_time_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    evaluated_count: int
    unsatisfied_count: int
    avg_handling_minutes: float | None
    overdue_count: int


def _rate(n: int, d: int) -> float | None:
    return n / d if d else None


def stats(session: Session, caller: Caller, township_id: int | None, grid_id: int | None,
          start: datetime | None, end: datetime | None, now: datetime) -> Stats:
    """Counts and rates (DOMAIN.md) over the events reported in [start, end) in a scope;
    merged duplicates are not cases and are left out."""
    if caller.is_public:
        raise Unauthenticated("log in to see statistics")
    conds = [_scope(caller), Event.status != "MERGED"]
    if township_id is not None:
        if not caller.sees_township(township_id):
            raise Forbidden("that township is outside your jurisdiction")
        conds.append(Event.township_id == township_id)
    if grid_id is not None:
        conds.append(Event.grid_id == grid_id)
    if start is not None:
        conds.append(Event.reported_at >= start)
    if end is not None:
        conds.append(Event.reported_at < end)
    by_status = dict(session.execute(select(Event.status, func.count())
                                     .where(*conds).group_by(Event.status)).all())
    total = sum(by_status.values())

    def count(*extra: ColumnElement) -> int:
        return session.scalar(select(func.count()).select_from(Event).where(*conds, *extra))

    rejected = by_status.get("REJECTED", 0)
    closed = by_status.get("CLOSED", 0)
    submitted = count(Event.submitted_at.is_not(None))
    on_time = count(Event.status == "CLOSED", Event.closed_at <= Event.resolution_due_at)
    ratings = dict(session.execute(
        select(EventEvaluation.rating, func.count())
        .join(Event, Event.id == EventEvaluation.event_id)
        .where(*conds).group_by(EventEvaluation.rating)).all())
    evaluated = sum(ratings.values())
    minutes = spatial.minutes_between(Event.reported_at, Event.closed_at,
                                      spatial.dialect_of(session))
    handling = session.scalar(select(func.avg(minutes)).where(*conds, Event.status == "CLOSED"))
    live = Event.status != "REJECTED"  # rejected reports are not cases to handle
    return Stats(
        total=total, by_status=by_status,
        acceptance_rate=_rate(count(live, Event.accepted_at.is_not(None)), total - rejected),
        dispatch_rate=_rate(count(live, Event.dispatched_at.is_not(None)), total - rejected),
        feedback_rate=_rate(count(live, Event.submitted_at.is_not(None)), total - rejected),
        supervision_rate=_rate(count(Event.verified_at.is_not(None)), submitted),
        on_time_rate=_rate(on_time, closed),
        resolution_rate=_rate(closed, total - rejected),
        satisfaction_rate=_rate(ratings.get("SATISFIED", 0)
                                + ratings.get("BASICALLY_SATISFIED", 0), evaluated),
        evaluated_count=evaluated, unsatisfied_count=ratings.get("UNSATISFIED", 0),
        avg_handling_minutes=float(handling) if handling is not None else None,
        overdue_count=count(_overdue_sql(now)),
    )
