"""The demo's inspections (scale 0.05): every drawn plan verifies, the public results leak no
personal data, targets list without N+1 and within the caller's jurisdiction."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backend.areas.models import Household, Township, Village
from backend.auth.models import User
from backend.inspections import draw
from backend.inspections.models import InspectionPlan
from tests.conftest import Api, StatementCounter, codes

PUBLISHED = """query($after: String) { publishedInspections(first: 100, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { targetName
  targetCategory townshipName date result rectificationStatus planName departmentName } } } }"""
TARGETS = """query($f: TargetFilter, $after: String) { inspectionTargets(filter: $f, first: 50,
  after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id code name
  category riskLevel location gridCode township { code name } devices { code kind }
  creditRecords { type points date source } } } } }"""


def test_every_drawn_demo_plan_verifies(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        plans = list(s.scalars(select(InspectionPlan)))
    drawn = [p for p in plans if p.status == "DRAWN"]
    assert len(drawn) >= 20 and any(p.status == "CREATED" for p in plans)
    for p in drawn:
        assert draw.verify(json.loads(p.document)) == [], p.name


def test_public_results_leak_nothing_personal(demo_api: Api, demo_engine: Engine) -> None:
    pages, after = [], None
    while True:
        r = demo_api.post(PUBLISHED, {"after": after})  # no login
        assert "errors" not in r, r
        page = r["data"]["publishedInspections"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    rows = [e["node"] for p in pages for e in p["edges"]]
    assert len(rows) == pages[0]["totalCount"] >= 50
    assert {r["result"] for r in rows} == {"PASS", "ISSUES", "VIOLATION"}
    assert "CLOSED" in {r["rectificationStatus"] for r in rows}
    text = json.dumps(pages, ensure_ascii=False)
    with Session(demo_engine) as s:
        people = s.execute(select(User.name, User.phone, User.username)).all()
        residents = s.execute(select(Household.head_name, Household.id_number,
                                     Household.phone)).all()
        places = " ".join(s.scalars(select(Township.name))) + " ".join(
            s.scalars(select(Village.name)))
    # a two-character name may also be a place's (金山 the person, 金山镇 the town)
    secrets = {v for row in [*people, *residents] for v in row
               if v and len(v) >= 2 and v not in places}
    assert len(secrets) > 1000
    leaked = sorted(v for v in secrets if v in text)
    assert leaked == []


def _statements(api: Api, engine: Engine, first: int) -> tuple[int, dict]:
    counter = StatementCounter(engine)
    try:
        r = api.post(TARGETS.replace("first: 50", f"first: {first}"), {}, as_user="supervisor")
    finally:
        counter.close()
    assert "errors" not in r, r
    return counter.n, r["data"]["inspectionTargets"]


def test_targets_are_listed_without_n_plus_1(demo_api: Api, demo_engine: Engine) -> None:
    demo_api.token("supervisor")
    _statements(demo_api, demo_engine, 1)  # the caller is loaded once, then cached per worker
    few, _ = _statements(demo_api, demo_engine, 2)
    many, page = _statements(demo_api, demo_engine, 50)
    assert len(page["edges"]) == 50 and page["totalCount"] >= 150
    assert any(e["node"]["devices"] for e in page["edges"])
    # the page, the count, then one batch per field: townships, grids, devices, credit
    # records, whatever the page size
    assert many == few <= 7, (few, many)


def test_an_inspector_sees_the_targets_of_their_townships(demo_api: Api,
                                                         demo_engine: Engine) -> None:
    from backend.areas.models import Township
    from backend.auth.models import UserTownship

    with Session(demo_engine) as s:
        uid = s.scalar(select(User.id).where(User.username == "inspector-scj-1"))
        mine = set(s.scalars(select(Township.code).join(
            UserTownship, UserTownship.township_id == Township.id)
            .where(UserTownship.user_id == uid)))
        other = s.scalar(select(Township.id).where(Township.code.not_in(mine)).limit(1))
    seen, after = set(), None
    while True:
        r = demo_api.post(TARGETS, {"after": after}, as_user="inspector-scj-1")
        page = r["data"]["inspectionTargets"]
        seen |= {e["node"]["township"]["code"] for e in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen and seen <= mine
    from backend.api.relay import to_global_id

    r = demo_api.post(TARGETS, {"f": {"townshipIds": [to_global_id("Township", other)]}},
                      as_user="inspector-scj-1")
    assert codes(r) == ["FORBIDDEN"]
    assert codes(demo_api.post(TARGETS, {})) == ["UNAUTHENTICATED"]


def test_published_inspections_without_n_plus_1(demo_api: Api, demo_engine: Engine) -> None:
    def statements(first: int) -> int:
        counter = StatementCounter(demo_engine)
        try:
            r = demo_api.post(PUBLISHED.replace("first: 100", f"first: {first}"), {})
        finally:
            counter.close()
        assert len(r["data"]["publishedInspections"]["edges"]) == first
        return counter.n

    # the page, then one batch each for targets, townships, plans, departments, rectifications
    assert statements(3) == statements(50) <= 8
