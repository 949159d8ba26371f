"""Field workers' positions: pingLocation keeps each one's latest; nearestAgents finds the
agents nearest a point, by geodesic distance, for a dispatcher sending someone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, defer

from backend.agents.models import AgentPosition
from backend.areas.models import Grid, GridAgent
from backend.auth.models import User, UserRole
from backend.auth.service import Caller
from backend.db import direct, spatial
from backend.errors import BadInput, Forbidden, Unauthenticated
from backend.positions import Position

FIELD_ROLES = frozenset({"AGENT", "INSPECTOR"})  # whose phones report where they are
ON_DUTY = timedelta(minutes=15)  # a position younger than this: the agent is out working
MAX_AGENTS = 50
# Search rings, in metres: the nearest `limit` within a ring are the nearest of all (anyone
# outside it is farther), so a wider ring is searched only when a ring holds too few.
RINGS_M = (2_000.0, 8_000.0, 32_000.0, 128_000.0, None)


def ping(session: Session, caller: Caller, position: Position, now: datetime) -> None:
    """Keep the caller's latest position (the caller commits)."""
    if caller.is_public:
        raise Unauthenticated("log in to report your position")
    if not caller.roles & FIELD_ROLES:
        raise Forbidden("only agents and inspectors report their position")
    lon, lat = position.wgs84("position")
    values = dict(user_id=caller.user_id, geom=spatial.point_ewkt(lon, lat), lon=lon,
                  lat=lat, orig_lon=position.lon, orig_lat=position.lat,
                  orig_crs=position.crs.value, accuracy_m=position.accuracy_m,
                  mocked=bool(position.mocked), at=now)
    t = AgentPosition.__table__
    direct.execute(session, spatial.upsert(t, "user_id", spatial.dialect_of(session)), values)


def nearest(session: Session, caller: Caller, position: Position, limit: int,
            on_duty_only: bool, now: datetime) -> list[tuple[User, AgentPosition, float]]:
    """The agents nearest the point, nearest first (ties by user id), with their positions
    and distances in metres: of the whole district for a supervisor or admin, of their
    townships' grids for a dispatcher."""
    if caller.is_public:
        raise Unauthenticated("log in to look for agents")
    if not (caller.district_wide or "DISPATCHER" in caller.roles):
        raise Forbidden("only dispatchers, supervisors and admins look for agents")
    if not 1 <= limit <= MAX_AGENTS:
        raise BadInput(f"limit must be between 1 and {MAX_AGENTS}, got {limit}", "limit")
    lon, lat = position.wgs84("point")
    d = spatial.dialect_of(session)
    t = AgentPosition.__table__
    distance = spatial.distance_m(t, lon, lat, d).label("distance")
    conditions: list[Any] = [
        exists().where(UserRole.user_id == t.c.user_id, UserRole.role == "AGENT")]
    if on_duty_only:
        conditions.append(t.c.at >= now - ON_DUTY)
    if not caller.district_wide:
        conditions.append(exists().where(
            GridAgent.user_id == t.c.user_id, Grid.id == GridAgent.grid_id,
            Grid.township_id.in_(sorted(caller.township_ids))))
    for ring in RINGS_M:
        where = conditions if ring is None else [*conditions, spatial.within_m(t, lon, lat,
                                                                                ring, d)]
        rows: Sequence[Any] = session.execute(
            select(User, AgentPosition, distance)
            .join(AgentPosition, AgentPosition.user_id == User.id)
            .options(defer(AgentPosition.geom))
            .where(*where).order_by(distance, User.id).limit(limit)).all()
        if len(rows) >= limit or ring is None:
            return [(u, p, float(dist)) for u, p, dist in rows]
    raise AssertionError("unreachable: the last ring is unbounded")
