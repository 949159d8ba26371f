"""GraphQL for administering the areas: importing villages and households, dividing villages
into grids, exporting grids. Thin: the rules are in imports.py and division.py. Errors the
caller can fix are in the payload's `errors` (and nothing is written); not being logged in or
allowed is a top-level error."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

import strawberry
from shapely.geometry import mapping
from strawberry.scalars import JSON

from backend.api.context import Info
from backend.api.relay import pk_of
from backend.api.scalars import CRS, GeoJSON, UserError
from backend.areas import division, imports, service
from backend.areas.schema import Grid
from backend.errors import AppError
from geo.crs import CRS as GeoCRS

P = TypeVar("P")
PAYLOAD_CODES = frozenset({"BAD_INPUT", "NOT_FOUND", "CONFLICT"})


def _write(info: Info, work: Callable[[], P], failed: Callable[[list[UserError]], P]) -> P:
    """Run a write in the request's transaction: commit it, or roll it back and answer an
    error the caller can fix in the payload (others go up as top-level errors)."""
    session = info.context.session
    try:
        payload = work()
    except AppError as e:
        session.rollback()
        if e.code not in PAYLOAD_CODES:
            raise
        return failed([UserError(field=e.field, code=e.code, message=e.message)])
    session.commit()
    return payload


@strawberry.enum(description="What a division did to a grid.")
class DividedGridStatus(Enum):
    KEPT = "KEPT"
    CHANGED = "CHANGED"
    NEW = "NEW"


@strawberry.input(description="What to divide: exactly one of townshipId and villageId.")
class DivideScope:
    township_id: strawberry.ID | None = None
    village_id: strawberry.ID | None = None


@strawberry.type(description="A grid of a division: KEPT (same polygon, row and code as "
                             "before), CHANGED (an existing code with a new polygon) or NEW.")
class DividedGrid:
    code: str
    village_code: str
    households: int
    status: DividedGridStatus
    geometry: GeoJSON
    grid_pk: strawberry.Private[int | None]

    @classmethod
    def of(cls, g: division.DividedGrid) -> DividedGrid:
        return cls(code=g.code, village_code=g.village_code, households=g.households,
                   status=DividedGridStatus(g.status.value), geometry=mapping(g.polygon),
                   grid_pk=g.grid_id)

    @strawberry.field(description="The grid as stored; null in a dry run.")
    def grid(self, info: Info) -> Grid | None:
        if self.grid_pk is None:
            return None
        view = service.get_grid(info.context.session, info.context.caller, self.grid_pk)
        return Grid.of(view) if view else None


@strawberry.type(description="How good a division is, over all its villages.")
class DivisionQualityType:
    grids: int
    households: int
    target: int
    min: int
    median: float
    max: int
    within_25pct: float = strawberry.field(
        description="Share of the grids of villages with at least `target` households that "
                    "hold within ±25% of it.")
    mean_polsby_popper: float = strawberry.field(description="Compactness, 1 for a disc.")
    coverage_error: float = strawberry.field(
        description="The worst village's |area(grids) − area(village)| / area(village).")

    @classmethod
    def of(cls, q: division.DivisionQuality) -> DivisionQualityType:
        return cls(**vars(q))


@strawberry.type
class DivideGridsPayload:
    grids: list[DividedGrid]
    removed_codes: list[str]
    quality: DivisionQualityType | None
    errors: list[UserError]


@strawberry.type
class ImportVillagesPayload:
    imported: int
    codes: list[str]
    errors: list[UserError]


@strawberry.type(description="A household that lies in no village: not imported.")
class OutsideHousehold:
    row: str = strawberry.field(description='Where it was in the file, e.g. "features[3]".')
    address: str


@strawberry.type
class ImportHouseholdsPayload:
    imported: int
    outside: list[OutsideHousehold]
    errors: list[UserError]


@strawberry.type
class AreasAdminMutation:
    @strawberry.mutation(description="Divide (or re-divide) villages into grids by their "
                                     "households. Admins only.")
    def divide_grids(self, info: Info, scope: DivideScope, households_per_grid: int | None = 200,
                     dry_run: bool | None = False) -> DivideGridsPayload:
        c = info.context

        def work() -> DivideGridsPayload:
            imports.require_role(c.caller, imports.ADMINS)  # before reading the arguments
            s = division.DivideScope(pk_of(scope.township_id, "Township", "scope.townshipId"),
                                     pk_of(scope.village_id, "Village", "scope.villageId"))
            r = division.divide_grids(c.session, c.caller, s, 200 if households_per_grid is None
                                      else households_per_grid, bool(dry_run))
            return DivideGridsPayload(grids=[DividedGrid.of(g) for g in r.grids],
                                      removed_codes=r.removed_codes,
                                      quality=DivisionQualityType.of(r.quality), errors=[])

        return _write(info, work, lambda errors: DivideGridsPayload(
            grids=[], removed_codes=[], quality=None, errors=errors))

    @strawberry.mutation(description="Add villages from a GeoJSON FeatureCollection (properties "
                                     "code, name, kind, township). Admins only.")
    def import_villages(self, info: Info, feature_collection: JSON) -> ImportVillagesPayload:
        c = info.context

        def work() -> ImportVillagesPayload:
            r = imports.import_villages(c.session, c.caller, feature_collection)
            return ImportVillagesPayload(imported=len(r.codes), codes=r.codes, errors=[])

        return _write(info, work, lambda errors: ImportVillagesPayload(
            imported=0, codes=[], errors=errors))

    @strawberry.mutation(description="Add households from a GeoJSON FeatureCollection of Points "
                                     "given in `crs`. Admins only.")
    def import_households(self, info: Info, feature_collection: JSON,
                          crs: CRS | None = CRS.WGS84,  # type: ignore[attr-defined,valid-type]
                          ) -> ImportHouseholdsPayload:
        c = info.context

        def work() -> ImportHouseholdsPayload:
            imports.require_role(c.caller, imports.ADMINS)  # before reading the file
            rows = imports.households_from_geojson(feature_collection)
            r = imports.import_households(c.session, c.caller, rows,
                                          GeoCRS(crs.value) if crs else GeoCRS.WGS84)
            return ImportHouseholdsPayload(
                imported=r.imported, errors=[],
                outside=[OutsideHousehold(row=o.row, address=o.address) for o in r.outside])

        return _write(info, work, lambda errors: ImportHouseholdsPayload(
            imported=0, outside=[], errors=errors))


@strawberry.type
class AreasAdminQuery:
    @strawberry.field(description="Grids (of a township, or all) as a GeoJSON FeatureCollection "
                                  "with code, name, village, township, households and agents. "
                                  "Admins and supervisors.")
    def export_grids(self, info: Info, township_id: strawberry.ID | None = None) -> JSON:
        c = info.context
        imports.require_role(c.caller, imports.ADMINS_AND_SUPERVISORS)
        return imports.export_grids(c.session, c.caller,
                                    pk_of(township_id, "Township", "townshipId"))
