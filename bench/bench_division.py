"""Division of the whole demo district (fixtures/linzi.py, scale 1) and the locator on its
grids. Prints seconds, peak memory and the quality figures; asserts nothing.

    .venv/bin/python bench/bench_division.py
"""

from __future__ import annotations

import resource
import statistics
import time

import numpy as np

from fixtures import demo, linzi
from geo.locate import GridLocator


def main() -> None:
    t = time.perf_counter()
    d = linzi.build_district(1.0)
    built = time.perf_counter() - t
    t = time.perf_counter()
    doc = demo.build(1.0)
    divided = time.perf_counter() - t - built  # build() builds the district again, then divides
    q = doc["quality"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"district: {len(d.villages)} villages, {len(d.households):,} households "
          f"(generated in {built:.1f} s)")
    print(f"division: {q.grids:,} grids in {divided:.1f} s; peak RSS {peak_mb:.0f} MB")
    print(f"  households per grid min {q.min} / median {q.median:.0f} / max {q.max}; "
          f"{q.within_25pct:.1%} within ±25% of 200 (villages under 200 left out); "
          f"mean Polsby-Popper {q.mean_polsby_popper:.2f}; "
          f"worst coverage error {q.coverage_error:.1e}")
    from shapely.geometry import shape

    grids = doc["grids"]
    locator = GridLocator([g["code"] for g in grids], [shape(g["geometry"]) for g in grids])
    hh = doc["households"]
    x0, y0, x1, y1 = d.polygon.bounds
    rng = np.random.default_rng(1)
    uniform = (rng.uniform(x0, x1, 1_000_000), rng.uniform(y0, y1, 1_000_000))
    for label, (lons, lats) in (("uniform points over the district", uniform),
                                ("the households (dense blocks)",
                                 (np.asarray(hh.lon), np.asarray(hh.lat)))):
        rates = []
        for _ in range(5):
            t = time.perf_counter()
            locator.locate_many(lons, lats)
            rates.append(len(lons) / (time.perf_counter() - t))
        print(f"locator, {label}: {statistics.median(rates):,.0f} lookups/s vectorized "
              f"(median of 5 runs over {len(lons):,} points)")
    one = []
    for _ in range(5):
        t = time.perf_counter()
        deadline = t + 2
        n = 0
        while time.perf_counter() < deadline and n < 200_000:
            locator.locate(lons[n], lats[n])
            n += 1
        one.append(n / (time.perf_counter() - t))
    print(f"  one by one: {statistics.median(one):,.0f} lookups/s")


if __name__ == "__main__":
    main()
