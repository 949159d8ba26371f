"""Benchmarks of geo/: division, the grid locator and CRS conversion. Prints, asserts nothing.

    /work/main/.venv/bin/python bench/bench_geo.py [--quick]

Data is synthetic and seeded (no fixtures, no downloads): a village of 50,000 households
clustered around centres and apartment blocks; a district of ~465 villages and ~330,000
households (Linzi's scale); ~2,000 grid squares for the locator. Every loop is time-bound,
and repeated figures are the median of 5 runs.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.coding import number_grids  # noqa: E402
from geo.crs import CRS, from_wgs84, to_wgs84  # noqa: E402
from geo.division import DivisionQuality, divide  # noqa: E402
from geo.locate import GridLocator  # noqa: E402

LON0, LAT0 = 118.30, 36.80
COS = math.cos(math.radians(LAT0))
M_PER_DEG = 111_195.0
RUNS = 5


# --- synthetic data ---------------------------------------------------------------------------


def metres(dx_m: float, dy_m: float) -> tuple[float, float]:
    return dx_m / (M_PER_DEG * COS), dy_m / M_PER_DEG


def star_village(rng: np.random.Generator, cx: float, cy: float, radius_m: float) -> Polygon:
    n = 14
    angles = (np.arange(n) + rng.uniform(0, 0.8, n)) * 2 * np.pi / n
    radii = radius_m * rng.uniform(0.6, 1.0, n)
    dx, dy = metres(1.0, 1.0)
    return Polygon(
        np.column_stack([cx + radii * np.cos(angles) * dx, cy + radii * np.sin(angles) * dy])
    )


def households_in(poly: Polygon, n: int, rng: np.random.Generator, community: bool) -> np.ndarray:
    """Villages: houses around a few centres. Communities: apartment blocks of 60-300
    households within metres of each building, plus some scattered houses."""
    if n == 0:
        return np.empty((0, 2))
    x0, y0, x1, y1 = poly.bounds
    sx, sy = (x1 - x0), (y1 - y0)
    out: list[np.ndarray] = []
    count = 0
    while count < n:
        centres = np.column_stack([rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40)])
        centres = centres[shapely.contains_xy(poly, centres[:, 0], centres[:, 1])]
        if len(centres) == 0:
            continue
        if community:
            sizes = rng.integers(60, 300, len(centres))
            c = np.repeat(centres, sizes, axis=0)
            jitter = rng.normal(0, 1, c.shape) * metres(8.0, 8.0)
            scattered = np.column_stack([rng.uniform(x0, x1, n // 5), rng.uniform(y0, y1, n // 5)])
            pts = np.concatenate([c + jitter, scattered])
        else:
            c = centres[rng.integers(0, min(len(centres), 4), n)]
            pts = c + rng.normal(0, 1, (n, 2)) * (sx / 8, sy / 8)
        pts = pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]
        out.append(pts)
        count += len(pts)
    pts = np.concatenate(out)
    return pts[rng.permutation(len(pts))[:n]]


def district(
    rng: np.random.Generator, villages: int = 465, households: int = 330_000
) -> tuple[list[Polygon], list[np.ndarray], list[str]]:
    """Villages as Voronoi cells of a 40 x 30 km box, households lognormal per village."""
    w, h = metres(40_000, 30_000)
    box = shapely.box(LON0, LAT0, LON0 + w, LAT0 + h)
    seeds = np.column_stack(
        [rng.uniform(LON0, LON0 + w, villages), rng.uniform(LAT0, LAT0 + h, villages)]
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    cells = [c.intersection(box) for c in cells]
    cells = [c for c in cells if isinstance(c, Polygon) and c.area > 0]
    sizes = rng.lognormal(0, 0.6, len(cells))
    sizes = np.maximum(np.round(sizes / sizes.sum() * households), 30).astype(int)
    kinds = ["COMMUNITY" if rng.random() < 0.2 else "VILLAGE" for _ in cells]
    homes = [
        households_in(c, int(n), rng, k == "COMMUNITY")
        for c, n, k in zip(cells, sizes, kinds, strict=True)
    ]
    return cells, homes, kinds


def grid_squares(n_side: int = 45, side_m: float = 1_000.0) -> tuple[list[str], list[Polygon]]:
    dx, dy = metres(side_m, side_m)
    xs, ys = LON0 + np.arange(n_side + 1) * dx, LAT0 + np.arange(n_side + 1) * dy
    polys = [
        shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1])
        for j in range(n_side)
        for i in range(n_side)
    ]
    codes = [f"370305{1 + k // 999:03d}001{1 + k % 999:03d}" for k in range(len(polys))]
    return codes, polys


# --- timing helpers -------------------------------------------------------------------------------


def per_second(fn: Callable[[int], int], budget_s: float) -> float:
    """Median over RUNS of items/s, each run calling fn(i) until budget_s has passed."""
    rates = []
    for _ in range(RUNS):
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < budget_s:
            done += fn(done)
        rates.append(done / (time.perf_counter() - start))
    return statistics.median(rates)


def median_time(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def show_quality(q: DivisionQuality) -> str:
    return (
        f"grids {q.grids}, households/grid min {q.min} median {q.median:.0f} max {q.max}, "
        f"within ±25% {q.within_25pct:.1%}, Polsby-Popper {q.mean_polsby_popper:.2f}, "
        f"coverage error {q.coverage_error:.1e}"
    )


def progress(label: str, done: int, total: int) -> None:
    if done == total or done % max(1, total // 10) == 0:
        print(f"  {label}: {done}/{total}", flush=True)


# --- benchmarks -----------------------------------------------------------------------------------


def bench_big_village(rng: np.random.Generator) -> None:
    print("division: one village of 50,000 households (radius 4 km, clustered + blocks)")
    village = star_village(rng, LON0, LAT0, 4_000)
    pts = np.concatenate(
        [households_in(village, 35_000, rng, False), households_in(village, 15_000, rng, True)]
    )
    start = time.perf_counter()
    d = divide(village, pts, 200)
    print(f"  time {time.perf_counter() - start:.2f} s; {show_quality(d.quality)}")
    pts8 = pts[:8000]
    t8 = median_time(lambda: divide(village, pts8, 200))
    print(f"  8,000 households of it: {t8 * 1000:.0f} ms (median of {RUNS})")


def bench_district(rng: np.random.Generator, villages: int, households: int) -> list[Polygon]:
    print(f"division: district of {villages} villages, {households:,} households")
    cells, homes, _ = district(rng, villages, households)
    start = time.perf_counter()
    grids: list[Polygon] = []
    qs: list[DivisionQuality] = []
    for i, (cell, pts) in enumerate(zip(cells, homes, strict=True), 1):
        d = divide(cell, pts, 200)
        number_grids(f"370305{1 + i // 999:03d}{1 + i % 999:03d}", d.polygons)
        grids.extend(d.polygons)
        qs.append(d.quality)
        progress("villages divided", i, len(cells))
    elapsed = time.perf_counter() - start
    eligible = [q for q in qs if q.households >= q.target]
    within = sum(q.within_25pct * q.grids for q in eligible) / max(
        1, sum(q.grids for q in eligible)
    )
    pp = sum(q.mean_polsby_popper * q.grids for q in qs) / max(1, len(grids))
    print(
        f"  time {elapsed:.2f} s for {len(grids)} grids; within ±25% {within:.1%} "
        f"(villages >= 200 households); Polsby-Popper {pp:.2f}; "
        f"max coverage error {max(q.coverage_error for q in qs):.1e}"
    )
    return grids


def bench_locator(
    label: str, codes: Sequence[str], polys: Sequence[Polygon], rng: np.random.Generator
) -> None:
    print(f"locator: {label} ({len(polys)} grids)")
    loc = GridLocator(codes, polys)
    start = time.perf_counter()
    loc.raster  # built lazily on first use; timed on its own  # noqa: B018
    print(f"  raster build {time.perf_counter() - start:.2f} s (once)")
    x0, y0, x1, y1 = shapely.total_bounds(loc.polygons)
    mx, my = (x1 - x0) * 0.02, (y1 - y0) * 0.02
    n = 1_000_000
    lons = rng.uniform(x0 - mx, x1 + mx, n)
    lats = rng.uniform(y0 - my, y1 + my, n)
    lon_list, lat_list = lons.tolist(), lats.tolist()

    def one_by_one(done: int) -> int:
        base = done % (n - 1000)
        for i in range(base, base + 1000):
            loc.locate(lon_list[i], lat_list[i])
        return 1000

    rate_single = per_second(one_by_one, 0.5)
    t_many = median_time(lambda: loc.locate_many(lons, lats))
    tree = shapely.STRtree(loc.polygons)
    t_tree = median_time(lambda: tree.query(shapely.points(lons, lats), predicate="intersects"))
    print(f"  one by one: {rate_single:,.0f} lookups/s")
    print(f"  locate_many(1,000,000): {n / t_many:,.0f} lookups/s")
    print(f"  plain STRtree.query(points) for reference: {n / t_tree:,.0f} lookups/s")
    t_near = per_second(
        lambda done: (loc.nearest(lon_list[done % n], lat_list[done % n], 200.0), 1)[1], 0.3
    )
    print(f"  nearest(…, 200 m): {t_near:,.0f} lookups/s")


def bench_crs(rng: np.random.Generator) -> None:
    print("CRS conversion to WGS-84 (one position at a time)")
    n = 100_000
    wgs = np.column_stack([rng.uniform(118.0, 118.6, n), rng.uniform(36.6, 37.0, n)])
    for crs in (CRS.GCJ02, CRS.BD09):
        given = [from_wgs84(lon, lat, crs) for lon, lat in wgs[:20_000].tolist()]

        def convert(done: int, given: list[tuple[float, float]] = given, crs: CRS = crs) -> int:
            base = done % (len(given) - 500)
            for lon, lat in given[base : base + 500]:
                to_wgs84(lon, lat, crs)
            return 500

        rate = per_second(convert, 0.5)
        err = max(
            math.hypot(*np.subtract(to_wgs84(*g, crs), w))
            for g, w in zip(given[:2000], wgs[:2000], strict=True)
        )
        mm = err * M_PER_DEG * 1000
        print(f"  {crs.value} -> WGS84: {rate:,.0f} conversions/s (round-trip error {mm:.1e} mm)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the district")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(370305)
    versions = f"numpy {np.__version__}, shapely {shapely.__version__}"
    print(f"geo benchmarks ({versions}, GEOS {shapely.geos_version_string})")
    # CRS first: the big arrays of later benchmarks slow Python's garbage collector down.
    bench_crs(rng)
    bench_big_village(rng)
    scale = 0.1 if args.quick else 1.0
    grids = bench_district(rng, int(465 * scale), int(330_000 * scale))
    bench_locator("squares of 1 km", *grid_squares(), rng)
    gc.collect()
    bench_locator("the district's grids", [f"{i:06d}" for i in range(len(grids))], grids, rng)


if __name__ == "__main__":
    main()
