"""geo.division: grids tile the village exactly, are contiguous, deterministic, hold every
household once (as point-in-polygon says), and number k = max(1, round(n / N))."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon

from geo.division import Division, _assign, agents_needed, divide, quality
from geo.errors import GeoError

LON0, LAT0 = 118.3, 36.8
COS = math.cos(math.radians(LAT0))


# --- data -------------------------------------------------------------------------------------


def star(rng: np.random.Generator, vertices: int, radius_deg: float, depth: float) -> Polygon:
    """A star-shaped polygon around (118.3E, 36.8N): concave when depth is large."""
    # Jittered even angles: every gap is below pi, so the polygon is simple.
    angles = (np.arange(vertices) + rng.uniform(0, 0.8, vertices)) * 2 * np.pi / vertices
    radii = radius_deg * (1 - depth * rng.uniform(0, 1, len(angles)))
    return Polygon(
        np.column_stack([LON0 + radii * np.cos(angles) / COS, LAT0 + radii * np.sin(angles)])
    )


def convex(rng: np.random.Generator, vertices: int, radius_deg: float) -> Polygon:
    pts = rng.normal(0, radius_deg, (max(vertices, 3), 2)) * (1 / COS, 1) + (LON0, LAT0)
    hull = shapely.multipoints(pts).convex_hull
    return hull if isinstance(hull, Polygon) else shapely.box(LON0, LAT0, LON0 + 0.01, LAT0 + 0.01)


def c_shape(
    gap_at_deg: float, gap_deg: float = 3.0, r0: float = 0.006, r1: float = 0.0075
) -> Polygon:
    """An annulus broken by a narrow gap: most straight cuts break it into three parts."""
    a = np.radians(np.linspace(gap_at_deg + gap_deg / 2, gap_at_deg - gap_deg / 2 + 360, 120))
    outer = np.column_stack([r1 * np.cos(a) / COS, r1 * np.sin(a)])
    inner = np.column_stack([r0 * np.cos(a[::-1]) / COS, r0 * np.sin(a[::-1])])
    return Polygon(np.concatenate([outer, inner]) + (LON0, LAT0))


def inside(poly: Polygon, pts: np.ndarray) -> np.ndarray:
    return pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]


def homes(poly: Polygon, n: int, rng: np.random.Generator, clustered: bool) -> np.ndarray:
    """n households in `poly`: uniform, or around a few centres with dense blocks and
    some households at the very same spot (apartment blocks) and on the boundary."""
    if n == 0:
        return np.empty((0, 2))
    x0, y0, x1, y1 = poly.bounds
    got: list[np.ndarray] = [np.asarray(poly.exterior.coords)[: min(3, n)]]  # on the boundary
    count = len(got[0])
    while count < n:
        if clustered:
            centres = inside(
                poly, np.column_stack([rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)])
            )
            if len(centres) == 0:
                continue
            c = centres[rng.integers(0, len(centres), n)]
            spread = rng.choice([(x1 - x0) / 6, (x1 - x0) / 60], n)[:, None]
            pts = c + rng.normal(0, 1, (n, 2)) * spread
            same = rng.random(n) < 0.05
            pts[same] = c[same]  # exactly at a centre: an apartment block
        else:
            pts = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
        pts = inside(poly, pts)
        got.append(pts)
        count += len(pts)
    return np.concatenate(got)[:n]


# --- the properties ---------------------------------------------------------------------------


def check_division(
    village: Polygon | MultiPolygon, pts: np.ndarray, n_per: int, d: Division
) -> None:
    polys = d.polygons
    # contiguity: every grid is one valid Polygon
    assert all(isinstance(p, Polygon) and p.is_valid and not p.is_empty for p in polys)
    # tiling: union equals the village, overlaps have zero area
    area = village.area
    union = shapely.union_all(polys)
    assert abs(union.area - area) / area < 1e-9
    assert village.symmetric_difference(union).area / area < 1e-9
    assert abs(sum(p.area for p in polys) - area) / area < 1e-9
    tree = shapely.STRtree(polys)
    a, b = tree.query(polys, predicate="intersects")
    pairs = a < b
    overlap = shapely.area(
        shapely.intersection(np.asarray(polys)[a[pairs]], np.asarray(polys)[b[pairs]])
    )
    assert (overlap == 0).all()
    assert shapely.coverage_is_valid(np.asarray(polys))  # shared edges match vertex for vertex
    # every household in exactly one grid, as point-in-polygon says (lowest index on a tie)
    assert d.assignment.shape == (len(pts),)
    for i, (lon, lat) in enumerate(pts):
        hits = [j for j, p in enumerate(polys) if p.intersects(Point(lon, lat))]
        assert hits and d.assignment[i] == min(hits)
    assert d.counts == np.bincount(d.assignment, minlength=len(polys)).tolist()
    assert d.quality.households == len(pts) and d.quality.grids == len(polys)
    assert d.quality.coverage_error < 1e-9


def wkb(d: Division) -> list[bytes]:
    return [shapely.to_wkb(p) for p in d.polygons]


@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.sampled_from(["convex", "star", "spiky", "c-shape"]),
    vertices=st.integers(3, 24),
    radius_m=st.floats(150, 2500),
    n=st.integers(0, 1500),
    per=st.sampled_from([30, 75, 200]),
    clustered=st.booleans(),
)
@settings(max_examples=30, deadline=None)
def test_division_properties(
    seed: int, shape: str, vertices: int, radius_m: float, n: int, per: int, clustered: bool
) -> None:
    rng = np.random.default_rng(seed)
    r = radius_m / 111_000
    if shape == "convex":
        village = convex(rng, vertices, r)
    elif shape == "c-shape":
        village = c_shape(float(rng.uniform(0, 360)), r0=0.7 * r, r1=r)
    else:
        village = star(rng, max(vertices, 5), r, 0.4 if shape == "star" else 0.85)
    pts = homes(village, n, rng, clustered)
    d = divide(village, pts, per)
    assert len(d.polygons) == max(1, round(n / per))
    check_division(village, pts, per, d)
    again = divide(village, pts.copy(), per)
    assert wkb(again) == wkb(d)
    assert (again.assignment == d.assignment).all()


def test_small_village_is_one_grid_the_village() -> None:
    village = shapely.box(118.30, 36.80, 118.31, 36.81)
    rng = np.random.default_rng(0)
    for n in (0, 1, 99, 199):
        d = divide(village, homes(village, n, rng, False), 200)
        assert len(d.polygons) == 1 and d.polygons[0].equals(village)
        assert d.counts == [n]
    assert len(divide(village, homes(village, 299, rng, False), 200).polygons) == 1  # round(1.495)
    assert len(divide(village, homes(village, 301, rng, False), 200).polygons) == 2


def test_uniform_square_gets_balanced_compact_grids() -> None:
    village = shapely.box(118.30, 36.80, 118.32, 36.816)
    rng = np.random.default_rng(1)
    pts = homes(village, 3200, rng, False)
    d = divide(village, pts, 200)
    assert len(d.polygons) == 16
    assert d.counts == [200] * 16
    assert d.quality.within_25pct == 1.0
    assert d.quality.mean_polsby_popper > 0.6
    check_division(village, pts, 200, d)


def test_village_with_a_hole() -> None:
    village = Polygon(
        [(118.30, 36.80), (118.33, 36.80), (118.33, 36.83), (118.30, 36.83)],
        [[(118.31, 36.81), (118.32, 36.81), (118.32, 36.82), (118.31, 36.82)]],
    )
    pts = homes(village, 2000, np.random.default_rng(2), True)
    d = divide(village, pts, 200)
    assert len(d.polygons) == 10
    check_division(village, pts, 200, d)


def test_multipolygon_grids_do_not_span_parts() -> None:
    west = shapely.box(118.30, 36.80, 118.31, 36.81)
    east = shapely.box(118.32, 36.80, 118.335, 36.81)
    island = shapely.box(118.34, 36.80, 118.341, 36.801)  # no households: one grid of its own
    village = MultiPolygon([west, east, island])
    rng = np.random.default_rng(3)
    pts = np.concatenate([homes(west, 400, rng, True), homes(east, 800, rng, True)])
    d = divide(village, pts, 200)
    assert len(d.polygons) == 7  # 2 + 4 by households, + 1 for the empty island
    for p in d.polygons:
        owners = [part for part in (west, east, island) if part.intersection(p).area > 0]
        assert len(owners) == 1 and abs(owners[0].intersection(p).area - p.area) < 1e-15
    check_division(village, pts, 200, d)


@pytest.mark.parametrize("k", [2, 3, 9])
def test_c_shape_is_cut_into_connected_balanced_grids(k: int) -> None:
    # Straight cuts break a C into three parts; they are regrouped into two connected sides.
    village = c_shape(16.25)
    pts = homes(village, 100 * k, np.random.default_rng(k), False)
    d = divide(village, pts, 100)
    assert len(d.polygons) == k
    assert all(75 <= c <= 125 for c in d.counts), d.counts
    check_division(village, pts, 100, d)


def test_households_at_one_spot_cannot_be_split_but_still_tile() -> None:
    village = shapely.box(118.30, 36.80, 118.31, 36.81)
    pts = np.tile([[118.305, 36.805]], (600, 1))
    d = divide(village, pts, 200)
    assert len(d.polygons) == 3
    assert sorted(d.counts) == [0, 0, 600]
    check_division(village, pts, 200, d)


def test_tie_rule_on_shared_vertices_is_lowest_index() -> None:
    village = star(np.random.default_rng(4), 12, 0.01, 0.6)
    d = divide(village, homes(village, 2000, np.random.default_rng(4), True), 100)
    verts = np.unique(np.concatenate([np.asarray(p.exterior.coords) for p in d.polygons]), axis=0)
    got = _assign(d.polygons, verts)
    for (lon, lat), g in zip(verts, got, strict=True):
        hits = [j for j, p in enumerate(d.polygons) if p.intersects(Point(lon, lat))]
        assert g == min(hits)


def test_grids_are_in_reading_order() -> None:
    from geo.coding import reading_order

    village = shapely.box(118.30, 36.80, 118.33, 36.82)
    d = divide(village, homes(village, 2400, np.random.default_rng(5), False), 200)
    assert reading_order(d.polygons) == list(range(len(d.polygons)))


def test_eight_thousand_households_divide_fast() -> None:
    rng = np.random.default_rng(6)
    village = star(rng, 16, 0.02, 0.5)
    pts = homes(village, 8000, rng, True)
    start = time.perf_counter()
    d = divide(village, pts, 200)
    elapsed = time.perf_counter() - start
    assert len(d.polygons) == 40
    assert elapsed < 2.0  # ~0.1 s here; generous for a loaded machine
    assert d.quality.within_25pct >= 0.9


def test_realistic_villages_meet_the_quality_target() -> None:
    """Clustered villages and communities with dense blocks: >= 90% within +-25%."""
    rng = np.random.default_rng(7)
    within, grids = 0.0, 0
    for _ in range(25):
        village = star(rng, int(rng.integers(6, 16)), rng.uniform(0.005, 0.02), 0.4)
        n = int(rng.integers(400, 4000))
        d = divide(village, homes(village, n, rng, True), 200)
        within += d.quality.within_25pct * d.quality.grids
        grids += d.quality.grids
    assert within / grids >= 0.9


# --- refusals and helpers ------------------------------------------------------------------


def test_divide_refuses_bad_input() -> None:
    village = shapely.box(118.30, 36.80, 118.31, 36.81)
    pts = np.array([[118.305, 36.805]])
    for bad in (0, -5, 2.5, True):
        with pytest.raises(GeoError, match="households per grid"):
            divide(village, pts, bad)  # type: ignore[arg-type]
    with pytest.raises(
        GeoError, match=r"1 of 2 households lie outside the village \(first: household 1"
    ):
        divide(village, np.array([[118.305, 36.805], [118.4, 36.805]]), 200)
    with pytest.raises(GeoError, match="shape"):
        divide(village, np.array([1.0, 2.0, 3.0]), 200)
    with pytest.raises(GeoError, match="not a finite number"):
        divide(village, np.array([[np.nan, 36.8]]), 200)
    bowtie = Polygon([(118.30, 36.80), (118.31, 36.81), (118.31, 36.80), (118.30, 36.81)])
    with pytest.raises(GeoError, match="not a valid polygon"):
        divide(bowtie, pts, 200)
    with pytest.raises(GeoError, match="Polygon or MultiPolygon"):
        divide(Point(118.3, 36.8), pts, 200)  # type: ignore[arg-type]
    with pytest.raises(GeoError, match="empty"):
        divide(Polygon(), pts, 200)


@pytest.mark.parametrize(
    ("households", "ratio", "agents"),
    [(0, 200, 0), (1, 200, 1), (200, 200, 1), (201, 200, 2), (399, 200, 2), (1000, 110, 10)],
)
def test_agents_needed(households: int, ratio: int, agents: int) -> None:
    assert agents_needed(households, ratio) == agents


def test_agents_needed_refuses() -> None:
    with pytest.raises(GeoError, match="above 0"):
        agents_needed(10, 0)
    with pytest.raises(GeoError, match="negative"):
        agents_needed(-1)
    assert agents_needed(250) == 2


def test_quality_measures() -> None:
    village = shapely.box(118.30, 36.80, 118.32, 36.81)
    left = shapely.box(118.30, 36.80, 118.31, 36.81)
    right = shapely.box(118.31, 36.80, 118.32, 36.81)
    q = quality(village, [left, right], [160, 300], 200)
    assert (q.grids, q.households, q.target, q.min, q.max, q.median) == (
        2,
        460,
        200,
        160,
        300,
        230.0,
    )
    assert q.within_25pct == 0.5
    assert q.coverage_error < 1e-12
    w = math.cos(math.radians(36.805))  # each box is w x 1 in the local metric frame
    assert abs(q.mean_polsby_popper - 4 * math.pi * w / (2 * (w + 1)) ** 2) < 1e-9
    gap = quality(village, [left], [160], 200)
    assert abs(gap.coverage_error - 0.5) < 1e-9
    assert gap.within_25pct == 1.0  # fewer households than the target: not judged
