"""Engines and sessions for the two backends, chosen by DATABASE_URL.

`sqlite:///path.db` is SpatiaLite (through pysqlite3, whose SQLite can load extensions;
the interpreter's own sqlite3 here cannot); `postgresql://...` is PostGIS through psycopg 3.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from geoalchemy2.admin.dialects.sqlite import init_spatialite
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


def engine_url(url: str) -> URL:
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        return u.set(drivername="postgresql+psycopg")
    if u.drivername == "sqlite":
        return u.set(drivername="sqlite+pysqlite")
    return u


def make_engine(url: str, **kw: object) -> Engine:
    u = engine_url(url)
    if u.get_backend_name() == "sqlite":
        return _spatialite_engine(u, **kw)
    if u.get_backend_name() == "postgresql":
        _cache_long_statements()
        # UTC sessions: times come back as UTC-aware datetimes, as UTCDateTime promises
        return create_engine(u, pool_size=10, max_overflow=10,
                             connect_args={"options": "-c TimeZone=UTC"}, **kw)
    raise ValueError(f"unsupported DATABASE_URL {url!r}: use sqlite:///file.db or postgresql://...")


def _cache_long_statements() -> None:
    """psycopg converts a statement's %(name)s placeholders with a regular expression and
    caches the result only for statements under 4 KB and 50 parameters; a box's page, merged
    over its 20 to 30 cells, is longer, and converting it on every request cost more than a
    millisecond. These are module settings of psycopg (not public API): if they go away in a
    later version, statements are still converted, only not cached."""
    try:
        from psycopg import _queries
    except ImportError:
        return
    if hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH"):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 32_768)
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 200)


def _spatialite_engine(u: URL, **kw: object) -> Engine:
    import pysqlite3.dbapi2 as sqlite

    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        u, module=sqlite, connect_args={"check_same_thread": False, "timeout": 30}, **kw
    )
    library = os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Driver-level autocommit; SQLAlchemy's "begin" event below opens real transactions,
        # so DDL and DML alike are atomic (pysqlite's own implicit BEGIN skips DDL).
        dbapi_conn.isolation_level = None
        dbapi_conn.enable_load_extension(True)
        dbapi_conn.load_extension(library)
        dbapi_conn.enable_load_extension(False)
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL",
                       "busy_timeout=30000"):
            dbapi_conn.execute(f"PRAGMA {pragma}")
        init_spatialite(dbapi_conn, transaction=True, init_mode="WGS84")

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        # A writer takes the write lock at BEGIN and waits there (busy_timeout) for another
        # writer: a deferred transaction that read first and then wrote after someone else
        # had written fails at once with "database is locked" (the sweeper, or a second worker).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE)
                             else "BEGIN")

    return engine


WRITE = "wangge_write"


def writing(session: Session, one_statement: bool = False) -> bool:
    """Begin the session's next transaction as a writer (SQLite: BEGIN IMMEDIATE; PostgreSQL
    needs nothing). A read transaction already open (the caller's token, say) is ended.
    `one_statement`: the work writes with a single statement, atomic by itself (a report's
    case with its steps and task): on PostgreSQL it and the reads before it run as a query's
    do (`reading`), without the BEGIN and COMMIT round trips. True when the work runs so:
    there is then nothing to commit, and the reads after it (a payload's fields) go on in the
    same way."""
    if session.get_bind().dialect.name != "sqlite":
        if one_statement:
            return reading(session)
        if _autocommit(session):  # left by an earlier one-statement write: work is atomic
            session.commit()
        return False
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE: True})
    return False


def reading(session: Session) -> bool:
    """Run a read-only operation's statements (or a write of one statement, see `writing`)
    outside a transaction block on PostgreSQL (autocommit): no BEGIN and COMMIT round trips,
    and psycopg keeps its prepared statements (it forgets them at every ROLLBACK). Under READ
    COMMITTED each statement of a transaction had its own snapshot anyway. SQLite's
    transactions cost no round trip: they stay. True when the session now runs so."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return True
    return _autocommit(session)


def _autocommit(session: Session) -> bool:
    return session.in_transaction() and (
        session.connection().get_execution_options().get("isolation_level") == "AUTOCOMMIT")


def add_once(session: Session, row: object, replay: Callable[[], T | None]) -> T | None:
    """Add a row whose unique clientId a retry may have committed meanwhile: None when it is
    written, else the first answer (`replay()`, which raises CONFLICT for other content)."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        if (replayed := replay()) is not None:
            return replayed
        raise
    return None


def in_batches(sessions: sessionmaker[Session], step: Callable[[Session], int]) -> int:
    """Run `step` in short write transactions until it does nothing (returns 0); the total.
    A backlog of escalations or reminders must not hold SQLite's write lock for long."""
    total = 0
    while True:
        with sessions() as session:
            writing(session)
            done = step(session)
            session.commit()
        total += done
        if done == 0:
            return total


def sweep_in_batches(sessions: sessionmaker[Session],
                     sweep: Callable[[Session], tuple[int, int]]) -> tuple[int, int]:
    """in_batches for an escalation sweep, which counts (first level, second level)."""
    totals = [0, 0]

    def step(session: Session) -> int:
        first, second = sweep(session)
        totals[0] += first
        totals[1] += second
        return first + second

    in_batches(sessions, step)
    return totals[0], totals[1]


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
