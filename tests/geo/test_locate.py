"""geo.locate: the locator agrees exactly with brute force, boundaries included."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.division import divide
from geo.errors import GeoError
from geo.locate import GridLocator

SIZE = 0.01
XS = 118.3 + np.arange(9) * SIZE
YS = 36.8 + np.arange(7) * SIZE


def brute(codes: list[str], polys: list[BaseGeometry], lon: float, lat: float) -> str | None:
    return min(
        (c for c, p in zip(codes, polys, strict=True) if p.intersects(Point(lon, lat))),
        default=None,
    )


def square_grid() -> tuple[list[str], list[Polygon]]:
    """8 x 6 squares sharing exact edges; codes deliberately not in geometric order."""
    polys, codes = [], []
    for i in range(len(XS) - 1):
        for j in range(len(YS) - 1):
            polys.append(shapely.box(XS[i], YS[j], XS[i + 1], YS[j + 1]))
            codes.append(f"370305001001{(i * 7 + j * 13) % 97 + 1:03d}")
    return codes, polys


def divided_grid() -> tuple[list[str], list[Polygon]]:
    """Irregular grids from a division (cuts at 22.5 degree steps, T-junctions)."""
    village = Polygon(
        [(118.30, 36.80), (118.35, 36.79), (118.37, 36.83), (118.33, 36.82), (118.31, 36.85)]
    )
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = village.bounds
    pts = np.column_stack([rng.uniform(x0, x1, 8000), rng.uniform(y0, y1, 8000)])
    pts = pts[shapely.contains_xy(village, pts[:, 0], pts[:, 1])]
    d = divide(village, pts, 100)
    return [f"370305001002{i + 1:03d}" for i in range(len(d.polygons))][::-1], d.polygons


def edge_points(polys: list[Polygon], rng: np.random.Generator, n: int) -> np.ndarray:
    """Vertices and points on the edges of the polygons (exactly on, where floats allow)."""
    coords = np.concatenate([np.asarray(p.exterior.coords) for p in polys])
    verts = coords[rng.integers(0, len(coords), n)]
    a, b = coords[:-1], coords[1:]
    pick = rng.integers(0, len(a), n)
    t = rng.choice([0.0, 0.25, 0.5, 1.0], n)
    on_edges = a[pick] + t[:, None] * (b[pick] - a[pick])
    return np.concatenate([verts, on_edges])


@pytest.mark.parametrize("make", [square_grid, divided_grid])
def test_locate_agrees_with_brute_force(make) -> None:
    codes, polys = make()
    loc = GridLocator(codes, polys)
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = shapely.total_bounds(polys)
    inside = np.column_stack(
        [rng.uniform(x0 - 0.01, x1 + 0.01, 400), rng.uniform(y0 - 0.01, y1 + 0.01, 400)]
    )
    pts = np.concatenate([inside, edge_points(polys, rng, 300)])
    for lon, lat in pts:
        assert loc.locate(lon, lat) == brute(codes, polys, lon, lat), (lon, lat)
    many = loc.locate_many(pts[:, 0], pts[:, 1])
    assert many.dtype == object
    assert list(many) == [loc.locate(lon, lat) for lon, lat in pts]


def test_shared_edges_and_vertices_go_to_the_lowest_code() -> None:
    codes, polys = square_grid()
    loc = GridLocator(codes, polys)
    corner = (float(XS[3]), float(YS[2]))  # shared by four squares
    four = [c for c, p in zip(codes, polys, strict=True) if p.intersects(Point(corner))]
    assert len(four) == 4
    assert loc.locate(*corner) == min(four)
    edge = (float(XS[3]), float(YS[2]) + SIZE / 2)  # shared by two squares
    two = [c for c, p in zip(codes, polys, strict=True) if p.intersects(Point(edge))]
    assert len(two) == 2 and loc.locate(*edge) == min(two)
    assert loc.locate_many(
        np.array([corner[0], edge[0]]), np.array([corner[1], edge[1]])
    ).tolist() == [
        min(four),
        min(two),
    ]


_LOCATOR = GridLocator(*square_grid())


@given(
    xs=st.lists(st.floats(118.28, 118.40), min_size=1, max_size=30),
    ys=st.lists(st.floats(36.78, 36.88), min_size=1, max_size=30),
)
@settings(max_examples=30, deadline=None)
def test_locate_many_equals_locate_and_brute_force(xs: list[float], ys: list[float]) -> None:
    codes, polys = square_grid()
    loc = _LOCATOR
    n = min(len(xs), len(ys))
    # Snap some coordinates onto grid lines to hit shared edges and vertices.
    lons = np.array(
        [XS[int(x * 1000) % len(XS)] if i % 3 == 0 else x for i, x in enumerate(xs[:n])]
    )
    lats = np.array(
        [YS[int(y * 1000) % len(YS)] if i % 2 == 0 else y for i, y in enumerate(ys[:n])]
    )
    many = loc.locate_many(lons, lats)
    for lon, lat, got in zip(lons, lats, many, strict=True):
        assert got == loc.locate(lon, lat) == brute(codes, polys, lon, lat)


def test_outside_nan_and_empty() -> None:
    codes, polys = square_grid()
    loc = GridLocator(codes, polys)
    assert loc.locate(0.0, 0.0) is None
    assert loc.locate(float("nan"), 36.8) is None
    got = loc.locate_many(np.array([np.nan, 0.0, 118.305]), np.array([36.8, 0.0, 36.805]))
    assert got[0] is None and got[1] is None and got[2] == brute(codes, polys, 118.305, 36.805)
    empty = GridLocator([], [])
    assert empty.locate(118.3, 36.8) is None
    assert empty.locate_many(np.array([118.3]), np.array([36.8])).tolist() == [None]
    assert empty.nearest(118.3, 36.8, 1000) is None
    assert len(loc.locate_many(np.array([]), np.array([]))) == 0


def test_constructor_refuses_bad_input() -> None:
    box = shapely.box(0, 0, 1, 1)
    with pytest.raises(GeoError, match="got 1 codes for 2 polygons"):
        GridLocator(["a"], [box, box])
    with pytest.raises(GeoError, match="unique"):
        GridLocator(["a", "a"], [box, box])
    with pytest.raises(GeoError, match="lons and lats"):
        GridLocator(["a"], [box]).locate_many(np.zeros(2), np.zeros(3))


def test_large_batch_matches_tree_query() -> None:
    codes, polys = divided_grid()
    loc = GridLocator(codes, polys)
    rng = np.random.default_rng(9)
    x0, y0, x1, y1 = shapely.total_bounds(polys)
    lons, lats = rng.uniform(x0, x1, 50_000), rng.uniform(y0, y1, 50_000)
    got = loc.locate_many(lons, lats)
    expected = loc._lookup[loc._query(lons, lats)]  # the plain STRtree path, no raster
    assert (got == expected).all()


# --- nearest ----------------------------------------------------------------------------------

GEOD = Geod(ellps="WGS84")


def test_nearest_inside_is_zero_and_lowest_code() -> None:
    codes, polys = square_grid()
    loc = GridLocator(codes, polys)
    assert loc.nearest(118.305, 36.805, 10) == (brute(codes, polys, 118.305, 36.805), 0.0)
    corner = (float(XS[3]), float(YS[2]))
    assert loc.nearest(*corner, 10) == (loc.locate(*corner), 0.0)


def test_nearest_outside_measures_geodesic_metres() -> None:
    codes, polys = square_grid()
    loc = GridLocator(codes, polys)
    east = float(XS[-1])
    lat = 36.8 + 2.5 * SIZE
    lon, _, _ = GEOD.fwd(east, lat, 90, 50.0)  # 50 m east of the east edge
    code, dist = loc.nearest(lon, lat, 100)
    assert code == brute(codes, polys, east, lat)
    assert abs(dist - 50.0) < 0.01
    assert loc.nearest(lon, lat, 49.0) is None
    # South-west of the south-west corner: the corner is the nearest point.
    lon2, lat2, _ = GEOD.fwd(float(XS[0]), float(YS[0]), 225, 300.0)
    code2, dist2 = loc.nearest(lon2, lat2, 1000)
    assert code2 == brute(codes, polys, float(XS[0]), float(YS[0]))
    assert abs(dist2 - 300.0) < 0.5


def test_nearest_agrees_with_brute_force() -> None:
    codes, polys = divided_grid()
    loc = GridLocator(codes, polys)
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = shapely.total_bounds(polys)
    for lon, lat in zip(
        rng.uniform(x0 - 0.01, x1 + 0.01, 60), rng.uniform(y0 - 0.01, y1 + 0.01, 60), strict=True
    ):
        got = loc.nearest(lon, lat, 800)
        best = _brute_nearest(codes, polys, lon, lat)
        if best[1] <= 799:
            assert got is not None and got[0] == best[0] and abs(got[1] - best[1]) < 0.5
        elif best[1] > 801:
            assert got is None


def _brute_nearest(
    codes: list[str], polys: list[Polygon], lon: float, lat: float
) -> tuple[str, float]:
    """Densify every boundary to ~1 m and take the geodesic minimum."""
    best = ("", float("inf"))
    for code, poly in sorted(zip(codes, polys, strict=True)):
        if poly.intersects(Point(lon, lat)):
            return code, 0.0
        ring = np.asarray(shapely.segmentize(poly.exterior, 1e-5).coords)
        _, _, d = GEOD.inv(np.full(len(ring), lon), np.full(len(ring), lat), ring[:, 0], ring[:, 1])
        if d.min() < best[1]:
            best = (code, float(d.min()))
    return best


def test_nearest_refuses_bad_distance() -> None:
    loc = GridLocator(*square_grid())
    with pytest.raises(GeoError, match="max_distance_m"):
        loc.nearest(118.3, 36.8, -1)
    with pytest.raises(GeoError, match="max_distance_m"):
        loc.nearest(118.3, 36.8, float("nan"))
    assert loc.nearest(float("nan"), 36.8, 100) is None
