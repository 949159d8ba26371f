"""Importing villages and households from files, and exporting grids as GeoJSON.

Everything in a file is checked before anything is written and an import is one transaction
(the caller commits), so a bad feature or row is named in the error and nothing of the file
is kept. A household that lies in no village is not an error: it is reported by its row and
address and left out, never silently dropped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from backend.areas.models import KEY_GROUPS, District, Grid, GridAgent, Household, Township, Village
from backend.areas.service import address_key
from backend.auth.service import Caller
from backend.db import spatial
from backend.db.base import SRID
from backend.errors import BadInput, Conflict, Forbidden, NotFound, Unauthenticated
from backend.load import as_multi, checked_code, checked_shape
from backend.positions import Position
from geo.coding import check_code
from geo.crs import CRS
from geo.errors import GeoError
from geo.locate import GridLocator
from geo.validate import validate_geojson

ADMINS = frozenset({"ADMIN"})
ADMINS_AND_SUPERVISORS = frozenset({"ADMIN", "SUPERVISOR"})
# The command line runs as the operator: whoever can reach the database administers it.
OPERATOR = Caller(user_id=0, roles=ADMINS)
VILLAGE_KINDS = ("VILLAGE", "COMMUNITY")
POLYGONAL = ("Polygon", "MultiPolygon")
# Two villages overlapping by less than this share of the smaller one only touch (rounding).
OVERLAP_TOLERANCE = 1e-9
CSV_REQUIRED = ("lon", "lat", "address", "size")
# Column widths of the households table: longer values would fail on PostgreSQL.
WIDTHS = {"address": 200, "head_name": 50, "id_number": 18, "phone": 20}


def require_role(caller: Caller, roles: Collection[str]) -> None:
    if caller.is_public:
        raise Unauthenticated("log in to do this")
    if not caller.roles & set(roles):
        raise Forbidden(f"this needs the role {' or '.join(sorted(roles))}")


def township_id_of(session: Session, code: str) -> int:
    tid = session.scalar(select(Township.id).where(Township.code == code))
    if tid is None:
        raise NotFound(f"no township with code {code}", "township")
    return tid


def read_geojson(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise BadInput(f"{path}: not a readable JSON file ({e})", "file") from None


def _features(fc: object) -> list[dict]:
    """The features of a GeoJSON FeatureCollection, each a Feature with a properties object."""
    if not isinstance(fc, dict) or fc.get("type") != "FeatureCollection" \
            or not isinstance(fc.get("features"), list):
        raise BadInput("expected a GeoJSON FeatureCollection with a 'features' array",
                       "featureCollection")
    if not fc["features"]:
        raise BadInput("the FeatureCollection has no features", "featureCollection")
    for i, f in enumerate(fc["features"]):
        if not isinstance(f, dict) or f.get("type") != "Feature" \
                or not isinstance(f.get("properties"), dict):
            raise BadInput(f"features[{i}] is not a GeoJSON Feature with properties",
                           "featureCollection")
    return fc["features"]


# --- villages ---------------------------------------------------------------------------------

@dataclass
class VillageImport:
    codes: list[str]


@dataclass
class _NewVillage:
    label: str
    code: str
    name: str
    kind: str
    township: str
    shape: BaseGeometry


def _village(i: int, f: dict) -> _NewVillage:
    p = f["properties"]
    item = {"code": p.get("code", ""), "name": p.get("name", ""), "geometry": f.get("geometry")}
    label = f"features[{i}] {item['code']} {item['name']}".strip()
    township = p.get("township")
    if not isinstance(township, str):
        raise BadInput(f"{label}: no township code", "township")
    checked_code("features", i, item, lambda c: check_code(c, "village", township))
    if not isinstance(item["name"], str) or not 0 < len(item["name"]) <= 100:
        raise BadInput(f"{label}: a name of 1 to 100 characters is needed", "name")
    if p.get("kind") not in VILLAGE_KINDS:
        raise BadInput(f"{label}: kind {p.get('kind')!r} is not one of {', '.join(VILLAGE_KINDS)}",
                       "kind")
    return _NewVillage(label, item["code"], item["name"], p["kind"], township,
                       checked_shape("features", i, item, POLYGONAL))


def _check_overlaps(session: Session, new: list[_NewVillage]) -> None:
    """Villages tile their township: a new one may touch but not overlap another."""
    d = spatial.dialect_of(session)
    bounds = tuple(shapely.total_bounds([v.shape for v in new]).tolist())
    existing = session.execute(select(Village.code, Village.geom)
                               .where(spatial.in_bbox(Village.__table__, bounds, d))).all()
    codes = [c for c, _ in existing] + [v.code for v in new]
    shapes = [to_shape(g) for _, g in existing] + [v.shape for v in new]
    tree = shapely.STRtree(shapes)
    for k, v in enumerate(new, start=len(existing)):
        # lowest code first, so the message does not depend on the tree's order
        for j in sorted(tree.query(v.shape, predicate="intersects"), key=codes.__getitem__):
            if j >= k:
                continue  # itself, or a new village that is checked against this one later
            shared = shapes[j].intersection(v.shape).area
            if shared > OVERLAP_TOLERANCE * min(shapes[j].area, v.shape.area):
                raise BadInput(f"{v.label}: overlaps village {codes[j]}", "geometry")


def _cover(row: Township | District, shape: BaseGeometry) -> bool:
    """Grow a parent's boundary to cover a new child (a parent is the union of its children).
    Returns whether it grew."""
    current = to_shape(row.geom) if row.geom is not None else None
    if current is not None and current.covers(shape):
        return False
    merged = shape if current is None else shapely.union(current, shape)
    row.geom = from_shape(as_multi(merged), srid=SRID)
    return True


def import_villages(session: Session, caller: Caller, fc: object) -> VillageImport:
    """Add the villages of a FeatureCollection (properties code, name, kind, township)."""
    require_role(caller, ADMINS)
    new = [_village(i, f) for i, f in enumerate(_features(fc))]
    townships = {t.code: t for t in session.scalars(
        select(Township).where(Township.code.in_({v.township for v in new})))}
    present = set(session.scalars(select(Village.code)
                                  .where(Village.code.in_([v.code for v in new]))))
    seen: set[str] = set()
    for v in new:
        if v.township not in townships:
            raise NotFound(f"{v.label}: no township with code {v.township}", "township")
        if v.code in present or v.code in seen:
            raise Conflict(f"{v.label}: village {v.code} already exists", "code")
        seen.add(v.code)
    _check_overlaps(session, new)
    for v in new:
        t = townships[v.township]
        session.add(Village(code=v.code, name=v.name, kind=v.kind, township_id=t.id,
                            geom=from_shape(as_multi(v.shape), srid=SRID)))
        if _cover(t, v.shape):
            _cover(session.get(District, t.district_id), v.shape)
    session.flush()
    return VillageImport([v.code for v in new])


# --- households -------------------------------------------------------------------------------

@dataclass
class HouseholdRow:
    row: str  # where it came from: "line 7" of a CSV, "features[3]" of a GeoJSON file
    lon: float
    lat: float
    address: str
    size: int
    head_name: str = ""
    id_number: str = ""
    phone: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.row} {self.address}".strip()


@dataclass(frozen=True)
class Outside:
    row: str
    address: str


@dataclass
class HouseholdImport:
    imported: int
    outside: list[Outside]


def _number(row: str, name: str, value: object, kind: Callable[[str], float]) -> float:
    try:
        return kind(str(value).strip())
    except ValueError:
        whole = "whole " if kind is int else ""
        raise BadInput(f"{row}: {name} {value!r} is not a {whole}number", name) from None


def households_from_csv(text: str) -> list[HouseholdRow]:
    """Rows of a CSV with a header: lon, lat, address, size (and head_name, id_number, phone)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise BadInput(f"the CSV header lacks column(s) {', '.join(missing)}", "file")
    rows = []
    for r in reader:
        row = f"line {reader.line_num}"
        rows.append(HouseholdRow(
            row, _number(row, "lon", r["lon"], float), _number(row, "lat", r["lat"], float),
            (r["address"] or "").strip(), int(_number(row, "size", r["size"], int)),
            *((r.get(k) or "").strip() for k in ("head_name", "id_number", "phone"))))
    if not rows:
        raise BadInput("the CSV has no rows", "file")
    return rows


def households_from_geojson(fc: object) -> list[HouseholdRow]:
    """Point features with properties address, size, head_name, id_number, phone, flags."""
    rows = []
    for i, f in enumerate(_features(fc)):
        p, row = f["properties"], f"features[{i}]"
        try:
            point = validate_geojson(f.get("geometry"), name=row, kinds=("Point",))
        except GeoError as e:
            raise BadInput(str(e), "featureCollection") from None
        flags = p.get("flags") or []
        if not isinstance(flags, list) or not all(isinstance(k, str) for k in flags):
            raise BadInput(f"{row}: flags must be a list of key groups", "flags")
        rows.append(HouseholdRow(
            row, point.x, point.y, str(p.get("address") or "").strip(),
            int(_number(row, "size", p.get("size", 1), int)),
            *(str(p.get(k) or "").strip() for k in ("head_name", "id_number", "phone")),
            flags=flags))
    return rows


def read_households(path: Path) -> list[HouseholdRow]:
    """A household file: CSV by its .csv suffix, else GeoJSON."""
    if path.suffix.lower() == ".csv":
        try:
            return households_from_csv(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as e:
            raise BadInput(f"{path}: not a readable text file ({e})", "file") from None
    return households_from_geojson(read_geojson(path))


def _check_row(h: HouseholdRow) -> None:
    if not h.address:
        raise BadInput(f"{h.row}: no address", "address")
    if h.size < 1:
        raise BadInput(f"{h.label}: size must be at least 1, got {h.size}", "size")
    for name, width in WIDTHS.items():
        if len(getattr(h, name)) > width:
            raise BadInput(f"{h.label}: {name} is longer than {width} characters", name)
    unknown = set(h.flags) - set(KEY_GROUPS)
    if unknown:
        raise BadInput(f"{h.label}: unknown key groups {sorted(unknown)} "
                       f"(known: {', '.join(KEY_GROUPS)})", "flags")


def _wgs84(rows: list[HouseholdRow], crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Checked WGS-84 positions: NaN, out-of-range and swapped ones are named by row."""
    points = [Position(h.lon, h.lat, crs).wgs84(h.label) for h in rows]
    return np.array([p[0] for p in points]), np.array([p[1] for p in points])


def _locator(rows: list) -> GridLocator:
    """A locator over (code, geom) rows read from the database (exact doubles, as WKB)."""
    return GridLocator([r.code for r in rows], [to_shape(r.geom) for r in rows])


def import_households(session: Session, caller: Caller, rows: list[HouseholdRow],
                      crs: CRS = CRS.WGS84) -> HouseholdImport:
    """Add households at their village (the village polygon covering them) and grid (the grid of
    that village covering them, or none until the village is divided). Households in no
    village are reported and left out."""
    require_role(caller, ADMINS)
    for h in rows:
        _check_row(h)
    lons, lats = _wgs84(rows, crs)
    d = spatial.dialect_of(session)
    pad = 1e-7  # a box around a single point must not be degenerate
    bbox = (float(lons.min()) - pad, float(lats.min()) - pad, float(lons.max()) + pad,
            float(lats.max()) + pad)
    villages = session.execute(
        select(Village.id, Village.code, Village.township_id, Village.geom)
        .where(spatial.in_bbox(Village.__table__, bbox, d))).all()
    grids = session.execute(
        select(Grid.id, Grid.code, Grid.geom)
        .where(Grid.village_id.in_([v.id for v in villages]))).all()
    in_village = _locator(villages).locate_many(lons, lats)
    in_grid = _locator(grids).locate_many(lons, lats)
    v_by_code = {v.code: v for v in villages}
    g_ids = {g.code: g.id for g in grids}
    outside, values = [], []
    for i, (h, lon, lat) in enumerate(zip(rows, lons.tolist(), lats.tolist(), strict=True)):
        v = v_by_code.get(in_village[i])
        if v is None:
            outside.append(Outside(h.row, h.address))
            continue
        grid = in_grid[i]
        # A point on a village's edge may lie in a grid of the neighbour: not this village's.
        grid_id = g_ids[grid] if grid is not None and grid[:12] == v.code else None
        values.append({
            "grid_id": grid_id, "village_id": v.id, "township_id": v.township_id,
            "address": h.address, "address_key": address_key(h.address), "size": h.size,
            "head_name": h.head_name, "id_number": h.id_number, "phone": h.phone,
            **{k: k in h.flags for k in KEY_GROUPS},
            "geom": f"SRID={SRID};POINT({lon!r} {lat!r})",
        })
    if values:
        session.execute(insert(Household), values)
        _recount_households(session, {r["grid_id"] for r in values} - {None})
    session.flush()
    return HouseholdImport(len(values), outside)


def _recount_households(session: Session, grid_ids: Collection[int]) -> None:
    count = (select(func.count()).select_from(Household)
             .where(Household.grid_id == Grid.id).scalar_subquery())
    session.execute(update(Grid).where(Grid.id.in_(grid_ids)).values(household_count=count))


# --- export -----------------------------------------------------------------------------------

def export_grids(session: Session, caller: Caller, township_id: int | None = None) -> dict:
    """The grids (of one township, or all) as a GeoJSON FeatureCollection, by code."""
    require_role(caller, ADMINS_AND_SUPERVISORS)
    d = spatial.dialect_of(session)
    agents = (select(func.count()).select_from(GridAgent)
              .where(GridAgent.grid_id == Grid.id).scalar_subquery())
    stmt = (select(Grid.code, Grid.name, Village.code.label("village"),
                   Township.code.label("township"), Grid.household_count,
                   agents.label("agents"), spatial.as_geojson(Grid.__table__, d).label("geometry"))
            .join(Village, Village.id == Grid.village_id)
            .join(Township, Township.id == Grid.township_id).order_by(Grid.code))
    if township_id is not None:
        if session.get(Township, township_id) is None:
            raise NotFound(f"no township with id {township_id}", "townshipId")
        stmt = stmt.where(Grid.township_id == township_id)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": orjson.loads(r.geometry), "properties": {
            "code": r.code, "name": r.name, "village": r.village, "township": r.township,
            "households": r.household_count, "agents": r.agents}}
        for r in session.execute(stmt)]}
