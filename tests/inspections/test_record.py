"""recordInspection: on site (geofence) and remote (device evidence), one record per
assignment, assigned inspectors only, idempotency; violations → rectification, follow-up task,
credit record; publishedInspections."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import Engine, select

from backend.auth.models import User
from backend.db.engine import make_sessionmaker
from backend.inspections.models import (
    CreditRecord,
    Inspection,
    InspectionAssignment,
    InspectionTarget,
    Rectification,
)
from tests.conftest import Api, Clock, codes
from tests.inspections.conftest import World
from tests.inspections.helpers import RECORD, count, drawn_plan, pk, record_input

PUBLISHED = """query($first: Int, $after: String) { publishedInspections(first: $first,
  after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node {
  targetName targetCategory townshipName date result rectificationStatus planName
  departmentName } } } }"""
MY_TASKS = """{ myTasks { edges { node { kind dueAt subject { __typename
  ... on InspectionAssignment { id kind targetCode } } } } } }"""


def _username(engine: Engine, code: str) -> str:
    with make_sessionmaker(engine)() as s:
        from backend.inspections.models import Inspector

        return s.scalar(select(User.username).join(Inspector, Inspector.user_id == User.id)
                        .where(Inspector.code == code))


def _target(engine: Engine, code: str) -> InspectionTarget:
    with make_sessionmaker(engine)() as s:
        t = s.scalar(select(InspectionTarget).where(InspectionTarget.code == code))
        s.expunge(t)
        return t


def record(api: Api, user: str, inp: dict) -> dict:
    r = api.post(RECORD, {"i": inp}, as_user=user)
    assert "errors" not in r, r
    return r["data"]["recordInspection"]


def _first(plan: dict, engine: Engine) -> tuple[dict, str, str]:
    a = plan["assignments"][0]
    return a, _username(engine, a["inspectorCodes"][0]), _username(engine, a["inspectorCodes"][1])


def test_on_site_inspection_records_the_geofence(api: Api, world: World,
                                                engine: Engine) -> None:
    plan = drawn_plan(api)
    a, inspector, _ = _first(plan, engine)
    t = _target(engine, a["targetCode"])
    near = record(api, inspector, record_input(a["id"], position={
        "lon": t.lon + 0.0003, "lat": t.lat, "accuracyM": 10}))
    assert near["errors"] == []
    i = near["inspection"]
    assert i["mode"] == "ON_SITE" and i["result"] == "PASS" and not i["outsideGeofence"]
    assert 20 < i["distanceM"] < 35  # 0.0003 deg of longitude at 36.8 N is about 26.8 m
    assert near["rectification"] is None and near["followUp"] is None

    b, inspector_b, _ = plan["assignments"][1], None, None
    inspector_b = _username(engine, b["inspectorCodes"][1])
    tb = _target(engine, b["targetCode"])
    far = record(api, inspector_b, record_input(b["id"], result="ISSUES", position={
        "lon": tb.lon, "lat": tb.lat + 0.002, "mocked": True}))["inspection"]
    assert far["outsideGeofence"] and 200 < far["distanceM"] < 240 and far["mocked"]


def test_one_record_per_assignment_idempotent_on_client_id(api: Api, world: World,
                                                          engine: Engine) -> None:
    plan = drawn_plan(api)
    a, first, second = _first(plan, engine)
    t = _target(engine, a["targetCode"])
    inp = record_input(a["id"], position={"lon": t.lon, "lat": t.lat})
    done = record(api, first, inp)["inspection"]
    before = count(engine, Inspection)
    retried = record(api, first, inp)
    assert retried["inspection"]["id"] == done["id"]  # a retry
    assert retried["inspection"] == done  # the first answer in full
    assert count(engine, Inspection) == before
    changed = record(api, first, {**inp, "result": "ISSUES"})
    assert [e["code"] for e in changed["errors"]] == ["CONFLICT"]
    other = record(api, second, record_input(a["id"], position={"lon": t.lon, "lat": t.lat}))
    assert [e["code"] for e in other["errors"]] == ["INVALID_TRANSITION"]
    assert "one record per assignment" in other["errors"][0]["message"]
    assert count(engine, Inspection) == before


def test_an_inspector_not_assigned_cannot_record(api: Api, world: World,
                                                engine: Engine) -> None:
    plan = drawn_plan(api)
    a = plan["assignments"][0]
    outsider = next(u for u in world.scj
                    if u not in {_username(engine, c) for c in a["inspectorCodes"]})
    before = count(engine, Inspection), count(engine, InspectionAssignment)
    r = api.post(RECORD, {"i": record_input(a["id"], position={"lon": 118.31, "lat": 36.81})},
                 as_user=outsider)
    assert codes(r) == ["FORBIDDEN"] and "assigned" in r["errors"][0]["message"]
    assert (count(engine, Inspection), count(engine, InspectionAssignment)) == before


def _kitchen_plan(api: Api) -> dict:
    return drawn_plan(api, population={"categories": ["SCHOOL_KITCHEN"]}, sampleSize=3)


def test_remote_inspection_with_the_targets_own_camera(api: Api, world: World, engine: Engine,
                                                      clock: Clock) -> None:
    plan = _kitchen_plan(api)
    a, inspector, _ = _first(plan, engine)
    device = next(d for d, t in world.device_target.items() if t == a["targetCode"])
    at = (clock.now - timedelta(minutes=3)).isoformat()
    r = record(api, inspector, record_input(a["id"], mode="REMOTE", evidence={
        "deviceCode": device, "kind": "SNAPSHOT", "reference": "oss://kitchen/1.jpg", "at": at}))
    assert r["errors"] == []
    ev = r["inspection"]["evidence"]
    assert r["inspection"]["mode"] == "REMOTE" and ev["kind"] == "SNAPSHOT"
    assert ev["reference"] == "oss://kitchen/1.jpg" and r["inspection"]["distanceM"] is None


def test_remote_evidence_from_another_targets_device_is_refused(
        api: Api, world: World, engine: Engine, clock: Clock) -> None:
    plan = _kitchen_plan(api)
    a, inspector, _ = _first(plan, engine)
    foreign = next(d for d, t in world.device_target.items() if t != a["targetCode"])
    before = count(engine, Inspection), count(engine, CreditRecord)
    r = record(api, inspector, record_input(a["id"], mode="REMOTE", result="VIOLATION",
                                            evidence={"deviceCode": foreign, "kind": "READING",
                                                      "value": 12.5,
                                                      "at": clock.now.isoformat()}))
    assert r["inspection"] is None and [e["code"] for e in r["errors"]] == ["BAD_INPUT"]
    assert "belongs to another target" in r["errors"][0]["message"]
    assert (count(engine, Inspection), count(engine, CreditRecord)) == before
    assert count(engine, InspectionAssignment, InspectionAssignment.status == "DONE",
                 InspectionAssignment.id == pk(a["id"])) == 0


def test_bad_record_inputs(api: Api, world: World, engine: Engine, clock: Clock) -> None:
    plan = _kitchen_plan(api)
    a, inspector, _ = _first(plan, engine)
    own = next(d for d, t in world.device_target.items() if t == a["targetCode"])
    future = (clock.now + timedelta(hours=1)).isoformat()
    for extra, field in (({}, "position"),
                         ({"mode": "REMOTE"}, "evidence"),
                         ({"mode": "REMOTE", "evidence": {"deviceCode": own, "kind": "READING",
                                                          "at": clock.now.isoformat()}},
                          "evidence.value"),
                         ({"mode": "REMOTE", "evidence": {"deviceCode": own, "kind": "VIDEO",
                                                          "reference": "v", "at": future}},
                          "evidence.at"),
                         ({"mode": "REMOTE", "evidence": {"deviceCode": "nope", "kind": "VIDEO",
                                                          "reference": "v",
                                                          "at": clock.now.isoformat()}},
                          "evidence.deviceCode"),
                         ({"items": [], "position": {"lon": 118.31, "lat": 36.81}}, "items"),
                         ({"position": {"lon": 118.31, "lat": 96.81}}, "position")):
        r = record(api, inspector, record_input(a["id"], **extra))
        assert r["inspection"] is None and r["errors"][0]["field"] == field, (extra, r)
    # a time without its zone: refused by the DateTime scalar, naming the field
    naive = {"deviceCode": own, "kind": "VIDEO", "reference": "v", "at": "2026-11-23T08:00:00"}
    r = api.post(RECORD, {"i": record_input(a["id"], mode="REMOTE", evidence=naive)},
                 as_user=inspector)
    assert codes(r) == ["BAD_INPUT"] and "evidence.at" in r["errors"][0]["message"], r
    assert count(engine, Inspection, Inspection.assignment_id == pk(a["id"])) == 0


def test_violation_rectification_follow_up_and_credit(api: Api, world: World,
                                                     engine: Engine, clock: Clock) -> None:
    plan = drawn_plan(api, population={"categories": ["RESTAURANT"]}, sampleSize=2)
    a, inspector, _ = _first(plan, engine)
    t = _target(engine, a["targetCode"])
    here = {"lon": t.lon, "lat": t.lat}
    r = record(api, inspector, record_input(
        a["id"], position=here, result="VIOLATION",
        items=[{"item": "后厨卫生", "finding": "生熟不分", "ok": False}],
        violation={"type": "食品安全违法", "points": -10, "rectifyWorkingDays": 5}))
    assert r["errors"] == []
    rect, follow = r["rectification"], r["followUp"]
    assert rect["status"] == "OPEN" and rect["closedAt"] is None
    assert follow["kind"] == "FOLLOW_UP" and follow["status"] == "OPEN"
    assert follow["dueAt"] == rect["deadline"] and follow["targetCode"] == t.code
    credit = r["inspection"]["target"]["creditRecords"]
    assert {"type": "食品安全违法", "points": -10,
            "source": f"inspection:{pk(r['inspection']['id'])}"
            } in credit
    # the follow-up is in the inspector's inbox
    tasks = api.post(MY_TASKS, as_user=inspector)["data"]["myTasks"]["edges"]
    assert any(e["node"]["subject"] and e["node"]["subject"]["id"] == follow["id"]
               for e in tasks)

    # not yet put right: the rectification stays open, another follow-up is due
    clock.advance(days=3)
    still = record(api, inspector, record_input(follow["id"], position=here, result="ISSUES"))
    assert still["rectification"]["status"] == "OPEN" and still["followUp"]["id"] != follow["id"]
    with make_sessionmaker(engine)() as s:
        assert s.scalar(select(Rectification.status)
                        .where(Rectification.target_id == t.id)) == "OPEN"
    # a passing follow-up closes it
    clock.advance(days=2)
    closed = record(api, inspector, record_input(still["followUp"]["id"], position=here))
    assert closed["rectification"]["status"] == "CLOSED"
    assert closed["rectification"]["closedAt"] is not None and closed["followUp"] is None

    page = api.post(PUBLISHED, {"first": 100})["data"]["publishedInspections"]
    mine = [e["node"] for e in page["edges"] if e["node"]["targetName"] == t.name]
    assert mine and mine[0]["result"] == "VIOLATION" and mine[0]["rectificationStatus"] == \
        "CLOSED"
    assert mine[0]["departmentName"] == "临淄区市场监督管理局"


def test_published_inspections_are_public_and_hold_nothing_personal(
        api: Api, world: World, engine: Engine) -> None:
    plan = drawn_plan(api)
    for a in plan["assignments"][:3]:
        t = _target(engine, a["targetCode"])
        record(api, _username(engine, a["inspectorCodes"][0]),
               record_input(a["id"], position={"lon": t.lon, "lat": t.lat}))
    pages, after = [], None
    while True:
        r = api.post(PUBLISHED, {"first": 50, "after": after})  # no login
        assert "errors" not in r, r
        p = r["data"]["publishedInspections"]
        pages.append(p)
        if not p["pageInfo"]["hasNextPage"]:
            break
        after = p["pageInfo"]["endCursor"]
    assert sum(len(p["edges"]) for p in pages) == pages[0]["totalCount"] >= 3
    dates = [e["node"]["date"] for p in pages for e in p["edges"]]
    assert dates == sorted(dates, reverse=True)
    text = json.dumps(pages, ensure_ascii=False)
    with make_sessionmaker(engine)() as s:
        people = s.execute(select(User.name, User.phone, User.username)).all()
    for name, phone, username in people:
        assert name not in text and username not in text
        assert phone is None or phone not in text
    assert not re.search(r"1[3-9]\d{9}", text)  # no phone number at all
