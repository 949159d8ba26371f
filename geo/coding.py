"""Administrative and grid codes (统计用区划代码 and GB/T 30428.1 unit-grid practice).

county    6 digits                      370305           (Linzi District)
township  9 digits  = county + 3        370305001
village  12 digits  = township + 3      370305001001     (village or community)
grid     15 digits  = village + 3       370305001001001  (grid sequence 001..999)

A 3-digit segment of 000 is refused: in the statistical codes it stands for "the level above
itself" (370305001000 is the township padded to 12 digits), never for a unit of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import GeoError

__all__ = [
    "Code",
    "Level",
    "LEVELS",
    "parse_code",
    "check_code",
    "grid_code",
    "number_grids",
    "reading_order",
]

Level = Literal["county", "township", "village", "grid"]
LEVELS: dict[str, int] = {"county": 6, "township": 9, "village": 12, "grid": 15}
_LEVEL_OF_LENGTH = {length: level for level, length in LEVELS.items()}
MAX_SEQ = 999


@dataclass(frozen=True)
class Code:
    """A parsed code: the full code of each level it reaches, None below its own level.

    parse_code("370305001001") == Code("370305", "370305001", "370305001001", None)
    """

    county: str
    township: str | None
    village: str | None
    grid: str | None

    @property
    def level(self) -> Level:
        if self.grid is not None:
            return "grid"
        if self.village is not None:
            return "village"
        return "township" if self.township is not None else "county"

    @property
    def code(self) -> str:
        return self.grid or self.village or self.township or self.county


def parse_code(code: str) -> Code:
    """Split an administrative or grid code into its levels; the level comes from its length."""
    _check_digits(code)
    level = _LEVEL_OF_LENGTH.get(len(code))
    if level is None:
        raise GeoError(
            f"code {code!r} has {len(code)} digits; expected 6 (county), 9 (township), "
            "12 (village/community) or 15 (grid)"
        )
    _check_segments(code)
    prefixes = [code[:n] if len(code) >= n else None for n in (9, 12, 15)]
    return Code(code[:6], *prefixes)


def check_code(code: str, level: Level, parent: str | None = None) -> str:
    """Return `code` if it is a well-formed `level` code under `parent` (any level above)."""
    if level not in LEVELS:
        raise GeoError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    _check_digits(code)
    if len(code) != LEVELS[level]:
        raise GeoError(
            f"{level} code {code!r} has {len(code)} digits; a {level} code has {LEVELS[level]}"
        )
    _check_segments(code)
    if parent is not None:
        parsed_parent = parse_code(parent)
        if len(parent) >= len(code) or not code.startswith(parent):
            raise GeoError(
                f"{level} code {code} is not under {parsed_parent.level} {parent} "
                f"(it must start with {parent} and be longer)"
            )
    return code


def grid_code(village_code: str, seq: int) -> str:
    """The 15-digit code of grid number `seq` (1..999) of a village or community."""
    check_code(village_code, "village")
    if isinstance(seq, bool) or not isinstance(seq, int | np.integer) or not 1 <= seq <= MAX_SEQ:
        raise GeoError(f"grid sequence {seq!r} must be a whole number from 1 to {MAX_SEQ}")
    return f"{village_code}{int(seq):03d}"


def reading_order(polygons: Sequence[BaseGeometry]) -> list[int]:
    """Indices of `polygons` in reading order: rows north to south, west to east in a row.

    Rows are banded deterministically on each polygon's representative point (a point
    inside it): points are taken from north to south (ties west first, then by index); a
    point starts a new row when it lies more than half the median polygon height (bounding
    box, degrees of latitude) south of the first point of the current row. Inside a row the
    order is by longitude (ties north first, then by index).
    """
    if len(polygons) == 0:
        return []
    geoms = np.asarray(polygons, dtype=object)
    if shapely.is_empty(geoms).any():
        raise GeoError("cannot order an empty grid polygon")
    pts = shapely.get_coordinates(shapely.point_on_surface(geoms))
    bounds = shapely.bounds(geoms)
    band = 0.5 * float(np.median(bounds[:, 3] - bounds[:, 1]))
    rows = _rows(pts[:, 0], pts[:, 1], band)
    idx = np.arange(len(pts))
    # lexsort: last key is primary: row, then west to east, then north first, then index.
    return np.lexsort((idx, -pts[:, 1], pts[:, 0], rows)).tolist()


def _rows(x: np.ndarray, y: np.ndarray, band: float) -> np.ndarray:
    """Row number of each point, by the greedy north-to-south banding of reading_order."""
    order = np.lexsort((np.arange(len(x)), x, -y))
    rows = np.empty(len(x), dtype=np.int64)
    row, top = -1, np.inf
    for i in order:
        if row < 0 or top - y[i] > band:
            row, top = row + 1, y[i]
        rows[i] = row
    return rows


def number_grids(
    village_code: str,
    polygons: Sequence[BaseGeometry],
    keep: Mapping[int, str] | None = None,
) -> list[str]:
    """Grid codes for `polygons` (in input order), numbered in reading order (see reading_order).

    `keep` maps an input index to the code that grid already has (when a village is
    re-divided, unchanged grids keep their codes); the other grids get the lowest free
    sequence numbers, in reading order.
    """
    check_code(village_code, "village")
    keep = dict(keep or {})
    used = _check_keep(village_code, len(polygons), keep)
    if len(polygons) > MAX_SEQ:
        raise GeoError(f"a village can hold at most {MAX_SEQ} grids, got {len(polygons)}")
    codes: list[str | None] = [keep.get(i) for i in range(len(polygons))]
    free = (seq for seq in range(1, MAX_SEQ + 1) if seq not in used)
    for i in reading_order(polygons):
        if codes[i] is None:
            codes[i] = grid_code(village_code, next(free))
    return [c for c in codes if c is not None]


def _check_keep(village_code: str, count: int, keep: dict[int, str]) -> set[int]:
    """Validate `keep` and return the sequence numbers it uses."""
    used: set[int] = set()
    for index, code in keep.items():
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise GeoError(f"keep index {index!r} is not an index of the {count} polygons")
        check_code(code, "grid", parent=village_code)
        seq = int(code[-3:])
        if seq in used:
            raise GeoError(f"keep gives grid code {code} to more than one polygon")
        used.add(seq)
    return used


def _check_digits(code: object) -> None:
    # isdigit() alone accepts non-ASCII digits such as '３'.
    if not isinstance(code, str) or not (code.isascii() and code.isdigit()):
        raise GeoError(f"code {code!r} must be a string of digits 0-9")


def _check_segments(code: str) -> None:
    for start, name in ((6, "township"), (9, "village"), (12, "grid")):
        if len(code) > start and code[start : start + 3] == "000":
            raise GeoError(
                f"code {code} has {name} part 000, which is not a {name}; numbering starts at 001"
            )
