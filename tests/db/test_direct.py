"""Statements on the driver's cursor (backend/db/direct.py) answer as SQLAlchemy does: the
same rows and column names with the types' processing (SQLite's booleans and datetimes,
PostgreSQL's floats), writes in the session's transaction, SQLAlchemy's error classes, the
engine's listeners; and what it cannot run goes through SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, exc, func, insert, select
from sqlalchemy.orm import Session

from backend.auth.models import User
from backend.db import direct, spatial
from backend.db.engine import make_sessionmaker
from backend.events.models import Event
from backend.tasks.models import Task
from tests.conftest import StatementCounter

AT = datetime(2026, 12, 1, 8, 30, 15, 123456, tzinfo=UTC)
INSERT_TASK = insert(Task.__table__)
TASKS = (select(Task.id, Task.kind, Task.status, Task.due_at, Task.created_at, Task.lon,
                Task.lat, Task.note, (Task.lon > 0).label("east"),
                func.coalesce(Task.lat, 0.5).label("lat_or"))
         .where(Task.subject_id == bindparam("subject")).order_by(Task.id))


def _task(user_id: int, **kw: object) -> dict:
    return {"kind": "EVENT", "subject_id": 987654, "assignee_id": user_id, "status": "OPEN",
            "due_at": AT, "created_at": AT, "township_id": None, "lon": 118.5,
            "lat": None, "note": "测试", "closed_at": None, **kw}


def _user(session: Session) -> int:
    return session.scalar(select(User.id).order_by(User.id).limit(1))


def test_rows_and_writes_answer_as_sqlalchemy(session: Session) -> None:
    uid = _user(session)
    direct.execute(session, INSERT_TASK, [_task(uid), _task(uid, lon=-1.25, due_at=None,
                                                            note=None)])
    mine = direct.rows(session, TASKS, {"subject": 987654})
    theirs = session.connection().execute(TASKS, {"subject": 987654}).all()
    assert len(mine) == 2
    assert [tuple(r) for r in mine] == [tuple(r) for r in theirs]
    assert mine[0]._fields == tuple(theirs[0]._fields)
    assert mine[0].due_at == AT and mine[0].due_at.tzinfo is not None
    assert mine[0].east is True and mine[1].east is False and mine[1].lat_or == 0.5
    assert direct.scalar(session, TASKS, {"subject": 987654}) == mine[0].id
    assert direct.first(session, TASKS, {"subject": -1}) is None
    session.rollback()  # direct writes are in the session's transaction
    assert direct.rows(session, TASKS, {"subject": 987654}) == []


def test_an_insert_returns_its_id_and_python_defaults_go_through_sqlalchemy(
        session: Session) -> None:
    uid = _user(session)
    direct.execute(session, INSERT_TASK, _task(uid))  # its form is not the derived one's
    new_id = direct.scalar(session, INSERT_TASK.returning(Task.id), _task(uid))
    assert new_id is not None and session.get(Task, new_id).note == "测试"
    without_status = _task(uid, note="default")
    del without_status["status"]  # the column's Python-side default: SQLAlchemy's to fill
    direct.execute(session, INSERT_TASK, without_status)
    assert session.scalar(select(Task.status).where(Task.note == "default")) == "OPEN"


def test_expanding_parameters_go_through_sqlalchemy(session: Session) -> None:
    stmt = select(Event.id).where(Event.status.in_(bindparam("s", expanding=True)))
    assert sorted(r.id for r in direct.rows(session, stmt, {"s": ["CLOSED", "REPORTED"]})) == \
        sorted(session.scalars(select(Event.id).where(Event.status.in_(["CLOSED",
                                                                         "REPORTED"]))))


INSERT_TASK_NOTED = insert(Task.__table__)  # a second child statement, other columns


def test_a_row_and_rows_that_refer_to_it_go_in_together(session: Session) -> None:
    """One statement on PostgreSQL, one a table on SQLite; none of the children when the
    parent's insert did nothing."""
    d = spatial.dialect_of(session)
    parent = spatial.insert_unless_exists(Task.__table__, "id", d).returning(Task.id)
    uid = _user(session)
    children = [(INSERT_TASK, "subject_id", [_task(uid, subject_id=None),
                                             _task(uid, subject_id=None, lon=None, lat=-2.5)]),
                (INSERT_TASK_NOTED, "subject_id", [{"kind": "EVENT", "assignee_id": uid,
                                                    "status": "OPEN", "created_at": AT}]),
                (INSERT_TASK, "subject_id", [])]
    counter = StatementCounter(session.get_bind())
    try:
        key = direct.insert_linked(session, parent, {**_task(uid), "id": 990001}, children)
    finally:
        counter.close()
    assert key == 990001
    assert counter.n == (1 if d == "postgis" else 3)
    rows = direct.rows(session, TASKS, {"subject": key})
    # (PostgreSQL runs the CTEs in no set order: the ids do not follow the list)
    assert sorted(((r.lon, r.lat, r.note, r.due_at) for r in rows), key=repr) == sorted([
        (118.5, None, "测试", AT), (None, -2.5, "测试", AT), (None, None, None, None)], key=repr)
    again = direct.insert_linked(session, parent, {**_task(uid), "id": 990001}, children)
    assert again is None and len(direct.rows(session, TASKS, {"subject": key})) == 3
    session.rollback()


def test_a_constraint_violation_is_sqlalchemys_error(session: Session) -> None:
    with pytest.raises(exc.IntegrityError):
        direct.execute(session, INSERT_TASK, _task(10**9))  # no such user
    session.rollback()


def test_the_engines_listeners_see_direct_statements(session: Session) -> None:
    uid = _user(session)  # the transaction begun (SQLite's BEGIN is a statement too)
    counter = StatementCounter(session.get_bind())
    try:
        direct.rows(session, TASKS, {"subject": 1})
        direct.execute(session, INSERT_TASK, [_task(uid)] * 3)
    finally:
        counter.close()
    assert counter.n == 2  # the select, the executemany


def test_a_lost_connection_is_invalidated_and_the_next_session_works(engine) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL, a backend killed under a session: SQLAlchemy's error, the connection
    out of the pool, and the next session on a fresh one. (SQLite has no server to lose.)"""
    if engine.dialect.name != "postgresql":
        return
    pid_of = select(func.pg_backend_pid())
    with make_sessionmaker(engine)() as doomed:
        pid = direct.scalar(doomed, pid_of, {})
        with engine.connect() as other:
            other.execute(select(func.pg_terminate_backend(pid)))
        with pytest.raises(exc.DBAPIError) as raised:
            direct.rows(doomed, TASKS, {"subject": 1})
        assert raised.value.connection_invalidated
        doomed.rollback()
    with make_sessionmaker(engine)() as fresh:
        assert direct.scalar(fresh, pid_of, {}) != pid
