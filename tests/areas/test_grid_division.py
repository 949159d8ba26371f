"""Dividing and re-dividing villages into grids: through the `divideGrids` mutation and
`wangge divide`, on a database of its own (the small fixture), and as a dry run over the
demo district. Unchanged grids keep their rows and codes, nobody is orphaned, a second run
changes nothing, and a dry run or a bad input writes nothing."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select

from backend.api.relay import to_global_id
from backend.areas.models import Grid, GridAgent, Household, Township, Village
from backend.auth.models import User
from backend.auth.service import add_user
from backend.db.engine import make_sessionmaker
from fixtures import small
from tests.areas.test_imports import (
    IMPORT_HOUSEHOLDS,
    IMPORT_VILLAGES,
    District,
    box,
    collection,
    household,
    own_district,
    village,
)
from tests.conftest import Api, codes

DIVIDE = """mutation($s: DivideScope!, $n: Int, $dry: Boolean) {
  divideGrids(scope: $s, householdsPerGrid: $n, dryRun: $dry) {
    grids { code villageCode households status geometry grid { id code householdCount } }
    removedCodes
    quality { grids households target min median max within25pct meanPolsbyPopper
              coverageError }
    errors { field code message } } }"""
# extra agents, on grids the divisions below change or remove
AGENTS = {"agent-nanwang": "370305001003001", "agent-beili2": "370305001004002"}


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    doc = small.build()
    doc["users"] += [{"username": u, "password": small.PASSWORD, "name": u, "roles": ["AGENT"],
                      "grids": [g]} for u, g in AGENTS.items()]
    with own_district(tmp_path_factory.mktemp("division"), doc) as d:
        yield d


def gid(d: District, model: type, code: str) -> str:
    return to_global_id(model.__name__, d.scalar(select(model.id).where(model.code == code)))


def divide(d: District, scope: dict, n: int | None = None, dry: bool = False,
           user: str = "admin") -> dict:
    r = d.api.post(DIVIDE, {"s": scope, "n": n, "dry": dry}, as_user=user)
    return r["data"]["divideGrids"] if r.get("data") else r


def snapshot(d: District) -> tuple:
    """Everything a division may write."""
    with make_sessionmaker(d.engine)() as s:
        grids = [(g.id, g.code, g.name, g.household_count, to_shape(g.geom).wkb)
                 for g in s.scalars(select(Grid).order_by(Grid.id))]
        homes = s.execute(select(Household.id, Household.grid_id).order_by(Household.id)).all()
        agents = s.execute(select(GridAgent.grid_id, GridAgent.user_id)
                           .order_by(GridAgent.user_id, GridAgent.grid_id)).all()
    return grids, homes, agents


def agent_grids(d: District) -> dict[str, list[str]]:
    with make_sessionmaker(d.engine)() as s:
        rows = s.execute(select(User.username, Grid.code)
                         .join(GridAgent, GridAgent.user_id == User.id)
                         .join(Grid, Grid.id == GridAgent.grid_id).order_by(Grid.code)).all()
    out: dict[str, list[str]] = {}
    for user, code in rows:
        out.setdefault(user, []).append(code)
    return out


def assert_nobody_orphaned(d: District, village_codes: list[str]) -> None:
    """Every household of the villages lies in its grid, every grid's count is right, and
    every agent still has a grid."""
    with make_sessionmaker(d.engine)() as s:
        homes = s.execute(select(Household.geom, Grid.geom, Grid.village_id)
                          .join(Village, Village.id == Household.village_id)
                          .outerjoin(Grid, Grid.id == Household.grid_id)
                          .where(Village.code.in_(village_codes))).all()
        counts = s.execute(select(Grid.household_count, Grid.id)
                           .join(Village, Village.id == Grid.village_id)
                           .where(Village.code.in_(village_codes))).all()
        held = Counter(s.scalars(select(Household.grid_id)))
        agents = set(s.scalars(select(User.username).where(User.username.like("agent%"))))
    assert homes and all(g is not None for _, g, _ in homes)
    assert all(to_shape(g).covers(to_shape(h)) for h, g, _ in homes)
    assert all(n == held[grid_id] for n, grid_id in counts)
    assert set(agent_grids(d)) == agents


# --- bad inputs -------------------------------------------------------------------------------

def test_bad_scope_and_size_are_bad_input_and_write_nothing(district: District) -> None:
    before = snapshot(district)
    a, v = gid(district, Township, "370305001"), gid(district, Village, "370305001001")
    for scope, n, code in [
        ({"townshipId": a, "villageId": v}, 200, "BAD_INPUT"),
        ({}, 200, "BAD_INPUT"),
        ({"townshipId": a}, 0, "BAD_INPUT"),
        ({"villageId": v}, -5, "BAD_INPUT"),
        ({"townshipId": v}, 200, "BAD_INPUT"),  # a village id where a township's goes
        ({"townshipId": to_global_id("Township", 9999)}, 200, "NOT_FOUND"),
        ({"villageId": to_global_id("Village", 9999)}, 200, "NOT_FOUND"),
    ]:
        r = divide(district, scope, n)
        assert [e["code"] for e in r["errors"]] == [code], (scope, n, r)
        assert r["grids"] == [] and r["quality"] is None
    assert snapshot(district) == before


def test_divide_is_for_admins(district: District) -> None:
    before = snapshot(district)
    scope = {"townshipId": gid(district, Township, "370305001")}
    assert codes(divide(district, scope, user="supervisor")) == ["FORBIDDEN"]
    assert codes(divide(district, scope, user="dispatcher")) == ["FORBIDDEN"]
    assert codes(district.api.post(DIVIDE, {"s": scope})) == ["UNAUTHENTICATED"]
    # permission comes before reading the arguments
    assert codes(divide(district, {"villageId": "nonsense"}, user="agent")) == ["FORBIDDEN"]
    assert snapshot(district) == before


# --- dividing and re-dividing -------------------------------------------------------------------

def test_dry_run_computes_everything_and_writes_nothing(district: District) -> None:
    before = snapshot(district)
    r = divide(district, {"townshipId": gid(district, Township, "370305001")}, 5, dry=True)
    assert r["errors"] == [] and len(r["grids"]) == 12  # 4 villages of 15 households, 3 each
    assert all(g["grid"] is None for g in r["grids"])
    assert {g["status"] for g in r["grids"]} == {"CHANGED", "NEW"}
    assert r["quality"]["households"] == 60 and r["quality"]["median"] == 5
    assert snapshot(district) == before


REPORT = """mutation($i: ReportEventInput!) { reportEvent(input: $i) {
  event { id grid { code } } errors { code message } } }"""
EVENT_GRID = "query($id: ID!) { node(id: $id) { ... on Event { grid { code } } } }"


def report_event(d: District, lon: float, lat: float) -> str:
    q = "{ eventCategories { code parent { code } } }"
    category = next(c["code"] for c in d.api.post(q)["data"]["eventCategories"] if c["parent"])
    r = d.api.post(REPORT, {"i": {"clientId": str(uuid.uuid4()), "categoryCode": category,
                                  "description": "网格调整测试", "location": {"lon": lon, "lat": lat}}},
                   as_user="admin")["data"]["reportEvent"]
    assert r["errors"] == [], r
    return r["event"]["id"]


def test_redivision_keeps_unchanged_grids_and_moves_households_and_agents(
        district: District) -> None:
    kept_id = gid(district, Grid, "370305001003001")
    event = report_event(district, 118.33, 36.803)  # in 北李二网格, which goes
    r = divide(district, {"townshipId": gid(district, Township, "370305001")}, 200)
    assert r["errors"] == []
    by_code = {g["code"]: g for g in r["grids"]}
    # each village (15 households, fewer than 200) becomes one grid, the village itself
    assert {c: g["status"] for c, g in by_code.items()} == {
        "370305001001001": "CHANGED", "370305001002001": "CHANGED",
        "370305001003001": "KEPT", "370305001004001": "CHANGED"}
    assert by_code["370305001003001"]["grid"]["id"] == kept_id
    assert r["removedCodes"] == ["370305001001002", "370305001002002", "370305001002003",
                                 "370305001004002"]
    assert all(g["households"] == g["grid"]["householdCount"] == 15 for g in r["grids"])
    q = r["quality"]
    assert (q["grids"], q["households"], q["target"], q["min"], q["max"]) == (4, 60, 200, 15, 15)
    assert q["coverageError"] < 1e-9 and q["within25pct"] == 1.0  # nothing to judge
    grids = agent_grids(district)
    assert grids["agent"] == ["370305001001001"]  # was on both 东关 grids: once now
    assert grids["agent-beili2"] == ["370305001004001"]
    assert grids["agent-nanwang"] == ["370305001003001"]
    assert_nobody_orphaned(district, ["370305001001", "370305001002", "370305001003",
                                      "370305001004"])
    r = district.api.post(EVENT_GRID, {"id": event}, as_user="admin")
    assert r["data"]["node"]["grid"] == {"code": "370305001004001"}  # its grid's successor
    # the same division again changes nothing
    before = snapshot(district)
    again = divide(district, {"townshipId": gid(district, Township, "370305001")}, 200)
    assert {g["status"] for g in again["grids"]} == {"KEPT"} and again["removedCodes"] == []
    assert snapshot(district) == before


def test_new_grids_take_free_codes_and_agents_follow_the_largest_overlap(
        district: District) -> None:
    scope = {"villageId": gid(district, Village, "370305001003")}
    old_id = gid(district, Grid, "370305001003001")
    old = to_shape(district.scalar(select(Grid.geom).where(Grid.code == "370305001003001")))
    r = divide(district, scope, 5)
    assert [(g["code"], g["status"], g["households"]) for g in r["grids"]] == [
        ("370305001003001", "CHANGED", 5), ("370305001003002", "NEW", 5),
        ("370305001003003", "NEW", 5)]
    assert r["grids"][0]["grid"]["id"] == old_id and r["removedCodes"] == []
    polygons = [shapely.geometry.shape(g["geometry"]) for g in r["grids"]]
    assert abs(shapely.union_all(polygons).area - old.area) < 1e-9 * old.area
    overlap = [p.intersection(old).area for p in polygons]
    best = r["grids"][overlap.index(max(overlap))]["code"]
    assert agent_grids(district)["agent-nanwang"] == [best]
    assert_nobody_orphaned(district, ["370305001003"])
    assert {g["status"] for g in divide(district, scope, 5)["grids"]} == {"KEPT"}


def test_redividing_one_part_of_a_village_keeps_the_other_parts_grids(
        district: District) -> None:
    # A village in two parts is divided part by part: households added to the east part
    # change its grids only; the west part's grids keep their rows and codes.
    west, east = box(118.40, 36.80, 118.41, 36.81), box(118.42, 36.80, 118.43, 36.81)
    fc = collection(village("370305101003", "两片村", {
        "type": "MultiPolygon", "coordinates": [west["coordinates"], east["coordinates"]]}))
    assert district.api.post(IMPORT_VILLAGES, {"fc": fc}, as_user="admin")["data"][
        "importVillages"]["errors"] == []

    def homes(x0: float, n: int, tag: str) -> list[dict]:
        return [household(x0 + 0.001 + 0.008 * (i % 5) / 4, 36.801 + 0.008 * (i // 5) / 3,
                          f"两片村{tag}{i}号") for i in range(n)]

    imported = district.api.post(IMPORT_HOUSEHOLDS, {"fc": collection(
        *homes(118.40, 10, "西"), *homes(118.42, 10, "东"))}, as_user="admin")
    assert imported["data"]["importHouseholds"]["imported"] == 20
    scope = {"villageId": gid(district, Village, "370305101003")}
    first = divide(district, scope, 5)
    assert [g["status"] for g in first["grids"]] == ["NEW"] * 4
    west_grids = {g["code"]: g["grid"]["id"] for g in first["grids"]
                  if shapely.geometry.shape(g["geometry"]).within(shapely.geometry.shape(west))}
    assert len(west_grids) == 2
    with make_sessionmaker(district.engine)() as s:
        add_user(s, "agent-east", "long-enough-pw", "东片网格员", ["AGENT"],
                 grid_codes=[next(g["code"] for g in first["grids"] if g["code"] not in
                                  west_grids)])
        s.commit()

    more = district.api.post(IMPORT_HOUSEHOLDS, {"fc": collection(*homes(118.4205, 5, "新"))},
                             as_user="admin")
    assert more["data"]["importHouseholds"]["imported"] == 5
    second = divide(district, scope, 5)
    statuses = {g["code"]: g["status"] for g in second["grids"]}
    assert len(second["grids"]) == 5 and second["errors"] == []
    assert {c: statuses[c] for c in west_grids} == dict.fromkeys(west_grids, "KEPT")
    assert {g["code"]: g["grid"]["id"] for g in second["grids"] if g["code"] in west_grids} \
        == west_grids
    assert_nobody_orphaned(district, ["370305101003"])
    assert {g["status"] for g in divide(district, scope, 5)["grids"]} == {"KEPT"}


# --- the command ----------------------------------------------------------------------------

def test_cli_divide(district: District) -> None:
    before = snapshot(district)
    status, out = district.run("divide", "--township", "370305101", "--households-per-grid", "0")
    assert status == 1 and "BAD_INPUT" in out
    status, out = district.run("divide", "--township", "370305101", "--village", "370305001001")
    assert status == 1 and "not under township 370305101" in out
    status, out = district.run("divide", "--township", "370305999")
    assert status == 1 and "NOT_FOUND" in out
    status, out = district.run("divide", "--township", "370305101", "--households-per-grid", "4",
                               "--dry-run")
    assert status == 0 and "dry run" in out
    assert snapshot(district) == before
    status, out = district.run("divide", "--township", "370305101", "--village", "370305101002",
                               "--households-per-grid", "5")
    assert status == 0 and "0 kept, 1 changed, 2 new; 0 removed" in out
    status, out = district.run("divide", "--township", "370305101", "--village", "370305101002",
                               "--households-per-grid", "5")
    assert status == 0 and "3 grids: 3 kept, 0 changed, 0 new; 0 removed" in out
    assert_nobody_orphaned(district, ["370305101002"])


def test_demo_district_divided_again_is_all_kept(demo_api: Api) -> None:
    # The demo's grids were made by the same division: asked again, it keeps every one.
    r = demo_api.post("{ townships(first: 1) { edges { node { id code } } } }", as_user="admin")
    township = r["data"]["townships"]["edges"][0]["node"]
    r = demo_api.post(DIVIDE, {"s": {"townshipId": township["id"]}, "dry": True},
                      as_user="admin")["data"]["divideGrids"]
    assert r["errors"] == [] and r["removedCodes"] == [] and len(r["grids"]) > 10
    assert {g["status"] for g in r["grids"]} == {"KEPT"}
    assert all(g["grid"] is None and g["code"].startswith(township["code"]) for g in r["grids"])
    assert r["quality"]["within25pct"] > 0.8 and r["quality"]["target"] == 200
