"""events(bbox): the page merged cell by cell (PostGIS) equals the plain answer, newest first.

The oracle reads every event's coordinates and filters them in Python; the boxes cover the
cell path (up to MAX_CELLS cells) and the plain query beyond it, edges through points and
along cell boundaries, and pages followed to the end."""

import math
import random
import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, text

from backend.auth.service import load_caller
from backend.db import spatial
from backend.events import service
from backend.events.models import Event
from backend.positions import Position

X0, Y0, X1, Y1 = 118.360, 36.800, 118.385, 36.820  # about 2.2 × 2.2 km


def _points(rng: random.Random) -> list[tuple[float, float]]:
    pts = [(rng.uniform(X0, X1), rng.uniform(Y0, Y1)) for _ in range(400)]
    pts += [(rng.uniform(118.371, 118.3725), rng.uniform(36.809, 36.8105)) for _ in range(150)]
    # on cell boundaries, and one float either side of them
    for k in range(math.ceil((X0 + 180) * 400), math.floor((X1 + 180) * 400) + 1, 3):
        x = k / 400 - 180
        pts += [(v, rng.uniform(Y0, Y1)) for v in (x, math.nextafter(x, 0), math.nextafter(x, 999))]
    for k in range(math.ceil((Y0 + 90) * 400), math.floor((Y1 + 90) * 400) + 1, 3):
        y = k / 400 - 90
        pts += [(rng.uniform(X0, X1), v) for v in (y, math.nextafter(y, 0), math.nextafter(y, 99))]
    return pts


def _boxes(rng: random.Random, pts: list[tuple[float, float]]) -> list[tuple[float, ...]]:
    boxes = []
    for size in (0.0005, 0.002, 0.0112, 0.02, 0.03):  # 0.03° is past MAX_CELLS: plain query
        for _ in range(6):
            x, y = rng.uniform(X0 - 0.005, X1), rng.uniform(Y0 - 0.005, Y1)
            boxes.append((x, y, x + size, y + size * 0.8))
    for _ in range(6):  # edges through points: the boundary is in the box
        (ax, ay), (bx, by) = rng.sample(pts, 2)
        boxes.append((min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))
    x, y = pts[0]
    boxes.append((x, y, x, y))  # a box that is a point
    return boxes


def test_pages_by_cell_equal_the_plain_answer(session) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(20261201)
    caller = load_caller(session, 1)
    now = datetime(2026, 6, 1, 2, tzinfo=UTC)
    pts = _points(rng)
    for k, (lon, lat) in enumerate(pts):
        service.report(session, caller, service.ReportInput(
            client_id=str(uuid.UUID(int=rng.getrandbits(128))), category_code="0101",
            description=f"cell test {k}", source="APP", position=Position(lon, lat),
            acknowledge_duplicate=True), now)
    session.flush()
    d = spatial.dialect_of(session)
    every = session.execute(select(Event.id, Event.status,
                                   *spatial.lon_lat(Event.__table__, d))
                            .where(Event.geom.is_not(None))).all()
    assert len(every) >= len(pts)
    by_cells = plain = 0
    for box in _boxes(rng, pts):
        x0, y0, x1, y1 = box
        inside = sorted(((i, s) for i, s, lon, lat in every
                         if x0 <= lon <= x1 and y0 <= lat <= y1), reverse=True)
        cells = spatial.points_in_bbox_by_cell(Event.__table__, box, d)
        by_cells, plain = by_cells + (cells is not None), plain + (cells is None)
        for statuses in ((), ("DISPATCHED",)):
            expected = [i for i, s in inside if not statuses or s in statuses]
            f = service.EventFilter(statuses=statuses, bbox=box)
            seen, after = [], None
            while True:
                page = service.list_events(session, caller, f, now, 50, after, 100)
                seen += [r.id for r in page.rows]
                if not page.has_next:
                    break
                after = page.cursor(len(page.rows) - 1)
            assert seen == expected, box
            assert page.total() == len(expected)
    if d == "postgis":  # SpatiaLite keeps its R*Tree query for every box
        assert by_cells >= 20 and plain >= 3
    else:
        assert by_cells == 0


def test_edge_cells_are_tested_from_the_index(session) -> None:  # type: ignore[no-untyped-def]
    """PostGIS: the cell index holds the point, so each cell's rows are tested against the box
    without reading the table (an index-only scan; with plain index scans off, a cell index
    without the point could only be used by reading the table)."""
    if spatial.dialect_of(session) != "postgis":
        pytest.skip("the cell index is PostGIS's")
    caller = load_caller(session, 1)
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    box = (118.3612, 36.8079, 118.3724, 36.8169)  # about 1 km
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        service.list_events(session, caller, service.EventFilter(bbox=box),
                            datetime(2026, 6, 1, tzinfo=UTC), 50, None, 100)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    sql, params = next((s, p) for s, p in seen if "cell_0" in str(p))
    for scan in ("seqscan", "bitmapscan", "indexscan"):  # a tiny table would be read anyway
        session.execute(text(f"SET LOCAL enable_{scan} = off"))
    cursor = session.connection().connection.dbapi_connection.cursor()
    cursor.execute("EXPLAIN " + sql, params)
    plan = "\n".join(r[0] for r in cursor.fetchall())
    cells = len(spatial.points_in_bbox_by_cell(Event.__table__, box, "postgis")[0])
    arms = re.findall(r"Index Only Scan (?:Backward )?using ix_events_cell", plan)
    assert len(arms) == cells, plan
