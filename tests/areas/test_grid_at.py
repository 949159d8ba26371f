"""gridAt: the database agrees with shapely, ties go to the lowest code, bad positions are
refused, phones' coordinate systems are converted, the public sees code and name only."""

import random

import pytest
import shapely
from shapely.geometry import Point, shape

from fixtures import small
from geo.crs import CRS, from_wgs84
from tests.conftest import Api, codes

GRID_AT = """query($p: PointInput!) { gridAt(point: $p) { code name } }"""


def reference() -> list[tuple[str, shapely.Geometry]]:
    return sorted((g["code"], shape(g["geometry"])) for g in small.build()["grids"])


def expected(grids: list, lon: float, lat: float) -> str | None:
    hits = [code for code, poly in grids if poly.intersects(Point(lon, lat))]
    return min(hits) if hits else None


def sample_points(n: int, seed: int = 2) -> list[tuple[float, float]]:
    """Random points over the fixture and around it, plus points on shared edges and
    vertices (where the lowest-code rule decides)."""
    rng = random.Random(seed)
    grids = reference()
    pts = [(rng.uniform(118.295, 118.385), rng.uniform(36.795, 36.835)) for _ in range(n // 2)]
    boundary_pts = []
    for _, poly in grids:
        coords = list(poly.exterior.coords)[:-1]
        boundary_pts += coords
        for (x0, y0), (x1, y1) in zip(coords, coords[1:] + coords[:1], strict=True):
            t = rng.random()
            boundary_pts.append((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
            boundary_pts.append(((x0 + x1) / 2, (y0 + y1) / 2))
    while len(pts) < n:
        pts.append(rng.choice(boundary_pts))
    return pts


def test_grid_at_agrees_with_shapely_on_1000_points(api: Api) -> None:
    grids = reference()
    names = {g["code"]: g["name"] for g in small.build()["grids"]}
    points = sample_points(1000)
    on_edge = inside = outside = 0
    for lon, lat in points:
        want = expected(grids, lon, lat)
        got = api.post(GRID_AT, {"p": {"lon": lon, "lat": lat}})["data"]["gridAt"]
        assert (got and got["code"]) == want, (lon, lat)
        if want:
            assert got["name"] == names[want]
        hits = sum(poly.intersects(Point(lon, lat)) for _, poly in grids)
        on_edge += hits > 1
        inside += hits == 1
        outside += hits == 0
    # the sample really exercises the tie rule and the misses
    assert on_edge >= 100 and inside >= 300 and outside >= 20


def test_tie_on_a_shared_edge_goes_to_the_lowest_code(api: Api) -> None:
    # 118.31 is the edge between 东关一网格 (…001001) and 东关二网格 (…001002)
    r = api.post(GRID_AT, {"p": {"lon": 118.31, "lat": 36.82}})
    assert r["data"]["gridAt"]["code"] == "370305001001001"
    # a vertex shared by four grids of two villages
    r = api.post(GRID_AT, {"p": {"lon": 118.32, "lat": 36.815}})
    assert r["data"]["gridAt"]["code"] == "370305001001002"


@pytest.mark.parametrize("crs", ["GCJ02", "BD09"])
def test_positions_from_chinese_map_apps_are_converted(api: Api, crs: str) -> None:
    # The centre of 东关一网格 in WGS-84, sent as the phone would report it.
    wgs = (118.305, 36.8225)
    lon, lat = from_wgs84(*wgs, CRS(crs))
    assert abs(lon - wgs[0]) > 0.003  # the offset would land in the wrong grid if ignored
    r = api.post(GRID_AT, {"p": {"lon": lon, "lat": lat, "crs": crs}})
    assert r["data"]["gridAt"]["code"] == "370305001001001"
    raw = api.post(GRID_AT, {"p": {"lon": lon, "lat": lat}})["data"]["gridAt"]
    assert raw is None or raw["code"] != "370305001001001"


@pytest.mark.parametrize("point,words", [
    ({"lon": 36.82, "lat": 118.305}, "swapped"),
    ({"lon": 118.305, "lat": 91}, "out of range"),
    ({"lon": 181, "lat": 36.8}, "out of range"),
    ({"lon": 118.305, "lat": 36.82, "accuracyM": -5}, "accuracyM"),
])
def test_bad_positions_are_bad_input(api: Api, point: dict, words: str) -> None:
    r = api.post(GRID_AT, {"p": point})
    assert codes(r) == ["BAD_INPUT"] and words in r["errors"][0]["message"]


def test_nan_and_unknown_crs_are_refused(api: Api) -> None:
    # JSON has no NaN; a client that sends it anyway gets a coded error, not a 500
    r = api.client.post("/graphql", content='{"query": "query($p: PointInput!) { gridAt(point: '
                        '$p) { code } }", "variables": {"p": {"lon": NaN, "lat": 36.8}}}',
                        headers={"content-type": "application/json"})
    assert r.status_code in (200, 400)
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    r = api.post(GRID_AT, {"p": {"lon": 118.3, "lat": 36.8, "crs": "EPSG3857"}})
    assert codes(r) == ["BAD_INPUT"]


def test_public_sees_only_code_and_name(api: Api) -> None:
    q = """query($p: PointInput!) { gridAt(point: $p) { code name householdCount
            village { name } agents { username } geometry } }"""
    p = {"lon": 118.305, "lat": 36.8225}
    r = api.post(q, {"p": p})
    assert r["data"]["gridAt"]["code"] == "370305001001001"
    assert r["data"]["gridAt"]["householdCount"] is None
    assert set(codes(r)) == {"FORBIDDEN"}
    full = api.post(q, {"p": p}, as_user="agent")
    assert "errors" not in full and full["data"]["gridAt"]["agents"] == [{"username": "agent"}]
    neighbour = api.post(q, {"p": {"lon": 118.365, "lat": 36.82}}, as_user="agent")
    assert neighbour["data"]["gridAt"]["code"] == "370305101001002"
    assert set(codes(neighbour)) == {"FORBIDDEN"}
