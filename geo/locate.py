"""In-memory point -> grid locator on a shapely STRtree (WGS-84 lon/lat).

A point on a boundary shared by several grids belongs to all of them; the tie is broken by
the lowest grid code (string order), so `locate` always equals
    min(code for code, poly in grids if poly.intersects(Point(lon, lat)))
Grids are stored sorted by code, which turns "lowest code" into "lowest tree index".
Positions are expected to be validated on entry (geo.validate.validate_point); a NaN or
infinite position lies in no grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.errors import GeoError

__all__ = ["GridLocator"]

_GEOD = Geod(ellps="WGS84")
# Metres per degree of latitude is at least 110,574 m; dividing by less widens the prefilter.
_M_PER_DEG_MIN = 110_000.0


class GridLocator:
    """Find the grid that covers a position, or the nearest grid within a distance.

    Lookups go through a lazily built raster of small cells (about 1/8 of a grid's side):
    a cell that lies inside one grid and touches no other answers its points with numpy
    alone; points in the other cells are tested exactly against the grids that touch
    their cell (vectorized: STRtree.query(points, predicate="intersects")).
    """

    def __init__(self, codes: Sequence[str], polygons: Sequence[BaseGeometry]) -> None:
        if len(codes) != len(polygons):
            raise GeoError(f"got {len(codes)} codes for {len(polygons)} polygons")
        if len(set(codes)) != len(codes):
            raise GeoError("grid codes must be unique")
        order = sorted(range(len(codes)), key=lambda i: codes[i])
        self.codes: list[str] = [codes[i] for i in order]
        self.polygons = np.asarray([polygons[i] for i in order], dtype=object)
        if len(self.polygons) and shapely.is_empty(self.polygons).any():
            raise GeoError("a grid polygon is empty")
        shapely.prepare(self.polygons)
        self._tree = shapely.STRtree(self.polygons)
        # Last slot is None: the answer for "no grid".
        self._lookup = np.array([*self.codes, None], dtype=object)
        self._raster: _Raster | None = None

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def raster(self) -> _Raster:
        if self._raster is None:
            self._raster = _Raster(self.polygons, self._tree)
        return self._raster

    def locate(self, lon: float, lat: float) -> str | None:
        """The grid covering (lon, lat), boundary included; the lowest code on a tie."""
        if not self.codes:
            return None
        index = self.raster.locate(lon, lat)
        return None if index < 0 else self.codes[index]

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """`locate` for arrays of positions: an object array of codes, None where no grid."""
        lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        if lons.shape != lats.shape or lons.ndim != 1:
            raise GeoError("lons and lats must be 1-D arrays of the same length")
        return self._lookup[self.indices(lons, lats)]

    def indices(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Index into self.codes of the grid of each position; len(self) where none."""
        result = np.full(len(lons), len(self.codes), dtype=np.intp)
        if not self.codes or len(lons) == 0:
            return result
        inside, cell_answer = self.raster.lookup(lons, lats)
        sure = cell_answer >= 0
        result[sure] = cell_answer[sure]
        rest = np.flatnonzero(inside & ~sure)
        if len(rest):
            result[rest] = self._query(lons[rest], lats[rest])
        return result

    def _query(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Exact lookup through the tree: lowest grid index per point, len(self) where none."""
        points = shapely.points(lons, lats)
        src, tree_idx = self._tree.query(points, predicate="intersects")
        result = np.full(len(points), len(self.codes), dtype=np.intp)
        # Most points hit one grid: write those directly, and settle ties with minimum.at.
        dup = np.zeros(len(src), dtype=bool)
        dup[1:] = src[1:] == src[:-1]
        dup[:-1] |= dup[1:]
        result[src[~dup]] = tree_idx[~dup]
        if dup.any():
            np.minimum.at(result, src[dup], tree_idx[dup])
        return result

    def nearest(self, lon: float, lat: float, max_distance_m: float) -> tuple[str, float] | None:
        """The nearest grid within max_distance_m metres and its geodesic distance.

        Distance is 0 for a point inside or on a grid (lowest code on a tie). Otherwise
        candidates come from a degree box widened to max_distance_m; the nearest point of
        each is found in a local equirectangular frame and measured on the ellipsoid;
        equal distances go to the lowest code.
        """
        if not math.isfinite(max_distance_m) or max_distance_m < 0:
            raise GeoError(f"max_distance_m {max_distance_m!r} must be a finite number >= 0")
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return None
        inside = self.locate(lon, lat)
        if inside is not None:
            return inside, 0.0
        cand = np.sort(self._tree.query(_search_box(lon, lat, max_distance_m)))
        if len(cand) == 0:
            return None
        dists = _geodesic_distances(self.polygons[cand], lon, lat)
        best = int(np.argmin(dists))  # first minimum: the lowest code among equals
        if dists[best] > max_distance_m:
            return None
        return self.codes[int(cand[best])], float(dists[best])


class _Raster:
    """Uniform cells over the grids' extent, each knowing the grids that touch it.

    Cell boxes are widened by a margin far above the rounding of floor((x - x0) / size),
    so a point always lies in the box of the cell it is computed to fall in. `exclusive`
    holds the grid index of a cell covered by one grid and touching no other, else -1.
    """

    CELLS_PER_SIDE = 8  # per typical grid side: ~40% of points need an exact test
    MAX_CELLS = 2_000_000

    def __init__(self, polygons: np.ndarray, tree: shapely.STRtree) -> None:
        self.polygons = polygons
        self.xmin, self.ymin, self.xmax, self.ymax = shapely.total_bounds(polygons)
        self.size = self._cell_size(polygons)
        self.nx = max(1, math.ceil((self.xmax - self.xmin) / self.size))
        self.ny = max(1, math.ceil((self.ymax - self.ymin) / self.size))
        boxes = self._cell_boxes()
        cell, poly = tree.query(boxes, predicate="intersects")
        # Candidate grids of each cell, lowest index first (CSR layout).
        order = np.lexsort((poly, cell))
        self.cand = poly[order]
        self.offsets = np.searchsorted(cell[order], np.arange(len(boxes) + 1))
        self.exclusive = self._exclusive(boxes)

    def _cell_size(self, polygons: np.ndarray) -> float:
        bounds = shapely.bounds(polygons)
        side = float(
            np.median(np.sqrt((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])))
        )
        extent = max(self.xmax - self.xmin, self.ymax - self.ymin, 1e-9)
        size = side / self.CELLS_PER_SIDE if side > 0 else extent
        area = (self.xmax - self.xmin + size) * (self.ymax - self.ymin + size)
        return max(size, math.sqrt(area / self.MAX_CELLS), extent * 1e-7)

    def _cell_boxes(self) -> np.ndarray:
        margin = self.size * 1e-6
        iy, ix = np.divmod(np.arange(self.nx * self.ny), self.nx)
        x0 = self.xmin + ix * self.size
        y0 = self.ymin + iy * self.size
        return shapely.box(
            x0 - margin, y0 - margin, x0 + self.size + margin, y0 + self.size + margin
        )

    def _exclusive(self, boxes: np.ndarray) -> np.ndarray:
        counts = np.diff(self.offsets)
        exclusive = np.full(len(boxes), -1, dtype=np.intp)
        single = np.flatnonzero(counts == 1)
        owner = self.cand[self.offsets[single]]
        covered = shapely.covers(self.polygons[owner], boxes[single])
        exclusive[single[covered]] = owner[covered]
        return exclusive

    def _cells(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        ix = np.clip(np.floor((lons - self.xmin) / self.size), 0, self.nx - 1).astype(np.intp)
        iy = np.clip(np.floor((lats - self.ymin) / self.size), 0, self.ny - 1).astype(np.intp)
        return iy * self.nx + ix

    def lookup(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(inside the extent, grid index of an exclusive cell or -1) for each point."""
        # NaN fails every comparison, so it is never inside.
        inside = (
            (lons >= self.xmin) & (lons <= self.xmax) & (lats >= self.ymin) & (lats <= self.ymax)
        )
        answer = np.full(len(lons), -1, dtype=np.intp)
        idx = np.flatnonzero(inside)
        answer[idx] = self.exclusive[self._cells(lons[idx], lats[idx])]
        return inside, answer

    def locate(self, lon: float, lat: float) -> int:
        """Lowest index of the grids covering one point, -1 for none."""
        if not (self.xmin <= lon <= self.xmax and self.ymin <= lat <= self.ymax):
            return -1
        ix = min(max(math.floor((lon - self.xmin) / self.size), 0), self.nx - 1)
        iy = min(max(math.floor((lat - self.ymin) / self.size), 0), self.ny - 1)
        cell = iy * self.nx + ix
        owner = int(self.exclusive[cell])
        if owner >= 0:
            return owner
        cand = self.cand[self.offsets[cell] : self.offsets[cell + 1]]
        if len(cand) == 0:
            return -1
        hits = np.flatnonzero(shapely.intersects_xy(self.polygons[cand], lon, lat))
        return int(cand[hits[0]]) if len(hits) else -1


def _search_box(lon: float, lat: float, distance_m: float) -> BaseGeometry:
    dlat = distance_m / _M_PER_DEG_MIN
    coslat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    dlon = min(dlat / coslat, 360.0)
    return shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def _geodesic_distances(polys: np.ndarray, lon: float, lat: float) -> np.ndarray:
    """Geodesic metres from (lon, lat) to the nearest point of each polygon."""
    k = math.cos(math.radians(lat))  # east-west degrees shrink by cos(lat): make the frame square

    def to_local(xy: np.ndarray) -> np.ndarray:
        return (xy - (lon, lat)) * (k, 1.0)

    local = shapely.transform(polys, to_local)
    lines = shapely.shortest_line(local, Point(0.0, 0.0))
    near = shapely.get_coordinates(shapely.get_point(lines, 0)) / (k, 1.0) + (lon, lat)
    n = len(near)
    _, _, dist = _GEOD.inv(np.full(n, lon), np.full(n, lat), near[:, 0], near[:, 1])
    return np.asarray(dist, dtype=float)
