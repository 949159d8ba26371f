"""The one place where SpatiaLite and PostGIS differ.

Everything else builds its spatial SQL from these helpers, so a query reads the same on both
backends. Two differences matter:
- PostGIS uses its GIST index by itself; SpatiaLite does not: its R*Tree (idx_<table>_geom,
  pkid/xmin/xmax/ymin/ymax) has to be joined explicitly, as a rowid prefilter.
- Distances in metres: PostGIS casts to geography; SpatiaLite's ST_Distance(a, b, 1)
  measures on the ellipsoid.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator
from typing import Literal

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    Float,
    Insert,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Table
from sqlalchemy.sql.selectable import CTE

from backend.db.base import SRID

Dialect = Literal["postgis", "spatialite"]
BBox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


def dialect_of(session: Session) -> Dialect:
    return "postgis" if session.get_bind().dialect.name == "postgresql" else "spatialite"


def geom_from_wkt(wkt: str) -> ColumnElement:
    return func.ST_GeomFromText(literal(wkt), SRID)


Number = float | ColumnElement  # a value, or a bound parameter of a cached statement


def point(lon: Number, lat: Number, d: Dialect) -> ColumnElement:
    if d == "postgis":
        return func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)
    return func.MakePoint(lon, lat, SRID)


def point_ewkt(lon: float, lat: float) -> str:
    """A point as the value of a geometry column (EWKT, WGS-84): both backends take it."""
    return f"SRID={SRID};POINT({lon!r} {lat!r})"


def expand_bbox(lon: float, lat: float, radius_m: float) -> BBox:
    """A lon/lat box that surely contains every point within radius_m of (lon, lat)."""
    dlat = radius_m / 110_000.0 * 1.01  # a degree of latitude is at least 110.57 km
    coslat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    dlon = radius_m / (111_000.0 * coslat) * 1.01
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def _envelope_wkt(b: BBox) -> str:
    x0, y0, x1, y1 = b
    return f"POLYGON(({x0!r} {y0!r},{x1!r} {y0!r},{x1!r} {y1!r},{x0!r} {y1!r},{x0!r} {y0!r}))"


def _index_prefilter(t: Table, b: tuple[Number, Number, Number, Number], d: Dialect
                     ) -> ColumnElement:
    """Rows whose geometry's bounding box meets box b, through the spatial index."""
    if d == "postgis":
        return t.c.geom.op("&&")(func.ST_MakeEnvelope(*b, SRID))
    rtree = table(f"idx_{t.name}_geom", column("pkid"), column("xmin"), column("xmax"),
                  column("ymin"), column("ymax"))
    x0, y0, x1, y1 = b
    hits = select(rtree.c.pkid).where(
        rtree.c.xmin <= x1, rtree.c.xmax >= x0, rtree.c.ymin <= y1, rtree.c.ymax >= y0
    )
    (key,) = t.primary_key.columns  # an INTEGER PRIMARY KEY: SQLite's rowid, the R*Tree's pkid
    return key.in_(hits)


def near_box(t: Table, b: tuple[Number, Number, Number, Number], d: Dialect, *,
             generic: bool = False) -> ColumnElement:
    """Rows whose bounding box meets box b: the spatial index's candidates, to be tested.
    `generic`: see `generic_value`."""
    if d == "postgis" and generic:
        return t.c.geom.op("&&")(generic_value(func.ST_MakeEnvelope(*b, SRID), d))
    return _index_prefilter(t, b, d)


def generic_value(value: ColumnElement, d: Dialect) -> ColumnElement:
    """On PostGIS the value as an uncorrelated subquery (an InitPlan), which the planner
    cannot see into in any plan of a prepared statement. With a small box in sight, a custom
    plan expects a few rows where the generic plan takes PostGIS's default (0.01%: 110 of
    1,100,000 events), so PostgreSQL kept planning afresh (a duplicate check planned on three
    calls in four, 0.23 ms each, for a check that runs in 0.05-0.3 ms); with the values unseen
    in both, it keeps the generic plan. SQLite plans every statement anyway: the value as it
    is."""
    return select(value).scalar_subquery() if d == "postgis" else value


def covers_point(t: Table, lon: Number, lat: Number, d: Dialect) -> ColumnElement:
    """Geometry meets the point, boundary included."""
    return and_(
        _index_prefilter(t, (lon, lat, lon, lat), d),
        func.ST_Intersects(t.c.geom, point(lon, lat, d)) == (True if d == "postgis" else 1),
    )


def intersects(t: Table, wkt: str, bounds: BBox, d: Dialect) -> ColumnElement:
    return and_(
        _index_prefilter(t, bounds, d),
        func.ST_Intersects(t.c.geom, geom_from_wkt(wkt)) == (True if d == "postgis" else 1),
    )


def in_bbox(t: Table, b: BBox, d: Dialect) -> ColumnElement:
    return intersects(t, _envelope_wkt(b), b, d)


def points_in_bbox(t: Table, b: tuple[Number, Number, Number, Number], d: Dialect
                   ) -> ColumnElement:
    """For a table of points: in the box (values or bound parameters), boundary included.
    Both spatial indexes compare boxes rounded outwards to single precision (PostGIS's &&
    too), which takes in points up to a metre outside: the coordinates are tested too."""
    return and_(_index_prefilter(t, b, d), _point_in_box(t, b))


def _point_in_box(t: Table, b: tuple[Number, Number, Number, Number]) -> ColumnElement:
    """The point's coordinates in box b, boundary included, without an index. Written as
    products so that a planner does not take them for selective ranges: within a cell that
    meets the box most rows are in it, and a low estimate made PostgreSQL sort the whole cell
    instead of reading its newest rows."""
    x0, y0, x1, y1 = b
    x, y = func.ST_X(t.c.geom), func.ST_Y(t.c.geom)
    return and_((x - x0) * (x1 - x) >= 0, (y - y0) * (y1 - y) >= 0)


# "Newest points in a box" by cell, on PostGIS: PostgreSQL reads the newest rows of one small
# cell off a (cell, id) index, but cannot merge the spatial index with id order, so a box is
# cut into the cells it covers, each read newest first, and the streams merged (Merge Append,
# which stops at the page). Reading the whole box (thousands of rows in a dense km²) or walking
# id order backwards (tens of thousands) is what this replaces. SQLite has no such merge: it
# reads a page from every cell, which cost more than its R*Tree query, so it keeps that.
CELLS_PER_DEGREE = 400  # cells of 0.0025°: about 220 × 280 m at 37° N
MAX_CELLS = 64  # larger boxes hold enough rows that the plain query finds 50 quickly
_ROW = 100_000  # cell key = column * _ROW + row; rows run to 72,000


def _cell_index(coordinate: float, offset: int) -> int:
    """floor((coordinate + offset) * CELLS_PER_DEGREE): the same IEEE operations as in SQL
    (cell_key), so that a box's cells hold every point the index files under them."""
    return math.floor((coordinate + offset) * CELLS_PER_DEGREE)


def cell_key(t: Table) -> ColumnElement:
    """The cell of a point geometry as one integer: the expression the cell index holds. The
    constants are literals: an index on an expression matches only literal constants."""
    def index(coordinate: ColumnElement, offset: int) -> ColumnElement:
        scaled = ((coordinate + literal_column(str(offset)))
                  * literal_column(str(CELLS_PER_DEGREE)))
        return cast(func.floor(scaled), BigInteger)

    return (index(func.ST_X(t.c.geom), 180) * literal_column(str(_ROW))
            + index(func.ST_Y(t.c.geom), 90))


def cell_index_ddl(t: Table, *, covering: bool) -> str:
    """The cell index of a table of points, on PostGIS. `covering`: it holds the point too,
    so a box's edge cells test their rows against the box without reading the table (one thin
    sliver of a cell had read 525 rows for one in the box: half of a page's buffers)."""
    from sqlalchemy.dialects import postgresql

    key = cell_key(t).compile(dialect=postgresql.dialect(),
                              compile_kwargs={"literal_binds": True})
    # unqualified column names, as an index definition wants them
    sql = str(key).replace(f"{t.name}.geom", "geom")
    include = " INCLUDE (geom)" if covering else ""
    return f"CREATE INDEX ix_{t.name}_cell ON {t.name} (({sql}), id){include}"


def points_in_bbox_by_cell(t: Table, b: BBox, d: Dialect
                           ) -> tuple[list[ColumnElement], dict[str, float]] | None:
    """On PostGIS, the conditions, one per cell that box b covers (in that cell and in the
    box), for paging newest first cell by cell (`keyset_page(partitions=...)`), and the values
    of their parameters; None on SpatiaLite, or for a box of more than MAX_CELLS cells. The
    conditions are built once per number of cells."""
    if d != "postgis":
        return None
    x0, y0, x1, y1 = b
    columns = range(_cell_index(x0, 180), _cell_index(x1, 180) + 1)
    rows = range(_cell_index(y0, 90), _cell_index(y1, 90) + 1)
    n = len(columns) * len(rows)
    if n > MAX_CELLS:
        return None
    values: dict[str, float] = bbox_values(b, "cells")
    values.update((f"cell_{i}", c * _ROW + r)
                  for i, (c, r) in enumerate((c, r) for c in columns for r in rows))
    return cell_conditions(t, n), values


@functools.cache
def cell_conditions(t: Table, n: int) -> list[ColumnElement]:
    in_box, key = _point_in_box(t, bound_box("cells")), cell_key(t)
    return [and_(key == bindparam(f"cell_{i}", type_=BigInteger), in_box) for i in range(n)]


# geography(GEOMETRY,4326): GeoAlchemy2's default SRID -1 made PostGIS send a NOTICE
# ("SRID value -1 converted ...") for every cast of every query.
GEOGRAPHY = Geography(srid=SRID)


def distance_m(t: Table | CTE, lon: Number, lat: Number, d: Dialect, *,
               generic: bool = False) -> ColumnElement:
    """Geodesic distance in metres from the geometry (`t.c.geom`) to the point (0 inside).
    `generic`: the point as `generic_value`."""
    if d == "postgis":
        to = cast(point(lon, lat, d), GEOGRAPHY)
        return func.ST_Distance(cast(t.c.geom, GEOGRAPHY),
                                generic_value(to, d) if generic else to)
    return cast(func.ST_Distance(t.c.geom, point(lon, lat, d), 1), Float)


def within_m(t: Table, lon: Number, lat: Number, radius_m: Number, d: Dialect,
             box: tuple[Number, Number, Number, Number] | None = None) -> ColumnElement:
    """Within radius_m metres of the point. For a cached statement, pass bound parameters and
    `box=bound_box()`, and the values with `box_values(lon, lat, radius_m)`."""
    prefilter = _index_prefilter(t, box or expand_bbox(lon, lat, radius_m), d)  # type: ignore[arg-type]
    if d == "postgis":
        exact = func.ST_DWithin(
            cast(t.c.geom, GEOGRAPHY), cast(point(lon, lat, d), GEOGRAPHY), radius_m
        )
    else:
        exact = distance_m(t, lon, lat, d) <= radius_m  # type: ignore[arg-type]
    return and_(prefilter, exact)


def _box_names(prefix: str) -> tuple[str, str, str, str]:
    return f"{prefix}_x0", f"{prefix}_y0", f"{prefix}_x1", f"{prefix}_y1"


def bound_box(prefix: str = "box") -> tuple[ColumnElement, ...]:
    return tuple(bindparam(k, type_=Float) for k in _box_names(prefix))


def box_values(lon: float, lat: float, radius_m: float, prefix: str = "box"
               ) -> dict[str, float]:
    return bbox_values(expand_bbox(lon, lat, radius_m), prefix)


def bbox_values(b: BBox, prefix: str = "box") -> dict[str, float]:
    return dict(zip(_box_names(prefix), b, strict=True))


def lon_lat(t: Table, d: Dialect) -> tuple[ColumnElement, ColumnElement]:
    """A point geometry's coordinates as two columns (cheaper than GeoJSON for points)."""
    if d == "postgis":
        return func.ST_X(t.c.geom).label("lon"), func.ST_Y(t.c.geom).label("lat")
    return func.X(t.c.geom).label("lon"), func.Y(t.c.geom).label("lat")


def as_geojson(t: Table, d: Dialect) -> ColumnElement:
    if d == "postgis":
        return func.ST_AsGeoJSON(t.c.geom, 9)
    return func.AsGeoJSON(t.c.geom, 9)


def minutes_between(start: ColumnElement, end: ColumnElement, d: Dialect) -> ColumnElement:
    """end - start in minutes, for averages in SQL."""
    if d == "postgis":
        return func.extract("epoch", end - start) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def inserts_link_in_one_statement(d: Dialect) -> bool:
    """Whether a row and rows that refer to its key can be inserted by one statement:
    PostgreSQL has data-modifying CTEs, SQLite none (direct.insert_linked)."""
    return d == "postgis"


def insert_unless_exists(t: Table, key: str, d: Dialect) -> Insert:
    """INSERT that does nothing when a row with the same unique `key` exists (its RETURNING
    then returns no row): ON CONFLICT DO NOTHING on both backends."""
    from sqlalchemy.dialects import postgresql, sqlite

    ins = postgresql.insert(t) if d == "postgis" else sqlite.insert(t)
    return ins.on_conflict_do_nothing(index_elements=[t.c[key]])


def upsert(t: Table, key: str, d: Dialect) -> Insert:
    """INSERT that replaces the other columns of the row with the same unique `key`: ON
    CONFLICT DO UPDATE on both backends."""
    from sqlalchemy.dialects import postgresql, sqlite

    ins = postgresql.insert(t) if d == "postgis" else sqlite.insert(t)
    return ins.on_conflict_do_update(
        index_elements=[t.c[key]],
        set_={c.name: ins.excluded[c.name] for c in t.c if c.name != key})


def append_only_ddl(table_name: str, d: Dialect) -> list[str]:
    """Triggers that make a table refuse UPDATE and DELETE (immutable history)."""
    message = f"{table_name} is append-only: its rows are never updated or deleted"
    if d == "postgis":
        return [
            f"CREATE OR REPLACE FUNCTION {table_name}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$",
            f"CREATE TRIGGER {table_name}_append_only BEFORE UPDATE OR DELETE ON {table_name} "
            f"FOR EACH ROW EXECUTE FUNCTION {table_name}_append_only()",
        ]
    return [
        f"CREATE TRIGGER {table_name}_no_update BEFORE UPDATE ON {table_name} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER {table_name}_no_delete BEFORE DELETE ON {table_name} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


@contextlib.contextmanager
def append_only_suspended(session: Session, table_name: str) -> Iterator[None]:
    """The table's append-only triggers off for the block, in the session's transaction: for
    the bench pruning its own reports (bench/gen_events.py), never for the API."""
    d = dialect_of(session)
    if d == "postgis":
        session.execute(text(f"ALTER TABLE {table_name} DISABLE TRIGGER {table_name}_append_only"))
        yield
        session.execute(text(f"ALTER TABLE {table_name} ENABLE TRIGGER {table_name}_append_only"))
        return
    for kind in ("update", "delete"):
        session.execute(text(f"DROP TRIGGER {table_name}_no_{kind}"))
    yield
    for ddl in append_only_ddl(table_name, d):
        session.execute(text(ddl))


def dialect_of_bind(bind) -> Dialect:  # type: ignore[no-untyped-def]
    return "postgis" if bind.dialect.name == "postgresql" else "spatialite"
