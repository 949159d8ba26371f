"""Writers on SQLite wait for each other instead of failing: a write transaction takes the
lock at BEGIN (IMMEDIATE). Without it, a transaction that read, then wrote after another
writer had committed, failed at once with "database is locked" (two workers, or the sweeper
beside a request)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from backend.db.engine import make_engine, make_sessionmaker, writing


def test_sqlite_writers_that_read_first_wait_for_each_other(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE counter (n INTEGER)"))
        c.execute(text("INSERT INTO counter VALUES (0)"))
    sessions = make_sessionmaker(engine)
    errors: list[Exception] = []

    def bump(times: int) -> None:
        for _ in range(times):
            with sessions() as s:
                try:
                    s.execute(text("SELECT 1")).scalar()  # a read first, as a request does
                    writing(s)
                    n = s.execute(text("SELECT n FROM counter")).scalar()
                    time.sleep(0.002)  # let the other writer in between read and write
                    s.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
                    s.commit()
                except Exception as e:  # noqa: BLE001 - collected for the assertion
                    errors.append(e)

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with engine.connect() as c:
        assert errors == [] and c.execute(text("SELECT n FROM counter")).scalar() == 75
    engine.dispose()


def test_a_write_after_a_one_statement_write_is_one_transaction(engine) -> None:  # type: ignore[no-untyped-def]
    """A one-statement write runs in autocommit on PostgreSQL and leaves the session so (for
    the payload's reads); a write after it in the same session (a second mutation of the
    operation) must still be one transaction, rolled back whole."""
    with engine.begin() as c:
        c.execute(text("CREATE TABLE writer_probe (n INTEGER)"))
    try:
        with make_sessionmaker(engine)() as s:
            assert writing(s, one_statement=True) == (engine.dialect.name == "postgresql")
            s.execute(text("INSERT INTO writer_probe VALUES (1)"))
            assert writing(s) is False
            s.execute(text("INSERT INTO writer_probe VALUES (2)"))
            s.rollback()
        with engine.connect() as c:
            assert c.execute(text("SELECT n FROM writer_probe")).scalars().all() == [1]
    finally:
        with engine.begin() as c:
            c.execute(text("DROP TABLE writer_probe"))
