"""Positions sent by phones: checked and converted to WGS-84 before any rule uses them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from backend.errors import BadInput
from geo.crs import CRS, to_wgs84
from geo.errors import GeoError

MAX_RADIUS_M = 50_000.0


@dataclass(frozen=True)
class Position:
    lon: float
    lat: float
    crs: CRS = CRS.WGS84
    accuracy_m: float | None = None
    mocked: bool | None = None

    def wgs84(self, field: str = "point") -> tuple[float, float]:
        """(lon, lat) in WGS-84, or BadInput saying what is wrong with the position."""
        if self.accuracy_m is not None and not (
            math.isfinite(self.accuracy_m) and self.accuracy_m >= 0
        ):
            raise BadInput(f"accuracyM must be a non-negative number, got {self.accuracy_m}",
                           f"{field}.accuracyM")
        try:
            return to_wgs84(self.lon, self.lat, self.crs)
        except GeoError as e:
            raise BadInput(f"{field}: {e}", field) from None


def check_radius(radius_m: float, field: str = "radiusM") -> float:
    if not (math.isfinite(radius_m) and 0 < radius_m <= MAX_RADIUS_M):
        raise BadInput(f"{field} must be in (0, {MAX_RADIUS_M:.0f}] metres, got {radius_m}", field)
    return radius_m
