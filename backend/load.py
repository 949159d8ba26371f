"""Loading a district document (fixtures/ and `wangge load`) into the database.

The document is plain JSON:
  district   {code, name}
  townships  [{code, name, kind: SUBDISTRICT|TOWN, geometry?}]  (geometry defaults to the
             union of its villages)
  villages   [{code, name, kind: VILLAGE|COMMUNITY, township, geometry}]
  grids      [{code, name, geometry: Polygon}]  (village = first 12 digits of the code)
  households [{lon, lat, address, size, head_name, id_number, phone, flags: [...]}]
  users      [{username, password, name, roles, townships?, grids?}]
Everything is validated before anything is written, the whole load is one transaction, and a
bad feature is named in the error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.agents.models import AgentPosition
from backend.areas.models import (
    KEY_GROUPS,
    District,
    Grid,
    GridAgent,
    Household,
    Resident,
    Township,
    Village,
)
from backend.areas.service import address_key
from backend.auth.models import User, UserRole, UserTownship
from backend.auth.service import add_user, hash_password
from backend.db import spatial
from backend.errors import BadInput, Conflict
from backend.services.models import Qualification
from backend.sync.models import SyncOp
from geo.coding import check_code
from geo.errors import GeoError
from geo.locate import GridLocator
from geo.validate import validate_geojson, validate_point

Progress = Callable[[str, int, int], None]  # (step, done, total), for progress bars


@dataclass
class LoadReport:
    townships: int = 0
    villages: int = 0
    grids: int = 0
    households: int = 0
    users: int = 0
    outside: list[str] = field(default_factory=list)  # households in no grid, by address


def as_multi(shape: Polygon | MultiPolygon) -> MultiPolygon:
    return shape if isinstance(shape, MultiPolygon) else MultiPolygon([shape])


def checked_code(kind: str, i: int, item: dict, check: Callable[[str], object]) -> None:
    try:
        check(item.get("code", ""))
    except GeoError as e:
        raise BadInput(f"{kind}[{i}] {item.get('name', '')}: {e}", kind) from None


def checked_shape(kind: str, i: int, item: dict, kinds: tuple[str, ...]) -> Polygon | MultiPolygon:
    label = f"{kind}[{i}] {item.get('code', '')} {item.get('name', '')}".strip()
    try:
        return validate_geojson(item.get("geometry"), name=label, kinds=kinds)
    except GeoError as e:
        raise BadInput(str(e), kind) from None


@dataclass
class HouseholdColumns:
    lon: np.ndarray
    lat: np.ndarray
    size: np.ndarray
    address: list[str]
    head_name: list[str]
    id_number: list[str]
    phone: list[str]
    flags: dict[str, np.ndarray]


def _household_columns(h: list[dict] | object) -> HouseholdColumns:
    """Households as columns, from a list of dicts or from a columnar table with the same
    names and one bool array per key group (fixtures.linzi.Households)."""
    if not isinstance(h, list):
        return HouseholdColumns(
            np.asarray(h.lon, float), np.asarray(h.lat, float), np.asarray(h.size, int),
            h.address, h.head_name, h.id_number, h.phone,
            {k: np.asarray(getattr(h, k), bool) for k in KEY_GROUPS})
    for i, row in enumerate(h):
        unknown = set(row.get("flags", ())) - set(KEY_GROUPS)
        if unknown:
            raise BadInput(f"households[{i}]: unknown key groups {sorted(unknown)}", "households")
    return HouseholdColumns(
        np.array([r["lon"] for r in h], float), np.array([r["lat"] for r in h], float),
        np.array([r.get("size", 1) for r in h], int), [r["address"] for r in h],
        [r["head_name"] for r in h], [r["id_number"] for r in h], [r["phone"] for r in h],
        {k: np.array([k in r.get("flags", ()) for r in h], bool) for k in KEY_GROUPS})


def district_exists(session: Session, code: str) -> bool:
    return session.scalar(select(District.id).where(District.code == code)) is not None


def delete_district(session: Session, code: str, usernames: list[str]) -> None:
    """Remove a district's areas, households and residents, assignments and the named users.
    Refused (CONFLICT, nothing deleted) once the district is in use: a case, a service, an
    inspection target or any other record that refers to its areas or users is kept, so the
    database's own foreign keys say when."""
    d = session.scalar(select(District.id).where(District.code == code))
    user_ids = list(session.scalars(select(User.id).where(User.username.in_(usernames))))
    try:
        with session.begin_nested():
            if d is not None:
                tids = select(Township.id).where(Township.district_id == d).scalar_subquery()
                gids = select(Grid.id).where(Grid.township_id.in_(tids)).scalar_subquery()
                rids = (select(Resident.id).join(Household, Household.id == Resident.household_id)
                        .where(Household.township_id.in_(tids)).scalar_subquery())
                session.execute(delete(Qualification).where(Qualification.resident_id.in_(rids)))
                session.execute(delete(Resident).where(Resident.id.in_(rids)))
                session.execute(delete(Household).where(Household.township_id.in_(tids)))
                session.execute(delete(GridAgent).where(GridAgent.grid_id.in_(gids)))
                session.execute(delete(UserTownship).where(UserTownship.township_id.in_(tids)))
                session.execute(delete(Grid).where(Grid.township_id.in_(tids)))
                session.execute(delete(Village).where(Village.township_id.in_(tids)))
                session.execute(delete(Township).where(Township.district_id == d))
                session.execute(delete(District).where(District.id == d))
            for model in (GridAgent, UserTownship, UserRole, AgentPosition, SyncOp):
                session.execute(delete(model).where(model.user_id.in_(user_ids)))
            session.execute(delete(User).where(User.id.in_(user_ids)))
    except IntegrityError:
        raise Conflict(f"district {code} is in use (cases, services or inspections refer to "
                       "its areas or users): --replace only replaces a district not used yet; "
                       "load into a fresh database instead", "district") from None


def load_document(session: Session, doc: dict, progress: Progress | None = None) -> LoadReport:
    """Validate and insert a district document; the caller commits (or rolls back)."""
    tick = progress or (lambda _step, _done, _total: None)
    district = doc["district"]
    try:
        check_code(district["code"], "county")
    except GeoError as e:
        raise BadInput(f"district: {e}", "district") from None
    if district_exists(session, district["code"]):
        raise Conflict(f"district {district['code']} is already loaded", "district")

    # 1. Validate everything before writing anything.
    townships = doc["townships"]
    given = {}
    for i, t in enumerate(townships):
        checked_code("townships", i, t, lambda c: check_code(c, "township", district["code"]))
        if t.get("geometry") is not None:
            given[t["code"]] = checked_shape("townships", i, t, ("Polygon", "MultiPolygon"))
    t_codes = {t["code"] for t in townships}
    villages = doc["villages"]
    v_shapes = []
    for i, v in enumerate(villages):
        checked_code("villages", i, v, lambda c, v=v: check_code(c, "village", v.get("township")))
        if v["township"] not in t_codes:
            raise BadInput(f"villages[{i}] {v['code']}: unknown township {v['township']}",
                           "villages")
        v_shapes.append(checked_shape("villages", i, v, ("Polygon", "MultiPolygon")))
    v_codes = {v["code"] for v in villages}
    grids = doc["grids"]
    g_shapes = []
    for i, g in enumerate(grids):
        checked_code("grids", i, g, lambda c: check_code(c, "grid"))
        if g["code"][:12] not in v_codes:
            raise BadInput(f"grids[{i}] {g['code']}: unknown village {g['code'][:12]}", "grids")
        g_shapes.append(checked_shape("grids", i, g, ("Polygon",)))
    hh = _household_columns(doc.get("households", []))
    bad = ~(np.isfinite(hh.lon) & np.isfinite(hh.lat) & (np.abs(hh.lon) <= 180)
            & (np.abs(hh.lat) <= 90))
    for i in np.flatnonzero(bad)[:1]:
        try:
            validate_point(hh.lon[i], hh.lat[i], name=f"households[{i}] {hh.address[i]}")
        except GeoError as e:
            raise BadInput(str(e), "households") from None

    # 2. Insert, parents first.
    d = District(code=district["code"], name=district["name"])
    session.add(d)
    session.flush()
    by_township: dict[str, list] = {}
    for v, s in zip(villages, v_shapes, strict=True):
        by_township.setdefault(v["township"], []).append(s)
    t_ids: dict[str, int] = {}
    t_shapes = []
    for t in townships:
        shape = given.get(t["code"]) or shapely.union_all(by_township.get(t["code"], []))
        row = Township(code=t["code"], name=t["name"], kind=t["kind"], district_id=d.id,
                       geom=from_shape(as_multi(shape), srid=4326) if not shape.is_empty else None)
        session.add(row)
        session.flush()
        t_ids[t["code"]] = row.id
        t_shapes.append(shape)
    d.geom = from_shape(as_multi(shapely.union_all(t_shapes)), srid=4326)
    v_ids: dict[str, int] = {}
    for v, s in zip(villages, v_shapes, strict=True):
        row = Village(code=v["code"], name=v["name"], kind=v["kind"],
                      township_id=t_ids[v["township"]], geom=from_shape(as_multi(s), srid=4326))
        session.add(row)
        session.flush()
        v_ids[v["code"]] = row.id

    locator = GridLocator([g["code"] for g in grids], g_shapes)
    found = locator.locate_many(hh.lon, hh.lat)
    codes, n = np.unique(found[found != None].astype(str), return_counts=True)  # noqa: E711
    counts = dict(zip(codes.tolist(), n.tolist(), strict=True))
    g_ids: dict[str, int] = {}
    for g, s in zip(grids, g_shapes, strict=True):
        v_code = g["code"][:12]
        row = Grid(code=g["code"], name=g["name"], village_id=v_ids[v_code],
                   township_id=t_ids[v_code[:9]], household_count=counts.get(g["code"], 0),
                   geom=from_shape(s, srid=4326))
        session.add(row)
        session.flush()
        g_ids[g["code"]] = row.id

    report = LoadReport(len(townships), len(villages), len(grids), len(hh.lon))
    lons, lats, sizes = hh.lon.tolist(), hh.lat.tolist(), hh.size.tolist()
    flags = {k: hh.flags[k].tolist() for k in KEY_GROUPS}
    chunk = 20_000
    for start in range(0, len(lons), chunk):
        rows = []
        for i in range(start, min(start + chunk, len(lons))):
            code = found[i]
            if code is None:
                report.outside.append(hh.address[i])
            rows.append({
                "grid_id": g_ids.get(code), "village_id": v_ids.get(code[:12]) if code else None,
                "township_id": t_ids.get(code[:9]) if code else None, "address": hh.address[i],
                "address_key": address_key(hh.address[i]),
                "size": sizes[i], "head_name": hh.head_name[i], "id_number": hh.id_number[i],
                "phone": hh.phone[i], **{k: flags[k][i] for k in KEY_GROUPS},
                "geom": spatial.point_ewkt(lons[i], lats[i]),
            })
        session.execute(insert(Household), rows)
        tick("households", start + len(rows), len(lons))

    hashes: dict[str, str] = {}  # one argon2 hash per distinct password: thousands of demo
    users = doc.get("users", [])
    for n, u in enumerate(users, 1):  # agents share one, and each hash costs ~50 ms
        if u["password"] not in hashes:
            hashes[u["password"]] = hash_password(u["password"])
        add_user(session, u["username"], None, u["name"], u["roles"],
                 u.get("townships", []), u.get("grids", []), u.get("phone"),
                 password_hash=hashes[u["password"]], department_code=u.get("department"))
        tick("users", n, len(users))
    report.users = len(doc.get("users", []))
    session.flush()
    return report
