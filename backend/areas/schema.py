"""GraphQL types and queries of the areas domain: thin, every rule is in service.py."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from backend.api.context import Info
from backend.api.relay import Connection, Node, connection, pk_of, to_global_id
from backend.api.scalars import GeoJSON, NearInput, PointInput
from backend.areas import loaders, models, service
from backend.errors import Forbidden

if TYPE_CHECKING:
    from backend.auth.schema import User
    from backend.services.schema import Qualification

UserType = Annotated["User", strawberry.lazy("backend.auth.schema")]
QualificationType = Annotated["Qualification", strawberry.lazy("backend.services.schema")]


@strawberry.enum
class KeyGroup(Enum):
    ELDERLY = "elderly"
    LIVING_ALONE = "living_alone"
    DISABLED = "disabled"
    VETERAN = "veteran"
    LOW_INCOME = "low_income"
    LEFT_BEHIND_CHILD = "left_behind_child"


@strawberry.type(description="镇 (TOWN) or 街道 (SUBDISTRICT).")
class Township(Node):
    code: str
    name: str
    kind: str

    @classmethod
    def of(cls, t: models.Township) -> Township:
        return cls(id=to_global_id("Township", t.id), code=t.code, name=t.name, kind=t.kind)


@strawberry.type(description="村 (VILLAGE) or 社区 (COMMUNITY).")
class Village(Node):
    code: str
    name: str
    kind: str
    township_pk: strawberry.Private[int]

    @classmethod
    def of(cls, v: models.Village) -> Village:
        return cls(id=to_global_id("Village", v.id), code=v.code, name=v.name, kind=v.kind,
                   township_pk=v.township_id)

    @strawberry.field
    async def township(self, info: Info) -> Township:
        return Township.of(await info.context.loader(loaders.township).load(self.township_pk))


def _full(grid: Grid) -> models.Grid:
    if not grid.view.full:
        raise Forbidden("this grid is outside your jurisdiction: only its code and name are "
                        "public")
    return grid.view.grid


@strawberry.type(description="A unit grid (网格): 15-digit code = village code + sequence. "
                             "Code and name are public; the rest needs jurisdiction.")
class Grid(Node):
    code: str
    name: str
    view: strawberry.Private[service.GridView]

    @classmethod
    def of(cls, v: service.GridView) -> Grid:
        return cls(id=to_global_id("Grid", v.grid.id), code=v.grid.code, name=v.grid.name,
                   view=v)

    @strawberry.field
    def household_count(self) -> int | None:
        return _full(self).household_count

    @strawberry.field(description="The grid's polygon (GeoJSON, WGS-84).")
    async def geometry(self, info: Info) -> GeoJSON | None:
        return await info.context.loader(loaders.grid_geometry).load(_full(self).id)

    @strawberry.field
    async def village(self, info: Info) -> Village | None:
        return Village.of(await info.context.loader(loaders.village).load(_full(self).village_id))

    @strawberry.field
    async def township(self, info: Info) -> Township | None:
        g = _full(self)
        return Township.of(await info.context.loader(loaders.township).load(g.township_id))

    @strawberry.field(description="The grid agents (网格员) assigned to this grid.")
    async def agents(self, info: Info) -> list[UserType] | None:
        from backend.auth.schema import User

        users = await info.context.loader(loaders.agents_by_grid).load(_full(self).id)
        return [User.of(u) for u in users]


@strawberry.type(description="A household (户). Identity numbers and phones are masked for "
                             "roles that do not need them.")
class Household(Node):
    address: str
    size: int
    head_name: str
    id_number: str
    phone: str
    key_groups: list[KeyGroup]
    grid_pk: strawberry.Private[int | None]
    pk: strawberry.Private[int]

    @classmethod
    def of(cls, v: service.HouseholdView) -> Household:
        h = v.household
        return cls(
            id=to_global_id("Household", h.id), address=h.address, size=h.size,
            head_name=h.head_name, id_number=v.id_number, phone=v.phone,
            key_groups=[k for k in KeyGroup if getattr(h, k.value)], grid_pk=h.grid_id, pk=h.id,
        )

    @strawberry.field(description="The household's position (GeoJSON Point, WGS-84).")
    async def location(self, info: Info) -> GeoJSON:
        return await info.context.loader(loaders.household_position).load(self.pk)

    @strawberry.field
    def grid(self, info: Info) -> Grid | None:
        if self.grid_pk is None:
            return None
        view = service.get_grid(info.context.session, info.context.caller, self.grid_pk)
        return Grid.of(view) if view else None

    @strawberry.field(description="The members of the household (户籍人口).")
    async def residents(self, info: Info) -> list[Resident]:
        rows = await info.context.loader(loaders.residents_by_household).load(self.pk)
        return [Resident.of(service.resident_view(info.context.caller, r)) for r in rows]


@strawberry.type(description="A member of a household with key-group flags. Names, identity "
                             "numbers and phones are masked for roles that do not need them.")
class Resident(Node):
    name: str
    id_number: str
    phone: str | None
    birth_date: date | None
    relation: str
    key_groups: list[KeyGroup]
    household_pk: strawberry.Private[int]
    pk: strawberry.Private[int]

    @classmethod
    def of(cls, v: service.ResidentView) -> Resident:
        r = v.resident
        return cls(id=to_global_id("Resident", r.id), name=v.name, id_number=v.id_number,
                   phone=v.phone, birth_date=r.birth_date, relation=r.relation,
                   key_groups=[k for k in KeyGroup if getattr(r, k.value)],
                   household_pk=r.household_id, pk=r.id)

    @strawberry.field(description="Certificates and qualifications that expire (reminders "
                                   "are made from them).")
    async def qualifications(self, info: Info) -> list[QualificationType]:
        from backend.services import loaders as service_loaders
        from backend.services.schema import Qualification

        rows = await info.context.loader(service_loaders.qualifications).load(self.pk)
        return [Qualification.of(q) for q in rows]


@strawberry.input
class GridFilter:
    township_id: strawberry.ID | None = None
    village_id: strawberry.ID | None = None
    intersects: GeoJSON | None = None
    near: NearInput | None = None


@strawberry.input
class HouseholdFilter:
    grid_id: strawberry.ID | None = None
    village_id: strawberry.ID | None = None
    key_group: KeyGroup | None = None
    near: NearInput | None = None


def _near(n: NearInput | None) -> service.Near | None:
    return service.Near(n.point.to_position(), n.radius_m) if n else None


@strawberry.type
class AreasQuery:
    @strawberry.field(description="Townships in the caller's jurisdiction, by code.")
    def townships(self, info: Info, first: int | None = None, after: str | None = None
                  ) -> Connection[Township]:
        c = info.context
        page = service.list_townships(c.session, c.caller, first, after, c.settings.max_page)
        return connection(page, Township.of)

    @strawberry.field(description="Grids in the caller's jurisdiction, by code.")
    def grids(self, info: Info, filter: GridFilter | None = None, first: int | None = None,
              after: str | None = None) -> Connection[Grid]:
        c = info.context
        f = filter or GridFilter()
        sf = service.GridFilter(
            township_id=pk_of(f.township_id, "Township", "filter.townshipId"),
            village_id=pk_of(f.village_id, "Village", "filter.villageId"),
            intersects=f.intersects, near=_near(f.near),
        )
        page = service.list_grids(c.session, c.caller, sf, first, after, c.settings.max_page)
        return connection(page, Grid.of)

    @strawberry.field(description="The grid covering the point, or null. On a shared edge the "
                                   "grid with the lowest code. Public: code and name only.")
    def grid_at(self, info: Info, point: PointInput) -> Grid | None:
        view = service.grid_at(info.context.session, info.context.caller, point.to_position())
        return Grid.of(view) if view else None

    @strawberry.field(description="Households in the caller's jurisdiction.")
    def households(self, info: Info, filter: HouseholdFilter | None = None,
                   first: int | None = None, after: str | None = None
                   ) -> Connection[Household]:
        c = info.context
        f = filter or HouseholdFilter()
        sf = service.HouseholdFilter(
            grid_id=pk_of(f.grid_id, "Grid", "filter.gridId"),
            village_id=pk_of(f.village_id, "Village", "filter.villageId"),
            key_group=f.key_group.value if f.key_group else None, near=_near(f.near),
        )
        page = service.list_households(c.session, c.caller, sf, first, after, c.settings.max_page)
        return connection(page, Household.of)


def _node(get, wrap):  # type: ignore[no-untyped-def]
    def resolve(info: Info, pk: int) -> Node | None:
        found = get(info.context.session, info.context.caller, pk)
        return wrap(found) if found is not None else None

    return resolve


NODES = {
    "Township": _node(service.get_township, Township.of),
    "Village": _node(service.get_village, Village.of),
    "Grid": _node(service.get_grid, Grid.of),
    "Household": _node(service.get_household, Household.of),
    "Resident": _node(service.get_resident, Resident.of),
}
