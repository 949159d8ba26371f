"""reportEvent: routing, snapping, boundaries, geocoding, duplicates, idempotency, bad input."""

import random
import uuid

import pytest
from shapely.geometry import shape

from fixtures import small
from geo.crs import CRS, from_wgs84
from geo.locate import GridLocator
from tests.conftest import Api, StatementCounter, codes
from tests.events.helpers import REPORT, categories, pick, report, report_input

# 东关一网格 (agent's grid), well inside
INSIDE = (118.305, 36.8225)


@pytest.fixture(scope="module")
def locator() -> GridLocator:
    grids = small.build()["grids"]
    return GridLocator([g["code"] for g in grids], [shape(g["geometry"]) for g in grids])


def test_self_handleable_report_goes_to_the_grid_agent(api: Api) -> None:
    cat = pick(api, self_handleable=True)
    r = report(api, "agent", cat["code"], *INSIDE, acknowledgeDuplicate=True)
    e = r["event"]
    assert r["errors"] == [] and e["status"] == "DISPATCHED" and e["routing"] == "GRID"
    assert e["grid"]["code"] == "370305001001001" and e["assignee"]["username"] == "agent"
    assert e["township"]["code"] == "370305001"
    assert e["department"]["code"] == cat["department"]["code"]


def test_other_reports_go_to_the_department_queue(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    e = report(api, "agent", cat["code"], 118.315, 36.8225, acknowledgeDuplicate=True)["event"]
    assert e["status"] == "DISPATCHED" and e["assignee"] is None
    assert e["department"]["code"] == cat["department"]["code"]


def test_routing_agrees_with_the_locator_on_1000_points(api: Api, locator: GridLocator) -> None:
    """Inside a grid, snapped to the nearest grid within 500 m, or unrouted beyond."""
    cat = pick(api, self_handleable=False)
    rng = random.Random(4)
    kinds = {"GRID": 0, "SNAPPED": 0, "UNROUTED": 0}
    for _ in range(1000):
        # the fixture spans 118.30-118.38 x 36.80-36.83; 0.012 deg is about 1 km around it
        lon, lat = rng.uniform(118.288, 118.392), rng.uniform(36.788, 36.842)
        want = locator.locate(lon, lat)
        routing = "GRID"
        if want is None:
            near = locator.nearest(lon, lat, 500)
            want, routing = (near[0], "SNAPPED") if near else (None, "UNROUTED")
        e = report(api, "admin", cat["code"], lon, lat, acknowledgeDuplicate=True)["event"]
        assert e["routing"] == routing, (lon, lat)
        assert (e["grid"] or {}).get("code") == want, (lon, lat)
        kinds[routing] += 1
    assert min(kinds.values()) >= 50, kinds


def test_a_point_near_a_boundary_says_so(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    # 118.31 is the edge between 东关一 and 东关二; 0.0002 deg is about 18 m
    r = report(api, "agent", cat["code"], 118.3098, 36.82, acknowledgeDuplicate=True)
    assert r["event"]["nearBoundary"] and r["neighbourGrids"] == ["370305001001002"]
    far = report(api, "agent", cat["code"], 118.305, 36.8225, acknowledgeDuplicate=True)
    assert not far["event"]["nearBoundary"] and far["neighbourGrids"] == []
    # a poor GPS fix makes the neighbour ambiguous too
    i = report_input(cat["code"], acknowledgeDuplicate=True)
    i["location"] = {"lon": 118.3085, "lat": 36.82, "accuracyM": 200}
    r = api.post(REPORT, {"i": i}, as_user="agent")["data"]["reportEvent"]
    assert "370305001001002" in r["neighbourGrids"]


def test_gcj02_positions_are_converted_before_routing(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    lon, lat = from_wgs84(*INSIDE, CRS.GCJ02)
    i = report_input(cat["code"], acknowledgeDuplicate=True)
    i["location"] = {"lon": lon, "lat": lat, "crs": "GCJ02", "accuracyM": 8, "mocked": False}
    q = REPORT.replace("allowedActions", "allowedActions location reportedPosition { lon lat "
                                          "crs accuracyM mocked }")
    e = api.post(q, {"i": i}, as_user="agent")["data"]["reportEvent"]["event"]
    assert e["grid"]["code"] == "370305001001001"
    assert e["location"]["coordinates"] == pytest.approx(list(INSIDE), abs=1e-8)
    assert e["reportedPosition"] == {"lon": lon, "lat": lat, "crs": "GCJ02", "accuracyM": 8,
                                     "mocked": False}


def test_hotline_address_is_geocoded_or_left_for_the_dispatcher(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    address = small.build()["households"][0]["address"]  # 临淄区东关社区1号
    e = report(api, "dispatcher", cat["code"], addressText=f"山东省淄博市{address}",
               source="HOTLINE", acknowledgeDuplicate=True)["event"]
    assert e["routing"] == "GRID" and e["grid"]["code"].startswith("370305001001")
    lost = report(api, "dispatcher", cat["code"], addressText="临淄区不存在路999号",
                  source="HOTLINE")["event"]
    assert lost["routing"] == "UNLOCATED" and lost["status"] == "REPORTED"
    assert lost["township"]["code"] == "370305001" and lost["grid"] is None


def test_duplicates_are_merged_within_radius_and_window(api: Api, clock) -> None:  # type: ignore[no-untyped-def]
    cat = pick(api, self_handleable=True)
    radius = cat["duplicateRadiusM"]
    clock.advance(days=30)  # a quiet month: nothing else open nearby is that young
    base = (118.365, 36.822)  # 王家二网格
    first = report(api, "admin", cat["code"], *base)["event"]
    metre = 1 / 111_320 / 0.8  # a metre of longitude at 36.8 N, about
    inside = report(api, "admin", cat["code"], base[0] + (radius - 1) * metre, base[1])
    assert inside["duplicateOf"]["id"] == first["id"]
    assert inside["event"]["status"] == "MERGED"
    outside = report(api, "admin", cat["code"], base[0] - (radius + 1) * metre, base[1])
    assert outside["duplicateOf"] is None and outside["event"]["status"] != "MERGED"
    # other categories never match
    other = next(c for c in categories(api)
                 if c["parent"] and c["code"] != cat["code"])
    assert report(api, "admin", other["code"], *base)["duplicateOf"] is None
    # acknowledged: a new case even though a duplicate is open
    ack = report(api, "admin", cat["code"], *base, acknowledgeDuplicate=True)
    assert ack["duplicateOf"] is None
    # just outside the window
    clock.advance(hours=cat["duplicateWindowHours"], seconds=1)
    late = report(api, "admin", cat["code"], *base)
    assert late["duplicateOf"] is None


def test_closed_events_are_never_duplicates(api: Api, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.events.helpers import act

    cat = pick(api, self_handleable=True)
    clock.advance(days=60)
    spot = (118.345, 36.805)
    e = report(api, "admin", cat["code"], *spot)["event"]
    act(api, "admin", e["id"], "REJECT", n="not a real problem")
    assert report(api, "admin", cat["code"], *spot)["duplicateOf"] is None


def test_client_id_replay_and_conflict(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    i = report_input(cat["code"], 118.335, 36.82, acknowledgeDuplicate=True)
    a = api.post(REPORT, {"i": i}, as_user="agent")["data"]["reportEvent"]
    b = api.post(REPORT, {"i": i}, as_user="agent")["data"]["reportEvent"]
    assert a["event"]["id"] == b["event"]["id"] and b["errors"] == []
    assert b == a
    # the same answer in full: near a boundary (its neighbours), and merged (its duplicate)
    near = report_input(cat["code"], 118.3098, 36.82, acknowledgeDuplicate=True)
    merged = report_input(cat["code"], 118.335, 36.82)
    for j in (near, merged):
        first = api.post(REPORT, {"i": j}, as_user="agent")["data"]["reportEvent"]
        assert first["neighbourGrids"] or first["duplicateOf"], first
        assert api.post(REPORT, {"i": j}, as_user="agent")["data"]["reportEvent"] == first
    c = api.post(REPORT, {"i": {**i, "description": "另一件事"}}, as_user="agent")
    err = c["data"]["reportEvent"]["errors"][0]
    assert err["code"] == "CONFLICT" and err["field"] == "clientId"


@pytest.mark.parametrize("change,code,field", [
    ({"location": {"lon": 36.82, "lat": 118.3}}, "BAD_INPUT", "location"),
    ({"categoryCode": "9999"}, "NOT_FOUND", "categoryCode"),
    ({"categoryCode": "01"}, "BAD_INPUT", "categoryCode"),
    ({"description": "长" * 4001}, "BAD_INPUT", "description"),
    ({"description": "  "}, "BAD_INPUT", "description"),
    ({"location": None}, "BAD_INPUT", "location"),
])
def test_bad_reports_write_nothing(api: Api, change: dict, code: str, field: str) -> None:
    cat = pick(api, self_handleable=False)
    count = "{ events(first: 0) { totalCount } }"
    before = api.post(count, as_user="admin")["data"]["events"]["totalCount"]
    i = {**report_input(cat["code"], *INSIDE), **change}
    r = api.post(REPORT, {"i": i}, as_user="agent")["data"]["reportEvent"]
    assert r["event"] is None and r["errors"][0]["code"] == code
    assert r["errors"][0]["field"] == field
    assert api.post(count, as_user="admin")["data"]["events"]["totalCount"] == before


def test_client_id_must_be_a_uuid(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    i = {**report_input(cat["code"], *INSIDE), "clientId": "not-a-uuid"}
    r = api.post(REPORT, {"i": i}, as_user="agent")
    assert codes(r) == ["BAD_INPUT"] and "UUID" in r["errors"][0]["message"]


def test_unknown_crs_is_refused(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    i = report_input(cat["code"])
    i["location"] = {"lon": 118.3, "lat": 36.8, "crs": "WEBMERCATOR"}
    assert codes(api.post(REPORT, {"i": i}, as_user="agent")) == ["BAD_INPUT"]


def test_public_reports_as_citizen_only(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    ok = api.post(REPORT, {"i": report_input(cat["code"], 118.325, 36.81, source="CITIZEN",
                                             acknowledgeDuplicate=True)})
    assert ok["data"]["reportEvent"]["event"]["status"] == "DISPATCHED"
    bad = api.post(REPORT, {"i": report_input(cat["code"], 118.325, 36.81, source="APP")})
    assert codes(bad) == ["FORBIDDEN"]


def test_unused_client_ids_are_uuids() -> None:
    assert uuid.UUID(report_input("0101")["clientId"])


REPORT_ONLY = """mutation($i: ReportEventInput!) { reportEvent(input: $i) {
  event { id status } errors { code } } }"""
REPORT_DUPLICATE = """mutation($i: ReportEventInput!) { reportEvent(input: $i) {
  event { id status duplicateOf { id } } duplicateOf { id status } errors { code } } }"""


def test_a_report_is_routed_in_one_statement(api: Api, engine) -> None:  # type: ignore[no-untyped-def]
    """The grids around the point, the covering grid's agent and an open duplicate come in one
    statement; the case with its steps and task is one more on PostgreSQL (one per table on
    SQLite, where statements cost no round trip). A merged case's payload reads the case it
    was merged into only when `duplicateOf` is selected.
    (The payload here is the load client's: other fields have their own loaders.)"""
    cat = pick(api, self_handleable=True)
    report(api, "agent", cat["code"], *INSIDE, acknowledgeDuplicate=True)  # warm the caches
    counter = StatementCounter(engine)
    try:
        counts = {}
        for ack, query in ((True, REPORT_ONLY), (False, REPORT_ONLY), (False, REPORT_DUPLICATE)):
            counter.n = 0
            r = api.post(query, {"i": report_input(cat["code"], *INSIDE,
                                                   acknowledgeDuplicate=ack)},
                         as_user="agent")["data"]["reportEvent"]
            counts[r["event"]["status"] + ("+duplicateOf" if "duplicateOf" in r else "")] = (
                counter.n)
            if "duplicateOf" in r:  # the case the new one points to, read once for both
                assert r["duplicateOf"] == {**r["event"]["duplicateOf"], "status": "DISPATCHED"}
    finally:
        counter.close()
    pg = engine.dialect.name == "postgresql"
    # SQLite: BEGIN IMMEDIATE, the routing, the case, its steps, and the task (none if merged);
    # the duplicate is read after the commit, in a transaction of its own (BEGIN, SELECT)
    assert counts == ({"DISPATCHED": 2, "MERGED": 2, "MERGED+duplicateOf": 3} if pg
                      else {"DISPATCHED": 5, "MERGED": 4, "MERGED+duplicateOf": 6})
