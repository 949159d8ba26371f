"""The batch reads behind dataloaders: rows, or their GeoJSON, for a list of ids, in order."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from backend.db import spatial


def rows_by_ids(session: Session, ids: Sequence[int], model: Any) -> list[Any | None]:
    """model rows for ids (None where missing); geometries are left unloaded."""
    stmt = select(model).where(model.id.in_(ids))
    if "geom" in model.__table__.c:
        stmt = stmt.options(defer(model.geom))
    rows = {r.id: r for r in session.scalars(stmt)}
    return [rows.get(i) for i in ids]


def geojson_by_ids(session: Session, ids: Sequence[int], model: Any) -> list[dict | None]:
    """The geometry of each row as a GeoJSON dict, written by the database."""
    d = spatial.dialect_of(session)
    rows = dict(session.execute(select(model.id, spatial.as_geojson(model.__table__, d))
                                .where(model.id.in_(ids))).all())
    return [orjson.loads(rows[i]) if rows.get(i) else None for i in ids]


def rows_by_key(session: Session, column: Any, ids: Sequence[int],
                order_by: Any = None) -> list[list[Any]]:
    """For a one-to-many field: the rows whose `column` (e.g. Visit.request_id) is each id, a
    list per id, ordered by `order_by` (default: the rows' id)."""
    model = column.class_
    out: dict[int, list[Any]] = {i: [] for i in ids}
    order = model.id if order_by is None else order_by
    for r in session.scalars(select(model).where(column.in_(ids)).order_by(order)):
        out[getattr(r, column.key)].append(r)
    return [out[i] for i in ids]


def rows_of(model: Any) -> partial:
    return partial(rows_by_ids, model=model)


def geojson_of(model: Any) -> partial:
    return partial(geojson_by_ids, model=model)
