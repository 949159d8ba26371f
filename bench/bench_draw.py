"""The random inspection draw in process: 100,000 targets, 500 inspectors (docs/draw.md).

Times the population hash, the target draw (one HMAC and one log per target), the inspector
assignment and the full verification of the published document. Run by hand:
.venv/bin/python bench/bench_draw.py [--targets 100000] [--inspectors 500] [--sample 5000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from backend.inspections import draw


def timed(fn, repeat: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), max(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=100_000)
    ap.add_argument("--inspectors", type=int, default=500)
    ap.add_argument("--sample", type=int, default=5_000)
    ap.add_argument("--per-target", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rng = random.Random(6)
    targets = [draw.Target(f"91370305MA{n:08d}", rng.choices("ABCD", (1, 3, 4, 2))[0])
               for n in range(a.targets)]
    inspectors = [draw.Inspector(f"SCJ{n:05d}") for n in range(a.inspectors)]
    conflicts = [(rng.choice(inspectors).code, rng.choice(targets).code) for _ in range(1000)]
    last = {t.code: [c.code for c in rng.sample(inspectors, 2)]
            for t in rng.sample(targets, a.targets // 10)}
    seed = f"{rng.getrandbits(128):032x}"
    print(f"{a.targets:,} targets, {a.inspectors} inspectors, sample {a.sample:,}, "
          f"{a.per_target} per target, {len(conflicts)} conflicts, {len(last):,} last "
          f"inspections; median / max of {a.repeat}")
    med, mx, _ = timed(lambda: draw.population_hash(targets), a.repeat)
    print(f"population hash      {med:7.3f} s / {mx:.3f} s")
    med, mx, drawn = timed(lambda: draw.draw_targets(seed, targets, a.sample), a.repeat)
    print(f"draw targets         {med:7.3f} s / {mx:.3f} s")
    med, mx, _ = timed(lambda: draw.assign_inspectors(seed, drawn, inspectors, a.per_target,
                                                      conflicts, last), a.repeat)
    print(f"assign inspectors    {med:7.3f} s / {mx:.3f} s")
    med, mx, doc = timed(lambda: draw.plan_document(seed, targets, a.sample, None, inspectors,
                                                    a.per_target, conflicts, last), a.repeat)
    print(f"whole draw + document{med:7.3f} s / {mx:.3f} s")
    med, mx, problems = timed(lambda: draw.verify(doc), a.repeat)
    print(f"verify the document  {med:7.3f} s / {mx:.3f} s ({'verified' if not problems else problems[:1]})")


if __name__ == "__main__":
    main()
