"""GraphQL of the inspections domain: thin types and resolvers; every rule is in service.py."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from backend.api.context import Info
from backend.api.mutations import mutate
from backend.api.relay import Connection, Node, connection, pk_of, to_global_id
from backend.api.scalars import GeoJSON, PointInput, UserError
from backend.events.schema import Department, Event, ReportEventPayload
from backend.inspections import loaders, models, service
from backend.worktime import TZ

if TYPE_CHECKING:
    from backend.areas.schema import Township
    from backend.auth.schema import User

TownshipType = Annotated["Township", strawberry.lazy("backend.areas.schema")]
UserType = Annotated["User", strawberry.lazy("backend.auth.schema")]

TargetCategory = strawberry.enum(Enum("TargetCategory", {c: c for c in models.CATEGORIES}))
RiskLevel = strawberry.enum(Enum("RiskLevel", {r: r for r in models.RISKS}),
                            description="A is the highest risk")
InspectionMode = strawberry.enum(Enum("InspectionMode", {m: m for m in service.MODES}))
InspectionResult = strawberry.enum(Enum("InspectionResult", {r: r for r in service.RESULTS}))
EvidenceKind = strawberry.enum(Enum("EvidenceKind", {k: k for k in service.EVIDENCE_KINDS}))
DeviceKind = strawberry.enum(Enum("DeviceKind", {k: k for k in models.DEVICE_KINDS}))


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


@strawberry.type
class Device:
    code: str
    kind: str
    location: GeoJSON
    active: bool = strawberry.field(description="false: retired, its key is refused")

    @classmethod
    def of(cls, d: models.TargetDevice) -> Device:
        return cls(code=d.code, kind=d.kind, location=_point(d.lon, d.lat), active=d.active)


@strawberry.type(description="An entry of a target's credit record (信用记录).")
class CreditRecord:
    type: str
    points: int
    date: date
    source: str


@strawberry.type(description="A market subject or premises (市场主体) that is inspected.")
class InspectionTarget(Node):
    code: str
    name: str
    category: TargetCategory
    risk_level: RiskLevel
    address: str | None
    row: strawberry.Private[models.InspectionTarget]

    @classmethod
    def of(cls, t: models.InspectionTarget) -> InspectionTarget:
        return cls(id=to_global_id("InspectionTarget", t.id), code=t.code, name=t.name,
                   category=TargetCategory(t.category), risk_level=RiskLevel(t.risk),
                   address=t.address, row=t)

    @strawberry.field
    def location(self) -> GeoJSON:
        return _point(self.row.lon, self.row.lat)

    @strawberry.field
    async def township(self, info: Info) -> TownshipType | None:
        from backend.areas.schema import Township

        if self.row.township_id is None:
            return None
        return Township.of(await info.context.loader(loaders.township)
                           .load(self.row.township_id))

    @strawberry.field(description="The code of the grid it lies in.")
    async def grid_code(self, info: Info) -> str | None:
        if self.row.grid_id is None:
            return None
        return (await info.context.loader(loaders.grid).load(self.row.grid_id)).code

    @strawberry.field
    async def devices(self, info: Info) -> list[Device]:
        rows = await info.context.loader(loaders.devices_by_target).load(self.row.id)
        return [Device.of(d) for d in rows]

    @strawberry.field
    async def credit_records(self, info: Info) -> list[CreditRecord]:
        rows = await info.context.loader(loaders.credit_by_target).load(self.row.id)
        return [CreditRecord(type=c.type, points=c.points, date=c.day, source=c.source)
                for c in rows]


@strawberry.type(description="A target to inspect: drawn by a plan, or a rectification's "
                             "follow-up. Codes only: no personal data.")
class InspectionAssignment(Node):
    kind: str = strawberry.field(description="PLAN or FOLLOW_UP")
    status: str = strawberry.field(description="OPEN, or DONE once its inspection is recorded")
    seq: int = strawberry.field(description="the draw order")
    due_at: datetime | None
    row: strawberry.Private[models.InspectionAssignment]

    @classmethod
    def of(cls, a: models.InspectionAssignment) -> InspectionAssignment:
        return cls(id=to_global_id("InspectionAssignment", a.id), kind=a.kind,
                   status=a.status, seq=a.seq, due_at=a.due_at, row=a)

    @strawberry.field
    async def target_code(self, info: Info) -> str:
        return (await info.context.loader(loaders.target).load(self.row.target_id)).code

    @strawberry.field
    async def target_name(self, info: Info) -> str:
        return (await info.context.loader(loaders.target).load(self.row.target_id)).name

    @strawberry.field(description="The target in full, for staff who see it.")
    async def target(self, info: Info) -> InspectionTarget | None:
        c = info.context
        t = await c.loader(loaders.target).load(self.row.target_id)
        if c.caller.is_public or not (service._sees_target(c.caller, t)
                                      or c.caller.roles & {"INSPECTOR"}):
            return None
        return InspectionTarget.of(t)

    @strawberry.field
    async def inspector_codes(self, info: Info) -> list[str]:
        return await info.context.loader(loaders.inspector_codes).load(self.row.id)


@strawberry.type(description="A random inspection plan (双随机). Public: its document holds "
                             "codes only.")
class InspectionPlan(Node):
    name: str
    status: str = strawberry.field(description="CREATED (population and seed commitment "
                                               "published) or DRAWN (seed published)")
    items: list[str]
    sample_size: int
    inspectors_per_target: int
    population_size: int
    population_hash: str
    seed_commitment: str
    seed: str | None = strawberry.field(description="published by the draw")
    created_at: datetime
    drawn_at: datetime | None
    due_at: datetime | None
    row: strawberry.Private[models.InspectionPlan]

    @classmethod
    def of(cls, p: models.InspectionPlan) -> InspectionPlan:
        return cls(id=to_global_id("InspectionPlan", p.id), name=p.name, status=p.status,
                   items=json.loads(p.items), sample_size=p.sample_size,
                   inspectors_per_target=p.per_target, population_size=p.population_size,
                   population_hash=p.population_hash, seed_commitment=p.seed_commitment,
                   seed=p.seed, created_at=p.created_at, drawn_at=p.drawn_at, due_at=p.due_at,
                   row=p)

    @strawberry.field(description="The plan document of docs/draw.md as JSON text: what "
                                  "`wangge verify-draw` reads (seed, drawn and assignments "
                                  "are null until the draw).")
    def document(self) -> str:
        return self.row.document

    @strawberry.field
    async def department(self, info: Info) -> Department:
        return Department.of(await info.context.loader(loaders.department)
                             .load(self.row.department_id))

    @strawberry.field(description="In draw order; empty until drawn.")
    async def assignments(self, info: Info) -> list[InspectionAssignment]:
        rows = await info.context.loader(loaders.assignments_by_plan).load(self.row.id)
        return [InspectionAssignment.of(a) for a in rows]


@strawberry.type
class Finding:
    item: str
    finding: str | None
    ok: bool


@strawberry.type
class Evidence:
    kind: EvidenceKind
    reference: str | None
    value: float | None
    at: datetime | None


@strawberry.type(description="An order to put a violation right (整改) by its deadline.")
class Rectification:
    status: str = strawberry.field(description="OPEN, or CLOSED by a passing follow-up")
    deadline: datetime
    opened_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, r: models.Rectification) -> Rectification:
        return cls(status=r.status, deadline=r.deadline, opened_at=r.opened_at,
                   closed_at=r.closed_at)


@strawberry.type
class Inspection(Node):
    mode: InspectionMode
    result: InspectionResult
    at: datetime
    items: list[Finding]
    note: str | None
    distance_m: float | None = strawberry.field(description="ON_SITE: from the inspector's "
                                                            "position to the target")
    outside_geofence: bool | None = strawberry.field(description=f"farther than "
                                                                 f"{service.GEOFENCE_M:.0f} m: "
                                                                 "flagged for supervision")
    mocked: bool | None
    evidence: Evidence | None
    row: strawberry.Private[models.Inspection]

    @classmethod
    def of(cls, i: models.Inspection) -> Inspection:
        ev = None
        if i.evidence_kind is not None:
            ev = Evidence(kind=EvidenceKind(i.evidence_kind), reference=i.evidence_ref,
                          value=i.evidence_value, at=i.evidence_at)
        return cls(id=to_global_id("Inspection", i.id), mode=InspectionMode(i.mode),
                   result=InspectionResult(i.result), at=i.at,
                   items=[Finding(**f) for f in json.loads(i.items)], note=i.note,
                   distance_m=i.distance_m, outside_geofence=i.outside_geofence,
                   mocked=i.mocked, evidence=ev, row=i)

    @strawberry.field
    async def target(self, info: Info) -> InspectionTarget:
        return InspectionTarget.of(await info.context.loader(loaders.target)
                                   .load(self.row.target_id))

    @strawberry.field
    async def rectification(self, info: Info) -> Rectification | None:
        r = await info.context.loader(loaders.rectification_by_inspection).load(self.row.id)
        return Rectification.of(r) if r else None


@strawberry.type(description="A completed inspection as published (一公开): no personal data "
                             "of anyone.")
class PublishedInspection:
    date: date
    result: InspectionResult
    row: strawberry.Private[models.Inspection]

    @strawberry.field
    async def target_name(self, info: Info) -> str:
        return (await info.context.loader(loaders.target).load(self.row.target_id)).name

    @strawberry.field
    async def target_category(self, info: Info) -> TargetCategory:
        t = await info.context.loader(loaders.target).load(self.row.target_id)
        return TargetCategory(t.category)

    @strawberry.field
    async def township_name(self, info: Info) -> str | None:
        t = await info.context.loader(loaders.target).load(self.row.target_id)
        if t.township_id is None:
            return None
        return (await info.context.loader(loaders.township).load(t.township_id)).name

    @strawberry.field
    async def plan_name(self, info: Info) -> str:
        return (await info.context.loader(loaders.plan).load(self.row.plan_id)).name

    @strawberry.field
    async def department_name(self, info: Info) -> str:
        p = await info.context.loader(loaders.plan).load(self.row.plan_id)
        return (await info.context.loader(loaders.department).load(p.department_id)).name

    @strawberry.field(description="NONE (no violation), OPEN or CLOSED")
    async def rectification_status(self, info: Info) -> str:
        r = await info.context.loader(loaders.rectification_by_inspection).load(self.row.id)
        return r.status if r else "NONE"


@strawberry.input
class TargetFilter:
    categories: list[TargetCategory] | None = None
    township_ids: list[strawberry.ID] | None = None
    risk_levels: list[RiskLevel] | None = None


def _service_filter(f: TargetFilter | None, field: str) -> service.TargetFilter:
    f = f or TargetFilter()
    return service.TargetFilter(
        categories=tuple(c.value for c in f.categories or ()),
        township_ids=tuple(pk_of(t, "Township", f"{field}.townshipIds")
                           for t in f.township_ids or ()),
        risks=tuple(r.value for r in f.risk_levels or ()))


@strawberry.input
class RiskWeight:
    level: RiskLevel
    weight: float


@strawberry.input(description="One list, two registers, one rule (一单两库一细则).")
class InspectionPlanInput:
    client_id: UUID
    name: str
    department_code: str
    items: list[str]
    seed_commitment: str = strawberry.field(description="SHA-256 (hex) of the seed the "
                                                        "department keeps until the draw")
    population: TargetFilter | None = None
    sample_size: int | None = None
    sample_ratio: float | None = None
    risk_weights: list[RiskWeight] | None = strawberry.field(
        default=None, description="default A 4, B 2, C 1, D 0.5")
    inspectors_per_target: int = 2
    inspector_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="default: every inspector of the department (with "
                                  "jurisdiction in the plan's townships, if it names any)")
    due_at: datetime | None = None


@strawberry.type
class InspectionPlanPayload:
    plan: InspectionPlan | None
    errors: list[UserError]


@strawberry.input
class FindingInput:
    item: str
    finding: str | None = None
    ok: bool = True


@strawberry.input(description="REMOTE evidence from one of the target's devices.")
class EvidenceInput:
    device_code: str
    kind: EvidenceKind
    at: datetime
    reference: str | None = None
    value: float | None = None


@strawberry.input
class ViolationInput:
    type: str = "检查发现违法违规行为"
    points: int = service.VIOLATION_POINTS
    rectify_working_days: int = service.RECTIFY_WORKING_DAYS


@strawberry.input
class RecordInspectionInput:
    client_id: UUID
    assignment_id: strawberry.ID
    mode: InspectionMode
    result: InspectionResult
    items: list[FindingInput]
    position: PointInput | None = None
    evidence: EvidenceInput | None = None
    note: str | None = None
    violation: ViolationInput | None = None


@strawberry.type
class InspectionPayload:
    inspection: Inspection | None
    rectification: Rectification | None
    follow_up: InspectionAssignment | None
    errors: list[UserError]


@strawberry.input(description="The device authenticates with its own key (deviceKey).")
class DeviceAlarmInput:
    client_id: UUID
    device_key: str
    alarm_type: str
    value: float | None = None
    note: str | None = None
    raised_at: datetime | None = None


@strawberry.type
class InspectionsQuery:
    @strawberry.field(description="Targets in the caller's jurisdiction, by code.")
    def inspection_targets(self, info: Info, filter: TargetFilter | None = None,
                           first: int | None = None, after: str | None = None
                           ) -> Connection[InspectionTarget]:
        c = info.context
        page = service.list_targets(c.session, c.caller, _service_filter(filter, "filter"),
                                    first, after, c.settings.max_page)
        return connection(page, InspectionTarget.of)

    @strawberry.field(description="A plan, public: commitment and population before the "
                                  "draw, seed and assignments after it.")
    def inspection_plan(self, info: Info, id: strawberry.ID) -> InspectionPlan | None:
        p = service.get_plan(info.context.session, pk_of(id, "InspectionPlan", "id"))
        return InspectionPlan.of(p) if p else None

    @strawberry.field(description="Completed inspections of drawn plans, newest first. "
                                  "Public, no login.")
    def published_inspections(self, info: Info, first: int | None = None,
                              after: str | None = None) -> Connection[PublishedInspection]:
        c = info.context
        page = service.published_inspections(c.session, first, after, c.settings.max_page)
        return connection(page, lambda i: PublishedInspection(
            date=i.at.astimezone(TZ).date(), result=InspectionResult(i.result), row=i))


def _plan_input(i: InspectionPlanInput) -> service.PlanInput:
    f = _service_filter(i.population, "population")
    return service.PlanInput(
        client_id=str(i.client_id), name=i.name, department_code=i.department_code,
        items=tuple(i.items), seed_commitment=i.seed_commitment, categories=f.categories,
        township_ids=f.township_ids, risks=f.risks, sample_size=i.sample_size,
        sample_ratio=i.sample_ratio,
        weights=tuple((w.level.value, w.weight) for w in i.risk_weights)
        if i.risk_weights is not None else None,
        per_target=i.inspectors_per_target,
        inspector_ids=tuple(pk_of(u, "User", "inspectorIds") for u in i.inspector_ids)
        if i.inspector_ids is not None else None,
        due_at=i.due_at)


@strawberry.type
class InspectionsMutation:
    @strawberry.mutation(description="Freeze a plan's population and publish the seed's "
                                      "commitment. Idempotent on clientId.")
    def create_inspection_plan(self, info: Info, input: InspectionPlanInput
                               ) -> InspectionPlanPayload:
        c = info.context
        p, errors = mutate(info, lambda: service.create_plan(c.session, c.caller,
                                                             _plan_input(input), c.now()))
        return InspectionPlanPayload(plan=InspectionPlan.of(p) if p else None, errors=errors)

    @strawberry.mutation(description="Reveal the seed and draw (once): targets and inspectors.")
    def draw_inspection_plan(self, info: Info, id: strawberry.ID, seed: str
                             ) -> InspectionPlanPayload:
        c = info.context
        p, errors = mutate(info, lambda: service.draw_plan(
            c.session, c.caller, pk_of(id, "InspectionPlan", "id"), seed, c.now()))
        return InspectionPlanPayload(plan=InspectionPlan.of(p) if p else None, errors=errors)

    @strawberry.mutation(description="An assigned inspector records the inspection, ON_SITE "
                                      "or REMOTE. Idempotent on clientId.")
    def record_inspection(self, info: Info, input: RecordInspectionInput) -> InspectionPayload:
        c = info.context

        def work() -> service.Recorded:
            e = input.evidence
            ev = service.Evidence(device_code=e.device_code, kind=e.kind.value, at=e.at,
                                  reference=e.reference, value=e.value) if e else None
            v = input.violation
            inp = service.RecordInput(
                client_id=str(input.client_id),
                assignment_id=pk_of(input.assignment_id, "InspectionAssignment",
                                    "assignmentId"),
                mode=input.mode.value, result=input.result.value,
                items=tuple(service.Finding(f.item, f.finding, f.ok) for f in input.items),
                position=input.position.to_position() if input.position else None,
                evidence=ev, note=input.note,
                violation=service.Violation(v.type, v.points, v.rectify_working_days)
                if v else None)
            return service.record_inspection(c.session, c.caller, inp, c.now())

        done, errors = mutate(info, work)
        if done is None:
            return InspectionPayload(inspection=None, rectification=None, follow_up=None,
                                     errors=errors)
        return InspectionPayload(
            inspection=Inspection.of(done.inspection),
            rectification=Rectification.of(done.rectification) if done.rectification else None,
            follow_up=InspectionAssignment.of(done.follow_up) if done.follow_up else None,
            errors=[])

    @strawberry.mutation(description="A device's alarm (authenticated by its deviceKey) "
                                      "becomes an event with source SENSOR; an alarm storm "
                                      "stays one event. Idempotent on clientId.")
    def ingest_device_alarm(self, info: Info, input: DeviceAlarmInput) -> ReportEventPayload:
        c = info.context
        done, errors = mutate(info, lambda: service.ingest_alarm(c.session, service.AlarmInput(
            client_id=str(input.client_id), device_key=input.device_key,
            alarm_type=input.alarm_type, value=input.value, note=input.note,
            raised_at=input.raised_at), c.now()))
        if done is None:
            return ReportEventPayload(event=None, duplicate_id=None, neighbour_grids=[],
                                      errors=errors)
        return ReportEventPayload(event=Event.of(done.event), duplicate_id=done.duplicate_id,
                                  neighbour_grids=done.neighbours, errors=[])


@strawberry.input(description="An entry of the register of targets (随机抽查对象名录库).")
class InspectionTargetInput:
    code: str = strawberry.field(description="unique, e.g. the unified social credit code")
    name: str
    category: TargetCategory
    risk_level: RiskLevel
    location: PointInput
    address: str | None = None


@strawberry.type
class InspectionTargetPayload:
    target: InspectionTarget | None
    errors: list[UserError]


@strawberry.type
class DevicePayload:
    device: Device | None
    key: str | None = strawberry.field(description="The device's key, answered this once "
                                                   "(only its SHA-256 is kept): configure the "
                                                   "device with it.")
    errors: list[UserError]


@strawberry.type
class InspectorPayload:
    user: UserType | None
    code: str | None
    errors: list[UserError]


@strawberry.type
class InspectionsAdminMutation:
    @strawberry.mutation(description="Admins: register a target, placed in its grid and "
                                      "township by its location.")
    def add_inspection_target(self, info: Info, input: InspectionTargetInput
                              ) -> InspectionTargetPayload:
        c = info.context
        t, errors = mutate(info, lambda: service.register_target(
            c.session, c.caller, input.code, input.name, input.category.value,
            input.risk_level.value, input.location.to_position(), input.address))
        return InspectionTargetPayload(target=InspectionTarget.of(t) if t else None,
                                       errors=errors)

    @strawberry.mutation(description="Admins: a camera or sensor at a target; its key is in "
                                      "the answer, once.")
    def add_target_device(self, info: Info, target_id: strawberry.ID, code: str,
                          kind: DeviceKind) -> DevicePayload:
        c = info.context
        done, errors = mutate(info, lambda: service.register_device(
            c.session, c.caller, pk_of(target_id, "InspectionTarget", "targetId"), code,
            kind.value))
        if done is None:
            return DevicePayload(device=None, key=None, errors=errors)
        return DevicePayload(device=Device.of(done[0]), key=done[1], errors=[])

    @strawberry.mutation(description="Admins: retire a device (lost, replaced, its key "
                                      "leaked) or bring it back.")
    def set_device_active(self, info: Info, code: str, active: bool) -> DevicePayload:
        c = info.context
        d, errors = mutate(info, lambda: service.set_device_active(c.session, c.caller, code,
                                                                   active))
        return DevicePayload(device=Device.of(d) if d else None, key=None, errors=errors)

    @strawberry.mutation(description="Admins: enter an INSPECTOR user in the register of "
                                      "inspectors with their public code (执法证号), or change "
                                      "it.")
    def set_inspector_code(self, info: Info, user_id: strawberry.ID, code: str
                           ) -> InspectorPayload:
        from backend.auth.schema import User
        from backend.auth.service import visible_user

        c = info.context

        def work():  # type: ignore[no-untyped-def]
            ins = service.register_inspector(c.session, c.caller, pk_of(user_id, "User",
                                                                         "userId"), code)
            return visible_user(c.session, c.caller, ins.user_id), ins.code

        done, errors = mutate(info, work)
        if done is None:
            return InspectorPayload(user=None, code=None, errors=errors)
        return InspectorPayload(user=User.of(done[0]), code=done[1], errors=[])


def _target_node(info: Info, pk: int) -> InspectionTarget | None:
    t = service.get_target(info.context.session, info.context.caller, pk)
    return InspectionTarget.of(t) if t else None


def _plan_node(info: Info, pk: int) -> InspectionPlan | None:
    p = service.get_plan(info.context.session, pk)
    return InspectionPlan.of(p) if p else None


def _assignment_node(info: Info, pk: int) -> InspectionAssignment | None:
    a = service.get_assignment(info.context.session, info.context.caller, pk)
    return InspectionAssignment.of(a) if a else None


def _inspection_node(info: Info, pk: int) -> Inspection | None:
    i = service.get_inspection(info.context.session, info.context.caller, pk)
    return Inspection.of(i) if i else None


NODES = {"InspectionTarget": _target_node, "InspectionPlan": _plan_node,
         "InspectionAssignment": _assignment_node, "Inspection": _inspection_node}
