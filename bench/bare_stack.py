"""DESIGN.md's bare stack, to read a run's figures against: strawberry, Starlette and uvicorn,
a point → grid lookup and an insert into a four-column table in one transaction, over
psycopg (the app's driver, used as the app does: synchronously, on the event loop).

    DATABASE_URL=postgresql://... .venv/bin/python bench/bare_stack.py setup|teardown
    DATABASE_URL=... .venv/bin/uvicorn --app-dir bench bare_stack:app --workers 2 --port P

events_http.sh runs it beside the app on PostGIS (bench/wrk/bare_report.lua): the machine's
speed drifts by up to ×2 within minutes, and the ratio of the two rates measured in one run
does not. Its table (bench_bare_reports) lives only while the run does.
"""

from __future__ import annotations

import os
import sys

import psycopg
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

TABLE = "bench_bare_reports"
GRID = ("SELECT id FROM grids WHERE geom && ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) "
        "AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)) "
        "ORDER BY code LIMIT 1")
INSERT = (f"INSERT INTO {TABLE} (client_id, grid_id, geom, at) VALUES (%(c)s, %(g)s, "
          "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), now()) RETURNING id")


def _dsn() -> str:
    return os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")


@strawberry.type
class Reported:
    id: int
    grid_id: int | None


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "bare"


_conn: psycopg.Connection | None = None  # one per worker process


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def report(self, lon: float, lat: float, client_id: str) -> Reported:
        global _conn
        if _conn is None:
            _conn = psycopg.connect(_dsn())
        try:
            with _conn.cursor() as cur:
                row = cur.execute(GRID, {"lon": lon, "lat": lat}).fetchone()
                grid = row[0] if row else None
                new = cur.execute(INSERT, {"c": client_id, "g": grid, "lon": lon,
                                           "lat": lat}).fetchone()[0]
            _conn.commit()
        except Exception:
            _conn.rollback()
            raise
        return Reported(id=new, grid_id=grid)


schema = strawberry.Schema(query=Query, mutation=Mutation,
                           extensions=[ParserCache, ValidationCache])
app = Starlette(routes=[Route("/graphql", GraphQL(schema), methods=["GET", "POST"])])


def main() -> None:
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        if sys.argv[1:] == ["setup"]:
            conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
            conn.execute(f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, client_id text "
                         "UNIQUE, grid_id integer, geom geometry(Point, 4326), at timestamptz)")
        elif sys.argv[1:] == ["teardown"]:
            conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        else:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
