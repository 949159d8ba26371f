"""Fill a database with the demo district and a large event table for bench_events.py.

    DATABASE_URL=... .venv/bin/python bench/gen_events.py --events 1000000

Loads the Linzi demo (scale 1) if absent, then adds events spread over two years (without
transitions: the bench measures intake and box queries, not history). Prints its timing.

    DATABASE_URL=... .venv/bin/python bench/gen_events.py --settle

deletes the reports the benches made (description "bench"), with their steps and tasks, then
vacuums and analyzes: bench/events_http.sh runs it first, so that every run meets the table
as generated (a run adds some 30,000 open cases, which the next run's duplicate checks read).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select, text, update

from backend.config import load_settings
from backend.db import spatial
from backend.db.engine import make_engine, make_sessionmaker
from backend.db.migrate import upgrade
from backend.events.models import Event, EventEvaluation, EventMedia, EventTransition
from backend.load import district_exists
from backend.tasks.models import Task
from fixtures import demo, history


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--settle", action="store_true",
                    help="only delete the benches' reports, vacuum and analyze "
                         "(bench/events_http.sh runs it first)")
    a = ap.parse_args()
    engine = make_engine(load_settings().database_url)
    if a.settle:
        return settle(engine)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    with sessions() as s:
        if not district_exists(s, "370305"):
            t = time.perf_counter()
            demo.load(s, now)
            s.commit()
            print(f"demo district loaded in {time.perf_counter() - t:.0f} s")
        have = s.scalar(select(func.count()).select_from(Event))
    todo = max(0, a.events - have)
    t = time.perf_counter()
    step = 100_000
    for k, start in enumerate(range(0, todo, step)):
        with sessions() as s:
            history.generate(s, now, min(step, todo - start), days=730, seed=1000 + k,
                             transitions=False)
            s.commit()
        print(f"{start + min(step, todo - start):,} events added, "
              f"{time.perf_counter() - t:.0f} s", flush=True)
    settle(engine)
    print(f"{have + todo:,} events in {engine.url.get_backend_name()}; "
          f"added {todo:,} in {time.perf_counter() - t:.0f} s")


def settle(engine: Engine) -> None:
    """The benches' reports deleted; fresh planner statistics, and on PostgreSQL a vacuumed
    table, as autovacuum keeps a table in steady state: rows just written carry no visibility
    information yet, and a box's page read 1.2 ms instead of 2.0 after the vacuum."""
    prune(engine)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM (ANALYZE) events"))
        return
    with engine.connect() as c:
        c.execute(text("ANALYZE"))
        c.commit()


def prune(engine: Engine) -> None:
    """Delete the reports the benches made, and what refers to them."""
    t = time.perf_counter()
    with make_sessionmaker(engine)() as s:
        bench = Event.description == "bench"
        n = s.scalar(select(func.count()).select_from(Event).where(bench))
        if n:
            gone = select(Event.id).where(bench).scalar_subquery()
            # checking the self-reference of each deleted case scanned the whole table
            s.execute(text("CREATE INDEX tmp_events_duplicate_of ON events (duplicate_of_id)"))
            with spatial.append_only_suspended(s, "event_transitions"):
                s.execute(delete(EventTransition).where(EventTransition.event_id.in_(gone)))
            for model in (EventEvaluation, EventMedia):
                s.execute(delete(model).where(model.event_id.in_(gone)))
            s.execute(delete(Task).where(Task.kind == "EVENT", Task.subject_id.in_(gone)))
            s.execute(update(Event).where(Event.duplicate_of_id.in_(gone), ~bench)
                      .values(duplicate_of_id=None))
            s.execute(delete(Event).where(bench))
            s.execute(text("DROP INDEX tmp_events_duplicate_of"))
            s.commit()
        left = s.scalar(select(func.count()).select_from(Event))
    print(f"{left:,} events (deleted {n:,} of the benches' reports in "
          f"{time.perf_counter() - t:.0f} s)")


if __name__ == "__main__":
    main()
