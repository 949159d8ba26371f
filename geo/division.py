"""Dividing a village or community into grids of about N households (一格一员, 200 户一名代办员).

Recursive bisection. A piece that must hold k grids is cut by one straight line into two
pieces holding floor(k/2) and ceil(k/2) grids, at the household-count quantile that gives
each side its share of the households. Directions are tried every 22.5 degrees in a local
metric frame (equirectangular, centred on the village); the chosen cut is the shortest one
among those that balance the households best, preferring cuts that leave each side in one
piece. The cut itself is polygon ∩ half-plane and polygon − half-plane in the original
lon/lat (the frame is affine, so a straight cut there is straight in lon/lat), which tiles
the piece exactly. When a concave piece falls apart into several parts, the parts are
regrouped along the cut into two connected sides (such cuts are then judged by the balance
they really give), and grids are re-shared between the two sides in proportion to their
households. Finally, neighbouring grids get each other's vertices along shared edges, so the
grids form a valid coverage. The result is deterministic: no randomness, stable sorts, fixed
directions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.coding import reading_order
from geo.errors import GeoError

__all__ = ["Division", "DivisionQuality", "divide", "agents_needed", "quality", "combine"]

_EARTH_RADIUS_M = 6_371_008.8
_DIRECTIONS = 8  # cut directions tried: every 180/8 = 22.5 degrees
_BALANCE_SLACK = 0.02  # a cut this close (share of a grid's households) to the best is as good


@dataclass
class DivisionQuality:
    """How good a division is.

    within_25pct: share of grids whose household count is within ±25% of the target. A
    village with fewer households than the target cannot meet it and is left out: its
    share is reported as 1.0, and a caller aggregating several villages should skip such
    villages (households < target). Polsby-Popper (4πA/P², 1 for a disc) is computed in a
    local metric frame. coverage_error = |area(union of grids) − area(village)| / area(village).
    """

    grids: int
    households: int
    target: int
    min: int
    median: float
    max: int
    within_25pct: float
    mean_polsby_popper: float
    coverage_error: float


@dataclass
class Division:
    """Grids in reading order (north to south, west to east: see geo.coding.reading_order).

    assignment[i] is the index into `polygons` of household i's grid: the grid that
    contains it; a household on a boundary shared by several grids goes to the lowest
    index (which is also the lowest code when the grids are numbered by number_grids),
    matching GridLocator's tie rule.
    """

    polygons: list[Polygon]
    assignment: np.ndarray
    counts: list[int]
    quality: DivisionQuality


# --- public API -------------------------------------------------------------------------


def agents_needed(households: int, ratio: int = 200) -> int:
    """Agents for a grid or village: ceil(households / ratio); 0 households need 0 agents."""
    if isinstance(ratio, bool) or not isinstance(ratio, int | np.integer) or ratio <= 0:
        raise GeoError(f"households per agent {ratio!r} must be a whole number above 0")
    if isinstance(households, bool) or not isinstance(households, int | np.integer):
        raise GeoError(f"households {households!r} must be a whole number")
    if households < 0:
        raise GeoError(f"households {households} cannot be negative")
    return -(-int(households) // int(ratio))


def divide(
    village: Polygon | MultiPolygon,
    households: np.ndarray,
    households_per_grid: int = 200,
) -> Division:
    """Divide `village` (lon/lat WGS-84) into compact grids of about households_per_grid each.

    households: array of shape (n, 2), lon/lat, every one inside or on the village.
    The number of grids is k = max(1, round(n / households_per_grid)) (Python's round:
    halves go to the even number). A village with fewer households than that, or none, is
    one grid: the village itself. A MultiPolygon village is divided part by part, k shared
    among the parts by households (largest remainder) and every part getting at least one
    grid, so such a village may get more than k grids, and no grid spans two parts.
    (A piece that no straight cut can split into two connected sides would stay one grid;
    no such case has turned up in testing.)
    """
    target = _check_target(households_per_grid)
    polygon_parts = _village_parts(village)
    points = _check_households(households, village)
    frame = _Frame.around(village)
    homes = _Homes(points, frame.to_metric(points), frame)
    part_of = _part_of_households(polygon_parts, points)
    k = max(1, round(len(points) / target))
    shares = _share_grids(k, [int(np.sum(part_of == i)) for i in range(len(polygon_parts))])
    pieces: list[Polygon] = []
    for i, (part, k_part) in enumerate(zip(polygon_parts, shares, strict=True)):
        pieces.extend(_bisect(part, homes, np.flatnonzero(part_of == i), k_part))
    pieces = _node(pieces)
    order = reading_order(pieces)
    polygons = [pieces[i] for i in order]
    assignment = _assign(polygons, points)
    counts = np.bincount(assignment, minlength=len(polygons)).astype(int).tolist()
    return Division(polygons, assignment, counts, quality(village, polygons, counts, target))


def quality(
    village: BaseGeometry,
    polygons: Sequence[BaseGeometry],
    counts: list[int],
    target: int,
) -> DivisionQuality:
    """Measure a division (see DivisionQuality for the definitions)."""
    target = _check_target(target)
    if len(polygons) != len(counts):
        raise GeoError(f"got {len(counts)} counts for {len(polygons)} grids")
    arr = np.asarray(counts, dtype=np.int64)
    total = int(arr.sum())
    if total < target:
        within = 1.0  # nothing to judge: see DivisionQuality
    else:
        within = float(np.mean(np.abs(arr - target) <= 0.25 * target)) if len(arr) else 0.0
    frame = _Frame.around(village)
    village_area = float(village.area)
    union_area = float(shapely.union_all(polygons).area) if len(polygons) else 0.0
    return DivisionQuality(
        grids=len(polygons),
        households=total,
        target=target,
        min=int(arr.min()) if len(arr) else 0,
        median=float(np.median(arr)) if len(arr) else 0.0,
        max=int(arr.max()) if len(arr) else 0,
        within_25pct=within,
        mean_polsby_popper=_mean_polsby_popper(polygons, frame),
        coverage_error=abs(union_area - village_area) / village_area if village_area else 0.0,
    )


# --- checks -------------------------------------------------------------------------------


def combine(qs: Sequence[DivisionQuality], counts: Sequence[int], target: int
            ) -> DivisionQuality:
    """Several villages' figures together, weighted by grids: the share within ±25% only over
    villages with at least `target` households (1.0 when there is none to judge), the worst
    village's coverage error; `counts` are all the grids' household counts."""
    grids = sum(q.grids for q in qs)
    judged = [q for q in qs if q.households >= target]
    judged_grids = sum(q.grids for q in judged)
    return DivisionQuality(
        grids=grids, households=sum(q.households for q in qs), target=target,
        min=min(counts, default=0), median=float(np.median(counts)) if len(counts) else 0.0,
        max=max(counts, default=0),
        within_25pct=(sum(q.within_25pct * q.grids for q in judged) / judged_grids
                      if judged_grids else 1.0),
        mean_polsby_popper=sum(q.mean_polsby_popper * q.grids for q in qs) / max(1, grids),
        coverage_error=max((q.coverage_error for q in qs), default=0.0))


def _check_target(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise GeoError(f"households per grid {value!r} must be a whole number above 0")
    return int(value)


def _village_parts(village: BaseGeometry) -> list[Polygon]:
    if not isinstance(village, Polygon | MultiPolygon):
        raise GeoError(f"village must be a Polygon or MultiPolygon, got {village.geom_type}")
    if village.is_empty:
        raise GeoError("village is empty")
    if not village.is_valid:
        reason = shapely.is_valid_reason(village)
        raise GeoError(f"village is not a valid polygon ({reason}); repair its boundary first")
    if village.area == 0:
        raise GeoError("village has zero area")
    parts = [p for p in shapely.get_parts(shapely.force_2d(village)) if p.area > 0]
    return sorted(parts, key=_part_key)


def _part_key(part: Polygon) -> tuple[float, float]:
    # Parts are processed north to south, then west to east: a stable, documented order.
    x, y = part.representative_point().coords[0]
    return (-y, x)


def _check_households(households: np.ndarray, village: BaseGeometry) -> np.ndarray:
    points = np.asarray(households, dtype=float)
    if points.size == 0:
        return np.empty((0, 2))
    if points.ndim != 2 or points.shape[1] != 2:
        raise GeoError(f"households must be an array of shape (n, 2) lon/lat, got {points.shape}")
    bad = np.flatnonzero(~np.isfinite(points).all(axis=1))
    if len(bad):
        raise GeoError(f"household {bad[0]} has a position that is not a finite number")
    shapely.prepare(village)
    outside = np.flatnonzero(~shapely.intersects_xy(village, points[:, 0], points[:, 1]))
    if len(outside):
        lon, lat = points[outside[0]]
        raise GeoError(
            f"{len(outside)} of {len(points)} households lie outside the village (first: "
            f"household {outside[0]} at ({lon:.6f}, {lat:.6f})); fix their positions or the "
            "village boundary"
        )
    return points


def _part_of_households(parts: list[Polygon], points: np.ndarray) -> np.ndarray:
    """Index of the village part holding each household (parts do not overlap)."""
    if len(parts) == 1:
        return np.zeros(len(points), dtype=np.intp)
    part_of = np.full(len(points), -1, dtype=np.intp)
    for i in reversed(range(len(parts))):  # reversed: a shared point goes to the lower part
        part_of[shapely.intersects_xy(parts[i], points[:, 0], points[:, 1])] = i
    return part_of


def _share_grids(k: int, households: list[int]) -> list[int]:
    """Share k grids among parts by households (largest remainder), at least one each."""
    total = sum(households)
    if total == 0:
        return [1] * len(households)
    quotas = [k * h / total for h in households]
    shares = [math.floor(q) for q in quotas]
    by_remainder = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in by_remainder[: k - sum(shares)]:
        shares[i] += 1
    return [max(1, s) for s in shares]


# --- the local metric frame ---------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Equirectangular metres around a centre: affine, so straight lines stay straight."""

    lon0: float
    lat0: float
    kx: float  # metres per degree of longitude at lat0
    ky: float  # metres per degree of latitude

    @classmethod
    def around(cls, geom: BaseGeometry) -> _Frame:
        xmin, ymin, xmax, ymax = geom.bounds
        lon0, lat0 = (xmin + xmax) / 2, (ymin + ymax) / 2
        ky = math.radians(1) * _EARTH_RADIUS_M
        return cls(lon0, lat0, ky * math.cos(math.radians(lat0)), ky)

    def to_metric(self, lonlat: np.ndarray) -> np.ndarray:
        return (np.asarray(lonlat, dtype=float).reshape(-1, 2) - (self.lon0, self.lat0)) * (
            self.kx,
            self.ky,
        )

    def to_lonlat(self, xy: np.ndarray) -> np.ndarray:
        return np.asarray(xy, dtype=float) / (self.kx, self.ky) + (self.lon0, self.lat0)


# --- recursive bisection ------------------------------------------------------------------


@dataclass(frozen=True)
class _Homes:
    """The village's households in lon/lat and in the metric frame."""

    lonlat: np.ndarray
    xy: np.ndarray
    frame: _Frame

    def inside(self, poly: BaseGeometry, idx: np.ndarray) -> np.ndarray:
        """Which of households idx lie in or on `poly`."""
        pts = self.lonlat[idx]
        return shapely.intersects_xy(poly, pts[:, 0], pts[:, 1])


@dataclass
class _Cut:
    low: Polygon  # the side that holds floor(k/2) grids if the households allow
    high: Polygon
    low_idx: np.ndarray
    high_idx: np.ndarray


@dataclass
class _Candidate:
    direction: np.ndarray  # unit normal of the cut line, metric frame
    c: float  # cut position along the normal: the low side is t < c
    error: float  # |households on the low side - wanted|
    segments: int  # pieces of the cut line inside the polygon
    length: float  # metres of cut line inside the polygon
    reach: float  # half-length of the cut line and depth of the half-plane, metres


def _bisect(piece: Polygon, homes: _Homes, idx: np.ndarray, k: int) -> list[Polygon]:
    """Cut `piece` into k single-Polygon grids; iterative so that depth is no concern."""
    done: list[Polygon] = []
    stack = [(piece, idx, k)]
    while stack:
        poly, sub, kk = stack.pop()
        cut = _best_cut(poly, homes, sub, kk) if kk > 1 else None
        if cut is None:  # one grid, or nothing left to cut (a degenerate sliver)
            done.append(poly)
            continue
        k_low = _grids_for_low_side(kk, len(cut.low_idx), len(cut.high_idx))
        stack.append((cut.high, cut.high_idx, kk - k_low))
        stack.append((cut.low, cut.low_idx, k_low))
    return done


def _grids_for_low_side(k: int, n_low: int, n_high: int) -> int:
    """floor(k/2) when the cut met its quantile; else re-share by households, each side >= 1."""
    n = n_low + n_high
    if n == 0:
        return k // 2
    return min(max(round(k * n_low / n), 1), k - 1)


def _best_cut(poly: Polygon, homes: _Homes, idx: np.ndarray, k: int) -> _Cut | None:
    share = (k // 2) / k
    xy = homes.xy[idx]
    ring = homes.frame.to_metric(shapely.get_coordinates(poly.exterior))
    found = (_candidate(poly, ring, xy, share, angle, homes.frame) for angle in _angles())
    candidates = [c for c in found if c is not None]
    if not candidates:
        return None
    slack = _BALANCE_SLACK * max(len(idx) / k, 1.0)
    best_error = min(c.error for c in candidates)

    def rank(c: _Candidate) -> tuple[bool, bool, float]:
        # Balance first (within a small slack), then one-piece sides, then the shortest cut.
        return (c.error > best_error + slack, c.segments > 1, c.length)

    ranked = sorted(candidates, key=rank)  # stable: ties keep the angle order
    if ranked[0].segments == 1:
        for cand in ranked:
            cut = _make_cut(poly, homes, idx, cand)
            if cut is not None:
                return cut
        return None
    # Every well-balanced cut breaks the piece apart, and regrouping the parts moves
    # households across the cut: judge each cut by the grids it will really get.
    cuts = [(cut, cand) for cand in ranked if (cut := _make_cut(poly, homes, idx, cand))]
    if not cuts:
        return None
    return min(cuts, key=lambda cc: (_imbalance(cc[0], k), cc[1].length))[0]


def _imbalance(cut: _Cut, k: int) -> float:
    """Worst relative gap between a side's households per grid and the piece's average."""
    n_low, n_high = len(cut.low_idx), len(cut.high_idx)
    n = n_low + n_high
    if n == 0:
        return 0.0
    k_low = _grids_for_low_side(k, n_low, n_high)
    mean = n / k
    return max(abs(n_low / k_low - mean), abs(n_high / (k - k_low) - mean)) / mean


def _angles() -> list[float]:
    return [math.pi * i / _DIRECTIONS for i in range(_DIRECTIONS)]


def _candidate(
    poly: Polygon, ring: np.ndarray, xy: np.ndarray, share: float, angle: float, frame: _Frame
) -> _Candidate | None:
    """The cut across `angle` at the households' quantile; ring: the exterior, metric."""
    direction = np.array([math.cos(angle), math.sin(angle)])
    proj = ring @ direction
    lo, hi = float(proj.min()), float(proj.max())
    if hi - lo <= 0:
        return None
    reach = 4.0 * (float(np.abs(ring).max()) + 1.0)
    c, error = _quantile_cut(xy @ direction, share, (lo, hi))
    line = _cut_line(direction, c, reach, frame)
    crossing = _lines(poly.intersection(line))
    if crossing.length == 0:
        return None
    full = float(np.linalg.norm(np.diff(shapely.get_coordinates(line), axis=0)))
    length = crossing.length / full * 2 * reach  # the frame is affine: length ratios carry over
    segments = len(shapely.get_parts(shapely.line_merge(crossing)))
    return _Candidate(direction, c, error, segments, length, reach)


def _lines(geom: BaseGeometry) -> BaseGeometry:
    """The linear parts of an intersection (a cut may also touch the polygon at a point)."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "LineString" and g.length > 0]
    return shapely.multilinestrings(parts) if parts else shapely.multilinestrings([])


def _quantile_cut(t: np.ndarray, share: float, span: tuple[float, float]) -> tuple[float, float]:
    """Position c leaving `share` of the households t below it; and the count error.

    The cut goes midway between two consecutive distinct projections, at the gap nearest
    to the wanted count (ties: the lower). Households at one spot cannot be split: the cut
    then passes beside them. span: the piece's extent along the direction.
    """
    n = len(t)
    wanted = share * n
    if n == 0:  # not reached (a side without households gets one grid): the middle then
        return (span[0] + span[1]) / 2, 0.0
    ts = np.sort(t, kind="stable")
    gaps = np.flatnonzero(ts[1:] > ts[:-1]) + 1  # j with ts[j-1] < ts[j]
    if len(gaps) == 0:
        # All at one spot: cut beside it, leaving them on the side that wants more.
        spot = float(ts[0])
        if wanted >= n / 2:
            return (spot + span[1]) / 2, float(n - wanted)
        return (span[0] + spot) / 2, float(wanted)
    j = int(gaps[np.argmin(np.abs(gaps - wanted))])
    return (float(ts[j - 1]) + float(ts[j])) / 2, float(abs(j - wanted))


def _cut_line(direction: np.ndarray, c: float, reach: float, frame: _Frame) -> BaseGeometry:
    along = np.array([-direction[1], direction[0]])
    ends = np.array([c * direction - reach * along, c * direction + reach * along])
    return shapely.linestrings(frame.to_lonlat(ends))


def _half_plane(direction: np.ndarray, c: float, reach: float, frame: _Frame) -> Polygon:
    """The side t < c of the cut, as a big rectangle in lon/lat."""
    along = np.array([-direction[1], direction[0]])
    on_cut = c * direction
    corners = np.array(
        [
            on_cut - reach * along,
            on_cut + reach * along,
            on_cut + reach * along - reach * direction,
            on_cut - reach * along - reach * direction,
        ]
    )
    return Polygon(frame.to_lonlat(corners))


def _make_cut(poly: Polygon, homes: _Homes, idx: np.ndarray, cand: _Candidate) -> _Cut | None:
    half = _half_plane(cand.direction, cand.c, cand.reach, homes.frame)
    low_parts = _polygons(shapely.intersection(poly, half))
    high_parts = _polygons(shapely.difference(poly, half))
    if not low_parts or not high_parts:
        return None
    if len(low_parts) == 1 and len(high_parts) == 1:
        return _split_homes(low_parts[0], high_parts[0], homes, idx)
    return _regroup(low_parts, high_parts, homes, idx)


def _split_homes(low: Polygon, high: Polygon, homes: _Homes, idx: np.ndarray) -> _Cut:
    """Households of each side by point-in-polygon; the low side wins its shared boundary."""
    in_low = homes.inside(low, idx)
    return _Cut(low, high, idx[in_low], idx[~in_low])


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    return [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area > 0]


def _regroup(
    low_parts: list[Polygon], high_parts: list[Polygon], homes: _Homes, idx: np.ndarray
) -> _Cut | None:
    """Gather the parts of a cut into two connected sides.

    Parts on either side of the cut share their vertices along it exactly (both overlays
    node the same segments), so parts that touch along a stretch of it union into one
    Polygon. Each side starts from its most populated part; every other part joins a
    neighbour's side: its own side when it can, else the other.
    """
    parts = low_parts + high_parts
    home = [0] * len(low_parts) + [1] * len(high_parts)
    counts = [int(homes.inside(p, idx).sum()) for p in parts]
    neighbours = _neighbours(parts, len(low_parts))
    side = [-1] * len(parts)
    for s, group in ((0, range(len(low_parts))), (1, range(len(low_parts), len(parts)))):
        side[min(group, key=lambda i: (-counts[i], -parts[i].area, i))] = s
    while -1 in side:
        changed = False
        for i in range(len(parts)):
            options = {side[j] for j in neighbours[i] if side[j] != -1}
            if side[i] == -1 and options:
                side[i] = home[i] if home[i] in options else min(options)
                changed = True
        if not changed:  # parts touching only at points: no connected grouping
            return None
    sides = [_union_one([p for p, s in zip(parts, side, strict=True) if s == g]) for g in (0, 1)]
    if sides[0] is None or sides[1] is None:
        return None
    return _split_homes(sides[0], sides[1], homes, idx)


def _neighbours(parts: list[Polygon], n_low: int) -> list[set[int]]:
    """Parts sharing a stretch of the cut (only a low and a high part can)."""
    result: list[set[int]] = [set() for _ in parts]
    for i in range(n_low):
        for j in range(n_low, len(parts)):
            if shapely.intersection(parts[i].boundary, parts[j].boundary).length > 0:
                result[i].add(j)
                result[j].add(i)
    return result


def _union_one(parts: list[Polygon]) -> Polygon | None:
    pieces = _polygons(shapely.union_all(parts))
    return pieces[0] if len(pieces) == 1 else None


# --- noding -------------------------------------------------------------------------------

_NODE_TOLERANCE_DEG = 1e-12  # ~0.1 µm: far above float rounding (~1e-14), far below any feature


def _node(pieces: list[Polygon]) -> list[Polygon]:
    """Give neighbouring grids the same vertices along their shared edges.

    A cut puts a new vertex on the edge a piece shares with an earlier neighbour, rounded
    to the nearest float: a T-junction whose rounding leaves overlaps and gaps of ~1e-19
    square degrees. Inserting into every edge the neighbours' vertices that lie on it makes
    shared edges match vertex for vertex (a valid coverage: overlaps of zero area). A grid
    that this would make invalid is left as it was.
    """
    if len(pieces) < 2:
        return pieces
    geoms = np.asarray(pieces, dtype=object)
    tree = shapely.STRtree(geoms)
    src, nb = tree.query(geoms, predicate="dwithin", distance=_NODE_TOLERANCE_DEG)
    keep = src != nb
    src, nb = src[keep], nb[keep]
    out = list(pieces)
    for i, piece in enumerate(pieces):
        mine = nb[src == i]
        if len(mine) == 0:
            continue
        verts = np.unique(shapely.get_coordinates(geoms[mine]), axis=0)
        near = shapely.dwithin(piece.boundary, shapely.points(verts), _NODE_TOLERANCE_DEG)
        if not near.any():
            continue
        noded = _insert_vertices(piece, verts[near])
        if noded is not piece and noded.is_valid:
            out[i] = noded
    return out


def _insert_vertices(poly: Polygon, verts: np.ndarray) -> Polygon:
    """`poly` with each of `verts` that lies inside one of its edges inserted there."""
    rings = [shapely.get_coordinates(r) for r in (poly.exterior, *poly.interiors)]
    new_rings = [_insert_in_ring(r, verts) for r in rings]
    if all(len(a) == len(b) for a, b in zip(rings, new_rings, strict=True)):
        return poly
    return Polygon(new_rings[0], new_rings[1:])


def _insert_in_ring(ring: np.ndarray, verts: np.ndarray) -> np.ndarray:
    a, b = ring[:-1], ring[1:]  # segments (m), candidate vertices (q): a q x m problem
    d = b - a
    rel = verts[:, None, :] - a[None, :, :]
    len2 = np.maximum((d * d).sum(axis=1), 1e-300)
    t = (rel * d[None]).sum(axis=2) / len2
    cross = rel[..., 0] * d[None, :, 1] - rel[..., 1] * d[None, :, 0]
    dist = np.abs(cross) / np.sqrt(len2)
    # A vertex at (or within the tolerance of) a corner is not inserted: no zigzags.
    corner = np.hypot(*(verts[:, None, :] - ring[None, :, :]).transpose(2, 0, 1))
    is_vertex = (corner <= _NODE_TOLERANCE_DEG).any(axis=1)
    on = (t > 0) & (t < 1) & (dist <= _NODE_TOLERANCE_DEG) & ~is_vertex[:, None]
    if not on.any():
        return ring
    pieces = []
    for j in range(len(a)):
        pieces.append(a[j : j + 1])
        hits = np.flatnonzero(on[:, j])
        if len(hits):
            pieces.append(verts[hits[np.argsort(t[hits, j], kind="stable")]])
    pieces.append(ring[-1:])
    return np.concatenate(pieces)


# --- assignment and measures --------------------------------------------------------------


def _assign(polygons: list[Polygon], points: np.ndarray) -> np.ndarray:
    """Grid index of each household: the lowest index among the grids that contain it.

    A household in a sub-nanometre gap between grids (float rounding where cuts meet)
    would lie in none: it goes to the nearest grid.
    """
    n = len(points)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    tree = shapely.STRtree(polygons)
    pts = shapely.points(points)
    src, grid = tree.query(pts, predicate="intersects")
    assignment = np.full(n, len(polygons), dtype=np.intp)
    np.minimum.at(assignment, src, grid)
    lost = np.flatnonzero(assignment == len(polygons))
    if len(lost):
        _, nearest = tree.query_nearest(pts[lost], all_matches=False)
        assignment[lost] = nearest
    return assignment


def _mean_polsby_popper(polygons: Sequence[BaseGeometry], frame: _Frame) -> float:
    if len(polygons) == 0:
        return 0.0
    metric = shapely.transform(np.asarray(polygons, dtype=object), frame.to_metric)
    area = shapely.area(metric)
    perimeter = shapely.length(metric)
    pp = np.where(perimeter > 0, 4 * math.pi * area / np.maximum(perimeter, 1e-300) ** 2, 0.0)
    return float(pp.mean())
