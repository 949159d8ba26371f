"""The demo district as `make run` shows it: its stats and events say something real."""

from tests.conftest import Api

STATS = """{ stats(scope: {districtId: "RGlzdHJpY3Q6MQ=="}) { total satisfactionRate onTimeRate
  dispatchRate evaluatedCount overdueCount byStatus { status count } } }"""


def test_demo_history_looks_like_the_reports(demo_api: Api) -> None:
    s = demo_api.post(STATS, as_user="admin")["data"]["stats"]
    assert s["total"] == 1000 and s["dispatchRate"] == 1.0
    assert 0.93 <= s["satisfactionRate"] <= 1.0  # the reports give about 97%
    assert s["onTimeRate"] > 0.85 and s["evaluatedCount"] > 500
    statuses = {x["status"] for x in s["byStatus"]}
    assert {"CLOSED", "REJECTED"} <= statuses


def test_demo_agent_has_an_inbox_and_grids(demo_api: Api) -> None:
    q = "{ me { grids { code householdCount } } myTasks { totalCount } }"
    r = demo_api.post(q, as_user="agent-370305001001001-1")["data"]
    assert r["me"]["grids"][0]["code"] == "370305001001001"
    assert r["me"]["grids"][0]["householdCount"] > 100
    assert r["myTasks"]["totalCount"] >= 0


def test_demo_agents_have_positions(demo_api: Api) -> None:
    q = """{ nearestAgents(point: {lon: 118.305, lat: 36.8225}, limit: 3, onDutyOnly: false) {
      agent { username grids { code } } distanceM } }"""
    found = demo_api.post(q, as_user="admin")["data"]["nearestAgents"]
    assert len(found) == 3 and all(a["agent"]["grids"] for a in found)
    assert [a["distanceM"] for a in found] == sorted(a["distanceM"] for a in found)
