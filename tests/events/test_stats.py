"""stats on a hand-built set equal hand-computed rates."""

from datetime import timedelta

import pytest

from tests.conftest import Api, codes
from tests.events.helpers import EVALUATE, act, pick, report

STATS = """query($s: StatsScope!, $f: DateTime, $t: DateTime) { stats(scope: $s, from: $f,
  to: $t) { total byStatus { status count } acceptanceRate dispatchRate feedbackRate
  supervisionRate onTimeRate resolutionRate satisfactionRate evaluatedCount unsatisfiedCount
  avgHandlingMinutes overdueCount } }"""
SPOT = (118.3052, 36.8252)  # 东关一网格


def test_stats_on_a_hand_built_set(api: Api, clock) -> None:  # type: ignore[no-untyped-def]
    cat = pick(api, self_handleable=True, unit="HOURS")
    resolution = timedelta(hours=cat["resolution"])
    clock.advance(days=1000)
    t0 = clock.now

    def new() -> str:
        return report(api, "agent2", cat["code"], *SPOT, acknowledgeDuplicate=True)["event"]["id"]

    e1, e2, e3, e4, e5 = (new() for _ in range(5))
    merged = report(api, "agent2", cat["code"], *SPOT)
    assert merged["event"]["status"] == "MERGED"
    clock.advance(hours=1)
    for user, action in (("agent", "ACCEPT"), ("agent", "SUBMIT_RESULT"), ("agent2", "VERIFY"),
                         ("dispatcher", "CLOSE")):
        act(api, user, e1, action)
    assert api.post(EVALUATE, {"id": e1, "r": "SATISFIED"}, as_user="agent2")[
        "data"]["evaluateEvent"]["errors"] == []
    act(api, "dispatcher", e3, "REJECT", n="无效")
    act(api, "agent", e5, "ACCEPT")
    act(api, "agent", e5, "SUBMIT_RESULT")
    clock.now = t0 + resolution + timedelta(hours=1)  # e2 is closed late
    for user, action in (("agent", "ACCEPT"), ("agent", "SUBMIT_RESULT"), ("agent2", "VERIFY"),
                         ("dispatcher", "CLOSE")):
        act(api, user, e2, action)
    api.post(EVALUATE, {"id": e2, "r": "UNSATISFIED"}, as_user="agent2")  # reopens it
    clock.now = t0 + resolution + timedelta(hours=2)

    grid = api.post('{ grids(first: 1) { edges { node { id } } } }', as_user="agent")
    scope = {"gridId": grid["data"]["grids"]["edges"][0]["node"]["id"]}
    period = {"f": (t0 - timedelta(minutes=1)).isoformat(),
              "t": (t0 + timedelta(minutes=1)).isoformat()}
    s = api.post(STATS, {"s": scope, **period}, as_user="dispatcher")["data"]["stats"]
    assert s["total"] == 5  # the merged report is not a case
    assert {x["status"]: x["count"] for x in s["byStatus"]} == {
        "CLOSED": 1, "IN_PROGRESS": 1, "REJECTED": 1, "DISPATCHED": 1, "SUBMITTED": 1}
    # rejected cases are out of the 4×100% denominators: e1, e2, e4, e5
    assert s["dispatchRate"] == 1.0
    assert s["acceptanceRate"] == pytest.approx(3 / 4)  # e1, e2, e5
    assert s["feedbackRate"] == pytest.approx(3 / 4)  # results submitted: e1, e2, e5
    assert s["supervisionRate"] == pytest.approx(2 / 3)  # verified of submitted: e1, e2
    assert s["onTimeRate"] == 1.0  # e1, the one closed now, was on time
    assert s["resolutionRate"] == pytest.approx(1 / 4)
    assert s["satisfactionRate"] == pytest.approx(1 / 2)
    assert (s["evaluatedCount"], s["unsatisfiedCount"]) == (2, 1)
    assert s["avgHandlingMinutes"] == pytest.approx(60, abs=0.01)  # e1: closed after 1 h
    assert s["overdueCount"] == 3  # e2 reopened, e4 and e5 open past the deadline


def test_stats_scope_rules(api: Api) -> None:
    assert codes(api.post(STATS, {"s": {}}, as_user="admin")) == ["BAD_INPUT"]
    district = {"districtId": "RGlzdHJpY3Q6MQ=="}  # District:1
    assert codes(api.post(STATS, {"s": district}, as_user="dispatcher")) == ["FORBIDDEN"]
    assert api.post(STATS, {"s": district}, as_user="admin")["data"]["stats"]["total"] > 0
    assert codes(api.post(STATS, {"s": district})) == ["UNAUTHENTICATED"]
