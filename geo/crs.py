"""Coordinate systems phones report in, and conversion to the stored WGS-84.

GCJ-02 (国测局坐标, AMap/Tencent) is WGS-84 plus a deliberate non-linear offset inside
China; BD-09 (Baidu) is a further offset of GCJ-02. CGCS2000 differs from WGS-84 by
centimetres and is taken as equal. The formulas are the widely published ones
(e.g. eviltransform, coordtransform); GCJ-02 -> WGS-84 has no closed form and is solved
by fixed-point iteration to well under a millimetre.
"""

from __future__ import annotations

import math
from enum import StrEnum

from geo.errors import GeoError


class CRS(StrEnum):
    WGS84 = "WGS84"
    CGCS2000 = "CGCS2000"
    GCJ02 = "GCJ02"
    BD09 = "BD09"


_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def check_lonlat(lon: float, lat: float) -> None:
    """Refuse NaN/inf, out-of-range and plainly swapped positions."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise GeoError(f"position ({lon}, {lat}) is not a finite number")
    if abs(lat) > 90 and abs(lon) <= 90:
        raise GeoError(
            f"latitude {lat} is out of range [-90, 90]; longitude and latitude look swapped "
            f"(send lon={lat}, lat={lon})"
        )
    if abs(lon) > 180:
        raise GeoError(f"longitude {lon} is out of range [-180, 180]")
    if abs(lat) > 90:
        raise GeoError(f"latitude {lat} is out of range [-90, 90]")


def out_of_china(lon: float, lat: float) -> bool:
    """Outside this rough box GCJ-02 applies no offset (as the published formulas do)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    dlat = _delta_lat(lon - 105.0, lat - 35.0)
    dlon = _delta_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):  # converges by ~1e-3 per step; 1e-12 deg is well under a millimetre
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if abs(dlon) < 1e-12 and abs(dlat) < 1e-12:
            break
    return wlon, wlat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    # The published closed-form inverse is off by ~1e-6 deg; refine it by iteration.
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    glon, glat = z * math.cos(theta), z * math.sin(theta)
    for _ in range(10):
        blon, blat = gcj02_to_bd09(glon, glat)
        dlon, dlat = blon - lon, blat - lat
        glon, glat = glon - dlon, glat - dlat
        if abs(dlon) < 1e-12 and abs(dlat) < 1e-12:
            break
    return glon, glat


def to_wgs84(lon: float, lat: float, crs: CRS | str = CRS.WGS84) -> tuple[float, float]:
    """Check a position and convert it from `crs` to WGS-84."""
    crs = CRS(crs)
    check_lonlat(lon, lat)
    if crs in (CRS.WGS84, CRS.CGCS2000):
        return lon, lat
    if crs is CRS.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def from_wgs84(lon: float, lat: float, crs: CRS | str = CRS.WGS84) -> tuple[float, float]:
    """Convert a stored WGS-84 position to `crs` (for apps that draw on AMap or Baidu maps)."""
    crs = CRS(crs)
    check_lonlat(lon, lat)
    if crs in (CRS.WGS84, CRS.CGCS2000):
        return lon, lat
    gcj = wgs84_to_gcj02(lon, lat)
    return gcj if crs is CRS.GCJ02 else gcj02_to_bd09(*gcj)
