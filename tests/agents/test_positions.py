"""pingLocation keeps a field worker's latest position; nearestAgents ranks agents by
geodesic distance (checked against pyproj's geodesic), within the caller's jurisdiction."""

import pytest
from pyproj import Geod

from tests.conftest import Api, codes

PING = "mutation($p: PointInput!) { pingLocation(position: $p) }"
NEAREST = """query($p: PointInput!, $n: Int, $d: Boolean) {
  nearestAgents(point: $p, limit: $n, onDutyOnly: $d) {
    agent { username } distanceM location at accuracyM mocked onDuty } }"""
GEOD = Geod(ellps="WGS84")
HERE = (118.305, 36.8225)


def ping(api: Api, user: str, lon: float, lat: float, **extra: object) -> dict:
    return api.post(PING, {"p": {"lon": lon, "lat": lat, **extra}}, as_user=user)


def nearest(api: Api, user: str | None, point=HERE, **v: object) -> dict:  # type: ignore[no-untyped-def]
    return api.post(NEAREST, {"p": {"lon": point[0], "lat": point[1]}, **v}, as_user=user)


def agents(result: dict) -> list[tuple[str, float]]:
    assert "errors" not in result, result
    return [(a["agent"]["username"], a["distanceM"]) for a in result["data"]["nearestAgents"]]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def test_nearest_agents_by_geodesic_distance(api: Api, clock) -> None:  # type: ignore[no-untyped-def]
    near, far = (HERE[0] + 0.012, HERE[1]), (HERE[0], HERE[1] + 0.05)  # ~1.1 km, ~5.6 km
    assert ping(api, "agent", *far) == {"data": {"pingLocation": True}}
    assert ping(api, "agent2", *near, accuracyM=8, mocked=True)["data"]["pingLocation"]
    found = agents(nearest(api, "admin"))
    assert [u for u, _ in found] == ["agent2", "agent"]
    for (_, d), p in zip(found, (near, far), strict=True):
        assert d == pytest.approx(metres(HERE, p), abs=0.5)
    first = nearest(api, "admin", n=1)["data"]["nearestAgents"]
    assert len(first) == 1 and first[0]["agent"]["username"] == "agent2"
    assert first[0]["mocked"] is True and first[0]["accuracyM"] == 8 and first[0]["onDuty"]
    assert first[0]["location"] == {"type": "Point", "coordinates": list(near)}
    # the ring of 2 km holds one of two: the next ring is searched (and from 20 km away too)
    assert [u for u, _ in agents(nearest(api, "admin", n=2))] == ["agent2", "agent"]
    away = (HERE[0] - 0.25, HERE[1])  # 22 km west: agent (north) is nearer than agent2 (east)
    expected = sorted([("agent", metres(away, far)), ("agent2", metres(away, near))],
                      key=lambda x: x[1])
    assert [u for u, _ in expected] == ["agent", "agent2"]
    got = agents(nearest(api, "supervisor", away))
    assert [u for u, _ in got] == ["agent", "agent2"]
    assert [d for _, d in got] == pytest.approx([d for _, d in expected], abs=0.5)
    # a new ping replaces the old position
    ping(api, "agent", HERE[0] + 0.001, HERE[1])
    assert agents(nearest(api, "admin"))[0][0] == "agent"


def test_on_duty_is_a_recent_ping(api: Api, clock) -> None:  # type: ignore[no-untyped-def]
    ping(api, "agent", *HERE)
    ping(api, "agent2", HERE[0] + 0.01, HERE[1])
    clock.advance(minutes=10)
    ping(api, "agent2", HERE[0] + 0.01, HERE[1])
    clock.advance(minutes=6)  # agent's ping is 16 minutes old, agent2's 6
    assert [u for u, _ in agents(nearest(api, "admin"))] == ["agent2"]
    every = nearest(api, "admin", d=False)["data"]["nearestAgents"]
    assert [(a["agent"]["username"], a["onDuty"]) for a in every] == [("agent", False),
                                                                       ("agent2", True)]


def test_jurisdiction_and_roles(api: Api) -> None:
    ping(api, "agent", *HERE)
    assert "agent" in [u for u, _ in agents(nearest(api, "dispatcher"))]  # their township
    assert agents(nearest(api, "dispatcher_b")) == []  # no agent works their township
    assert codes(nearest(api, "agent")) == ["FORBIDDEN"]
    assert codes(nearest(api, None)) == ["UNAUTHENTICATED"]
    assert codes(ping(api, "dispatcher", *HERE)) == ["FORBIDDEN"]
    assert codes(ping(api, None, *HERE)) == ["UNAUTHENTICATED"]
    assert ping(api, "inspector", *HERE)["data"]["pingLocation"] is True
    assert "inspector" not in [u for u, _ in agents(nearest(api, "admin", d=False))]


def test_bad_positions_and_limits_write_nothing(api: Api) -> None:
    ping(api, "agent", *HERE)
    before = nearest(api, "admin", d=False)["data"]["nearestAgents"]
    for lon, lat in ((200.0, 36.8), (36.8225, 118.305), (118.3, -91.0)):  # range, swapped
        assert codes(ping(api, "agent", lon, lat)) == ["BAD_INPUT"], (lon, lat)
    assert codes(ping(api, "agent", *HERE, accuracyM=-1)) == ["BAD_INPUT"]
    assert nearest(api, "admin", d=False)["data"]["nearestAgents"] == before
    bad_crs = api.post(PING, {"p": {"lon": HERE[0], "lat": HERE[1], "crs": "UTM"}},
                       as_user="agent")
    assert bad_crs.get("errors") and bad_crs.get("data") is None
    for n in (0, 51):
        assert codes(nearest(api, "admin", n=n)) == ["BAD_INPUT"]
    assert codes(nearest(api, "admin", (118.305, 95.0))) == ["BAD_INPUT"]


def test_converted_positions_keep_to_wgs84(api: Api) -> None:
    gcj = (HERE[0] + 0.005, HERE[1] + 0.001)  # a GCJ-02 position is offset a few hundred metres
    ping(api, "agent2", *gcj, crs="GCJ02")
    row = next(a for a in nearest(api, "admin", d=False)["data"]["nearestAgents"]
               if a["agent"]["username"] == "agent2")
    lon, lat = row["location"]["coordinates"]
    assert 100 < metres(gcj, (lon, lat)) < 1000
