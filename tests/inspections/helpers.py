"""Shared GraphQL for the inspection tests."""

from __future__ import annotations

import base64
import uuid

from sqlalchemy import Engine, func, select

from backend.db.engine import make_sessionmaker
from tests.conftest import Api
from tests.inspections.conftest import commitment

PLAN_FIELDS = """id name status sampleSize inspectorsPerTarget populationSize populationHash
  seedCommitment seed document department { code }
  assignments { id seq kind status targetCode targetName inspectorCodes }"""
CREATE = f"""mutation($i: InspectionPlanInput!) {{ createInspectionPlan(input: $i) {{
  plan {{ {PLAN_FIELDS} }} errors {{ field code message }} }} }}"""
DRAW = f"""mutation($id: ID!, $s: String!) {{ drawInspectionPlan(id: $id, seed: $s) {{
  plan {{ {PLAN_FIELDS} }} errors {{ field code message }} }} }}"""
PLAN = f"query($id: ID!) {{ inspectionPlan(id: $id) {{ {PLAN_FIELDS} }} }}"
RECORD = """mutation($i: RecordInspectionInput!) { recordInspection(input: $i) {
  inspection { id mode result distanceM outsideGeofence mocked items { item finding ok }
    evidence { kind reference value at } target { code creditRecords { type points source } }
    rectification { status deadline } }
  rectification { status deadline closedAt }
  followUp { id kind status dueAt inspectorCodes targetCode }
  errors { field code message } } }"""


def plan_input(seed: str, **extra: object) -> dict:
    i = {"clientId": str(uuid.uuid4()), "name": "2026年第四季度食品经营双随机抽查",
         "departmentCode": "SCJ", "items": ["证照公示", "从业人员健康证", "后厨卫生"],
         "seedCommitment": commitment(seed), "population": {"townshipIds": []},
         "sampleSize": 5}
    i.update(extra)
    return i


def create(api: Api, inp: dict, user: str = "admin") -> dict:
    r = api.post(CREATE, {"i": inp}, as_user=user)
    assert "errors" not in r, r
    return r["data"]["createInspectionPlan"]


def draw(api: Api, plan_id: str, seed: str, user: str = "admin") -> dict:
    r = api.post(DRAW, {"id": plan_id, "s": seed}, as_user=user)
    assert "errors" not in r, r
    return r["data"]["drawInspectionPlan"]


def drawn_plan(api: Api, seed: str | None = None, **extra: object) -> dict:
    seed = seed or uuid.uuid4().hex
    p = create(api, plan_input(seed, **extra))
    assert p["errors"] == [], p
    d = draw(api, p["plan"]["id"], seed)
    assert d["errors"] == [], d
    return d["plan"]


def record_input(assignment_id: str, **extra: object) -> dict:
    i = {"clientId": str(uuid.uuid4()), "assignmentId": assignment_id, "mode": "ON_SITE",
         "result": "PASS", "items": [{"item": "证照公示", "finding": "齐全", "ok": True}]}
    i.update(extra)
    return i


def pk(gid: str) -> int:
    """The primary key behind a global id."""
    return int(base64.b64decode(gid).decode().split(":")[1])


def count(engine: Engine, model: type, *where: object) -> int:
    with make_sessionmaker(engine)() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))
