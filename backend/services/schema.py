"""GraphQL of door-to-door services: thin, every rule is in service.py."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from backend.api.context import Info
from backend.api.mutations import mutate
from backend.api.relay import Connection, Node, connection, pk_of, to_global_id
from backend.api.scalars import GeoJSON, PointInput, UserError
from backend.areas.service import household_view, resident_view
from backend.errors import BadInput
from backend.services import loaders, models, service
from backend.services.workflow import API_ACTIONS, SERVICES, STATUSES
from backend.worktime import TZ

if TYPE_CHECKING:
    from backend.areas.schema import Household, Resident
    from backend.auth.schema import User
    from backend.events.schema import Department

HouseholdType = Annotated["Household", strawberry.lazy("backend.areas.schema")]
ResidentType = Annotated["Resident", strawberry.lazy("backend.areas.schema")]
UserType = Annotated["User", strawberry.lazy("backend.auth.schema")]
DepartmentType = Annotated["Department", strawberry.lazy("backend.events.schema")]

ServiceStatus = strawberry.enum(Enum("ServiceStatus", {s: s for s in STATUSES}))
ServiceAction = strawberry.enum(Enum("ServiceAction", {a: a for a in API_ACTIONS}))
ServiceChannel = strawberry.enum(Enum("ServiceChannel", {c: c for c in service.CHANNELS}))
ServiceRating = strawberry.enum(Enum("ServiceRating", {r: r for r in service.RATINGS}))
VisitFlag = strawberry.enum(Enum("VisitFlag", {f: f for f in service.FLAGS}))


async def _department(info: Info, pk: int) -> DepartmentType:
    from backend.events.schema import Department

    return Department.of(await info.context.loader(loaders.department).load(pk))


async def _user(info: Info, pk: int | None) -> UserType | None:
    from backend.auth.schema import User

    if pk is None:
        return None
    return User.of(await info.context.loader(loaders.user).load(pk))


async def _household(info: Info, pk: int) -> HouseholdType:
    from backend.areas.schema import Household

    h = await info.context.loader(loaders.household).load(pk)
    return Household.of(household_view(info.context.caller, h))


async def _resident(info: Info, pk: int | None) -> ResidentType | None:
    from backend.areas.schema import Resident

    if pk is None:
        return None
    r = await info.context.loader(loaders.resident).load(pk)
    return Resident.of(resident_view(info.context.caller, r))


@strawberry.type(description="An item of the door-to-door catalogue (代办事项).")
class ServiceItem:
    code: str
    name: str
    proxy_allowed: bool = strawberry.field(description="an agent may do it on the resident's "
                                                       "behalf")
    home_for_key_groups: bool = strawberry.field(description="offered at home to key groups")
    time_limit_days: int = strawberry.field(description="the department's time limit in "
                                                        "working days")
    materials: list[str]
    validity_days: int | None = strawberry.field(description="how long the result is valid "
                                                             "(reminders before it expires)")
    row: strawberry.Private[models.ServiceItem]

    @classmethod
    def of(cls, i: models.ServiceItem) -> ServiceItem:
        return cls(code=i.code, name=i.name, proxy_allowed=i.proxy_allowed,
                   home_for_key_groups=i.home_for_key_groups,
                   time_limit_days=i.time_limit_days, materials=service.materials(i),
                   validity_days=i.validity_days, row=i)

    @strawberry.field
    async def department(self, info: Info) -> DepartmentType:
        return await _department(info, self.row.department_id)


async def _item(info: Info, pk: int) -> ServiceItem:
    return ServiceItem.of(await info.context.loader(loaders.item).load(pk))


@strawberry.type(description="A resident's qualification that expires.")
class Qualification:
    expires_on: date
    row: strawberry.Private[models.Qualification]

    @classmethod
    def of(cls, q: models.Qualification) -> Qualification:
        return cls(expires_on=q.expires_on, row=q)

    @strawberry.field
    async def item(self, info: Info) -> ServiceItem:
        return await _item(info, self.row.item_id)


@strawberry.type
class ServiceTransition:
    action: str
    from_status: str | None
    to_status: str
    at: datetime
    note: str | None
    actor_pk: strawberry.Private[int | None]

    @strawberry.field
    async def actor(self, info: Info) -> UserType | None:
        return await _user(info, self.actor_pk)


@strawberry.type(description="An agent's check-in at a household: the proof of presence, "
                             "never edited.")
class Visit(Node):
    at: datetime
    distance_m: float = strawberry.field(description="geodesic distance to the household")
    geofence_m: float
    outside_geofence: bool
    flagged: bool = strawberry.field(description="not verified: outside the geofence, mocked, "
                                                 "or a fix poorer than the geofence")
    flag_reasons: list[VisitFlag]
    accuracy_m: float | None
    mocked: bool | None
    reported_crs: str
    row: strawberry.Private[models.Visit]

    @classmethod
    def of(cls, v: models.Visit) -> Visit:
        reasons = (v.flag_reasons or "").split(",") if v.flag_reasons else []
        return cls(id=to_global_id("Visit", v.id), at=v.at, distance_m=v.distance_m,
                   geofence_m=v.geofence_m, outside_geofence="OUTSIDE_GEOFENCE" in reasons,
                   flagged=v.flagged, flag_reasons=[VisitFlag(r) for r in reasons],
                   accuracy_m=v.accuracy_m, mocked=v.mocked, reported_crs=v.orig_crs, row=v)

    @strawberry.field(description="Where the agent was (WGS-84).")
    def position(self) -> GeoJSON:
        return {"type": "Point", "coordinates": [self.row.lon, self.row.lat]}

    @strawberry.field
    async def agent(self, info: Info) -> UserType | None:
        return await _user(info, self.row.agent_id)

    @strawberry.field
    async def request(self, info: Info) -> ServiceRequest:
        return ServiceRequest.of(await info.context.loader(loaders.request)
                                 .load(self.row.request_id))


@strawberry.type(description="A resident's door-to-door service request, followed from the "
                             "request to the resident's evaluation.")
class ServiceRequest(Node):
    code: str
    status: ServiceStatus
    channel: ServiceChannel
    note: str | None
    at_home: bool = strawberry.field(description="a key-group resident served at home")
    escalation_level: int
    requested_at: datetime
    due_at: datetime = strawberry.field(description="the deadline from the item's time limit "
                                                    "(working days)")
    scheduled_for: datetime | None
    visited_at: datetime | None
    submitted_at: datetime | None
    decided_at: datetime | None
    delivered_at: datetime | None
    closed_at: datetime | None
    rating: ServiceRating | None
    rating_comment: str | None
    row: strawberry.Private[models.ServiceRequest]

    @classmethod
    def of(cls, r: models.ServiceRequest) -> ServiceRequest:
        return cls(
            id=to_global_id("ServiceRequest", r.id),
            code=f"DB{r.requested_at.astimezone(TZ):%Y%m%d}{r.id:07d}",
            status=ServiceStatus(r.status), channel=ServiceChannel(r.channel), note=r.note,
            at_home=r.at_home, escalation_level=r.escalation_level,
            requested_at=r.requested_at, due_at=r.due_at, scheduled_for=r.scheduled_for,
            visited_at=r.visited_at, submitted_at=r.submitted_at, decided_at=r.decided_at,
            delivered_at=r.delivered_at, closed_at=r.closed_at,
            rating=ServiceRating(r.rating) if r.rating else None,
            rating_comment=r.rating_comment, row=r)

    @strawberry.field(description="Open and past its deadline, now.")
    def overdue(self, info: Info) -> bool:
        return service.is_overdue(self.row, info.context.now())

    @strawberry.field
    async def item(self, info: Info) -> ServiceItem:
        return await _item(info, self.row.item_id)

    @strawberry.field
    async def household(self, info: Info) -> HouseholdType:
        return await _household(info, self.row.household_id)

    @strawberry.field
    async def resident(self, info: Info) -> ResidentType | None:
        return await _resident(info, self.row.resident_id)

    @strawberry.field
    async def department(self, info: Info) -> DepartmentType:
        return await _department(info, self.row.department_id)

    @strawberry.field
    async def assignee(self, info: Info) -> UserType | None:
        return await _user(info, self.row.assignee_id)

    @strawberry.field(description="Every step, oldest first; never edited.")
    async def history(self, info: Info) -> list[ServiceTransition]:
        rows = await info.context.loader(loaders.history).load(self.row.id)
        return [ServiceTransition(action=t.action, from_status=t.from_status,
                                  to_status=t.to_status, at=t.at, note=t.note,
                                  actor_pk=t.actor_id) for t in rows]

    @strawberry.field
    async def visits(self, info: Info) -> list[Visit]:
        return [Visit.of(v) for v in await info.context.loader(loaders.visits)
                .load(self.row.id)]

    @strawberry.field(description="What the caller may do next (checkInVisit for VISIT).")
    def allowed_actions(self, info: Info) -> list[str]:
        rel = service.relations(info.context.caller, self.row)
        return list(dict.fromkeys(SERVICES.allowed(self.row.status, rel)))


@strawberry.type(description="A reminder before a resident's qualification expires.")
class Reminder(Node):
    expires_on: date
    created_at: datetime
    row: strawberry.Private[models.Reminder]

    @classmethod
    def of(cls, r: models.Reminder) -> Reminder:
        return cls(id=to_global_id("Reminder", r.id), expires_on=r.expires_on,
                   created_at=r.created_at, row=r)

    @strawberry.field
    async def item(self, info: Info) -> ServiceItem:
        return await _item(info, self.row.item_id)

    @strawberry.field
    async def resident(self, info: Info) -> ResidentType | None:
        return await _resident(info, self.row.resident_id)

    @strawberry.field
    async def household(self, info: Info) -> HouseholdType:
        return await _household(info, self.row.household_id)


@strawberry.input
class ServiceRequestFilter:
    status: list[ServiceStatus] | None = None
    item_code: str | None = None
    township_id: strawberry.ID | None = None
    grid_id: strawberry.ID | None = None
    household_id: strawberry.ID | None = None
    overdue: bool | None = None
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None


@strawberry.input
class RequestServiceInput:
    client_id: UUID
    item_code: str
    household_id: strawberry.ID
    resident_id: strawberry.ID | None = None
    channel: ServiceChannel = ServiceChannel.APP  # type: ignore[attr-defined]
    note: str | None = None


@strawberry.input
class CheckInVisitInput:
    client_id: UUID
    request_id: strawberry.ID
    position: PointInput


@strawberry.type
class ServiceRequestPayload:
    request: ServiceRequest | None
    errors: list[UserError]


@strawberry.type
class VisitPayload:
    visit: Visit | None
    errors: list[UserError]


@strawberry.input(description="At most one; none is the district.")
class CoverageScope:
    agent_id: strawberry.ID | None = None
    grid_id: strawberry.ID | None = None
    township_id: strawberry.ID | None = None
    district_id: strawberry.ID | None = None


@strawberry.type(description="Door-to-door coverage: households visited in the last 30 / 90 "
                             "days, requests of the last 90 days delivered on time and rated, "
                             "visits of the last 90 days and how many were flagged.")
class ServiceCoverage:
    households: int
    key_group_households: int
    visited_30d: int
    visited_90d: int
    key_group_visited_30d: int
    key_group_visited_90d: int
    requests: int
    delivered: int
    delivered_on_time: int
    on_time_rate: float | None
    evaluated: int
    satisfaction_rate: float | None
    visits: int
    flagged_visits: int


def coverage_of(info: Info, agent_id: int | None = None, grid_id: int | None = None,
                township_id: int | None = None) -> ServiceCoverage:
    c = info.context
    if grid_id is not None:
        from backend.areas.service import get_grid

        if get_grid(c.session, c.caller, grid_id) is None:
            from backend.errors import NotFound

            raise NotFound("no such grid", "scope.gridId")
    cov = service.coverage(c.session, c.caller, agent_id=agent_id, grid_id=grid_id,
                           township_id=township_id, now=c.now())
    return ServiceCoverage(**vars(cov))


def _request_pk(gid: str, field: str = "id") -> int:
    return pk_of(gid, "ServiceRequest", field)  # type: ignore[return-value]  # ID! is never null


@strawberry.type
class ServicesQuery:
    @strawberry.field(description="The door-to-door catalogue, by code.")
    def service_items(self, info: Info) -> list[ServiceItem]:
        return [ServiceItem.of(i) for i in service.items(info.context.session)]

    @strawberry.field(description="Service requests in the caller's jurisdiction, newest "
                                   "first.")
    def service_requests(self, info: Info, filter: ServiceRequestFilter | None = None,
                         first: int | None = None, after: str | None = None
                         ) -> Connection[ServiceRequest]:
        c = info.context
        f = filter or ServiceRequestFilter()
        sf = service.RequestFilter(
            statuses=tuple(s.value for s in f.status or ()), item_code=f.item_code,
            township_id=pk_of(f.township_id, "Township", "filter.townshipId"),
            grid_id=pk_of(f.grid_id, "Grid", "filter.gridId"),
            household_id=pk_of(f.household_id, "Household", "filter.householdId"),
            overdue=f.overdue, requested_from=f.from_, requested_to=f.to)
        page = service.list_requests(c.session, c.caller, sf, c.now(), first, after,
                                     c.settings.max_page)
        return connection(page, ServiceRequest.of)

    @strawberry.field(description="Flagged visits (outside the geofence, mocked, poor fix), "
                                   "newest first, for supervision.")
    def flagged_visits(self, info: Info, township_id: strawberry.ID | None = None,
                       since: datetime | None = None, first: int | None = None,
                       after: str | None = None) -> Connection[Visit]:
        c = info.context
        page = service.list_flagged_visits(
            c.session, c.caller, pk_of(township_id, "Township", "townshipId"), since, first,
            after, c.settings.max_page)
        return connection(page, Visit.of)

    @strawberry.field(description="Door-to-door coverage of an agent, a grid, a township or "
                                   "the district (also Stats.serviceCoverage).")
    def service_coverage(self, info: Info, scope: CoverageScope | None = None
                         ) -> ServiceCoverage:
        s = scope or CoverageScope()
        given = [x for x in (s.agent_id, s.grid_id, s.township_id, s.district_id) if x]
        if len(given) > 1:
            raise BadInput("scope takes at most one of agentId, gridId, townshipId, "
                           "districtId", "scope")
        pk_of(s.district_id, "District", "scope.districtId")
        return coverage_of(info, pk_of(s.agent_id, "User", "scope.agentId"),
                           pk_of(s.grid_id, "Grid", "scope.gridId"),
                           pk_of(s.township_id, "Township", "scope.townshipId"))


@strawberry.type
class ServicesMutation:
    @strawberry.mutation(description="A resident's request, assigned to the least-loaded agent "
                                      "of the household's grid. Idempotent on clientId.")
    def request_service(self, info: Info, input: RequestServiceInput) -> ServiceRequestPayload:
        c = info.context

        def work() -> models.ServiceRequest:
            inp = service.RequestInput(
                client_id=str(input.client_id), item_code=input.item_code,
                household_id=pk_of(input.household_id, "Household", "householdId"),
                resident_id=pk_of(input.resident_id, "Resident", "residentId"),
                channel=input.channel.value, note=input.note)
            return service.request_service(c.session, c.caller, inp, c.now())

        r, errors = mutate(info, work)
        return ServiceRequestPayload(request=ServiceRequest.of(r) if r else None,
                                     errors=errors)

    @strawberry.mutation(description="The assigned agent checks in at the household; kept but "
                                      "flagged beyond the geofence. Idempotent on clientId.")
    def check_in_visit(self, info: Info, input: CheckInVisitInput) -> VisitPayload:
        c = info.context

        def work() -> models.Visit:
            inp = service.CheckInInput(client_id=str(input.client_id),
                                       request_id=_request_pk(input.request_id, "requestId"),
                                       position=input.position.to_position())
            return service.check_in(c.session, c.caller, inp, c.now(), c.settings.geofence_m)

        v, errors = mutate(info, work)
        return VisitPayload(visit=Visit.of(v) if v else None, errors=errors)

    @strawberry.mutation(description="One step of the lifecycle (see the README's table).")
    def transition_service_request(self, info: Info, id: strawberry.ID,
                                   action: ServiceAction, note: str | None = None,
                                   scheduled_for: datetime | None = None
                                   ) -> ServiceRequestPayload:
        c = info.context
        r, errors = mutate(info, lambda: service.transition(
            c.session, c.caller, _request_pk(id), action.value, note, c.now(), scheduled_for))
        return ServiceRequestPayload(request=ServiceRequest.of(r) if r else None,
                                     errors=errors)

    @strawberry.mutation(description="The resident's rating of a delivered request, recorded "
                                      "by the requester or the centre's call-back; once.")
    def evaluate_service_request(self, info: Info, id: strawberry.ID, rating: ServiceRating,
                                 comment: str | None = None) -> ServiceRequestPayload:
        c = info.context
        r, errors = mutate(info, lambda: service.evaluate(
            c.session, c.caller, _request_pk(id), rating.value, comment, c.now()))
        return ServiceRequestPayload(request=ServiceRequest.of(r) if r else None,
                                     errors=errors)


def _request_node(info: Info, pk: int) -> ServiceRequest | None:
    r = service.get_request(info.context.session, info.context.caller, pk)
    return ServiceRequest.of(r) if r else None


def _visit_node(info: Info, pk: int) -> Visit | None:
    v = info.context.session.get(models.Visit, pk)
    if v is None:
        return None
    service.get_request(info.context.session, info.context.caller, v.request_id)  # FORBIDDEN
    return Visit.of(v)


def _reminder_node(info: Info, pk: int) -> Reminder | None:
    from backend.areas.service import get_household

    m = info.context.session.get(models.Reminder, pk)
    if m is None:
        return None
    if m.assignee_id != info.context.caller.user_id:  # FORBIDDEN outside the jurisdiction
        get_household(info.context.session, info.context.caller, m.household_id)
    return Reminder.of(m)


NODES = {"ServiceRequest": _request_node, "Visit": _visit_node, "Reminder": _reminder_node}
