"""geo.crs against the reference values published in the README of wandergis/coordtransform
(the implementation most Chinese web maps copy), for the point (116.404, 39.915)."""

import math

import pytest

from geo.crs import (
    CRS,
    bd09_to_gcj02,
    check_lonlat,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)
from geo.errors import GeoError

P = (116.404, 39.915)


def close(a: tuple[float, float], b: tuple[float, float], tol: float) -> bool:
    return abs(a[0] - b[0]) <= tol and abs(a[1] - b[1]) <= tol


def test_published_forward_values() -> None:
    assert close(wgs84_to_gcj02(*P), (116.41024449916938, 39.91640428150164), 1e-12)
    assert close(gcj02_to_bd09(*P), (116.41036949371029, 39.92133699351021), 1e-12)


def test_published_inverse_values_within_their_approximation() -> None:
    # The published inverses are one-step approximations (errors of ~1e-6 deg, about 0.1 m);
    # ours iterate to the exact inverse, so agree to 1e-5 deg (about 1 m).
    assert close(gcj02_to_wgs84(*P), (116.39775550083061, 39.91359571849836), 1e-5)
    assert close(bd09_to_gcj02(*P), (116.39762729119315, 39.90865673957631), 1e-5)


@pytest.mark.parametrize("crs", [CRS.GCJ02, CRS.BD09])
@pytest.mark.parametrize("lon,lat", [(118.31, 36.81), (116.404, 39.915), (121.47, 31.23)])
def test_round_trip_is_exact(crs: CRS, lon: float, lat: float) -> None:
    back = to_wgs84(*from_wgs84(lon, lat, crs), crs)
    assert close(back, (lon, lat), 1e-9)  # 1e-9 deg is about 0.1 mm


def test_offsets_are_of_the_expected_size_in_linzi() -> None:
    lon, lat = 118.31, 36.81
    glon, glat = from_wgs84(lon, lat, CRS.GCJ02)
    metres = math.hypot((glon - lon) * 111_320 * math.cos(math.radians(lat)),
                        (glat - lat) * 110_574)
    assert 100 < metres < 700


def test_wgs84_and_cgcs2000_pass_through() -> None:
    assert to_wgs84(118.3, 36.8, CRS.CGCS2000) == (118.3, 36.8)
    assert to_wgs84(118.3, 36.8) == (118.3, 36.8)


def test_outside_china_no_offset() -> None:
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert to_wgs84(2.35, 48.85, CRS.GCJ02) == (2.35, 48.85)


@pytest.mark.parametrize("lon,lat,words", [
    (36.8, 118.3, "swapped"),
    (float("nan"), 36.8, "finite"),
    (118.3, float("inf"), "finite"),
    (181.0, 36.8, "longitude 181.0 is out of range"),
    (118.3, -90.5, "latitude -90.5 is out of range"),
    (-200.0, 95.0, "longitude -200.0 is out of range"),
])
def test_bad_positions_are_refused(lon: float, lat: float, words: str) -> None:
    with pytest.raises(GeoError, match=words):
        check_lonlat(lon, lat)
    with pytest.raises(GeoError):
        to_wgs84(lon, lat, CRS.GCJ02)
