"""Check every GeoJSON geometry that enters the system, in words a user can act on.

`validate_geojson` refuses anything wrong; `repair_geojson` fixes what can be fixed safely
(unclosed rings, self-intersections) and says what it changed. Both return a 2-D shapely
geometry in the input's lon/lat (WGS-84 is expected: convert with geo.crs first); an
altitude, if given, is dropped because grids are flat.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiLineString,
    MultiPolygon,
    Point,
    Polygon,
)
from shapely.geometry.base import BaseGeometry

from geo.crs import check_lonlat
from geo.errors import GeoError

__all__ = ["validate_geojson", "repair_geojson", "validate_point"]

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)
POLYGONAL = frozenset({"Polygon", "MultiPolygon"})

Position = tuple[float, float]
Ring = list[Position]


@dataclass
class _Context:
    """What one check needs to know: how to name things and whether to repair."""

    name: str
    max_vertices: int
    repair: bool
    vertices: int = 0
    notes: list[str] = field(default_factory=list)

    def fail(self, where: str, why: str, *, colon: bool = False) -> GeoError:
        """'boundary: ring 0 is not closed...', or with colon 'boundary: ring 0: latitude...'."""
        if not where:
            return GeoError(f"{self.name}: {why}")
        return GeoError(f"{self.name}: {where}{':' if colon else ''} {why}")


# --- public API -------------------------------------------------------------------------


def validate_geojson(
    obj: object,
    *,
    name: str = "geometry",
    kinds: Collection[str] | None = None,
    max_vertices: int = 100_000,
) -> BaseGeometry:
    """Return the shapely geometry of a GeoJSON geometry dict, or raise GeoError saying why.

    `kinds` restricts the accepted "type"s (e.g. ("Polygon", "MultiPolygon")); every message
    starts with `name` so that the caller can tell which field was wrong.
    """
    ctx = _Context(name=name, max_vertices=max_vertices, repair=False)
    geom_type = _check_type(obj, ctx, kinds)
    geom = _build(geom_type, obj, ctx, where="")  # type: ignore[arg-type]
    _check_valid(geom, ctx)
    return geom


def repair_geojson(
    obj: object,
    *,
    name: str = "geometry",
    kinds: Collection[str] | None = None,
    max_vertices: int = 100_000,
) -> tuple[BaseGeometry, list[str]]:
    """Like validate_geojson, but close unclosed rings and repair invalid geometry.

    Returns the geometry and a list of what was changed, in words (empty when nothing was).
    A polygonal input stays polygonal (parts that collapse to lines are dropped). NaN,
    out-of-range positions, malformed coordinates and an empty result still raise GeoError.
    """
    ctx = _Context(name=name, max_vertices=max_vertices, repair=True)
    geom_type = _check_type(obj, ctx, kinds)
    geom = _build(geom_type, obj, ctx, where="")  # type: ignore[arg-type]
    geom = _repair_valid(geom, ctx, kinds)
    return geom, ctx.notes


def validate_point(lon: float, lat: float, *, name: str = "position") -> None:
    """Raise GeoError (message prefixed with `name`) unless (lon, lat) is a usable position."""
    for label, value in (("longitude", lon), ("latitude", lat)):
        if not _is_number(value):
            raise GeoError(f"{name}: {label} {value!r} is not a number")
    try:
        check_lonlat(float(lon), float(lat))
    except GeoError as exc:
        raise GeoError(f"{name}: {exc}") from None


# --- type and structure -----------------------------------------------------------------


def _check_type(obj: object, ctx: _Context, kinds: Collection[str] | None) -> str:
    if not isinstance(obj, dict):
        got = type(obj).__name__
        raise ctx.fail("", f"must be a GeoJSON geometry object (a dict), got {got}")
    geom_type = obj.get("type")
    if geom_type is None:
        raise ctx.fail("", 'has no "type" (expected e.g. "Polygon")')
    if geom_type in ("Feature", "FeatureCollection"):
        raise ctx.fail("", f"is a GeoJSON {geom_type}; send its geometry object instead")
    if geom_type not in GEOMETRY_TYPES:
        raise ctx.fail("", f"type {geom_type!r} is not a GeoJSON geometry type")
    if kinds is not None and geom_type not in kinds:
        allowed = ", ".join(sorted(kinds))
        raise ctx.fail("", f"type {geom_type} is not accepted here (expected {allowed})")
    return geom_type


def _build(geom_type: str, obj: dict[str, Any], ctx: _Context, where: str) -> BaseGeometry:
    if geom_type == "GeometryCollection":
        return _build_collection(obj, ctx, where)
    if "coordinates" not in obj:
        raise ctx.fail(where, 'has no "coordinates"')
    coords = obj["coordinates"]
    if not isinstance(coords, list | tuple):
        raise ctx.fail(where, '"coordinates" must be an array', colon=True)
    if geom_type != "Point" and len(coords) == 0:
        raise ctx.fail(where, f"is an empty {geom_type}")
    builders = {
        "Point": _build_point,
        "MultiPoint": _build_multipoint,
        "LineString": _build_linestring,
        "MultiLineString": _build_multilinestring,
        "Polygon": _build_polygon,
        "MultiPolygon": _build_multipolygon,
    }
    return builders[geom_type](coords, ctx, where)


def _build_collection(obj: dict[str, Any], ctx: _Context, where: str) -> BaseGeometry:
    members = obj.get("geometries")
    if not isinstance(members, list | tuple):
        raise ctx.fail(where, 'a GeometryCollection needs a "geometries" array', colon=True)
    if not members:
        raise ctx.fail(where, "is an empty GeometryCollection")
    geoms = []
    for i, member in enumerate(members):
        here = _join(where, f"geometry {i}")
        if not isinstance(member, dict) or member.get("type") not in GEOMETRY_TYPES:
            raise ctx.fail(here, "is not a GeoJSON geometry object")
        geoms.append(_build(member["type"], member, ctx, here))
    return GeometryCollection(geoms)


def _build_point(coords: Any, ctx: _Context, where: str) -> BaseGeometry:
    if len(coords) == 0:
        raise ctx.fail(where, "is an empty Point")
    return Point(_position(coords, ctx, where))


def _build_multipoint(coords: Any, ctx: _Context, where: str) -> BaseGeometry:
    return shapely.multipoints(np.asarray(_positions(coords, ctx, where)))


def _build_linestring(coords: Any, ctx: _Context, where: str) -> BaseGeometry:
    return LineString(_line(coords, ctx, where))


def _build_multilinestring(coords: Any, ctx: _Context, where: str) -> BaseGeometry:
    lines = [_line(c, ctx, _join(where, f"line {i}")) for i, c in enumerate(coords)]
    return MultiLineString(lines)


def _build_polygon(coords: Any, ctx: _Context, where: str) -> BaseGeometry:
    rings = _rings(coords, ctx, where)
    _check_zero_area(rings, ctx, where)
    return _polygon(rings)


def _build_multipolygon(coords: Any, ctx: _Context, where: str) -> BaseGeometry:
    polygons = []
    for i, poly in enumerate(coords):
        here = _join(where, f"polygon {i}")
        if not isinstance(poly, list | tuple) or len(poly) == 0:
            raise ctx.fail(here, "must be a non-empty array of rings")
        rings = _rings(poly, ctx, here)
        _check_zero_area(rings, ctx, here)
        polygons.append(_polygon(rings))
    return MultiPolygon(polygons)


def _line(coords: Any, ctx: _Context, where: str) -> list[Position]:
    positions = _positions(coords, ctx, where)
    if len(positions) < 2:
        raise ctx.fail(where, f"has {len(positions)} position(s); a line needs at least 2")
    return positions


def _rings(coords: Any, ctx: _Context, where: str) -> list[Ring]:
    rings = []
    for i, ring in enumerate(coords):
        rings.append(_ring(ring, ctx, _join(where, f"ring {i}")))
    return rings


def _ring(coords: Any, ctx: _Context, where: str) -> Ring:
    positions = _positions(coords, ctx, where)
    if positions and positions[0] != positions[-1]:
        if not ctx.repair:
            raise ctx.fail(
                where,
                f"is not closed: its first position {_fmt(positions[0])} differs from its "
                f"last {_fmt(positions[-1])}; repeat the first position at the end",
            )
        positions.append(positions[0])
        ctx.notes.append(f"{where} was not closed: closed it")
    if len(positions) < 4:
        raise ctx.fail(
            where,
            f"has {len(positions)} position(s); a ring needs at least 4 "
            "(3 corners and the first repeated at the end)",
        )
    return positions


def _positions(coords: Any, ctx: _Context, where: str) -> list[Position]:
    if not isinstance(coords, list | tuple):
        raise ctx.fail(where, "must be an array of positions (wrong nesting of coordinates)")
    ctx.vertices += len(coords)
    if ctx.vertices > ctx.max_vertices:
        raise ctx.fail("", f"has more than {ctx.max_vertices} vertices; simplify it before sending")
    out: list[Position] = []
    for i, pos in enumerate(coords):
        if _plain_position(pos):
            out.append((float(pos[0]), float(pos[1])))
        else:  # the slow path names the position and says what is wrong with it
            out.append(_position(pos, ctx, _join(where, f"position {i}")))
    _check_ranges(out, ctx, where)
    return out


def _plain_position(pos: Any) -> bool:
    """The common case, checked fast: [float, float] or [float, float, float]."""
    return (
        type(pos) is list
        and 2 <= len(pos) <= 3
        and all(type(v) is float or type(v) is int for v in pos)
    )


def _check_ranges(positions: list[Position], ctx: _Context, where: str) -> None:
    """Vectorized range check; the first bad position gets check_lonlat's words."""
    if not positions:
        return
    arr = np.asarray(positions, dtype=float)
    ok = np.isfinite(arr).all(axis=1) & (np.abs(arr[:, 0]) <= 180) & (np.abs(arr[:, 1]) <= 90)
    if not ok.all():
        i = int(np.argmin(ok))
        _position(list(positions[i]), ctx, _join(where, f"position {i}"))


def _position(pos: Any, ctx: _Context, where: str) -> Position:
    if not isinstance(pos, list | tuple) or not 2 <= len(pos) <= 3:
        raise ctx.fail(
            where,
            f"must be [longitude, latitude] (got {_short(pos)}); check the nesting of coordinates",
        )
    if not all(_is_number(v) for v in pos):
        raise ctx.fail(where, f"must contain numbers only (got {_short(pos)})")
    lon, lat = float(pos[0]), float(pos[1])
    try:
        check_lonlat(lon, lat)
    except GeoError as exc:
        raise ctx.fail(where, str(exc), colon=True) from None
    return lon, lat


def _check_zero_area(rings: list[Ring], ctx: _Context, where: str) -> None:
    # Before the validity check: "zero area" is clearer than GEOS's "self-intersection".
    if shapely.multipoints(np.asarray(rings[0])).convex_hull.area == 0.0:
        raise ctx.fail(where, "has zero area (all positions of its outer ring lie on one line)")


# --- validity -----------------------------------------------------------------------------

# GEOS reason prefix -> (what is wrong, what to do), in a user's words.
_REASONS: dict[str, tuple[str, str]] = {
    "Ring Self-intersection": (
        "has a ring that touches itself",
        "remove the spike or pinch so the ring passes each point once",
    ),
    "Self-intersection": ("crosses itself", "fix the boundary so that it does not cross itself"),
    "Hole lies outside shell": (
        "has a hole outside its outer ring",
        "holes must lie inside the outer ring",
    ),
    "Nested holes": ("has a hole inside another hole", "remove the inner hole"),
    "Interior is disconnected": (
        "has holes that cut its interior in pieces",
        "send the pieces as a MultiPolygon",
    ),
    "Nested shells": (
        "has a polygon inside another polygon",
        "make the inner one a hole or remove it",
    ),
    "Duplicate Rings": ("has the same ring twice", "remove the duplicate ring"),
    "Too few points": ("has too few distinct positions", "remove repeated positions"),
    "Invalid Coordinate": ("has an invalid coordinate", "send finite numbers"),
}


def _check_valid(geom: BaseGeometry, ctx: _Context) -> None:
    reason = shapely.is_valid_reason(geom)
    if reason == "Valid Geometry":
        return
    words, hint, where = _explain(reason, geom)
    raise ctx.fail("", f"is not valid: it {words}{where}; {hint}")


def _explain(reason: str, geom: BaseGeometry) -> tuple[str, str, str]:
    """GEOS says 'Self-intersection[118.3 36.8]'; say 'crosses itself', how to fix, where."""
    match = re.match(r"^(.*?)\s*\[([^\]]*)\]\s*$", reason)
    kind, loc = (match.group(1), match.group(2)) if match else (reason, "")
    words, hint = next(
        (v for k, v in _REASONS.items() if kind.startswith(k)), (kind.lower(), "fix it")
    )
    if kind.startswith("Self-intersection") and _parts_overlap(geom):
        words, hint = "has polygons that overlap", "merge them or remove the overlap"
    numbers = loc.split()
    where = f" at ({numbers[0]}, {numbers[1]})" if len(numbers) >= 2 else ""
    return words, hint, where


def _parts_overlap(geom: BaseGeometry) -> bool:
    """A MultiPolygon whose every part is valid is invalid only because parts overlap."""
    if not isinstance(geom, MultiPolygon):
        return False
    return bool(shapely.is_valid(shapely.get_parts(geom)).all())


def _repair_valid(geom: BaseGeometry, ctx: _Context, kinds: Collection[str] | None) -> BaseGeometry:
    polygonal = geom.geom_type in POLYGONAL or (kinds is not None and set(kinds) <= POLYGONAL)
    reason = shapely.is_valid_reason(geom)
    if reason != "Valid Geometry":
        geom = _make_valid(geom, reason, ctx, polygonal)
    if geom.is_empty:
        raise ctx.fail("", "is empty after repair; nothing usable is left")
    if kinds is not None and geom.geom_type not in kinds:
        allowed = ", ".join(sorted(kinds))
        raise ctx.fail(
            "",
            f"became a {geom.geom_type} when repaired, which is not accepted (expected "
            f"{allowed}); fix the boundary by hand",
        )
    return geom


def _make_valid(geom: BaseGeometry, reason: str, ctx: _Context, polygonal: bool) -> BaseGeometry:
    before = geom.area
    if polygonal:
        fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
        fixed = _polygonal_part(fixed)
    else:
        fixed = shapely.make_valid(geom)
    words, _, where = _explain(reason, geom)
    kind = "polygons overlap" if _parts_overlap(geom) else reason.split("[")[0].strip().lower()
    what = f"{kind}{where}"
    if fixed.is_empty or shapely.get_dimensions(fixed) < shapely.get_dimensions(geom):
        raise ctx.fail("", f"is not valid: it {words}{where}, and cannot be repaired")
    parts = len(shapely.get_parts(fixed))
    noun = "polygons" if polygonal else "parts"
    change = f"split into {parts} {noun}" if parts > 1 else f"repaired as a {fixed.geom_type}"
    if polygonal and before > 0:
        change += f", area changed by {abs(fixed.area - before) / before:.1%}"
    ctx.notes.append(f"{what}: {change}")
    return fixed


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    polys = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area > 0]
    if not polys:
        return Polygon()
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


# --- small helpers ------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    # numpy scalars are Real too; bool is an int in Python but never a coordinate.
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _join(where: str, part: str) -> str:
    return f"{where} {part}" if where else part


def _fmt(pos: Position) -> str:
    return f"({pos[0]:g}, {pos[1]:g})"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _polygon(rings: list[Ring]) -> Polygon:
    # numpy arrays build large rings far faster than lists of tuples
    return Polygon(np.asarray(rings[0]), [np.asarray(r) for r in rings[1:]])
