"""Hot statements run on the driver's cursor.

SQLAlchemy's execution layer (the compiled-cache lookup, parameter and result processing,
its result objects) costs 0.12-0.5 ms a statement over the driver's own execute: more than
PostgreSQL takes to run most of the statements of a report or a list page. Those few
statements are compiled by SQLAlchemy once per dialect (and, for an INSERT, per set of
columns given) and run here on the session's connection: the same SQL and parameters, the
same transaction, the types' own bind and result processing, the engine's
before_cursor_execute listeners, and errors raised as SQLAlchemy's. A statement this cannot
run as it is (expanding IN lists, Python-side column defaults) goes through SQLAlchemy.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    bindparam,
    cast,
    exc,
    insert,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from backend.db import spatial

Params = dict[str, Any]


class _Form:
    """A statement as compiled for one dialect."""

    __slots__ = ("sql", "compiled", "positions", "escaped", "processors", "row", "results")

    def __init__(self, compiled: Any) -> None:
        self.sql: str = compiled.string
        self.compiled = compiled  # SQLAlchemy's SQLCompiler
        # parameter order for positional drivers (SQLite)
        self.positions = tuple(compiled.positiontup) if compiled.positional else None
        self.escaped: dict[str, str] | None = compiled.escaped_bind_names or None
        self.processors: dict[str, Callable[[Any], Any]] = compiled._bind_processors
        columns = compiled._result_columns
        self.row = (namedtuple("Row", [c[0] for c in columns], rename=True)  # type: ignore[misc]
                    if columns else None)
        # the result columns' processors (() if none), once the driver has said what it returns
        self.results: tuple[Callable[[Any], Any] | None, ...] | None = None


# By statement, weakly: not on the statement itself, whose attributes the statements derived
# from it (`.where()`, `.returning()`) copy.
_FORMS: WeakKeyDictionary[Executable, dict[tuple, _Form | None]] = WeakKeyDictionary()


def rows(session: Session, stmt: Executable, params: Params) -> list[Any]:
    """Every row (named tuples), as `session.connection().execute(stmt, params).all()`."""
    conn = session.connection()
    form = _form(conn, stmt, params, False)
    if form is None:
        return list(conn.execute(stmt, params).all())
    cursor = _run(conn, form, params, False)
    try:
        if form.results is None:
            form.results = _result_processors(conn, form, cursor.description)
        return _decoded(form, cursor.fetchall())
    finally:
        cursor.close()


def first(session: Session, stmt: Executable, params: Params) -> Any:
    found = rows(session, stmt, params)
    return found[0] if found else None


def scalar(session: Session, stmt: Executable, params: Params) -> Any:
    row = first(session, stmt, params)
    return row[0] if row is not None else None


def execute(session: Session, stmt: Executable, params: Params | Sequence[Params]) -> None:
    """Run a statement without results; a list of parameter sets is an executemany."""
    conn = session.connection()
    many = not isinstance(params, dict)
    if many and not params:
        return
    form = _form(conn, stmt, params[0] if many else params, many)  # type: ignore[index,arg-type]
    if form is None:
        conn.execute(stmt, params)
        return
    _run(conn, form, params, many).close()


def insert_linked(session: Session, parent: Insert, values: Params,
                  children: Sequence[tuple[Insert, str, Sequence[Params]]]) -> Any:
    """Insert a row (`parent`, an INSERT ... RETURNING its key) and rows that refer to it:
    each child is (INSERT, the column that takes the parent's key, rows without it). The
    parent's key, or None when its insert did nothing (ON CONFLICT DO NOTHING): then no child
    is written either. On PostgreSQL it is one statement (data-modifying CTEs): a round trip
    instead of one per table, which cost more than the inserts. SQLite's statements cost no
    round trip: there they run one after the other."""
    if not spatial.inserts_link_in_one_statement(spatial.dialect_of(session)):
        key = scalar(session, parent, values)
        if key is not None:
            for child, column, rows in children:
                if rows:
                    execute(session, child, [{**r, column: key} for r in rows])
        return key
    given = [(child, column, rows) for child, column, rows in children if rows]
    shape = tuple((child, column, tuple(sorted(k for k in rows[0] if k != column)), len(rows))
                  for child, column, rows in given)
    params = {f"p_{k}": v for k, v in values.items()}
    for i, (_, column, rows) in enumerate(given):
        for j, row in enumerate(rows):
            params.update((f"c{i}_{j}_{k}", v) for k, v in row.items() if k != column)
    return scalar(session, _linked(parent, tuple(sorted(values)), shape), params)


@functools.lru_cache(maxsize=64)
def _linked(parent: Insert, names: tuple[str, ...], shape: tuple) -> Select:
    """The statement of insert_linked for one shape: the parent's columns, and each child's
    statement, column of the key, columns and number of rows."""
    t = parent.table
    head = parent.values({k: bindparam(f"p_{k}", type_=t.c[k].type) for k in names}).cte("parent")
    tails = []
    for i, (child, column, columns, count) in enumerate(shape):
        ct = child.table
        # Cast: a SELECT's parameters (a NULL, a float) are not typed by the target column.
        # Ordered: the ids follow the rows' order (a case's history is read by id).
        rows = [select(literal_column(str(j)).label("n"), *(
            cast(bindparam(f"c{i}_{j}_{k}", type_=ct.c[k].type), ct.c[k].type).label(k)
            for k in columns)) for j in range(count)]
        given = (rows[0] if count == 1 else union_all(*rows)).subquery(f"rows_{i}")
        ordered = select(head.c[0], *(given.c[k] for k in columns)).order_by(given.c.n)
        # no defaults filled in: the rows give their columns (and default binds of two tables
        # could take the same name)
        tails.append(insert(ct).from_select([column, *columns], ordered,
                                            include_defaults=False).cte(f"child_{i}"))
    return select(head.c[0]).add_cte(*tails)


def constant_in(column: ColumnElement, values: Iterable[str]) -> ColumnElement:
    """`column IN (values)` for constants of the code (codes, statuses), written into the
    statement: SQLAlchemy's in_() of a list expands its parameter at every execution, which a
    statement run here cannot; and a prepared statement's generic plan sees them, so that a
    partial index whose predicate names them can serve it."""
    quoted = []
    for v in values:
        if not _CONSTANT.fullmatch(v):
            raise ValueError(f"not a constant of the code: {v!r}")
        quoted.append(literal_column(f"'{v}'"))
    return column.in_(quoted)


_CONSTANT = re.compile(r"[A-Z0-9_]+")


def _form(conn: Connection, stmt: Executable, params: Params, many: bool) -> _Form | None:
    """The statement compiled for this dialect (and these columns of an INSERT): hot
    statements are built once, so their forms are too."""
    keys = frozenset(params) if getattr(stmt, "is_insert", False) else None
    key = (conn.dialect.name, keys, many)
    forms = _FORMS.get(stmt)
    if forms is None:
        forms = _FORMS[stmt] = {}
    if key not in forms:
        forms[key] = _compile(conn, stmt, keys, many)
    return forms[key]


def _compile(conn: Connection, stmt: Executable, keys: frozenset[str] | None, many: bool
             ) -> _Form | None:
    dialect = conn.dialect
    compiled = stmt.compile(dialect=dialect, column_keys=sorted(keys) if keys else None,
                            for_executemany=many)
    if (compiled.post_compile_params or compiled.literal_execute_params
            or compiled.insert_prefetch or compiled.update_prefetch
            or compiled.schema_translate_map):
        return None
    return _Form(compiled)


def _parameters(form: _Form, params: Params) -> Any:
    values = form.compiled.construct_params(params, escape_names=False)
    procs = form.processors
    if procs:
        values = {k: procs[k](v) if k in procs else v for k, v in values.items()}
    if form.positions is not None:
        return tuple(values[k] for k in form.positions)
    if form.escaped:
        return {form.escaped.get(k, k): v for k, v in values.items()}
    return values


def _run(conn: Connection, form: _Form, params: Params | Sequence[Params], many: bool) -> Any:
    dialect = conn.dialect
    sent = ([_parameters(form, p) for p in params] if many  # type: ignore[union-attr]
            else _parameters(form, params))  # type: ignore[arg-type]
    sql = form.sql
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn._has_events or conn.engine._has_events:  # the engine's listeners see it too
            for listen in conn.dispatch.before_cursor_execute:
                sql, sent = listen(conn, cursor, sql, sent, None, many)
        if many:
            cursor.executemany(sql, sent)
        else:
            cursor.execute(sql, sent)
        return cursor
    except dialect.loaded_dbapi.Error as e:
        # as SQLAlchemy does: a lost connection is invalidated, so the pool does not hand it
        # out again
        lost = dialect.is_disconnect(e, conn.connection.dbapi_connection, cursor)
        with contextlib.suppress(dialect.loaded_dbapi.Error):
            cursor.close()
        if lost:
            conn.invalidate(e)
        raise exc.DBAPIError.instance(sql, sent, e, dialect.loaded_dbapi.Error,
                                      connection_invalidated=lost, dialect=dialect) from e


def _result_processors(conn: Connection, form: _Form, description: Any
                       ) -> tuple[Callable[[Any], Any] | None, ...]:
    """Each column's processor for the type the driver reports (SQLAlchemy's choice can
    depend on it: a PostgreSQL float or numeric)."""
    columns = form.compiled._result_columns
    procs = tuple(c[3]._cached_result_processor(conn.dialect, d[1])
                  for c, d in zip(columns, description, strict=True))
    return procs if any(procs) else ()


def _decoded(form: _Form, raw: list[tuple]) -> list[Any]:
    make = form.row._make  # type: ignore[union-attr]
    procs = form.results
    if not procs:
        return [make(r) for r in raw]
    return [make([p(v) if p is not None else v for p, v in zip(procs, r, strict=True)])  # type: ignore[arg-type]
            for r in raw]
