"""The machine's speed at this moment: the CPU time of a fixed piece of pure Python.

    .venv/bin/python bench/machine_speed.py

These machines share their cores with other tenants, and the same code's rates differ by up
to ×2 from one minute to the next. events_http.sh prints this before and after its run, so
that a run's figures can be read against how fast the machine was while it ran.
"""

from __future__ import annotations

import statistics
import time


def work() -> int:
    d: dict[int, int] = {}
    for i in range(200_000):
        d[i % 1000] = d.get(i % 1000, 0) + i * 3
    return sum(d.values())


def main() -> None:
    times = []
    for _ in range(7):
        t = time.process_time()
        work()
        times.append(time.process_time() - t)
    print(f"machine speed: {1000 * statistics.median(times):.1f} ms a turn of fixed Python "
          f"(median of 7, fastest {1000 * min(times):.1f}; lower is faster)")


if __name__ == "__main__":
    main()
