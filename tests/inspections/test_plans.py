"""createInspectionPlan / drawInspectionPlan / inspectionPlan over GraphQL, and the published
document recomputed by `wangge verify-draw`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from backend.cli import app
from backend.inspections import draw as core
from backend.inspections.models import InspectionAssignment, InspectionPlan
from backend.tasks.models import Task
from tests.conftest import Api, codes
from tests.inspections.conftest import World, commitment
from tests.inspections.helpers import (
    CREATE,
    DRAW,
    PLAN,
    count,
    create,
    draw,
    pk,
    plan_input,
)

SEED = "0123456789abcdef0123456789abcdef"
# draw_targets(SEED, [Target(f"T{n:03d}", "ABCD"[n % 4]) for n in 1..60 if n % 5 < 3], 5):
# the same on SpatiaLite and PostGIS, because nothing of the database enters the draw but
# the frozen list of [code, risk].
EXPECTED_DRAWN = ["T032", "T057", "T056", "T021", "T005"]


def test_plan_publishes_population_and_commitment_then_draws_verifiably(
        api: Api, world: World, engine: Engine, tmp_path: Path) -> None:
    inp = plan_input(SEED, population={"categories": ["RESTAURANT", "SCHOOL_KITCHEN",
                                                      "FOOD_SHOP"]})
    p = create(api, inp)
    assert p["errors"] == []
    plan = p["plan"]
    assert plan["status"] == "CREATED" and plan["seed"] is None and plan["assignments"] == []
    assert plan["seedCommitment"] == commitment(SEED) and plan["populationSize"] == 36
    doc = json.loads(plan["document"])
    assert doc["seed"] is None and doc["drawn"] is None
    assert doc["populationHash"] == plan["populationHash"] == core.population_hash(
        core.Target(c, r) for c, r in doc["population"])
    assert doc["inspectors"] == [f"SCJ-{k:03d}" for k in range(1, 7)]
    assert ["SCJ-001", "T001"] in doc["conflicts"]

    # anyone (no login) reads the plan before the draw
    public = api.post(PLAN, {"id": plan["id"]})["data"]["inspectionPlan"]
    assert public["seedCommitment"] == commitment(SEED) and public["seed"] is None

    d = draw(api, plan["id"], SEED)
    assert d["errors"] == []
    drawn = d["plan"]
    assert drawn["status"] == "DRAWN" and drawn["seed"] == SEED
    assert [a["targetCode"] for a in drawn["assignments"]] == EXPECTED_DRAWN
    for a in drawn["assignments"]:
        assert len(set(a["inspectorCodes"])) == 2 and a["status"] == "OPEN"
    doc = json.loads(api.post(PLAN, {"id": plan["id"]})["data"]["inspectionPlan"]["document"])
    assert doc["drawn"] == EXPECTED_DRAWN and core.verify(doc) == []
    assert {t: a for t, a in doc["assignments"].items()} == {
        a["targetCode"]: a["inspectorCodes"] for a in drawn["assignments"]}
    # every inspector on a drawn target has an inspection task
    assert count(engine, Task, Task.kind == "INSPECTION", Task.subject_id.in_(
        [pk(a["id"])
         for a in drawn["assignments"]])) == 2 * len(EXPECTED_DRAWN)

    # the document as published verifies offline, and a tampered one does not
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(app, ["verify-draw", str(path)])
    assert r.exit_code == 0 and "verified" in r.output
    doc["drawn"] = list(reversed(doc["drawn"]))
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert CliRunner().invoke(app, ["verify-draw", str(path)]).exit_code == 1


def test_a_seed_that_does_not_match_draws_nothing(api: Api, world: World,
                                                  engine: Engine) -> None:
    plan = create(api, plan_input("the-real-seed-0001"))["plan"]
    before = count(engine, InspectionAssignment)
    d = draw(api, plan["id"], "another-seed")
    assert d["plan"] is None and [e["code"] for e in d["errors"]] == ["BAD_INPUT"]
    assert "commitment" in d["errors"][0]["message"]
    assert count(engine, InspectionAssignment) == before
    after = api.post(PLAN, {"id": plan["id"]})["data"]["inspectionPlan"]
    assert after["status"] == "CREATED" and after["seed"] is None


def test_an_overlong_seed_is_refused(api: Api, world: World) -> None:
    seed = "s" * 201
    plan = create(api, plan_input(seed))["plan"]
    d = draw(api, plan["id"], seed)
    assert [e["field"] for e in d["errors"]] == ["seed"]


def test_a_plan_is_drawn_once(api: Api, world: World, engine: Engine) -> None:
    seed = uuid.uuid4().hex
    plan = create(api, plan_input(seed))["plan"]
    assert draw(api, plan["id"], seed)["errors"] == []
    before = count(engine, InspectionAssignment), count(engine, Task)
    again = draw(api, plan["id"], seed)
    assert [e["code"] for e in again["errors"]] == ["INVALID_TRANSITION"]
    assert "drawn once" in again["errors"][0]["message"]
    assert (count(engine, InspectionAssignment), count(engine, Task)) == before


def test_a_sample_larger_than_the_population(api: Api, world: World, engine: Engine) -> None:
    before = count(engine, InspectionPlan)
    r = create(api, plan_input("s", population={"categories": ["PHARMACY"]}, sampleSize=13))
    assert [e["code"] for e in r["errors"]] == ["BAD_INPUT"] and r["plan"] is None
    assert r["errors"][0]["message"] == "a sample of 13 is larger than the population of 12"
    assert count(engine, InspectionPlan) == before
    # a ratio is rounded up
    ok = create(api, plan_input("s", population={"categories": ["PHARMACY"]}, sampleSize=None,
                                sampleRatio=0.1))
    assert ok["errors"] == [] and ok["plan"]["sampleSize"] == 2


def test_fewer_eligible_inspectors_than_needed_names_the_shortfall(
        api: Api, world: World, engine: Engine) -> None:
    before = count(engine, InspectionPlan)
    r = create(api, plan_input("s", departmentCode="ZJJ", inspectorsPerTarget=3))
    assert [e["code"] for e in r["errors"]] == ["BAD_INPUT"]
    assert "needs 3 inspectors" in r["errors"][0]["message"]
    assert "has 2: 1 short" in r["errors"][0]["message"]
    assert count(engine, InspectionPlan) == before


def test_too_few_eligible_for_a_drawn_target_fails_the_draw(api: Api, world: World,
                                                           engine: Engine) -> None:
    """Two ZJJ inspectors, one of them in conflict with every drawn target: the draw names
    the targets and the shortfall and writes nothing."""
    from sqlalchemy import select

    from backend.auth.models import User
    from backend.db.engine import make_sessionmaker
    from backend.inspections import service
    from backend.inspections.models import InspectionTarget

    with make_sessionmaker(engine)() as s:
        uid = s.scalar(select(User.id).where(User.username == "ins-zjj-2"))
        for code in ("T020", "T040", "T060"):  # the RESTAURANTs of risk A
            t = s.scalar(select(InspectionTarget).where(InspectionTarget.code == code))
            service.declare_conflict(s, uid, t.id, "曾在该店任职")
        s.commit()
    seed = uuid.uuid4().hex
    plan = create(api, plan_input(seed, departmentCode="ZJJ", sampleSize=2,
                                  population={"categories": ["RESTAURANT"],
                                              "riskLevels": ["A"]}))["plan"]
    assert plan is not None
    before = count(engine, InspectionAssignment)
    d = draw(api, plan["id"], seed)
    assert [e["code"] for e in d["errors"]] == ["BAD_INPUT"]
    msg = d["errors"][0]["message"]
    assert d["plan"] is None and msg.count("needs 2 inspectors, 1 eligible") == 2, msg
    assert count(engine, InspectionAssignment) == before


def test_create_is_idempotent_on_client_id(api: Api, world: World, engine: Engine) -> None:
    inp = plan_input("idem")
    first = create(api, inp)["plan"]
    before = count(engine, InspectionPlan)
    again = create(api, inp)["plan"]
    assert again["id"] == first["id"] and count(engine, InspectionPlan) == before
    assert again == first  # the first answer in full
    other = create(api, {**inp, "sampleSize": 6})
    assert [e["code"] for e in other["errors"]] == ["CONFLICT"]


def test_who_plans_and_draws(api: Api, world: World) -> None:
    r = api.post(CREATE, {"i": plan_input("x")})
    assert codes(r) == ["UNAUTHENTICATED"]
    r = api.post(CREATE, {"i": plan_input("x")}, as_user="ins-scj-1")
    assert codes(r) == ["FORBIDDEN"]
    plan = create(api, plan_input("x"))["plan"]
    assert codes(api.post(DRAW, {"id": plan["id"], "s": "x"}, as_user="clerk")) == ["FORBIDDEN"]


def test_bad_plan_inputs(api: Api, world: World) -> None:
    for extra, field in (({"seedCommitment": "abc"}, "seedCommitment"),
                         ({"inspectorsPerTarget": 1}, "inspectorsPerTarget"),
                         ({"sampleSize": 0}, "sampleSize"),
                         ({"sampleRatio": 0.5}, "sampleSize"),
                         ({"items": []}, "items"),
                         ({"departmentCode": "NOPE"}, "departmentCode"),
                         ({"riskWeights": [{"level": "A", "weight": -1}]}, "riskWeights")):
        r = create(api, plan_input("x", **extra))
        assert r["plan"] is None and r["errors"][0]["field"] == field, (extra, r)
    # a time without its zone is refused by the DateTime scalar, as every malformed value is:
    # a top-level BAD_INPUT naming the input's field
    r = api.post(CREATE, {"i": plan_input("x", dueAt="2026-12-01T17:00:00")}, as_user="admin")
    assert codes(r) == ["BAD_INPUT"] and "dueAt" in r["errors"][0]["message"], r


def test_drawn_assignments_are_in_the_inspectors_inbox_and_nodes(api: Api, world: World,
                                                                 engine: Engine) -> None:
    from tests.inspections.helpers import drawn_plan

    plan = drawn_plan(api, sampleSize=2)
    a = plan["assignments"][0]
    from sqlalchemy import select

    from backend.auth.models import User
    from backend.db.engine import make_sessionmaker
    from backend.inspections.models import Inspector

    with make_sessionmaker(engine)() as s:
        user = s.scalar(select(User.username).join(Inspector, Inspector.user_id == User.id)
                        .where(Inspector.code == a["inspectorCodes"][0]))
    q = """{ myTasks(first: 100) { edges { node { kind location subject { __typename
      ... on InspectionAssignment { id kind targetCode inspectorCodes } } } } } }"""
    tasks = [e["node"] for e in api.post(q, as_user=user)["data"]["myTasks"]["edges"]]
    mine = [t for t in tasks if t["subject"] and t["subject"].get("id") == a["id"]]
    assert len(mine) == 1 and mine[0]["kind"] == "INSPECTION" and mine[0]["location"]
    assert mine[0]["subject"]["inspectorCodes"] == a["inspectorCodes"]

    node = """query($id: ID!) { node(id: $id) { id ... on InspectionPlan { status seed }
      ... on InspectionAssignment { targetCode } } }"""
    assert api.post(node, {"id": plan["id"]})["data"]["node"]["seed"] == plan["seed"]
    assert codes(api.post(node, {"id": a["id"]})) == ["UNAUTHENTICATED"]
    assert api.post(node, {"id": a["id"]}, as_user=user)["data"]["node"]["targetCode"] == \
        a["targetCode"]


def test_an_inspection_task_is_not_reassigned(api: Api, world: World, engine: Engine) -> None:
    from sqlalchemy import select

    from backend.api.relay import to_global_id
    from backend.auth.models import User
    from backend.db.engine import make_sessionmaker
    from tests.inspections.helpers import drawn_plan

    plan = drawn_plan(api, sampleSize=1)
    with make_sessionmaker(engine)() as s:
        task_id = s.scalar(select(Task.id).where(
            Task.kind == "INSPECTION", Task.status == "OPEN",
            Task.subject_id == pk(plan["assignments"][0]["id"])).limit(1))
        other = s.scalar(select(User.id).where(User.username == "admin"))
        before = s.scalar(select(Task.assignee_id).where(Task.id == task_id))
    r = api.post("""mutation($id: ID!, $to: ID!) { assignTask(id: $id, assigneeId: $to,
      reason: "busy") { task { id } errors { code message } } }""",
                 {"id": to_global_id("Task", task_id), "to": to_global_id("User", other)},
                 as_user="admin")["data"]["assignTask"]
    assert [e["code"] for e in r["errors"]] == ["INVALID_TRANSITION"]
    assert "published draw" in r["errors"][0]["message"]
    with make_sessionmaker(engine)() as s:
        assert s.scalar(select(Task.assignee_id).where(Task.id == task_id)) == before
        assert s.scalar(select(Task.status).where(Task.id == task_id)) == "OPEN"
