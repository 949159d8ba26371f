"""Rules of door-to-door services (DOMAIN.md, "Door-to-door services"): the catalogue,
requests and their lifecycle, visits with proof of presence, reassignment, escalation,
reminders before qualifications expire, and coverage figures."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from pyproj import Geod
from sqlalchemy import and_, distinct, exists, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from backend.areas import service as areas
from backend.areas.models import KEY_GROUPS, Grid, GridAgent, Household, Resident
from backend.auth.models import User
from backend.auth.service import Caller, case_scope, sees_case
from backend.db.batch import geojson_by_ids, rows_by_key
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
from backend.events.models import CalendarDay
from backend.positions import Position
from backend.services.models import (
    Qualification,
    Reminder,
    ServiceItem,
    ServiceRequest,
    ServiceTransition,
    Visit,
)
from backend.services.workflow import API_ACTIONS, OPEN, SERVICES
from backend.tasks import service as tasks
from backend.worktime import TZ, WorkCalendar, deadline

CHANNELS = ("HOTLINE", "APP", "ROUND")
RATINGS = ("SATISFIED", "BASICALLY_SATISFIED", "UNSATISFIED")
MAX_NOTE = 2000
# A check-in this far from the household is not a poor fix but a position from elsewhere
# (the whole district is about 30 km across): refused, not kept.
FAR_M = 20_000.0
FLAGS = ("OUTSIDE_GEOFENCE", "MOCKED", "POOR_ACCURACY")
_GEOD = Geod(ellps="WGS84")


def geodesic_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two WGS-84 points on the ellipsoid."""
    return float(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


def qualifications_by_resident_ids(session: Session, ids: Sequence[int]
                                   ) -> list[list[Qualification]]:
    return rows_by_key(session, Qualification.resident_id, ids, Qualification.expires_on)


def is_key_group(x: Resident | Household) -> bool:
    return any(getattr(x, k) for k in KEY_GROUPS)


# --- the catalogue ---------------------------------------------------------------------------

def items(session: Session) -> list[ServiceItem]:
    return list(session.scalars(select(ServiceItem).order_by(ServiceItem.code)))


def materials(item: ServiceItem) -> list[str]:
    return json.loads(item.materials)


def _calendar(session: Session) -> WorkCalendar:
    return WorkCalendar({d.day: d.workday for d in session.scalars(select(CalendarDay))})


# --- who sees and does what --------------------------------------------------------------------

def _scope(caller: Caller) -> ColumnElement:
    """The requests a caller may see."""
    R = ServiceRequest
    return case_scope(caller, (R.assignee_id, R.requester_id), R.township_id, R.grid_id,
                      R.department_id)


def sees(caller: Caller, r: ServiceRequest) -> bool:
    return sees_case(caller, (r.assignee_id, r.requester_id), r.township_id, r.grid_id,
                     r.department_id)


def relations(caller: Caller, r: ServiceRequest) -> frozenset[str]:
    rel = set()
    if caller.user_id is not None:
        if caller.user_id == r.assignee_id:
            rel.add("assignee")
        elif caller.user_id == r.requester_id:
            rel.add("requester")
    if "DEPARTMENT" in caller.roles and caller.department_id == r.department_id:
        rel.add("department")
    if "DISPATCHER" in caller.roles and r.township_id in caller.township_ids:
        rel.add("dispatcher")
    rel |= {x.lower() for x in caller.roles & {"SUPERVISOR", "ADMIN"}}
    return frozenset(rel)


def is_overdue(r: ServiceRequest, now: datetime) -> bool:
    return r.status in OPEN and now > r.due_at


def _overdue_sql(now: datetime) -> ColumnElement:
    return and_(ServiceRequest.status.in_(OPEN), ServiceRequest.due_at < now)


# --- history ------------------------------------------------------------------------------------

def _record(session: Session, r: ServiceRequest, action: str, before: str | None, after: str,
            actor_id: int | None, now: datetime, note: str | None,
            data: dict | None = None) -> None:
    session.add(ServiceTransition(request_id=r.id, action=action, from_status=before,
                                  to_status=after, actor_id=actor_id, at=now, note=note,
                                  data=json.dumps(data, ensure_ascii=False) if data else None))


_STEP_TIMES = {"VISITED": "visited_at", "SUBMITTED": "submitted_at", "APPROVED": "decided_at",
               "REJECTED": "decided_at", "DELIVERED": "delivered_at", "CLOSED": "closed_at"}


def _move(session: Session, r: ServiceRequest, action: str, after: str, actor_id: int | None,
          now: datetime, note: str | None, data: dict | None = None) -> None:
    before = r.status
    r.status = after
    if (column := _STEP_TIMES.get(after)) and getattr(r, column) is None:
        setattr(r, column, now)
    _record(session, r, action, before, after, actor_id, now, note, data)


def history(session: Session, ids: Sequence[int]) -> list[list[ServiceTransition]]:
    return rows_by_key(session, ServiceTransition.request_id, ids)


def visits_by_request_ids(session: Session, ids: Sequence[int]) -> list[list[Visit]]:
    return rows_by_key(session, Visit.request_id, ids)


# --- requests ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestInput:
    client_id: str
    item_code: str
    household_id: int
    channel: str
    resident_id: int | None = None
    note: str | None = None

    def request_hash(self) -> str:
        body = [self.item_code, self.household_id, self.resident_id, self.channel, self.note]
        return hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()


def _home(session: Session, household_id: int) -> tuple[float, float]:
    lon, lat = geojson_by_ids(session, [household_id], Household)[0]["coordinates"]
    return float(lon), float(lat)


def _replay_request(session: Session, inp: RequestInput) -> ServiceRequest | None:
    r = session.scalar(select(ServiceRequest).where(ServiceRequest.client_id == inp.client_id))
    if r is None:
        return None
    if r.request_hash != inp.request_hash():
        raise Conflict(f"clientId {inp.client_id} was already used for a different request",
                       "clientId")
    return r


def request_service(session: Session, caller: Caller, inp: RequestInput, now: datetime
                    ) -> ServiceRequest:
    """A resident's request (by the hotline, the resident app or the agent's own round),
    assigned to the least-loaded agent of the household's grid; the caller commits.
    Idempotent on clientId."""
    if caller.is_public:
        raise Unauthenticated("log in to request a service")
    if inp.channel not in CHANNELS:
        raise BadInput(f"channel is one of {', '.join(CHANNELS)}", "channel")
    if inp.note is not None and len(inp.note) > MAX_NOTE:
        raise BadInput(f"note is over {MAX_NOTE} characters", "note")
    if (replayed := _replay_request(session, inp)) is not None:
        return replayed
    item = session.scalar(select(ServiceItem).where(ServiceItem.code == inp.item_code))
    if item is None:
        raise NotFound(f"no service item {inp.item_code!r}", "itemCode")
    if not item.proxy_allowed:
        raise BadInput(f"{item.code} {item.name} cannot be done by a proxy: the resident "
                       "applies in person", "itemCode")
    resident = None
    if inp.resident_id is not None:
        resident = session.get(Resident, inp.resident_id)
        if resident is None:
            raise NotFound(f"no resident {inp.resident_id}", "residentId")
        if not areas.sees_home(caller, resident.grid_id, resident.township_id):
            raise Forbidden("this resident is outside your jurisdiction")
    view = areas.get_household(session, caller, inp.household_id)  # FORBIDDEN outside
    if view is None:
        raise NotFound(f"no household {inp.household_id}", "householdId")
    h = view.household
    if resident is not None and resident.household_id != h.id:
        raise BadInput("the resident does not belong to this household", "residentId")
    own_round = inp.channel == "ROUND"
    if own_round and h.grid_id not in caller.grid_ids:
        raise BadInput("ROUND requests come from an agent of the household's grid", "channel")
    if inp.channel == "HOTLINE" and not (caller.district_wide or "DISPATCHER" in caller.roles):
        raise BadInput("HOTLINE requests are taken by the centre's dispatchers", "channel")
    cal = _calendar(session)
    r = ServiceRequest(
        client_id=inp.client_id, request_hash=inp.request_hash(), item_id=item.id,
        household_id=h.id, resident_id=inp.resident_id, grid_id=h.grid_id,
        township_id=h.township_id, department_id=item.department_id, channel=inp.channel,
        note=inp.note,
        at_home=item.home_for_key_groups and is_key_group(resident or h),
        status="REQUESTED", requester_id=caller.user_id, escalation_level=0, requested_at=now,
        due_at=deadline(now, item.time_limit_days, "WORKING_DAYS", cal),
        escalate2_at=deadline(now, 2 * item.time_limit_days, "WORKING_DAYS", cal))
    if (replayed := add_once(session, r, lambda: _replay_request(session, inp))) is not None:
        return replayed  # the same clientId committed meanwhile by a retry
    _record(session, r, "REQUEST", None, "REQUESTED", caller.user_id, now, inp.note,
            {"channel": inp.channel, "item": item.code})
    agent = caller.user_id if own_round else (
        tasks.least_loaded_agent(session, h.grid_id) if h.grid_id is not None else None)
    if agent is not None:
        _assign(session, r, agent, None, now, "routed to the grid's agent")
    if resident is not None:  # the reminder that asked for this is done
        for rem in session.scalars(select(Reminder.id).where(
                Reminder.resident_id == resident.id, Reminder.item_id == item.id)):
            tasks.close_tasks(session, "REMINDER", rem, "DONE", now)
    return r


def _assign(session: Session, r: ServiceRequest, agent_id: int, actor_id: int | None,
            now: datetime, note: str | None) -> None:
    after = SERVICES.apply(r.status, "ASSIGN", frozenset({"system"}))
    r.assignee_id = agent_id
    _move(session, r, "ASSIGN", after, actor_id, now, note, {"assignee": agent_id})
    _open_task(session, r, agent_id, now)


def _open_task(session: Session, r: ServiceRequest, agent_id: int, now: datetime,
               note: str | None = None) -> None:
    lon, lat = _home(session, r.household_id)
    tasks.open_task(session, "SERVICE_REQUEST", r.id, agent_id, r.due_at, now, r.township_id,
                    lon, lat, note)


def get_request(session: Session, caller: Caller, request_id: int) -> ServiceRequest | None:
    if caller.is_public:
        raise Unauthenticated("log in to see service requests")
    r = session.get(ServiceRequest, request_id)
    if r is None:
        return None
    if not sees(caller, r):
        raise Forbidden("this service request is outside your jurisdiction")
    return r


def _locked(session: Session, caller: Caller, request_id: int) -> ServiceRequest:
    if caller.is_public:
        raise Unauthenticated("log in to work on service requests")
    r = session.get(ServiceRequest, request_id, with_for_update=True)
    if r is None:
        raise NotFound(f"no service request {request_id}", "id")
    if not sees(caller, r):
        raise Forbidden("this service request is outside your jurisdiction")
    return r


def transition(session: Session, caller: Caller, request_id: int, action: str,
               note: str | None, now: datetime, scheduled_for: datetime | None = None
               ) -> ServiceRequest:
    """One step of the lifecycle, if the table allows it to this caller; the caller commits."""
    if action not in API_ACTIONS:
        raise BadInput(f"{action} is not taken here: visits are checkInVisit, reassignment "
                       "is assignTask", "action")
    r = _locked(session, caller, request_id)
    if note is not None and len(note) > MAX_NOTE:
        raise BadInput(f"note is over {MAX_NOTE} characters", "note")
    after = SERVICES.apply(r.status, action, relations(caller, r))
    if action in ("REJECT", "CANCEL") and not (note or "").strip():
        raise BadInput(f"say why the request is {'rejected' if action == 'REJECT' else 'cancelled'}",
                       "note")
    if action == "ASSIGN":
        agent = tasks.least_loaded_agent(session, r.grid_id) if r.grid_id else None
        if agent is None:
            raise BadInput("the household's grid has no agent: reassign the task by hand",
                           "id")
        _assign(session, r, agent, caller.user_id, now, note)
        return r
    data = None
    if action == "SCHEDULE":
        if scheduled_for is None or scheduled_for.tzinfo is None:
            raise BadInput("SCHEDULE needs scheduledFor, a time with its zone", "scheduledFor")
        r.scheduled_for = scheduled_for
        data = {"scheduledFor": scheduled_for.isoformat()}
    if action == "ESCALATE":
        r.escalation_level += 1
        data = {"level": r.escalation_level}
    _move(session, r, action, after, caller.user_id, now, note, data)
    if action == "DELIVER":
        tasks.close_tasks(session, "SERVICE_REQUEST", r.id, "DONE", now)
        if r.decided_at is not None and _approved(session, r):
            _renew(session, r, now)
    elif action in ("CANCEL", "CLOSE"):
        tasks.close_tasks(session, "SERVICE_REQUEST", r.id, "CANCELLED", now)
    return r


def _approved(session: Session, r: ServiceRequest) -> bool:
    return session.scalar(select(ServiceTransition.to_status)
                          .where(ServiceTransition.request_id == r.id,
                                 ServiceTransition.to_status.in_(("APPROVED", "REJECTED")))
                          .order_by(ServiceTransition.id.desc()).limit(1)) == "APPROVED"


def _renew(session: Session, r: ServiceRequest, now: datetime) -> None:
    """An approved item with a validity period renews the resident's qualification."""
    item = session.get(ServiceItem, r.item_id)
    if item.validity_days is None or r.resident_id is None:
        return
    until = now.astimezone(TZ).date() + timedelta(days=item.validity_days)
    q = session.scalar(select(Qualification).where(Qualification.resident_id == r.resident_id,
                                                   Qualification.item_id == item.id))
    if q is None:
        session.add(Qualification(resident_id=r.resident_id, item_id=item.id, expires_on=until))
    else:
        q.expires_on = until


def reassign(session: Session, caller: Caller, request_id: int, assignee_id: int,
             reason: str | None, now: datetime) -> None:
    """A dispatcher hands the request (and its task) to another agent (assignTask)."""
    r = _locked(session, caller, request_id)
    SERVICES.apply(r.status, "REASSIGN", relations(caller, r))
    if session.get(User, assignee_id) is None:
        raise NotFound(f"no user {assignee_id}", "assigneeId")
    if r.grid_id is not None and session.get(GridAgent, (r.grid_id, assignee_id)) is None \
            and not caller.district_wide:
        raise BadInput("the new assignee is not an agent of the household's grid",
                       "assigneeId")
    before = r.assignee_id
    r.assignee_id = assignee_id
    _record(session, r, "REASSIGN", r.status, r.status, caller.user_id, now, reason,
            {"before": before, "assignee": assignee_id})
    tasks.close_tasks(session, "SERVICE_REQUEST", r.id, "CANCELLED", now)
    _open_task(session, r, assignee_id, now, reason)


def evaluate(session: Session, caller: Caller, request_id: int, rating: str,
             comment: str | None, now: datetime) -> ServiceRequest:
    """The resident's rating (好差评), taken by the requester or the centre's call-back; once,
    after delivery. The agent who did the work does not rate himself."""
    if rating not in RATINGS:
        raise BadInput(f"rating is one of {', '.join(RATINGS)}", "rating")
    r = _locked(session, caller, request_id)
    rel = relations(caller, r)
    if "assignee" in rel or not rel & {"requester", "dispatcher", "supervisor", "admin"}:
        raise Forbidden("the resident's rating is recorded by the requester or the centre")
    if r.status not in ("DELIVERED", "CLOSED"):
        raise InvalidTransition(f"a request is evaluated once delivered; it is {r.status}",
                                "id")
    if r.evaluated_at is not None:
        raise InvalidTransition("this request has already been evaluated", "id")
    if comment is not None and len(comment) > MAX_NOTE:
        raise BadInput(f"comment is over {MAX_NOTE} characters", "comment")
    r.rating, r.rating_comment, r.evaluated_at = rating, comment, now
    _record(session, r, "EVALUATE", r.status, r.status, caller.user_id, now, comment,
            {"rating": rating})
    return r


@dataclass(frozen=True)
class RequestFilter:
    statuses: tuple[str, ...] = ()
    item_code: str | None = None
    township_id: int | None = None
    grid_id: int | None = None
    household_id: int | None = None
    overdue: bool | None = None
    requested_from: datetime | None = None
    requested_to: datetime | None = None


def list_requests(session: Session, caller: Caller, f: RequestFilter, now: datetime,
                  first: int | None, after: str | None, max_page: int) -> Page[ServiceRequest]:
    """Newest first."""
    if caller.is_public:
        raise Unauthenticated("log in to see service requests")
    R = ServiceRequest
    stmt = select(R).where(_scope(caller))
    if f.statuses:
        stmt = stmt.where(R.status.in_(f.statuses))
    if f.item_code:
        stmt = stmt.where(R.item_id.in_(select(ServiceItem.id)
                                        .where(ServiceItem.code == f.item_code)))
    if f.township_id is not None:
        if not caller.sees_township(f.township_id):
            raise Forbidden("townshipId is outside your jurisdiction")
        stmt = stmt.where(R.township_id == f.township_id)
    if f.grid_id is not None:
        stmt = stmt.where(R.grid_id == f.grid_id)
    if f.household_id is not None:
        stmt = stmt.where(R.household_id == f.household_id)
    if f.overdue is not None:
        stmt = stmt.where(_overdue_sql(now) if f.overdue else ~_overdue_sql(now))
    if f.requested_from is not None:
        stmt = stmt.where(R.requested_at >= f.requested_from)
    if f.requested_to is not None:
        stmt = stmt.where(R.requested_at < f.requested_to)
    return keyset_page(session, stmt, R.id, first, after, max_page, lambda r: r.id,
                       descending=True)


# --- visits ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckInInput:
    client_id: str
    request_id: int
    position: Position

    def request_hash(self) -> str:
        p = self.position
        body = [self.request_id, p.lon, p.lat, p.crs.value, p.accuracy_m, p.mocked]
        return hashlib.sha256(json.dumps(body).encode()).hexdigest()


def _replay_visit(session: Session, inp: CheckInInput) -> Visit | None:
    v = session.scalar(select(Visit).where(Visit.client_id == inp.client_id))
    if v is None:
        return None
    if v.request_hash != inp.request_hash():
        raise Conflict(f"clientId {inp.client_id} was already used for a different check-in",
                       "clientId")
    return v


def flag_reasons(distance_m: float, geofence_m: float, accuracy_m: float | None,
                 mocked: bool | None) -> list[str]:
    """Why a visit is not verified: farther than the geofence, a mocked position, or a fix
    too poor to tell (its accuracy radius wider than the geofence)."""
    reasons = []
    if distance_m > geofence_m:
        reasons.append("OUTSIDE_GEOFENCE")
    if mocked:
        reasons.append("MOCKED")
    if accuracy_m is not None and accuracy_m > geofence_m:
        reasons.append("POOR_ACCURACY")
    return reasons


def check_in(session: Session, caller: Caller, inp: CheckInInput, now: datetime,
             geofence_m: float) -> Visit:
    """The assigned agent checks in at the household: the geodesic distance to it is kept;
    beyond the geofence, mocked or too inaccurate, the visit is kept but flagged. The caller
    commits. Idempotent on clientId."""
    if caller.is_public:
        raise Unauthenticated("log in to check in")
    if (replayed := _replay_visit(session, inp)) is not None:
        return replayed
    r = _locked(session, caller, inp.request_id)
    lon, lat = inp.position.wgs84("position")
    after = SERVICES.apply(r.status, "VISIT", relations(caller, r))
    home = _home(session, r.household_id)
    distance = geodesic_m(lon, lat, *home)
    if not math.isfinite(distance) or distance > FAR_M:
        raise BadInput(f"the position is {distance / 1000:.1f} km from the household, far "
                       "outside the district: check the phone's location and its crs",
                       "position")
    p = inp.position
    reasons = flag_reasons(distance, geofence_m, p.accuracy_m, p.mocked)
    v = Visit(client_id=inp.client_id, request_hash=inp.request_hash(), request_id=r.id,
              household_id=r.household_id, grid_id=r.grid_id, township_id=r.township_id,
              agent_id=caller.user_id, at=now, lon=lon, lat=lat, orig_lon=p.lon,
              orig_lat=p.lat, orig_crs=p.crs.value, accuracy_m=p.accuracy_m, mocked=p.mocked,
              distance_m=distance, geofence_m=geofence_m, flagged=bool(reasons),
              flag_reasons=",".join(reasons) or None)
    if (replayed := add_once(session, v, lambda: _replay_visit(session, inp))) is not None:
        return replayed  # the same clientId committed meanwhile by a retry
    _move(session, r, "VISIT", after, caller.user_id, now, None,
          {"visit": v.id, "distanceM": round(distance, 1), "flags": reasons})
    return v


def list_flagged_visits(session: Session, caller: Caller, township_id: int | None,
                        since: datetime | None, first: int | None, after: str | None,
                        max_page: int) -> Page[Visit]:
    """Flagged visits for supervision, newest first: district roles all, dispatchers and
    inspectors their townships."""
    if caller.is_public:
        raise Unauthenticated("log in to see visits")
    if not (caller.district_wide or caller.roles & {"DISPATCHER", "INSPECTOR"}):
        raise Forbidden("flagged visits are for supervisors and the township centres")
    stmt = select(Visit).where(Visit.flagged == true())
    if not caller.district_wide:
        stmt = stmt.where(Visit.township_id.in_(caller.township_ids))
    if township_id is not None:
        if not caller.sees_township(township_id):
            raise Forbidden("townshipId is outside your jurisdiction")
        stmt = stmt.where(Visit.township_id == township_id)
    if since is not None:
        stmt = stmt.where(Visit.at >= since)
    return keyset_page(session, stmt, Visit.id, first, after, max_page, lambda v: v.id,
                       descending=True)


# --- escalation and reminders ---------------------------------------------------------------

def sweep(session: Session, now: datetime, limit: int | None = None) -> tuple[int, int]:
    """Escalate overdue requests as events are: at the time limit (level 1, the township
    supervision) and at twice it (level 2, the district), each exactly once; at most `limit`
    requests a level per call; the caller commits."""
    done = [0, 0]
    R = ServiceRequest
    for level, due in ((1, R.due_at), (2, R.escalate2_at)):
        rows = session.scalars(select(R).where(R.status.in_(OPEN), R.escalation_level < level,
                                               due <= now)
                               .order_by(R.id).limit(limit).with_for_update()).all()
        for r in rows:
            while r.escalation_level < level:
                SERVICES.apply(r.status, "ESCALATE", frozenset({"system"}))
                r.escalation_level += 1
                _move(session, r, "ESCALATE", r.status, None, now,
                      "overdue: escalated to the " + ("township supervision"
                                                      if r.escalation_level == 1
                                                      else "district"),
                      {"level": r.escalation_level})
                done[r.escalation_level - 1] += 1
    return done[0], done[1]


REMINDER_HOUR = time(8, 30)  # the task is due the morning the qualification expires


def remind(session: Session, now: datetime, days: int, limit: int | None = None) -> int:
    """Open a reminder task for the household's agent for every qualification that expires
    within `days` days from today (Linzi's date) and has none yet: exactly once per
    (resident, item, expiry date), whatever how often this runs (the unique key makes a
    concurrent second run fail rather than repeat). The caller commits."""
    if days < 0:
        raise BadInput("days must not be negative", "days")
    today = now.astimezone(TZ).date()
    Q = Qualification
    already = exists().where(Reminder.resident_id == Q.resident_id,
                             Reminder.item_id == Q.item_id,
                             Reminder.expires_on == Q.expires_on)
    rows = session.execute(
        select(Q.resident_id, Q.item_id, Q.expires_on, Resident.household_id, Resident.grid_id,
               Resident.township_id)
        .join(Resident, Resident.id == Q.resident_id)
        .where(Q.expires_on >= today, Q.expires_on <= today + timedelta(days=days), ~already)
        .order_by(Q.expires_on, Q.resident_id, Q.item_id).limit(limit)).all()
    if not rows:
        return 0
    # everything is read before anything is written: SQLite holds its write lock from the
    # first insert to the commit, so the batch's writes go in together
    hids = sorted({r.household_id for r in rows})
    homes = dict(zip(hids, geojson_by_ids(session, hids, Household), strict=True))
    agents = _agents_by_load(session, {r.grid_id for r in rows if r.grid_id is not None})
    made = []
    for row in rows:
        queue = agents.get(row.grid_id)
        agent = queue[len(made) % len(queue)] if queue else None
        rem = Reminder(resident_id=row.resident_id, item_id=row.item_id,
                       household_id=row.household_id, expires_on=row.expires_on,
                       assignee_id=agent, created_at=now)
        session.add(rem)
        made.append((rem, row))
    session.flush()
    for rem, row in made:
        if rem.assignee_id is not None:
            lon, lat = homes[row.household_id]["coordinates"]
            due = datetime.combine(row.expires_on, REMINDER_HOUR, TZ)
            tasks.open_task(session, "REMINDER", rem.id, rem.assignee_id, due, now,
                            row.township_id, lon, lat,
                            f"qualification expires on {row.expires_on.isoformat()}")
    return len(rows)


def _agents_by_load(session: Session, grid_ids: set[int]) -> dict[int, list[int]]:
    """Each grid's agents, least loaded (open tasks) first, in one query."""
    from backend.tasks.models import Task

    load = func.count(Task.id)
    out: dict[int, list[int]] = {}
    for grid_id, user_id, _n in session.execute(
            select(GridAgent.grid_id, GridAgent.user_id, load)
            .outerjoin(Task, and_(Task.assignee_id == GridAgent.user_id, Task.status == "OPEN"))
            .where(GridAgent.grid_id.in_(grid_ids))
            .group_by(GridAgent.grid_id, GridAgent.user_id)
            .order_by(GridAgent.grid_id, load, GridAgent.user_id)):
        out.setdefault(grid_id, []).append(user_id)
    return out


def reminders_by_ids(session: Session, ids: Sequence[int]) -> list[Reminder | None]:
    found = {r.id: r for r in session.scalars(select(Reminder).where(Reminder.id.in_(ids)))}
    return [found.get(i) for i in ids]


# --- coverage -------------------------------------------------------------------------------

@dataclass
class Coverage:
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


def coverage(session: Session, caller: Caller, *, agent_id: int | None = None,
             grid_id: int | None = None, township_id: int | None = None,
             now: datetime) -> Coverage:
    """Door-to-door coverage over one scope (an agent's grids and visits, a grid, a township,
    or the district when none is given): households (and key-group households) visited in
    the last 30 / 90 days; requests made in the last 90 days, delivered, delivered by their
    deadline, rated satisfied or basically satisfied; visits of the last 90 days and how
    many were flagged."""
    if caller.is_public:
        raise Unauthenticated("log in to see statistics")
    H, V, R = Household, Visit, ServiceRequest
    if agent_id is not None:
        grids = select(GridAgent.grid_id).where(GridAgent.user_id == agent_id)
        in_townships = caller.township_ids and session.scalar(
            select(func.count()).select_from(GridAgent).join(Grid, Grid.id == GridAgent.grid_id)
            .where(GridAgent.user_id == agent_id, Grid.township_id.in_(caller.township_ids)))
        if not (caller.district_wide or caller.user_id == agent_id or in_townships):
            raise Forbidden("that agent is outside your jurisdiction")
        h_scope = H.grid_id.in_(grids)
        v_scope = V.agent_id == agent_id
        r_scope = R.assignee_id == agent_id
    elif grid_id is not None:
        h_scope, v_scope, r_scope = H.grid_id == grid_id, V.grid_id == grid_id, \
            R.grid_id == grid_id
    elif township_id is not None:
        if not caller.sees_township(township_id):
            raise Forbidden("that township is outside your jurisdiction")
        h_scope, v_scope, r_scope = (H.township_id == township_id,
                                     V.township_id == township_id,
                                     R.township_id == township_id)
    else:
        if not caller.district_wide:
            raise Forbidden("district figures are for district roles")
        h_scope = v_scope = r_scope = true()
    key = or_(*(getattr(H, k) for k in KEY_GROUPS))
    since30, since90 = now - timedelta(days=30), now - timedelta(days=90)
    households, key_households = session.execute(
        select(func.count(), func.count().filter(key)).select_from(H).where(h_scope)).one()

    def visited(since: datetime, key_only: bool) -> int:
        stmt = (select(func.count(distinct(V.household_id)))
                .where(v_scope, V.at >= since, V.at <= now,
                       V.household_id.in_(select(H.id).where(h_scope,
                                                             key if key_only else true()))))
        return int(session.scalar(stmt) or 0)

    rq = session.execute(
        select(func.count(),
               func.count().filter(R.delivered_at.is_not(None)),
               func.count().filter(R.delivered_at.is_not(None), R.delivered_at <= R.due_at),
               func.count().filter(R.rating.is_not(None)),
               func.count().filter(R.rating.in_(("SATISFIED", "BASICALLY_SATISFIED"))))
        .where(r_scope, R.requested_at >= since90, R.requested_at <= now)).one()
    visits, flagged = session.execute(
        select(func.count(), func.count().filter(V.flagged == true()))
        .where(v_scope, V.at >= since90, V.at <= now)).one()
    return Coverage(
        households=households, key_group_households=key_households,
        visited_30d=visited(since30, False), visited_90d=visited(since90, False),
        key_group_visited_30d=visited(since30, True),
        key_group_visited_90d=visited(since90, True),
        requests=rq[0], delivered=rq[1], delivered_on_time=rq[2],
        on_time_rate=rq[2] / rq[1] if rq[1] else None, evaluated=rq[3],
        satisfaction_rate=rq[4] / rq[3] if rq[3] else None,
        visits=visits, flagged_visits=flagged)
