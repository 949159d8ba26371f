"""PostGIS: the duplicate check (in the statement that routes a report) keeps one plan.

A custom plan that sees the radius's small box expects a few rows, the generic plan a default
share of the table; left so, PostgreSQL planned the check afresh on most calls, and planning
cost more than the check. With the box and the point hidden from the planner it settles on
the generic plan after its first five custom plans (pg_prepared_statements counts them). On
a test database the two estimates are close either way, so the test also checks the means:
a custom plan sees neither box nor point, and costs what the generic plan does."""

import importlib.util
import json
import random
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event, text

from backend import db as migrations
from backend.auth.service import load_caller
from backend.db import spatial
from backend.events import service
from backend.events.models import Event
from backend.events.service import category_by_code
from backend.events.workflow import OPEN
from backend.positions import Position


def test_duplicate_check_is_planned_once(session) -> None:  # type: ignore[no-untyped-def]
    if spatial.dialect_of(session) != "postgis":
        pytest.skip("SQLite plans every statement")
    rng = random.Random(7)
    caller = load_caller(session, 1)
    cat = category_by_code(session, "0101")
    assert cat.duplicate_radius_m > 0 and cat.duplicate_window_h > 0
    now = datetime(2026, 6, 1, 2, tzinfo=UTC)
    _grow_events(session, 20_000)  # estimates from a table of some size
    seen: list[dict] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "near AS MATERIALIZED" in statement:
            seen.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        for k in range(25):  # psycopg prepares a statement at its fifth run
            service.report(session, caller, service.ReportInput(
                client_id=str(uuid.UUID(int=rng.getrandbits(128))), category_code="0101",
                description=f"plan test {k}", source="APP",
                position=Position(rng.uniform(118.2, 118.45), rng.uniform(36.76, 36.92))), now)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    name, generic, custom = session.execute(text(
        "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE statement LIKE '%near AS MATERIALIZED%'")).one()
    assert custom <= 5 and generic >= 15, (generic, custom)
    # Both plans of one call: the custom one sees no box and no point (no geometry literal),
    # so it costs what the generic one does (to 1%: the other parameters, seen or not, make
    # cents of difference); PostgreSQL keeps a generic plan that costs no more than the
    # custom plans and their planning.
    dbapi = session.connection().connection.dbapi_connection
    cursor = psycopg.ClientCursor(dbapi)  # EXECUTE takes its arguments as literals
    statement, params = seen[-1]
    values = [params[k] for k in _placeholders(statement)]
    plans = {}
    for mode in ("force_custom_plan", "force_generic_plan"):
        cursor.execute(f"SET LOCAL plan_cache_mode = {mode}")
        cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {name} "
                       f"({', '.join(['%s'] * len(values))})", values)
        plans[mode] = cursor.fetchone()[0][0]["Plan"]
    cursor.execute("SET LOCAL plan_cache_mode = auto")
    for node in _duplicate_nodes(plans["force_custom_plan"]):
        seen_by_planner = json.dumps({k: v for k, v in node.items() if k != "Plans"})
        assert "0103000020E6" not in seen_by_planner, node  # a polygon: the box
        assert "0101000020E6" not in seen_by_planner, node  # a point
    custom_cost = plans["force_custom_plan"]["Total Cost"]
    assert abs(plans["force_generic_plan"]["Total Cost"] - custom_cost) <= 0.01 * custom_cost
    # the candidates come from the spatial index of the open cases (migration 0009) alone
    scans = [n for n in _duplicate_nodes(plans["force_generic_plan"])
             if n.get("Relation Name") == "events"]
    assert [n.get("Index Name") for n in scans] == ["ix_events_open_geom"], scans


def test_the_open_cases_index_covers_the_open_statuses(session) -> None:  # type: ignore[no-untyped-def]
    """The index's predicate names what the workflow calls open: the duplicate check's IN list
    must match it for the index to serve the check (a new open status needs a migration)."""
    path = Path(migrations.__file__).parent / "migrations/versions/0009_open_events_index.py"
    spec = importlib.util.spec_from_file_location("open_events_index", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.OPEN == OPEN
    if spatial.dialect_of(session) != "postgis":
        return
    definition = session.execute(text(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_events_open_geom'")).scalar_one()
    assert sorted(re.findall(r"'(\w+)'::", definition)) == sorted(OPEN), definition


def _duplicate_nodes(plan: dict) -> list[dict]:
    """The plan's nodes that read events for the duplicate check: the scan of events, the
    scan of its candidates (CTE near), and the nearest-first sort."""
    found, stack = [], [plan]
    while stack:
        node = stack.pop()
        stack.extend(node.get("Plans", []))
        if (node.get("Relation Name") == "events" or node.get("CTE Name") == "near"
                or any("near.geom" in k for k in node.get("Sort Key", []))):
            found.append(node)
    assert len(found) == 3, plan
    return found


def _placeholders(statement: str) -> list[str]:
    """The names of the statement's %(name)s in the order of its prepared form's $1, $2, ...:
    psycopg numbers them by first appearance."""
    return list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement)))


def _grow_events(session, n: int) -> None:  # type: ignore[no-untyped-def]
    """n copies of an event, spread over the district (rolled back with the test)."""
    t = Event.__table__
    copied = [c for c in t.c if c.name not in ("id", "client_id", "geom")]
    names = ", ".join(c.name for c in copied)
    session.execute(text(
        f"INSERT INTO events (client_id, geom, {names}) "
        f"SELECT gen_random_uuid()::text, ST_SetSRID(ST_MakePoint(118.2 + random() * 0.25, "
        f"36.76 + random() * 0.16), 4326), {names} "
        f"FROM (SELECT * FROM events ORDER BY id LIMIT 1) e, generate_series(1, :n)"), {"n": n})
