"""Rules of the inspections domain (DOMAIN.md, "Inspections"): targets, random plans whose
draw anyone can verify (draw.py, docs/draw.md), on-site and remote inspections, rectification
with a follow-up, credit records, published results, device alarms becoming events."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pyproj import Geod
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from backend.areas import service as areas
from backend.auth.models import Department, User, UserRole, UserTownship
from backend.auth.service import Caller
from backend.db import spatial
from backend.db.batch import rows_by_key
from backend.db.engine import add_once
from backend.db.paging import Page, keyset_page
from backend.errors import (
    BadInput,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    Unauthenticated,
)
from backend.events import service as events
from backend.events.catalogue import ALARM_CATEGORIES
from backend.events.models import Event
from backend.events.workflow import OPEN as EVENT_OPEN
from backend.inspections import draw
from backend.inspections.models import (
    CATEGORIES,
    DEVICE_KINDS,
    RISKS,
    AssignmentInspector,
    CreditRecord,
    DeviceAlarm,
    Inspection,
    InspectionAssignment,
    InspectionPlan,
    InspectionTarget,
    Inspector,
    InspectorConflict,
    Rectification,
    TargetDevice,
)
from backend.positions import Position
from backend.tasks import service as tasks
from backend.workflow import StateMachine, rule
from backend.worktime import deadline

MODES = ("ON_SITE", "REMOTE")
RESULTS = ("PASS", "ISSUES", "VIOLATION")
EVIDENCE_KINDS = ("SNAPSHOT", "READING", "VIDEO")
GEOFENCE_M = 100.0  # as for visits: rural GPS is poor, so farther is flagged, not refused
RECTIFY_WORKING_DAYS = 10
VIOLATION_POINTS = -5
EVIDENCE_SKEW = timedelta(minutes=5)  # a device clock a little ahead is not an error
MAX_TEXT = 4000
MAX_SEED = 200
SYSTEM_DEVICES = "system-devices"  # the reporter of device alarms (cannot log in)
_GEOD = Geod(ellps="WGS84")

# A rectification is closed only by a passing follow-up inspection (the engine checks it).
RECTIFICATIONS = StateMachine("rectification", [
    rule("CLOSE", ("OPEN",), "CLOSED", ("passing_follow_up",)),
])


def _aware(value: datetime | None, field: str) -> None:
    if value is not None and value.tzinfo is None:
        raise BadInput(f"{field} needs a time zone (ISO-8601 with an offset)", field)


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str,
                                     sort_keys=True).encode()).hexdigest()


# --- people, targets, devices -----------------------------------------------------------

def add_inspector(session: Session, user_id: int, code: str) -> Inspector:
    """Give an INSPECTOR user their public code (执法证号); the caller commits."""
    if not code.strip():
        raise BadInput("an inspector needs a code", "code")
    if "INSPECTOR" not in set(session.scalars(select(UserRole.role)
                                              .where(UserRole.user_id == user_id))):
        raise BadInput(f"user {user_id} does not have the INSPECTOR role", "userId")
    ins = Inspector(user_id=user_id, code=code)
    session.add(ins)
    session.flush()
    return ins


def declare_conflict(session: Session, user_id: int, target_id: int,
                     reason: str | None = None) -> None:
    session.merge(InspectorConflict(user_id=user_id, target_id=target_id, reason=reason))
    session.flush()


def add_target(session: Session, code: str, name: str, category: str, risk: str,
               lon: float, lat: float, address: str | None = None) -> InspectionTarget:
    """A target at a WGS-84 point, its grid and township by location; the caller commits."""
    if category not in CATEGORIES:
        raise BadInput(f"category is one of {', '.join(CATEGORIES)}", "category")
    if risk not in RISKS:
        raise BadInput(f"risk level is one of {', '.join(RISKS)}", "riskLevel")
    lon, lat = Position(lon, lat).wgs84("location")
    grid = areas.covering_grid(session, lon, lat)
    township_id = grid.township_id if grid else areas.covering_township(session, lon, lat)
    t = InspectionTarget(code=code, name=name, category=category, risk=risk, address=address,
                         geom=spatial.point_ewkt(lon, lat), lon=lon, lat=lat,
                         grid_id=grid.id if grid else None, township_id=township_id)
    session.add(t)
    return t


def device_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_device(session: Session, target: InspectionTarget, code: str, kind: str,
               key: str | None = None) -> tuple[TargetDevice, str]:
    """Attach a device to a target, at its position; returns it and its key (shown once:
    only the key's SHA-256 is stored)."""
    if kind not in DEVICE_KINDS:
        raise BadInput(f"device kind is one of {', '.join(DEVICE_KINDS)}", "kind")
    key = key or secrets.token_urlsafe(24)
    d = TargetDevice(code=code, target_id=target.id, kind=kind, lon=target.lon, lat=target.lat,
                     key_hash=device_key_hash(key), active=True)
    session.add(d)
    return d, key


# --- the registers (名录库), kept by admins through the API ------------------------------

def _registrar(caller: Caller) -> None:
    if caller.is_public:
        raise Unauthenticated("log in to keep the registers")
    if "ADMIN" not in caller.roles:
        # the registers are the population of every random draw: who may change them is few
        raise Forbidden("only admins keep the registers of targets, devices and inspectors")


def _text(value: str | None, field: str, most: int, required: bool = True) -> str | None:
    if value is not None:
        value = value.strip() or None
    if (value is None and required) or (value is not None and len(value) > most):
        raise BadInput(f"{field} is 1 to {most} characters", field)
    return value


def register_target(session: Session, caller: Caller, code: str, name: str, category: str,
                    risk: str, position: Position, address: str | None) -> InspectionTarget:
    """A new entry of the register of targets (随机抽查对象名录库), placed in its grid and
    township by its position."""
    _registrar(caller)
    code = _text(code, "code", 32)  # type: ignore[assignment]
    name = _text(name, "name", 200)  # type: ignore[assignment]
    address = _text(address, "address", 300, required=False)
    lon, lat = position.wgs84("location")
    if session.scalar(select(InspectionTarget.id).where(InspectionTarget.code == code)):
        raise Conflict(f"a target with code {code} is registered already", "code")
    t = add_target(session, code, name, category, risk, lon, lat, address)
    session.flush()
    return t


def register_device(session: Session, caller: Caller, target_id: int, code: str, kind: str
                    ) -> tuple[TargetDevice, str]:
    """A camera or sensor at a target; its key is answered this once."""
    _registrar(caller)
    code = _text(code, "code", 40)  # type: ignore[assignment]
    target = session.get(InspectionTarget, target_id, options=[defer(InspectionTarget.geom)])
    if target is None:
        raise NotFound(f"no inspection target {target_id}", "targetId")
    if session.scalar(select(TargetDevice.id).where(TargetDevice.code == code)):
        raise Conflict(f"a device with code {code} is registered already", "code")
    d, key = add_device(session, target, code, kind)
    session.flush()
    return d, key


def set_device_active(session: Session, caller: Caller, code: str, active: bool
                      ) -> TargetDevice:
    """Retire a device (lost, replaced, its key leaked): its key is refused from then on."""
    _registrar(caller)
    d = session.scalar(select(TargetDevice).where(TargetDevice.code == code))
    if d is None:
        raise NotFound(f"no device {code}", "code")
    d.active = active
    session.flush()
    return d


def register_inspector(session: Session, caller: Caller, user_id: int, code: str) -> Inspector:
    """Enter an INSPECTOR user in the register of inspectors (执法检查人员名录库) with their
    public code (执法证号), or give them a new code."""
    _registrar(caller)
    code = _text(code, "code", 32)  # type: ignore[assignment]
    if session.get(User, user_id) is None:
        raise NotFound(f"no user {user_id}", "userId")
    holder = session.scalar(select(Inspector).where(Inspector.code == code))
    if holder is not None and holder.user_id != user_id:
        raise Conflict(f"code {code} is another inspector's", "code")
    current = session.get(Inspector, user_id)
    if current is not None:
        current.code = code
        session.flush()
        return current
    return add_inspector(session, user_id, code)


# --- seeing targets ---------------------------------------------------------------------

@dataclass(frozen=True)
class TargetFilter:
    categories: tuple[str, ...] = ()
    township_ids: tuple[int, ...] = ()
    risks: tuple[str, ...] = ()


def _staff(caller: Caller) -> None:
    if caller.is_public:
        raise Unauthenticated("log in to see inspection targets")
    if not (caller.district_wide or caller.roles & {"INSPECTOR", "DEPARTMENT", "DISPATCHER"}):
        raise Forbidden("inspection targets are for inspectors, departments and the centres")


def _sees_target(caller: Caller, t: InspectionTarget) -> bool:
    # department clerks plan across the district; inspectors and dispatchers see their
    # townships
    return (caller.district_wide or "DEPARTMENT" in caller.roles
            or t.township_id in caller.township_ids)


def _checked_filter(f: TargetFilter) -> None:
    if bad := set(f.categories) - set(CATEGORIES):
        raise BadInput(f"unknown categories {sorted(bad)}: use {', '.join(CATEGORIES)}",
                       "filter.categories")
    if bad := set(f.risks) - set(RISKS):
        raise BadInput(f"unknown risk levels {sorted(bad)}: use A, B, C, D", "filter.riskLevels")


def _target_stmt(f: TargetFilter):  # type: ignore[no-untyped-def]
    stmt = select(InspectionTarget)
    if f.categories:
        stmt = stmt.where(InspectionTarget.category.in_(f.categories))
    if f.township_ids:
        stmt = stmt.where(InspectionTarget.township_id.in_(f.township_ids))
    if f.risks:
        stmt = stmt.where(InspectionTarget.risk.in_(f.risks))
    return stmt


def list_targets(session: Session, caller: Caller, f: TargetFilter, first: int | None,
                 after: str | None, max_page: int) -> Page[InspectionTarget]:
    _staff(caller)
    _checked_filter(f)
    for tid in f.township_ids:
        if not (caller.district_wide or "DEPARTMENT" in caller.roles
                or tid in caller.township_ids):
            raise Forbidden("that township is outside your jurisdiction")
    stmt = _target_stmt(f)
    if not (caller.district_wide or "DEPARTMENT" in caller.roles):
        stmt = stmt.where(InspectionTarget.township_id.in_(caller.township_ids))
    return keyset_page(session, stmt, InspectionTarget.code, first, after, max_page,
                       lambda t: t.code)


def get_target(session: Session, caller: Caller, target_id: int) -> InspectionTarget | None:
    _staff(caller)
    t = session.get(InspectionTarget, target_id)
    if t is not None and not _sees_target(caller, t):
        raise Forbidden("this target is outside your jurisdiction")
    return t


def devices_by_target_ids(session: Session, ids: Sequence[int]) -> list[list[TargetDevice]]:
    return rows_by_key(session, TargetDevice.target_id, ids)


def credit_by_target_ids(session: Session, ids: Sequence[int]) -> list[list[CreditRecord]]:
    return rows_by_key(session, CreditRecord.target_id, ids)


def rectification_by_inspection_ids(session: Session, ids: Sequence[int]
                                    ) -> list[Rectification | None]:
    rows = {r.inspection_id: r for r in session.scalars(
        select(Rectification).where(Rectification.inspection_id.in_(ids)))}
    return [rows.get(i) for i in ids]


def inspector_codes_by_assignment_ids(session: Session, ids: Sequence[int]) -> list[list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    for aid, code in session.execute(
            select(AssignmentInspector.assignment_id, Inspector.code)
            .join(Inspector, Inspector.user_id == AssignmentInspector.user_id)
            .where(AssignmentInspector.assignment_id.in_(ids))
            .order_by(AssignmentInspector.assignment_id, AssignmentInspector.position)):
        out[aid].append(code)
    return [out[i] for i in ids]


def assignments_by_plan_ids(session: Session, ids: Sequence[int]
                            ) -> list[list[InspectionAssignment]]:
    return rows_by_key(session, InspectionAssignment.plan_id, ids, InspectionAssignment.seq)


# --- plans ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanInput:
    client_id: str
    name: str
    department_code: str
    items: tuple[str, ...]
    seed_commitment: str
    categories: tuple[str, ...] = ()
    township_ids: tuple[int, ...] = ()
    risks: tuple[str, ...] = ()
    sample_size: int | None = None
    sample_ratio: float | None = None
    weights: tuple[tuple[str, float], ...] | None = None
    per_target: int = draw.MIN_PER_TARGET
    inspector_ids: tuple[int, ...] | None = None
    due_at: datetime | None = None

    def request_hash(self) -> str:
        return _hash(self.name, self.department_code, self.items, self.seed_commitment,
                     sorted(self.categories), sorted(self.township_ids), sorted(self.risks),
                     self.sample_size, self.sample_ratio, self.weights, self.per_target,
                     sorted(self.inspector_ids) if self.inspector_ids is not None else None,
                     self.due_at)


def _plans_for(caller: Caller, department_id: int) -> None:
    """District roles plan for any department, a department's clerks for their own."""
    if caller.is_public:
        raise Unauthenticated("log in to plan inspections")
    if caller.district_wide:
        return
    if "DEPARTMENT" in caller.roles and caller.department_id == department_id:
        return
    raise Forbidden("only the department's clerks (or district supervisors) plan its "
                    "inspections")


def _check_plan_input(inp: PlanInput) -> None:
    if not inp.name.strip() or len(inp.name) > 200:
        raise BadInput("a plan needs a name of at most 200 characters", "name")
    if not inp.items or any(not i.strip() or len(i) > 200 for i in inp.items) \
            or len(inp.items) > 100:
        raise BadInput("list 1 to 100 inspection items, each 1 to 200 characters", "items")
    c = inp.seed_commitment.strip().lower()
    if len(c) != 64 or any(ch not in "0123456789abcdef" for ch in c):
        raise BadInput("seedCommitment is the SHA-256 of the seed: 64 hex digits",
                       "seedCommitment")
    if (inp.sample_size is None) == (inp.sample_ratio is None):
        raise BadInput("give exactly one of sampleSize and sampleRatio", "sampleSize")
    if inp.sample_size is not None and inp.sample_size <= 0:
        raise BadInput(f"the sample size must be positive, not {inp.sample_size}", "sampleSize")
    if inp.sample_ratio is not None and not (math.isfinite(inp.sample_ratio)
                                             and 0 < inp.sample_ratio <= 1):
        raise BadInput("sampleRatio is in (0, 1]", "sampleRatio")
    _aware(inp.due_at, "dueAt")
    if inp.per_target < draw.MIN_PER_TARGET:
        raise BadInput(f"each target needs at least {draw.MIN_PER_TARGET} inspectors "
                       f"(双随机), not {inp.per_target}", "inspectorsPerTarget")


def _replay_plan(session: Session, inp: PlanInput) -> InspectionPlan | None:
    p = session.scalar(select(InspectionPlan).where(InspectionPlan.client_id == inp.client_id))
    if p is not None and p.request_hash != inp.request_hash():
        raise Conflict(f"clientId {inp.client_id} was already used for a different plan",
                       "clientId")
    return p


def eligible_pool(session: Session, department_id: int, township_ids: Sequence[int],
                  only: Sequence[int] | None) -> list[tuple[int, str]]:
    """(user id, code) of the department's active inspectors, those with jurisdiction in one
    of the townships when the plan names townships, restricted to `only` when given."""
    stmt = (select(User.id, Inspector.code).join(Inspector, Inspector.user_id == User.id)
            .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == "INSPECTOR"))
            .where(User.department_id == department_id, User.active))
    if township_ids:
        stmt = stmt.where(User.id.in_(select(UserTownship.user_id)
                                      .where(UserTownship.township_id.in_(township_ids))))
    pool = [(r.id, r.code) for r in session.execute(stmt.order_by(Inspector.code))]
    if only is not None:
        have = {uid for uid, _ in pool}
        if missing := [i for i in only if i not in have]:
            raise BadInput(f"{len(missing)} of the named inspectors are not eligible: not "
                           "inspectors of this department with jurisdiction in the plan's "
                           "townships", "inspectorIds")
        pool = [(uid, code) for uid, code in pool if uid in set(only)]
    return pool


def _last_inspected(session: Session, target_ids: Sequence[int]) -> dict[int, list[str]]:
    """target id -> inspector codes of its latest inspection."""
    if not target_ids:
        return {}
    latest = (select(func.max(Inspection.id).label("id"))
              .where(Inspection.target_id.in_(target_ids)).group_by(Inspection.target_id)
              .subquery())
    out: dict[int, list[str]] = {}
    for tid, code in session.execute(
            select(Inspection.target_id, Inspector.code)
            .join(latest, latest.c.id == Inspection.id)
            .join(AssignmentInspector,
                  AssignmentInspector.assignment_id == Inspection.assignment_id)
            .join(Inspector, Inspector.user_id == AssignmentInspector.user_id)):
        out.setdefault(tid, []).append(code)
    return out


def create_plan(session: Session, caller: Caller, inp: PlanInput, now: datetime
                ) -> InspectionPlan:
    """Freeze the population, the pool, conflicts and last inspectors into the published
    document with the seed's commitment; nothing is drawn yet. Idempotent on clientId."""
    if caller.is_public:
        raise Unauthenticated("log in to plan inspections")
    if (replayed := _replay_plan(session, inp)) is not None:
        return replayed
    dept = session.scalar(select(Department).where(Department.code == inp.department_code))
    if dept is None:
        raise NotFound(f"no department {inp.department_code}", "departmentCode")
    _plans_for(caller, dept.id)
    _check_plan_input(inp)
    f = TargetFilter(inp.categories, inp.township_ids, inp.risks)
    _checked_filter(f)
    targets = session.execute(select(InspectionTarget.id, InspectionTarget.code,
                                     InspectionTarget.risk)
                              .where(InspectionTarget.id.in_(_target_stmt(f)
                                                             .with_only_columns(
                                                                 InspectionTarget.id)))
                              .order_by(InspectionTarget.code)).all()
    if not targets:
        raise BadInput("no target matches the population filter", "population")
    n = len(targets)
    size = inp.sample_size if inp.sample_size is not None else math.ceil(inp.sample_ratio * n)
    if size > n:
        raise BadInput(f"a sample of {size} is larger than the population of {n}",
                       "sampleSize")
    weights = dict(inp.weights) if inp.weights is not None else dict(draw.DEFAULT_WEIGHTS)
    try:
        draw.population_weights([draw.Target(t.code, t.risk) for t in targets], weights)
    except draw.DrawError as e:
        raise BadInput(str(e), "riskWeights") from None
    pool = eligible_pool(session, dept.id, inp.township_ids, inp.inspector_ids)
    if len(pool) < inp.per_target:
        raise BadInput(f"each target needs {inp.per_target} inspectors but the eligible pool "
                       f"of {dept.name} has {len(pool)}: {inp.per_target - len(pool)} short",
                       "inspectorIds")
    pool_ids = {uid: code for uid, code in pool}
    code_of = {t.id: t.code for t in targets}
    conflicts = sorted(
        (pool_ids[uid], code_of[tid]) for uid, tid in session.execute(
            select(InspectorConflict.user_id, InspectorConflict.target_id)
            .where(InspectorConflict.user_id.in_(pool_ids)))
        if tid in code_of)
    last = {code_of[tid]: sorted(codes) for tid, codes in
            _last_inspected(session, list(code_of)).items()}
    document = {
        "version": draw.VERSION,
        "populationHash": draw.population_hash(draw.Target(t.code, t.risk) for t in targets),
        "population": [[t.code, t.risk] for t in targets],
        "weights": {level: float(weights[level]) for level in sorted(weights)},
        "sampleSize": size,
        "inspectors": sorted(pool_ids.values()),
        "perTarget": inp.per_target,
        "conflicts": [[i, t] for i, t in conflicts],
        "lastInspected": {t: c for t, c in sorted(last.items()) if c},
        "seedCommitment": inp.seed_commitment.strip().lower(),
        "seed": None, "drawn": None, "assignments": None,
    }
    plan = InspectionPlan(
        client_id=inp.client_id, request_hash=inp.request_hash(), name=inp.name,
        department_id=dept.id, items=json.dumps(list(inp.items), ensure_ascii=False),
        population_filter=json.dumps({"categories": sorted(inp.categories),
                                      "townshipIds": sorted(inp.township_ids),
                                      "riskLevels": sorted(inp.risks)}),
        sample_size=size, per_target=inp.per_target, population_size=n,
        population_hash=document["populationHash"], seed_commitment=document["seedCommitment"],
        seed=None, document=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        status="CREATED", due_at=inp.due_at, created_by=caller.user_id, created_at=now)
    if (replayed := add_once(session, plan, lambda: _replay_plan(session, inp))) is not None:
        return replayed  # the same clientId committed meanwhile by a retry
    return plan


def get_plan(session: Session, plan_id: int) -> InspectionPlan | None:
    """Plans are public: their documents hold codes only."""
    return session.get(InspectionPlan, plan_id)


def plan_document(plan: InspectionPlan) -> dict:
    return json.loads(plan.document)


def draw_plan(session: Session, caller: Caller, plan_id: int, seed: str, now: datetime
              ) -> InspectionPlan:
    """Check the seed against the commitment, draw, store the assignments (and open an
    inspection task for each inspector), publish the seed. Once per plan."""
    plan = session.get(InspectionPlan, plan_id, with_for_update=True)
    if plan is None:
        raise NotFound(f"no inspection plan {plan_id}", "id")
    _plans_for(caller, plan.department_id)
    if plan.status == "DRAWN":
        raise InvalidTransition("this plan has already been drawn: a plan is drawn once", "id")
    if len(seed) > MAX_SEED:
        raise BadInput(f"a seed has at most {MAX_SEED} characters", "seed")
    doc = plan_document(plan)
    try:
        draw.check_seed(seed, doc["seedCommitment"])
        result = draw.run_draw(seed, [draw.Target(c, r) for c, r in doc["population"]],
                               doc["sampleSize"], doc["weights"],
                               [draw.Inspector(c) for c in doc["inspectors"]],
                               doc["perTarget"], [tuple(p) for p in doc["conflicts"]],
                               doc["lastInspected"])
    except draw.DrawError as e:
        raise BadInput(str(e), "seed") from None
    targets = {r.code: r for r in session.execute(
        select(InspectionTarget.id, InspectionTarget.code, InspectionTarget.township_id,
               InspectionTarget.lon, InspectionTarget.lat)
        .where(InspectionTarget.code.in_(result.drawn)))}
    users = dict(session.execute(select(Inspector.code, Inspector.user_id)
                                 .where(Inspector.code.in_(doc["inspectors"]))).all())
    rows = [InspectionAssignment(kind="PLAN", plan_id=plan.id, target_id=targets[c].id,
                                 seq=n, status="OPEN", due_at=plan.due_at)
            for n, c in enumerate(result.drawn, 1)]
    session.add_all(rows)
    session.flush()
    for a, code in zip(rows, result.drawn, strict=True):
        t = targets[code]
        for pos, ins in enumerate(result.assignments[code], 1):
            session.add(AssignmentInspector(assignment_id=a.id, user_id=users[ins],
                                            position=pos))
            tasks.open_task(session, "INSPECTION", a.id, users[ins], plan.due_at, now,
                            t.township_id, t.lon, t.lat, plan.name)
    doc.update(seed=seed, drawn=result.drawn, assignments=result.assignments)
    plan.document = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    plan.seed, plan.status, plan.drawn_at = seed, "DRAWN", now
    return plan


# --- inspections ------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    item: str
    finding: str | None = None
    ok: bool = True


@dataclass(frozen=True)
class Evidence:
    device_code: str
    kind: str
    at: datetime
    reference: str | None = None
    value: float | None = None


@dataclass(frozen=True)
class Violation:
    type: str = "检查发现违法违规行为"
    points: int = VIOLATION_POINTS
    rectify_working_days: int = RECTIFY_WORKING_DAYS


@dataclass(frozen=True)
class RecordInput:
    client_id: str
    assignment_id: int
    mode: str
    result: str
    items: tuple[Finding, ...] = ()
    position: Position | None = None
    evidence: Evidence | None = None
    note: str | None = None
    violation: Violation | None = None

    def request_hash(self) -> str:
        p = self.position
        return _hash(self.assignment_id, self.mode, self.result,
                     [vars(i) for i in self.items],
                     p and [p.lon, p.lat, p.crs.value, p.accuracy_m, p.mocked],
                     self.evidence and vars(self.evidence), self.note,
                     self.violation and vars(self.violation))


@dataclass
class Recorded:
    inspection: Inspection
    rectification: Rectification | None = None
    follow_up: InspectionAssignment | None = None
    replayed: bool = False


def _replay_record(session: Session, inp: RecordInput) -> Recorded | None:
    i = session.scalar(select(Inspection).where(Inspection.client_id == inp.client_id))
    if i is None:
        return None
    if i.request_hash != inp.request_hash():
        raise Conflict(f"clientId {inp.client_id} was already used for a different "
                       "inspection", "clientId")
    r = session.scalar(select(Rectification).where(Rectification.inspection_id == i.id))
    return Recorded(i, r, replayed=True)


def _check_record(inp: RecordInput, now: datetime) -> None:
    if inp.mode not in MODES:
        raise BadInput(f"mode is ON_SITE or REMOTE, not {inp.mode}", "mode")
    if inp.result not in RESULTS:
        raise BadInput(f"result is one of {', '.join(RESULTS)}", "result")
    if not inp.items or len(inp.items) > 100:
        raise BadInput("record 1 to 100 inspection items with their findings", "items")
    for n, f in enumerate(inp.items):
        if not f.item.strip() or len(f.item) > 200 or len(f.finding or "") > MAX_TEXT:
            raise BadInput(f"items[{n}]: an item of 1 to 200 characters, a finding of at most "
                           f"{MAX_TEXT}", f"items[{n}]")
    if inp.note is not None and len(inp.note) > MAX_TEXT:
        raise BadInput(f"note is over {MAX_TEXT} characters", "note")
    if inp.mode == "ON_SITE" and inp.position is None:
        raise BadInput("an ON_SITE inspection records the inspector's position", "position")
    if inp.mode == "REMOTE":
        ev = inp.evidence
        if ev is None:
            raise BadInput("a REMOTE inspection needs evidence from one of the target's "
                           "devices", "evidence")
        if ev.kind not in EVIDENCE_KINDS:
            raise BadInput(f"evidence kind is one of {', '.join(EVIDENCE_KINDS)}",
                           "evidence.kind")
        _aware(ev.at, "evidence.at")
        if ev.at > now + EVIDENCE_SKEW:
            raise BadInput("the evidence's time is in the future", "evidence.at")
        if ev.kind == "READING" and (ev.value is None or not math.isfinite(ev.value)):
            raise BadInput("a READING needs a finite value", "evidence.value")
        if ev.kind in ("SNAPSHOT", "VIDEO") and not (ev.reference or "").strip():
            raise BadInput(f"a {ev.kind} needs a reference (its URL or id)",
                           "evidence.reference")
        if len(ev.reference or "") > 500:
            raise BadInput("evidence.reference is over 500 characters", "evidence.reference")
    v = inp.violation
    if v is not None:
        if inp.result != "VIOLATION":
            raise BadInput("violation details go with result VIOLATION", "violation")
        if not v.type.strip() or len(v.type) > 40:
            raise BadInput("violation type is 1 to 40 characters", "violation.type")
        if not -100 <= v.points <= 0:
            raise BadInput("violation points are a deduction between -100 and 0",
                           "violation.points")
        if not 1 <= v.rectify_working_days <= 90:
            raise BadInput("rectifyWorkingDays is between 1 and 90",
                           "violation.rectifyWorkingDays")


def record_inspection(session: Session, caller: Caller, inp: RecordInput, now: datetime
                      ) -> Recorded:
    """One inspection record per assignment, by one of its inspectors; a violation opens a
    rectification with a follow-up task and writes a credit record. Idempotent on clientId."""
    if caller.is_public:
        raise Unauthenticated("log in to record an inspection")
    if (replayed := _replay_record(session, inp)) is not None:
        return replayed
    a = session.get(InspectionAssignment, inp.assignment_id, with_for_update=True)
    if a is None:
        raise NotFound(f"no inspection assignment {inp.assignment_id}", "assignmentId")
    assigned = set(session.scalars(select(AssignmentInspector.user_id)
                                   .where(AssignmentInspector.assignment_id == a.id)))
    if caller.user_id not in assigned:
        raise Forbidden("only an inspector assigned to this target records its inspection")
    if a.status != "OPEN":
        raise InvalidTransition("this assignment already has its inspection record "
                                "(one record per assignment)", "assignmentId")
    _check_record(inp, now)
    target = session.get(InspectionTarget, a.target_id)
    row = Inspection(client_id=inp.client_id, request_hash=inp.request_hash(),
                     assignment_id=a.id, plan_id=a.plan_id, target_id=target.id,
                     inspector_id=caller.user_id, mode=inp.mode, result=inp.result,
                     items=json.dumps([vars(f) for f in inp.items], ensure_ascii=False),
                     note=inp.note, at=now)
    if inp.mode == "ON_SITE":
        p = inp.position
        lon, lat = p.wgs84("position")
        _, _, dist = _GEOD.inv(lon, lat, target.lon, target.lat)
        row.lon, row.lat = lon, lat
        row.orig_lon, row.orig_lat, row.orig_crs = p.lon, p.lat, p.crs.value
        row.accuracy_m, row.mocked = p.accuracy_m, p.mocked
        row.distance_m, row.outside_geofence = float(dist), bool(dist > GEOFENCE_M)
    else:
        ev = inp.evidence
        device = session.scalar(select(TargetDevice).where(TargetDevice.code == ev.device_code))
        if device is None:
            raise NotFound(f"no device {ev.device_code}", "evidence.deviceCode")
        if device.target_id != target.id:
            raise BadInput(f"device {device.code} belongs to another target, not to "
                           f"{target.code}: remote evidence comes from the target's own "
                           "devices", "evidence.deviceCode")
        row.device_id, row.evidence_kind = device.id, ev.kind
        row.evidence_ref, row.evidence_value, row.evidence_at = ev.reference, ev.value, ev.at
    if (replayed := add_once(session, row, lambda: _replay_record(session, inp))) is not None:
        return replayed  # the same clientId committed meanwhile by a retry
    a.status = "DONE"
    tasks.close_tasks(session, "INSPECTION", a.id, "DONE", now)
    done = Recorded(row)
    v = inp.violation or Violation()
    if inp.result == "VIOLATION":
        session.add(CreditRecord(target_id=target.id, type=v.type, points=v.points,
                                 day=_local_day(now), source=f"inspection:{row.id}",
                                 inspection_id=row.id))
    if a.kind == "FOLLOW_UP":
        r = session.get(Rectification, a.rectification_id, with_for_update=True)
        if inp.result == "PASS":
            r.status = RECTIFICATIONS.apply(r.status, "CLOSE",
                                            frozenset({"passing_follow_up"}))
            r.closed_at, r.closed_by_id = now, row.id
        else:  # not put right yet: another follow-up, by the same deadline or a new one
            due = max(r.deadline, deadline(now, v.rectify_working_days, "WORKING_DAYS",
                                           events.calendar(session)))
            done.follow_up = _follow_up(session, r, target, caller.user_id, due, now)
        done.rectification = r
    elif inp.result == "VIOLATION":
        due = deadline(now, v.rectify_working_days, "WORKING_DAYS", events.calendar(session))
        r = Rectification(inspection_id=row.id, target_id=target.id, status="OPEN",
                          deadline=due, opened_at=now)
        session.add(r)
        session.flush()
        done.rectification = r
        done.follow_up = _follow_up(session, r, target, caller.user_id, due, now)
    return done


def _follow_up(session: Session, r: Rectification, target: InspectionTarget, user_id: int,
               due: datetime, now: datetime) -> InspectionAssignment:
    a = InspectionAssignment(kind="FOLLOW_UP", plan_id=None, rectification_id=r.id,
                             target_id=target.id, seq=1, status="OPEN", due_at=due)
    session.add(a)
    session.flush()
    session.add(AssignmentInspector(assignment_id=a.id, user_id=user_id, position=1))
    tasks.open_task(session, "INSPECTION", a.id, user_id, due, now, target.township_id,
                    target.lon, target.lat, f"整改复查 {target.name}")
    return a


def _local_day(now: datetime) -> date:
    from backend.worktime import TZ

    return now.astimezone(TZ).date()


def get_assignment(session: Session, caller: Caller, assignment_id: int
                   ) -> InspectionAssignment | None:
    """Staff who see the target, or an inspector on it."""
    a = session.get(InspectionAssignment, assignment_id)
    if a is None:
        return None
    if caller.is_public:
        raise Unauthenticated("log in to see inspection assignments")
    on_it = caller.user_id in set(session.scalars(
        select(AssignmentInspector.user_id).where(AssignmentInspector.assignment_id == a.id)))
    if not on_it:
        get_target(session, caller, a.target_id)  # FORBIDDEN outside the jurisdiction
    return a


def get_inspection(session: Session, caller: Caller, inspection_id: int) -> Inspection | None:
    i = session.get(Inspection, inspection_id)
    if i is None:
        return None
    if i.inspector_id != caller.user_id:
        get_target(session, caller, i.target_id)
    return i


# --- published results (一公开) ------------------------------------------------------------

def published_inspections(session: Session, first: int | None, after: str | None,
                          max_page: int) -> Page[Inspection]:
    """Completed inspections of drawn plans, newest first; public."""
    stmt = (select(Inspection).join(InspectionPlan, InspectionPlan.id == Inspection.plan_id)
            .where(InspectionPlan.status == "DRAWN"))
    return keyset_page(session, stmt, (Inspection.at, Inspection.id), first, after, max_page,
                       lambda i: (i.at, i.id), descending=True)


# --- device alarms ----------------------------------------------------------------------

@dataclass(frozen=True)
class AlarmInput:
    client_id: str
    device_key: str
    alarm_type: str
    value: float | None = None
    note: str | None = None
    raised_at: datetime | None = None

    def request_hash(self) -> str:  # the key is not part of it: it is who, not what
        return _hash(self.alarm_type, self.value, self.note, self.raised_at)


@dataclass
class Alarmed:
    event: Event
    duplicate_id: int | None = None  # the case it was merged into
    neighbours: list[str] = field(default_factory=list)


def authenticate_device(session: Session, key: str, lock: bool = False) -> TargetDevice:
    """The device whose key this is. Only the key's SHA-256 is stored; the lookup is by that
    hash (which says nothing about the key) and the match is confirmed in constant time.
    `lock` holds the device's row (PostgreSQL), so one device's alarms queue up."""
    digest = device_key_hash(key or "")
    stmt = select(TargetDevice).where(TargetDevice.key_hash == digest, TargetDevice.active)
    d = session.scalar(stmt.with_for_update() if lock else stmt)
    if d is None or not hmac.compare_digest(d.key_hash, digest):
        raise Unauthenticated("unknown device key")
    return d


def _system_caller(session: Session) -> Caller:
    """The reporter of device alarms: a user that cannot log in (inactive, no password)."""
    uid = session.scalar(select(User.id).where(User.username == SYSTEM_DEVICES))
    if uid is None:
        try:
            with session.begin_nested():
                u = User(username=SYSTEM_DEVICES, name="设备告警接入", password_hash="!",
                         active=False, created_at=datetime.now().astimezone())
                session.add(u)
            uid = u.id
        except IntegrityError:  # created meanwhile by another alarm
            uid = session.scalar(select(User.id).where(User.username == SYSTEM_DEVICES))
    # SENSOR reports are for the district level; this caller exists only in process
    return Caller(user_id=uid, roles=frozenset({"SUPERVISOR"}))


def _report_client_id(alarm_client_id: str) -> str:
    """The clientId of the report an alarm makes: derived, so a resent alarm finds it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"wangge:alarm:{alarm_client_id}"))


def ingest_alarm(session: Session, inp: AlarmInput, now: datetime) -> Alarmed:
    """A device's alarm becomes an event (source SENSOR) at the device's location, its
    category from the alarm type; the same device and type while its event is open and within
    the category's duplicate window attach to that event (an alarm storm is one case)."""
    device = authenticate_device(session, inp.device_key, lock=True)  # one storm at a time
    old = session.scalar(select(DeviceAlarm).where(DeviceAlarm.client_id == inp.client_id))
    if old is not None:
        if old.device_id != device.id or old.request_hash != inp.request_hash():
            raise Conflict(f"clientId {inp.client_id} was already used for a different alarm",
                           "clientId")
        if old.merged:  # it joined its storm's open case
            return Alarmed(session.get(Event, old.event_id), old.event_id)
        reported = events.reported_as(session, _report_client_id(inp.client_id))
        return Alarmed(reported.event, reported.duplicate_id, reported.neighbours)
    code = ALARM_CATEGORIES.get(inp.alarm_type)
    if code is None:
        raise BadInput(f"unknown alarm type {inp.alarm_type!r}: use one of "
                       f"{', '.join(sorted(ALARM_CATEGORIES))}", "alarmType")
    if inp.value is not None and not math.isfinite(inp.value):
        raise BadInput("value must be a finite number", "value")
    if inp.note is not None and len(inp.note) > 500:
        raise BadInput("note is over 500 characters", "note")
    _aware(inp.raised_at, "raisedAt")
    cat = events.category_by_code(session, code)
    # the event of this device's latest alarm of this type, if still open and in the window
    last = (select(DeviceAlarm.event_id).where(DeviceAlarm.device_id == device.id,
                                               DeviceAlarm.alarm_type == inp.alarm_type)
            .order_by(DeviceAlarm.id.desc()).limit(1).scalar_subquery())
    open_event = session.scalar(
        select(Event).options(defer(Event.geom))
        .where(Event.id == last, Event.status.in_(EVENT_OPEN),
               Event.reported_at >= now - timedelta(hours=cat.duplicate_window_h)))
    alarm = DeviceAlarm(client_id=inp.client_id, request_hash=inp.request_hash(),
                        device_id=device.id, alarm_type=inp.alarm_type, value=inp.value,
                        note=inp.note, raised_at=inp.raised_at, received_at=now,
                        merged=open_event is not None)
    if open_event is not None:
        alarm.event_id = open_event.id
        session.add(alarm)
        return Alarmed(open_event, open_event.id)
    target = session.get(InspectionTarget, device.target_id)
    reported = events.report(session, _system_caller(session), events.ReportInput(
        client_id=_report_client_id(inp.client_id),
        category_code=code, source="SENSOR",
        description=f"设备告警 {inp.alarm_type}：{target.name}（设备 {device.code}）"
                    + (f" 读数 {inp.value:g}" if inp.value is not None else "")
                    + (f" {inp.note}" if inp.note else ""),
        position=Position(device.lon, device.lat)), now)
    # merged by the events' own duplicate rule into someone's open case: storm on that one
    alarm.event_id = reported.duplicate_id or reported.event.id
    session.add(alarm)
    return Alarmed(reported.event, reported.duplicate_id, reported.neighbours)
