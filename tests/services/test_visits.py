"""checkInVisit: geodesic distance to the household (pyproj on the WGS-84 ellipsoid), the
geofence and its flags, the supervisors' list of flagged visits, idempotency."""

import uuid

import pytest
from pyproj import Geod

from backend.services.service import flag_reasons, geodesic_m
from geo.crs import from_wgs84
from tests.conftest import Api, codes
from tests.services.conftest import Corner
from tests.services.helpers import CHECK_IN, check_in, request

GEOD = Geod(ellps="WGS84")
# (lon1, lat1, lon2, lat2, metres) on the WGS-84 ellipsoid: a degree of longitude on the
# equator, a degree of latitude from the equator, and Linzi-sized steps
KNOWN = [
    (0.0, 0.0, 1.0, 0.0, 111_319.491),
    (0.0, 0.0, 0.0, 1.0, 110_574.389),
    (118.30, 36.80, 118.30, 36.81, 1_109.620),
    (118.30, 36.80, 118.31, 36.80, 893.197),
]


@pytest.mark.parametrize(("lon1", "lat1", "lon2", "lat2", "metres"), KNOWN)
def test_geodesic_distance_on_known_pairs(lon1: float, lat1: float, lon2: float, lat2: float,
                                          metres: float) -> None:
    assert abs(geodesic_m(lon1, lat1, lon2, lat2) - metres) < 1.0
    assert abs(geodesic_m(lon1, lat1, lon2, lat2) - GEOD.inv(lon1, lat1, lon2, lat2)[2]) < 1e-6


def test_flag_reasons() -> None:
    assert flag_reasons(99.9, 100, 20, False) == []
    assert flag_reasons(100.1, 100, None, None) == ["OUTSIDE_GEOFENCE"]
    assert flag_reasons(5, 100, 150, True) == ["MOCKED", "POOR_ACCURACY"]


def _assigned(api: Api, corner: Corner, k: int) -> tuple[str, float, float]:
    home = corner.s1[k]
    r = request(api, "svc_a", "RS07", home.id, channel="ROUND")
    return r["id"], home.lon, home.lat


@pytest.mark.parametrize(("metres", "azimuth", "crs", "flagged"), [
    (0.0, 0.0, "WGS84", False), (37.5, 30.0, "GCJ02", False), (99.0, 135.0, "BD09", False),
    (101.0, 200.0, "WGS84", True), (2_500.0, 300.0, "GCJ02", True)])
def test_check_in_distance_is_pyproj_to_a_metre(api: Api, corner: Corner, metres: float,
                                               azimuth: float, crs: str, flagged: bool) -> None:
    rid, lon, lat = _assigned(api, corner, 0)
    at_lon, at_lat, _ = GEOD.fwd(lon, lat, azimuth, metres)
    sent = from_wgs84(at_lon, at_lat, crs)  # the phone reports in its own system
    r = check_in(api, "svc_a", rid, *sent, crs=crs, accuracyM=10)
    v = r["data"]["checkInVisit"]["visit"]
    assert abs(v["distanceM"] - metres) < 1.0, (v["distanceM"], metres)
    assert v["outsideGeofence"] is flagged and v["flagged"] is flagged
    assert v["flagReasons"] == (["OUTSIDE_GEOFENCE"] if flagged else [])
    assert v["geofenceM"] == 100
    assert v["position"]["coordinates"] == pytest.approx([at_lon, at_lat], abs=1e-7)
    assert v["request"]["status"] == "VISITED"


def test_mocked_or_imprecise_check_ins_are_kept_but_flagged(api: Api, corner: Corner) -> None:
    rid, lon, lat = _assigned(api, corner, 1)
    mocked = check_in(api, "svc_a", rid, lon, lat, mocked=True)["data"]["checkInVisit"]["visit"]
    assert mocked["flagged"] and mocked["flagReasons"] == ["MOCKED"] and mocked["distanceM"] < 1
    poor = check_in(api, "svc_a", rid, lon, lat, accuracyM=350)["data"]["checkInVisit"]["visit"]
    assert poor["flagReasons"] == ["POOR_ACCURACY"]
    q = """query($t: ID) { flaggedVisits(townshipId: $t, first: 50) { totalCount edges { node {
      id flagReasons distanceM agent { username } request { id } } } } }"""
    got = api.post(q, {"t": corner.township_id}, as_user="supervisor")["data"]["flaggedVisits"]
    ids = {e["node"]["id"] for e in got["edges"]}
    assert {mocked["id"], poor["id"]} <= ids
    assert all(e["node"]["flagReasons"] for e in got["edges"])
    # the township centre sees its own; an agent is not a supervisor; the other township's
    # dispatcher does not see these
    mine = api.post(q, {"t": corner.township_id}, as_user="dispatcher_b")["data"]
    assert mocked["id"] in {e["node"]["id"] for e in mine["flaggedVisits"]["edges"]}
    assert codes(api.post(q, {}, as_user="svc_a")) == ["FORBIDDEN"]
    assert codes(api.post(q, {"t": corner.township_id}, as_user="dispatcher")) == ["FORBIDDEN"]
    other = api.post(q, {}, as_user="dispatcher")["data"]["flaggedVisits"]["edges"]
    assert mocked["id"] not in {e["node"]["id"] for e in other}


def test_same_client_id_same_check_in_returns_the_first(api: Api, corner: Corner) -> None:
    rid, lon, lat = _assigned(api, corner, 2)
    cid = str(uuid.uuid4())
    first = check_in(api, "svc_a", rid, lon, lat, client_id=cid)["data"]["checkInVisit"]
    again = check_in(api, "svc_a", rid, lon, lat, client_id=cid)["data"]["checkInVisit"]
    assert first["visit"]["id"] == again["visit"]["id"] and again["errors"] == []
    assert again == first  # the first answer in full
    q = 'query($id: ID!) { node(id: $id) { ... on ServiceRequest { visits { id } } } }'
    assert len(api.post(q, {"id": rid}, as_user="svc_a")["data"]["node"]["visits"]) == 1


def test_geofence_is_configurable(corner: Corner, settings, engine) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from starlette.testclient import TestClient

    from backend.app import create_app

    with TestClient(create_app(replace(settings, geofence_m=500.0), engine)) as c:
        wide = Api(c)
        rid, lon, lat = _assigned(wide, corner, 3)
        at = GEOD.fwd(lon, lat, 90.0, 300.0)[:2]
        v = wide.post(CHECK_IN, {"i": {"clientId": str(uuid.uuid4()), "requestId": rid,
                                       "position": {"lon": at[0], "lat": at[1]}}},
                      as_user="svc_a")["data"]["checkInVisit"]["visit"]
    assert v["geofenceM"] == 500 and v["flagged"] is False and abs(v["distanceM"] - 300) < 1
