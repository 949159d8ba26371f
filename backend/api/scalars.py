"""Scalars and inputs shared by every domain: GeoJSON, PointInput with its CRS."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, NewType

import strawberry
from graphql import GraphQLError

from backend.errors import BadInput
from backend.positions import Position
from geo.crs import CRS as GeoCRS


def _parse_geojson(value: Any) -> dict:
    if not isinstance(value, dict) or "type" not in value:
        raise BadInput("GeoJSON must be an RFC 7946 geometry object with a 'type'")
    return value


GeoJSON = NewType("GeoJSON", dict)


def _parse_datetime(value: Any) -> datetime:
    """ISO-8601 with its zone (API.md): a time without one has no place on the timeline.
    Refused as a GraphQLError, which graphql-core prefixes with the variable's path (a
    BadInput's own message would replace it): BAD_INPUT naming the field."""
    try:
        dt = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        dt = None
    if dt is None:
        raise GraphQLError(f"not an ISO-8601 time: {str(value)[:40]!r}")
    if dt.utcoffset() is None:
        raise GraphQLError(f"{value[:40]!r} has no zone: give one, e.g. {value[:19]}+08:00")
    return dt

SCALARS = {
    GeoJSON: strawberry.scalar(
        name="GeoJSON",
        serialize=lambda v: v,
        parse_value=_parse_geojson,
        description="An RFC 7946 GeoJSON geometry object in WGS-84 lon/lat.",
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        serialize=datetime.isoformat,
        parse_value=_parse_datetime,
        description="An ISO-8601 time with its zone, e.g. 2026-11-23T09:00:00+08:00.",
    ),
}

CRS = strawberry.enum(
    Enum("CRS", {c.value: c.value for c in GeoCRS}),
    description="The coordinate system a position is given in; stored data is WGS-84.",
)


@strawberry.input(description="A position as a phone reports it; converted to WGS-84 on entry.")
class PointInput:
    lon: float
    lat: float
    crs: CRS | None = CRS.WGS84  # type: ignore[attr-defined,valid-type]
    accuracy_m: float | None = None
    mocked: bool | None = None

    def to_position(self) -> Position:
        crs = GeoCRS(self.crs.value) if self.crs is not None else GeoCRS.WGS84
        return Position(self.lon, self.lat, crs, self.accuracy_m, self.mocked)


@strawberry.input
class NearInput:
    point: PointInput
    radius_m: float


@strawberry.type(description="Something the caller can fix, or must be told (see API.md).")
class UserError:
    field: str | None
    code: str
    message: str
