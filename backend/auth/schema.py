"""GraphQL types and operations of the auth domain: me, login, the User type."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from backend.api.context import Info
from backend.api.mutations import PAYLOAD_CODES, mutate
from backend.api.relay import Node, to_global_id
from backend.api.scalars import UserError
from backend.areas import loaders as area_loaders
from backend.auth import loaders, models, service

if TYPE_CHECKING:
    from backend.areas.schema import Grid

GridType = Annotated["Grid", strawberry.lazy("backend.areas.schema")]


@strawberry.type
class User(Node):
    username: str
    name: str
    pk: strawberry.Private[int]

    @classmethod
    def of(cls, u: models.User) -> User:
        return cls(id=to_global_id("User", u.id), username=u.username, name=u.name, pk=u.id)

    @strawberry.field
    async def roles(self, info: Info) -> list[str]:
        return await info.context.loader(loaders.roles).load(self.pk)

    @strawberry.field(description="Grids this user works as an agent.")
    async def grids(self, info: Info) -> list[GridType]:
        from backend.areas.schema import Grid
        from backend.areas.service import GridView

        caller = info.context.caller
        grids = await info.context.loader(area_loaders.grids_by_agent).load(self.pk)
        return [Grid.of(GridView(g, caller.sees_grid(g.id, g.township_id))) for g in grids]


@strawberry.type
class LoginPayload:
    token: str | None
    expires_at: datetime | None
    user: User | None
    errors: list[UserError]


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The logged-in user, or null for the public.")
    def me(self, info: Info) -> User | None:
        caller = info.context.caller
        if caller.is_public:
            return None
        return User.of(info.context.session.get(models.User, caller.user_id))


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="A signed token for `Authorization: Bearer <token>`.")
    def login(self, info: Info, username: str, password: str) -> LoginPayload:
        c = info.context
        issued, errors = mutate(info, lambda: service.login(
            c.session, username, password, c.settings.secret, c.settings.token_ttl_s),
            PAYLOAD_CODES | {"UNAUTHENTICATED"})
        if issued is None:
            return LoginPayload(token=None, expires_at=None, user=None, errors=errors)
        return LoginPayload(token=issued.token, expires_at=issued.expires_at,
                            user=User.of(issued.user), errors=[])


def _user(info: Info, pk: int) -> User | None:
    u = service.visible_user(info.context.session, info.context.caller, pk)
    return User.of(u) if u else None


NODES = {"User": _user}
