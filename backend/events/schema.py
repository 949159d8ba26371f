"""GraphQL types and operations of the events domain: thin, every rule is in service.py."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from enum import Enum
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry
from strawberry.file_uploads import Upload

from backend import media as photos
from backend.api.context import Info
from backend.api.mutations import mutate
from backend.api.relay import (
    Connection,
    Node,
    connection,
    from_global_id,
    node_fields,
    pk_of,
    to_global_id,
)
from backend.api.scalars import GeoJSON, NearInput, PointInput, UserError
from backend.areas import loaders as area_loaders
from backend.areas.service import GridView, Near
from backend.auth import models as auth_models
from backend.errors import BadInput, Forbidden, NotFound
from backend.events import loaders, models, service
from backend.events.workflow import EVENTS
from backend.worktime import OFFICE_HOURS, TZ

if TYPE_CHECKING:
    from backend.areas.schema import Grid, Township
    from backend.auth.schema import User
    from backend.services.schema import ServiceCoverage

GridType = Annotated["Grid", strawberry.lazy("backend.areas.schema")]
TownshipType = Annotated["Township", strawberry.lazy("backend.areas.schema")]
UserType = Annotated["User", strawberry.lazy("backend.auth.schema")]
ServiceCoverageType = Annotated["ServiceCoverage", strawberry.lazy("backend.services.schema")]

EventStatus = strawberry.enum(Enum("EventStatus", {s: s for s in (
    "REPORTED", "DISPATCHED", "ACCEPTED", "IN_PROGRESS", "SUBMITTED", "VERIFIED", "CLOSED",
    "REJECTED", "RETURNED", "MERGED")}))
EventAction = strawberry.enum(Enum("EventAction", {a: a for a in (
    "ACCEPT", "DISPATCH", "RETURN", "START", "SUBMIT_RESULT", "VERIFY", "REOPEN", "CLOSE",
    "REJECT", "ESCALATE")}))
EventSource = strawberry.enum(Enum("EventSource", {s: s for s in service.SOURCES}))
Rating = strawberry.enum(Enum("Rating", {r: r for r in service.RATINGS}))
_DAY_HOURS = sum((e.hour * 60 + e.minute - s.hour * 60 - s.minute) for s, e in OFFICE_HOURS) / 60


@strawberry.type
class Department:
    code: str
    name: str

    @classmethod
    def of(cls, d: auth_models.Department) -> Department:
        return cls(code=d.code, name=d.name)


async def _department(info: Info, department_id: int | None) -> Department | None:
    if department_id is None:
        return None
    return Department.of(await info.context.loader(loaders.department).load(department_id))


def _hours(amount: float, unit: str) -> float:
    return amount * _DAY_HOURS if unit == "WORKING_DAYS" else amount


@strawberry.type(description="A class of GB/T 30428.2 (big class 2 digits, small class 4).")
class EventCategory:
    code: str
    name: str
    self_handleable: bool
    deadline_unit: str = strawberry.field(description="HOURS (clock) or WORKING_DAYS")
    response: float
    resolution: float
    urgency: str
    duplicate_radius_m: float
    duplicate_window_hours: float
    row: strawberry.Private[models.EventCategory]

    @classmethod
    def of(cls, c: models.EventCategory) -> EventCategory:
        return cls(code=c.code, name=c.name, self_handleable=c.self_handleable,
                   deadline_unit=c.unit, response=c.response, resolution=c.resolution,
                   urgency=c.urgency, duplicate_radius_m=c.duplicate_radius_m,
                   duplicate_window_hours=c.duplicate_window_h, row=c)

    @strawberry.field(description="Response deadline in hours (working hours for "
                                   "WORKING_DAYS categories).")
    def response_hours(self) -> float:
        return _hours(self.response, self.deadline_unit)

    @strawberry.field(description="Resolution deadline in hours (working hours for "
                                   "WORKING_DAYS categories).")
    def resolution_hours(self) -> float:
        return _hours(self.resolution, self.deadline_unit)

    @strawberry.field
    async def parent(self, info: Info) -> EventCategory | None:
        if self.row.parent_id is None:
            return None
        return EventCategory.of(await info.context.loader(loaders.category)
                                .load(self.row.parent_id))

    @strawberry.field
    async def department(self, info: Info) -> Department | None:
        return await _department(info, self.row.department_id)


@strawberry.type
class ReportedPosition:
    lon: float
    lat: float
    crs: str
    accuracy_m: float | None
    mocked: bool | None


@strawberry.type
class EventTransition:
    action: str
    from_status: str | None
    to_status: str
    at: datetime
    note: str | None
    lon: float | None
    lat: float | None
    actor_pk: strawberry.Private[int | None]

    @strawberry.field
    def actor(self, info: Info) -> UserType | None:
        from backend.auth.schema import User

        if self.actor_pk is None:
            return None
        return User.of(info.context.session.get(auth_models.User, self.actor_pk))


@strawberry.type
class EventMedia:
    url: str
    content_type: str
    size: int


# The enums by stored value, for lists: a dict lookup is a fraction of an Enum() call
_STATUSES = {s.value: s for s in EventStatus}
_SOURCES = {s.value: s for s in EventSource}


@strawberry.type(description="A case (事件): a reported problem followed to its evaluation.")
class Event(Node):
    code: str
    status: EventStatus
    source: EventSource
    description: str
    address_text: str | None
    routing: str = strawberry.field(description="GRID, SNAPPED (nearest grid within 500 m), "
                                                "UNROUTED (township or district queue), "
                                                "UNLOCATED (address not found)")
    geocoded: bool
    near_boundary: bool = strawberry.field(description="within the accuracy radius (or 30 m) "
                                                       "of another grid: check the routing")
    snap_distance_m: float | None
    urgency: str
    escalation_level: int
    reported_at: datetime
    response_due_at: datetime
    deadline: datetime = strawberry.field(description="the resolution deadline")
    closed_at: datetime | None
    rating: Rating | None
    rating_comment: str | None
    # a plain field: every row carries its coordinates (a resolver taking info, for a loader,
    # was a third of a page's completion)
    location: GeoJSON | None = strawberry.field(description="Where it is (WGS-84), null while "
                                                            "unlocated.")
    row: strawberry.Private[models.Event]

    @classmethod
    def of(cls, e: models.Event) -> Event:
        """The case answering from its row (an ORM object or a list's row)."""
        return _RowEvent(e)

    @strawberry.field(description="Open and past its response or resolution deadline, now.")
    def overdue(self, info: Info) -> bool:
        return service.is_overdue(self.row, info.context.now())

    @strawberry.field
    async def category(self, info: Info) -> EventCategory:
        return EventCategory.of(await info.context.loader(loaders.category)
                                .load(self.row.category_id))

    @strawberry.field(description="The position as the phone sent it (evidence).")
    def reported_position(self) -> ReportedPosition | None:
        e = self.row
        if e.orig_lon is None:
            return None
        return ReportedPosition(lon=e.orig_lon, lat=e.orig_lat, crs=e.orig_crs,
                                accuracy_m=e.accuracy_m, mocked=e.mocked)

    @strawberry.field
    async def grid(self, info: Info) -> GridType | None:
        from backend.areas.schema import Grid

        if self.row.grid_id is None:
            return None
        g = (await info.context.loader(area_loaders.grid).load(self.row.grid_id))
        return Grid.of(GridView(g, info.context.caller.sees_grid(g.id, g.township_id)))

    @strawberry.field
    async def township(self, info: Info) -> TownshipType | None:
        from backend.areas.schema import Township

        if self.row.township_id is None:
            return None
        return Township.of(await info.context.loader(area_loaders.township)
                           .load(self.row.township_id))

    @strawberry.field
    async def department(self, info: Info) -> Department | None:
        return await _department(info, self.row.department_id)

    @strawberry.field(description="The handler; null while in a department's queue.")
    async def assignee(self, info: Info) -> UserType | None:
        from backend.auth.schema import User

        if self.row.assignee_id is None:
            return None
        return User.of(await info.context.loader(loaders.user).load(self.row.assignee_id))

    @strawberry.field
    async def duplicate_of(self, info: Info) -> Event | None:
        return await _case(info, self.row.duplicate_of_id)

    @strawberry.field(description="Every step, oldest first; never edited.")
    async def history(self, info: Info) -> list[EventTransition]:
        rows = await info.context.loader(loaders.history).load(self.row.id)
        return [EventTransition(action=t.action, from_status=t.from_status,
                                to_status=t.to_status, at=t.at, note=t.note, lon=t.lon,
                                lat=t.lat, actor_pk=t.actor_id) for t in rows]

    @strawberry.field
    async def media(self, info: Info) -> list[EventMedia]:
        rows = await info.context.loader(loaders.media).load(self.row.id)
        return [EventMedia(url=f"/media/{m.name}", content_type=m.content_type, size=m.size)
                for m in rows]

    @strawberry.field(description="What the caller may do next.")
    def allowed_actions(self, info: Info) -> list[EventAction]:
        rel = service.relations(info.context.caller, self.row)
        return [EventAction(a) for a in dict.fromkeys(EVENTS.allowed(self.row.status, rel))
                if a in EventAction.__members__]


def _location(e: models.Event) -> dict | None:
    return None if e.lon is None else {"type": "Point", "coordinates": [e.lon, e.lat]}


def _case_code(e: models.Event) -> str:
    day = e.reported_at.astimezone(TZ)  # the case code's date is Beijing time
    return f"SJ{day.year:04d}{day.month:02d}{day.day:02d}{e.id:07d}"


# Each field of an Event from its row.
_FROM_ROW = {
    "id": lambda e: to_global_id("Event", e.id), "code": _case_code,
    "status": lambda e: _STATUSES[e.status], "source": lambda e: _SOURCES[e.source],
    "description": attrgetter("description"), "address_text": attrgetter("address_text"),
    "routing": attrgetter("routing"), "geocoded": attrgetter("geocoded"),
    "near_boundary": attrgetter("near_boundary"),
    "snap_distance_m": attrgetter("snap_distance_m"), "urgency": attrgetter("urgency"),
    "escalation_level": attrgetter("escalation_level"),
    "reported_at": attrgetter("reported_at"), "response_due_at": attrgetter("response_due_at"),
    "deadline": attrgetter("resolution_due_at"), "closed_at": attrgetter("closed_at"),
    "rating": lambda e: Rating(e.rating) if e.rating else None,
    "rating_comment": attrgetter("rating_comment"), "location": _location,
}


# The columns of its row each field of Event reads. A list reads only those of the fields
# selected on its nodes (`list_events(columns=...)`); a field not named here needs them all.
_READS: dict[str, tuple[str, ...]] = {
    "id": ("id",), "code": ("id", "reported_at"), "status": ("status",),
    "source": ("source",), "deadline": ("resolution_due_at",),
    **{name: (name,) for name in (
        "description", "address_text", "routing", "geocoded", "near_boundary",
        "snap_distance_m", "urgency", "escalation_level", "reported_at", "response_due_at",
        "closed_at", "rating", "rating_comment")},
    "overdue": ("status", "resolution_due_at", "accepted_at", "response_due_at"),
    "location": ("lon", "lat"),
    "reported_position": ("orig_lon", "orig_lat", "orig_crs", "accuracy_m", "mocked"),
    "category": ("category_id",), "grid": ("grid_id",), "township": ("township_id",),
    "department": ("department_id",), "assignee": ("assignee_id",),
    "duplicate_of": ("duplicate_of_id",), "history": ("id",), "media": ("id",),
    "allowed_actions": ("status", "assignee_id", "reporter_id", "department_id",
                        "township_id"),
}
_READS_BY_GRAPHQL_NAME: dict[str, tuple[str, ...]] = {}


def _list_columns(info: Info) -> frozenset[str] | None:
    """The columns a page's rows need for the fields selected on its nodes; None for all."""
    if not _READS_BY_GRAPHQL_NAME:
        convert = info.schema.config.name_converter
        _READS_BY_GRAPHQL_NAME.update({"__typename": (), **{
            convert.get_graphql_name(f): _READS[f.python_name]
            for f in Event.__strawberry_definition__.fields if f.python_name in _READS}})
    needed: set[str] = set()
    for name in node_fields(info):
        reads = _READS_BY_GRAPHQL_NAME.get(name)
        if reads is None:
            return None
        needed.update(reads)
    return frozenset(needed)


class _RowEvent(Event):
    """An Event that computes each field from its row when it is read: a list asks for a
    few of the twenty, and computing all of them was a sixth of a page's Python. It answers
    as Event (strawberry's type test is isinstance)."""

    def __init__(self, row: models.Event) -> None:  # not the dataclass's: fields are read
        self.row = row


for _name, _read in _FROM_ROW.items():
    setattr(_RowEvent, _name, property(lambda self, _read=_read: _read(self.row)))
_PLAIN = {f.python_name for f in Event.__strawberry_definition__.fields if f.base_resolver is None}
assert set(_FROM_ROW) == _PLAIN - {"row"}, "each plain field of Event needs its reading"


@strawberry.input
class EventFilter:
    status: list[EventStatus] | None = None
    category_code: str | None = None
    township_id: strawberry.ID | None = None
    grid_id: strawberry.ID | None = None
    bbox: list[float] | None = strawberry.field(default=None,
                                                description="[minLon, minLat, maxLon, maxLat]")
    near: NearInput | None = None
    overdue: bool | None = None
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None


@strawberry.input
class ReportEventInput:
    client_id: UUID
    category_code: str
    description: str
    location: PointInput | None = None
    address_text: str | None = None
    source: EventSource = EventSource.APP  # type: ignore[attr-defined]
    media: list[Upload] | None = None
    acknowledge_duplicate: bool = False


async def _case(info: Info, pk: int | None) -> Event | None:
    return None if pk is None else Event.of(await info.context.loader(loaders.event).load(pk))


async def _duplicate_of(root: ReportEventPayload, info: Info) -> Event | None:
    # read only when selected: half the bench's reports were merged, and reading the case
    # each time cost a round trip that few callers asked for
    return await _case(info, root.duplicate_id)


@strawberry.type
class ReportEventPayload:
    event: Event | None
    duplicate_id: strawberry.Private[int | None]
    duplicate_of: Event | None = strawberry.field(
        resolver=_duplicate_of, description="the open event this report was merged into, if "
                                            "it was")
    neighbour_grids: list[str] = strawberry.field(description="codes of grids within the "
                                                              "accuracy radius (or 30 m)")
    errors: list[UserError]


@strawberry.input
class DispatchTarget:
    grid_id: strawberry.ID | None = None
    department_code: str | None = None
    assignee_id: strawberry.ID | None = None


@strawberry.type
class EventPayload:
    event: Event | None
    errors: list[UserError]


@strawberry.input(description="Exactly one of the three.")
class StatsScope:
    district_id: strawberry.ID | None = None
    township_id: strawberry.ID | None = None
    grid_id: strawberry.ID | None = None


@strawberry.type
class StatusCount:
    status: EventStatus
    count: int


@strawberry.type(description="Counts and the rates of the 4×100% (DOMAIN.md); a rate is "
                             "null when its denominator is 0.")
class Stats:
    total: int
    by_status: list[StatusCount]
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
    scope_township: strawberry.Private[int | None] = None
    scope_grid: strawberry.Private[int | None] = None

    @strawberry.field(description="Door-to-door coverage of the same scope, now (last 30 / 90 "
                                   "days; from/to do not apply).")
    def service_coverage(self, info: Info) -> ServiceCoverageType:
        from backend.services.schema import coverage_of

        return coverage_of(info, grid_id=self.scope_grid, township_id=self.scope_township)


async def _read_media(files: list[Upload] | None) -> list[photos.Photo]:
    return photos.check_photos(await photos.read_uploads(files)) if files else []


@strawberry.type
class EventsQuery:
    @strawberry.field(description="Events in the caller's jurisdiction, newest first.")
    def events(self, info: Info, filter: EventFilter | None = None, first: int | None = None,
               after: str | None = None) -> Connection[Event]:
        c = info.context
        f = filter or EventFilter()
        sf = service.EventFilter(
            statuses=tuple(s.value for s in f.status or ()), category_code=f.category_code,
            township_id=pk_of(f.township_id, "Township", "filter.townshipId"),
            grid_id=pk_of(f.grid_id, "Grid", "filter.gridId"),
            bbox=tuple(f.bbox) if f.bbox is not None else None,
            near=Near(f.near.point.to_position(), f.near.radius_m) if f.near else None,
            overdue=f.overdue, reported_from=f.from_, reported_to=f.to)
        page = service.list_events(c.session, c.caller, sf, c.now(), first, after,
                                   c.settings.max_page, _list_columns(info))
        return connection(page, Event.of)

    @strawberry.field
    def event_categories(self, info: Info) -> list[EventCategory]:
        return [EventCategory.of(c) for c in service.categories(info.context.session)]

    @strawberry.field(description="Events reported in [from, to) in a scope.")
    def stats(self, info: Info, scope: StatsScope,
              from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
              to: datetime | None = None) -> Stats:
        c = info.context
        given = [x for x in (scope.district_id, scope.township_id, scope.grid_id) if x]
        if len(given) != 1:
            raise BadInput("scope takes exactly one of districtId, townshipId, gridId", "scope")
        if scope.district_id and not c.caller.district_wide:
            if c.caller.is_public:
                from backend.errors import Unauthenticated

                raise Unauthenticated("log in to see statistics")
            raise Forbidden("district statistics are for district roles")
        pk_of(scope.district_id, "District", "scope.districtId")
        grid_id = pk_of(scope.grid_id, "Grid", "scope.gridId")
        if grid_id is not None:
            from backend.areas.service import get_grid

            if get_grid(c.session, c.caller, grid_id) is None:
                raise NotFound("no such grid", "scope.gridId")
        s = service.stats(c.session, c.caller, pk_of(scope.township_id, "Township",
                                                     "scope.townshipId"),
                          grid_id, from_, to, c.now())
        return Stats(**{**vars(s), "by_status": [
            StatusCount(status=EventStatus(k), count=v) for k, v in sorted(s.by_status.items())]},
            scope_township=pk_of(scope.township_id, "Township", "scope.townshipId"),
            scope_grid=grid_id)


@strawberry.type
class EventsMutation:
    @strawberry.mutation(description="Report a problem: routed by location and category, "
                                      "merged into an open duplicate unless acknowledged. "
                                      "Idempotent on clientId.")
    async def report_event(self, info: Info, input: ReportEventInput) -> ReportEventPayload:
        c = info.context
        files: list[photos.Photo] = []

        def work() -> service.Reported:
            inp = service.ReportInput(
                client_id=str(input.client_id), category_code=input.category_code,
                description=input.description, source=input.source.value,
                position=input.location.to_position() if input.location else None,
                address_text=input.address_text,
                acknowledge_duplicate=input.acknowledge_duplicate,
                media_digests=tuple(p.digest for p in files))
            now = c.now()
            done = service.report(c.session, c.caller, inp, now)
            if files and not done.replayed:
                photos.store(files, c.settings.media_dir)
                for p in files:
                    c.session.add(models.EventMedia(event_id=done.event.id, name=p.name,
                                                    content_type=p.content_type,
                                                    size=len(p.data), at=now))
            return done

        try:
            files = await _read_media(input.media)
        except BadInput as e:
            return ReportEventPayload(event=None, duplicate_id=None, neighbour_grids=[],
                                      errors=[UserError(field=e.field, code=e.code,
                                                        message=e.message)])
        done, errors = mutate(info, work, one_statement=not files)
        if done is None:
            return ReportEventPayload(event=None, duplicate_id=None, neighbour_grids=[],
                                      errors=errors)
        return ReportEventPayload(event=Event.of(done.event), duplicate_id=done.duplicate_id,
                                  neighbour_grids=done.neighbours, errors=[])

    @strawberry.mutation(description="Take one step of the workflow (see the README's table).")
    def transition_event(self, info: Info, id: strawberry.ID, action: EventAction,
                         note: str | None = None, location: PointInput | None = None,
                         target: DispatchTarget | None = None) -> EventPayload:
        c = info.context

        def work() -> models.Event:
            t = None
            if target is not None:
                t = service.Target(
                    grid_id=pk_of(target.grid_id, "Grid", "target.gridId"),
                    department_code=target.department_code,
                    assignee_id=pk_of(target.assignee_id, "User", "target.assigneeId"))
            return service.transition(c.session, c.caller, _event_pk(id), action.value, note,
                                      location.to_position() if location else None, t,
                                      c.now())

        e, errors = mutate(info, work)
        return EventPayload(event=Event.of(e) if e else None, errors=errors)

    @strawberry.mutation(description="The reporter rates a closed case; UNSATISFIED reopens "
                                      "it for rectification.")
    def evaluate_event(self, info: Info, id: strawberry.ID, rating: Rating,
                       comment: str | None = None) -> EventPayload:
        c = info.context
        e, errors = mutate(info, lambda: service.evaluate(
            c.session, c.caller, _event_pk(id), rating.value, comment, c.now()))
        return EventPayload(event=Event.of(e) if e else None, errors=errors)


@strawberry.input(description="Only the fields given change.")
class CategoryChanges:
    self_handleable: bool | None = None
    deadline_unit: str | None = None
    response: float | None = None
    resolution: float | None = None
    urgency: str | None = None
    duplicate_radius_m: float | None = None
    duplicate_window_hours: float | None = None
    department_code: str | None = None


@strawberry.type
class CategoryPayload:
    category: EventCategory | None
    errors: list[UserError]


@strawberry.type
class EventsSubscription:
    @strawberry.subscription(description="Each case the caller sees, as it is after each "
                                         "change (reported, a step, rerouted, escalated, "
                                         "evaluated), from now on; of one township if given "
                                         "(websocket).")
    async def event_changed(self, info: Info, township_id: strawberry.ID | None = None,
                            ) -> AsyncGenerator[Event, None]:
        c = info.context
        township = pk_of(township_id, "Township", "townshipId")
        caller = c.caller
        service.check_follow(c.session, caller, township)
        c.end_task()  # no connection held while waiting
        async with c.hub.subscribe(service.CHANGES) as changes:
            async for e in changes:
                if service.follows(caller, e, township):
                    caller = c.recheck_caller()
                    yield Event.of(e)


@strawberry.type
class EventsAdminMutation:
    @strawberry.mutation(description="Admins: change a small class. Past events keep the "
                                      "settings they were reported under.")
    def update_event_category(self, info: Info, code: str, changes: CategoryChanges
                              ) -> CategoryPayload:
        names = {"deadline_unit": "unit", "duplicate_window_hours": "duplicate_window_h"}
        given = {names.get(k, k): v for k, v in vars(changes).items() if v is not None}
        c, errors = mutate(info, lambda: service.update_category(
            info.context.session, info.context.caller, code, given))
        return CategoryPayload(category=EventCategory.of(c) if c else None, errors=errors)

    @strawberry.mutation(description="Admins: make a day a working day or a holiday, over "
                                      "the official calendar (null: back to the official).")
    def set_calendar_day(self, info: Info, day: date, workday: bool | None) -> list[UserError]:
        _, errors = mutate(info, lambda: service.set_calendar_day(
            info.context.session, info.context.caller, day, workday))
        return errors


def _event_pk(gid: str) -> int:
    kind, pk = from_global_id(gid)
    if kind != "Event":
        raise BadInput(f"expected an Event id, got a {kind} id", "id")
    return pk


def _event_node(info: Info, pk: int) -> Event | None:
    e = service.get_event(info.context.session, info.context.caller, pk)
    return Event.of(e) if e else None


NODES = {"Event": _event_node}
