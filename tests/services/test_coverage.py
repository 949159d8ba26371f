"""Coverage figures on a hand-built set (grid S2 of the services corner, worked only here):
the expected numbers are counted by hand from the steps below."""

from datetime import timedelta

from pyproj import Geod

from tests.conftest import START, Api, codes
from tests.services.conftest import Corner
from tests.services.helpers import EVALUATE, act, check_in, request

T0 = START + timedelta(days=200)
COV = """query($s: CoverageScope) { serviceCoverage(scope: $s) { households
  keyGroupHouseholds visited30d visited90d keyGroupVisited30d keyGroupVisited90d requests
  delivered deliveredOnTime onTimeRate evaluated satisfactionRate visits flaggedVisits } }"""


def test_coverage_on_a_hand_built_set(api: Api, corner: Corner, clock) -> None:  # type: ignore[no-untyped-def]
    h = corner.s2  # h[0] elderly, h[2] disabled + veteran: 2 key-group households of 6

    def at(days_before: float) -> None:
        clock.now = T0 - timedelta(days=days_before)

    def visit(rid: str, home, metres: float = 0.0) -> None:  # type: ignore[no-untyped-def]
        lon, lat, _ = Geod(ellps="WGS84").fwd(home.lon, home.lat, 90, metres)
        out = check_in(api, "cov_agent", rid, lon, lat)["data"]["checkInVisit"]
        assert out["errors"] == [] and out["visit"]["flagged"] is (metres > 100)

    at(100)  # r1: a visit to h[1] 100 days ago: outside both windows
    r1 = request(api, "cov_agent", "RS07", h[1].id, channel="ROUND")["id"]
    visit(r1, h[1])
    at(60)  # r2: h[0] (key group), delivered within its day, rated satisfied
    r2 = request(api, "cov_agent", "RS07", h[0].id, channel="ROUND")["id"]
    visit(r2, h[0])
    act(api, "cov_agent", r2, "SUBMIT")
    act(api, "clerk_rs", r2, "APPROVE")
    at(60 - 1 / 24)
    act(api, "cov_agent", r2, "DELIVER")
    api.post(EVALUATE, {"id": r2, "r": "SATISFIED"}, as_user="dispatcher_b")
    at(50)  # r3: h[2] (key group): a flagged visit 150 m off, then a good one 25 days ago,
    r3 = request(api, "cov_agent", "MZ01", h[2].id, channel="ROUND")["id"]  # 10 working days
    visit(r3, h[2], 150)
    at(25)
    visit(r3, h[2])
    act(api, "cov_agent", r3, "SUBMIT")
    act(api, "clerk_mz", r3, "APPROVE")
    act(api, "cov_agent", r3, "DELIVER")  # 25 days after the request: late
    api.post(EVALUATE, {"id": r3, "r": "UNSATISFIED", "c": "太慢"}, as_user="dispatcher_b")
    at(10)  # r4: h[3] visited, not delivered
    r4 = request(api, "cov_agent", "RS07", h[3].id, channel="ROUND")["id"]
    visit(r4, h[3])
    at(5)  # r5: a hotline request for h[4], assigned, not visited
    r5 = request(api, "dispatcher_b", "RS07", h[4].id)
    assert r5["assignee"]["username"] == "cov_agent"
    at(0)
    want = {
        "households": 6, "keyGroupHouseholds": 2,
        "visited30d": 2,  # h[2] (25 days ago), h[3]
        "visited90d": 3,  # h[0], h[2], h[3]; h[1] was 100 days ago
        "keyGroupVisited30d": 1, "keyGroupVisited90d": 2,
        "requests": 4,  # r2-r5; r1 is older than 90 days
        "delivered": 2, "deliveredOnTime": 1, "onTimeRate": 0.5,
        "evaluated": 2, "satisfactionRate": 0.5,
        "visits": 4, "flaggedVisits": 1,  # r2, r3 twice, r4
    }
    me = api.post("{ me { id } }", as_user="cov_agent")["data"]["me"]["id"]
    for user, scope in (("cov_agent", {"agentId": me}), ("supervisor", {"gridId":
                                                                        corner.s2_grid_id}),
                        ("dispatcher_b", {"agentId": me})):
        r = api.post(COV, {"s": scope}, as_user=user)
        assert "errors" not in r, r
        assert r["data"]["serviceCoverage"] == want, (user, scope)
    # the same figures in stats for the grid
    q = """query($g: ID) { stats(scope: {gridId: $g}) { total serviceCoverage {
      visited90d flaggedVisits onTimeRate } } }"""
    s = api.post(q, {"g": corner.s2_grid_id}, as_user="supervisor")["data"]["stats"]
    assert s["serviceCoverage"] == {"visited90d": 3, "flaggedVisits": 1, "onTimeRate": 0.5}
    # township figures include the grid's
    t = api.post(COV, {"s": {"townshipId": corner.township_id}}, as_user="dispatcher_b")
    township = t["data"]["serviceCoverage"]
    assert township["households"] >= 13 and township["visited90d"] >= 3
    # jurisdiction: 辛店's dispatcher neither sees this agent nor this township
    assert codes(api.post(COV, {"s": {"agentId": me}}, as_user="dispatcher")) == ["FORBIDDEN"]
    assert codes(api.post(COV, {"s": {"townshipId": corner.township_id}},
                          as_user="dispatcher")) == ["FORBIDDEN"]
    assert codes(api.post(COV, {}, as_user="dispatcher")) == ["FORBIDDEN"]
