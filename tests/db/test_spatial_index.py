"""Every geometry column has its spatial index, and the queries use it."""

from sqlalchemy import Engine, text

TABLES = ("districts", "townships", "villages", "grids", "households")


def test_every_geometry_column_is_indexed(engine: Engine) -> None:
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            rows = c.execute(text(
                "SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%USING gist (geom)%'"))
            assert {r[0] for r in rows} >= set(TABLES)
        else:
            rows = c.execute(text("SELECT f_table_name FROM geometry_columns "
                                  "WHERE spatial_index_enabled = 1"))
            assert {r[0] for r in rows} >= set(TABLES)


def test_grid_lookup_plan_uses_the_index(engine: Engine) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from backend.areas.models import Grid
    from backend.db import spatial

    with Session(engine) as s:
        d = spatial.dialect_of(s)
        stmt = select(Grid.id).where(spatial.covers_point(Grid.__table__, 118.305, 36.82, d))
        sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
        if d == "postgis":
            s.execute(text("SET enable_seqscan = off"))  # a tiny table would be scanned anyway
            plan = " ".join(r[0] for r in s.execute(text("EXPLAIN " + sql)))
            assert "idx_grids_geom" in plan
        else:
            plan = " ".join(str(r[-1]) for r in s.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "idx_grids_geom" in plan
