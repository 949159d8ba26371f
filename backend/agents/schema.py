"""GraphQL of field workers' positions: pingLocation and nearestAgents."""

from __future__ import annotations

from datetime import datetime

import strawberry

from backend.agents import service
from backend.api.context import Info
from backend.api.mutations import mutate
from backend.api.scalars import GeoJSON, PointInput
from backend.auth.schema import User


@strawberry.type(description="An agent and how far their last reported position is.")
class AgentDistance:
    agent: User
    distance_m: float = strawberry.field(description="Geodesic, in metres, from the point.")
    location: GeoJSON = strawberry.field(description="The last position (GeoJSON Point).")
    at: datetime = strawberry.field(description="When the phone reported it.")
    accuracy_m: float | None
    mocked: bool = strawberry.field(description="The phone said the position was mocked.")
    on_duty: bool = strawberry.field(description=f"Reported within the last "
                                                 f"{service.ON_DUTY.seconds // 60} minutes.")


@strawberry.type
class AgentsQuery:
    @strawberry.field(description="The agents nearest a point (geodesic distance, nearest "
                                  "first): by default only those on duty.")
    def nearest_agents(self, info: Info, point: PointInput, limit: int | None = 5,
                       on_duty_only: bool | None = True) -> list[AgentDistance]:
        c = info.context
        now = c.now()
        found = service.nearest(c.session, c.caller, point.to_position(),
                                5 if limit is None else limit, on_duty_only is not False, now)
        return [AgentDistance(agent=User.of(u), distance_m=d,
                              location={"type": "Point", "coordinates": [p.lon, p.lat]},
                              at=p.at, accuracy_m=p.accuracy_m, mocked=p.mocked,
                              on_duty=p.at >= now - service.ON_DUTY)
                for u, p, d in found]


@strawberry.type
class AgentsMutation:
    @strawberry.mutation(description="The caller's phone reports where it is (agents and "
                                     "inspectors); only the latest position is kept.")
    def ping_location(self, info: Info, position: PointInput) -> bool:
        c = info.context
        mutate(info, lambda: service.ping(c.session, c.caller, position.to_position(), c.now()),
               payload_codes=frozenset(), one_statement=True)
        return True
