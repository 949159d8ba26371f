"""geo.validate: every bad input is refused with a message that starts with the field's name
and says what to do; repair fixes what it safely can and says what it changed."""

from __future__ import annotations

import math

import pytest
from shapely.geometry import MultiPolygon, Polygon

from geo.errors import GeoError
from geo.validate import repair_geojson, validate_geojson, validate_point

POLYGONAL = ("Polygon", "MultiPolygon")
SQUARE = [[118.30, 36.80], [118.31, 36.80], [118.31, 36.81], [118.30, 36.81], [118.30, 36.80]]
BOWTIE = [[118.30, 36.80], [118.31, 36.81], [118.31, 36.80], [118.30, 36.81], [118.30, 36.80]]


def poly(*rings: list[list[float]]) -> dict:
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def test_valid_polygon_round_trips() -> None:
    geom = validate_geojson(poly(SQUARE), name="boundary", kinds=POLYGONAL)
    assert isinstance(geom, Polygon)
    assert geom.equals(Polygon(SQUARE))


def test_valid_types_and_altitude_dropped() -> None:
    assert validate_geojson({"type": "Point", "coordinates": [118.3, 36.8, 50.0]}).has_z is False
    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE]]}
    assert isinstance(validate_geojson(multi, kinds=POLYGONAL), MultiPolygon)
    line = {"type": "LineString", "coordinates": [[118.3, 36.8], [118.4, 36.9]]}
    assert validate_geojson(line).length > 0
    coll = {"type": "GeometryCollection", "geometries": [line, poly(SQUARE)]}
    assert len(validate_geojson(coll).geoms) == 2


BAD = [
    ("not a dict", [1, 2], None, "must be a GeoJSON geometry object (a dict), got list"),
    ("no type", {"coordinates": []}, None, 'has no "type"'),
    ("unknown type", {"type": "Circle"}, None, "'Circle' is not a GeoJSON geometry type"),
    ("feature", {"type": "Feature"}, None, "is a GeoJSON Feature; send its geometry"),
    (
        "kind not accepted",
        {"type": "Point", "coordinates": [118.3, 36.8]},
        POLYGONAL,
        "type Point is not accepted here (expected MultiPolygon, Polygon)",
    ),
    ("no coordinates", {"type": "Polygon"}, None, 'has no "coordinates"'),
    ("coordinates not array", {"type": "Polygon", "coordinates": 5}, None, "must be an array"),
    (
        "wrong nesting",
        {"type": "Polygon", "coordinates": SQUARE},
        None,
        "ring 0 position 0 must be [longitude, latitude] (got 118.3); check the nesting",
    ),
    (
        "too deep",
        {"type": "Point", "coordinates": [[118.3, 36.8]]},
        None,
        "must be [longitude, latitude] (got [[118.3, 36.8]]); check the nesting",
    ),
    (
        "non-number",
        poly([[118.3, 36.8], [118.31, "36.8"], [118.31, 36.81], [118.3, 36.8]]),
        None,
        "ring 0 position 1 must contain numbers only (got [118.31, '36.8'])",
    ),
    (
        "bool",
        {"type": "Point", "coordinates": [True, 36.8]},
        None,
        "must contain numbers only",
    ),
    (
        "one number",
        {"type": "Point", "coordinates": [118.3]},
        None,
        "must be [longitude, latitude] (got [118.3])",
    ),
    (
        "NaN",
        poly([[118.3, 36.8], [118.31, math.nan], [118.31, 36.81], [118.3, 36.8]]),
        None,
        "ring 0 position 1: position (118.31, nan) is not a finite number",
    ),
    (
        "inf",
        {"type": "Point", "coordinates": [math.inf, 36.8]},
        None,
        "is not a finite number",
    ),
    (
        "swapped",
        poly([[36.8, 118.3], [36.8, 118.31], [36.81, 118.31], [36.8, 118.3]]),
        None,
        "latitude 118.3 is out of range [-90, 90]; longitude and latitude look swapped "
        "(send lon=118.3, lat=36.8)",
    ),
    (
        "longitude out of range",
        {"type": "Point", "coordinates": [218.3, 36.8]},
        None,
        "longitude 218.3 is out of range [-180, 180]",
    ),
    (
        "latitude out of range",
        {"type": "Point", "coordinates": [118.3, -96.8]},
        None,
        "latitude -96.8 is out of range [-90, 90]",
    ),
    (
        "unclosed ring",
        poly(SQUARE, [[118.302, 36.802], [118.303, 36.802], [118.303, 36.803]]),
        None,
        "ring 1 is not closed: its first position (118.302, 36.802) differs from its last "
        "(118.303, 36.803); repeat the first position at the end",
    ),
    (
        "unclosed ring in multipolygon",
        {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE[:-1]]]},
        None,
        "polygon 1 ring 0 is not closed",
    ),
    (
        "short ring",
        poly([[118.3, 36.8], [118.31, 36.8], [118.3, 36.8]]),
        None,
        "ring 0 has 3 position(s); a ring needs at least 4",
    ),
    ("empty polygon", {"type": "Polygon", "coordinates": []}, None, "is an empty Polygon"),
    ("empty point", {"type": "Point", "coordinates": []}, None, "is an empty Point"),
    (
        "empty multipolygon",
        {"type": "MultiPolygon", "coordinates": []},
        None,
        "is an empty MultiPolygon",
    ),
    (
        "empty collection",
        {"type": "GeometryCollection", "geometries": []},
        None,
        "is an empty GeometryCollection",
    ),
    (
        "self-intersection",
        poly(BOWTIE),
        None,
        "is not valid: it crosses itself at (118.305, 36.805); fix the boundary",
    ),
    (
        "spike",
        poly(
            [
                [118.30, 36.80],
                [118.32, 36.80],
                [118.32, 36.82],
                [118.31, 36.82],
                [118.31, 36.79],
                [118.31, 36.82],
                [118.30, 36.82],
                [118.30, 36.80],
            ]
        ),
        None,
        "is not valid: it has a ring that touches itself at (118.31, 36.82)",
    ),
    (
        "hole outside",
        poly(SQUARE, [[118.4, 36.9], [118.41, 36.9], [118.41, 36.91], [118.4, 36.9]]),
        None,
        "has a hole outside its outer ring at (118.4, 36.9); holes must lie inside",
    ),
    (
        "overlapping polygons",
        {
            "type": "MultiPolygon",
            "coordinates": [
                [SQUARE],
                [[[118.305, 36.805], [118.32, 36.805], [118.32, 36.82], [118.305, 36.805]]],
            ],
        },
        None,
        "has polygons that overlap at",
    ),
    (
        "zero area",
        poly([[118.3, 36.8], [118.31, 36.8], [118.32, 36.8], [118.3, 36.8]]),
        None,
        "has zero area (all positions of its outer ring lie on one line)",
    ),
    (
        "zero area part",
        {
            "type": "MultiPolygon",
            "coordinates": [
                [SQUARE],
                [[[118.4, 36.8], [118.41, 36.8], [118.42, 36.8], [118.4, 36.8]]],
            ],
        },
        None,
        "polygon 1 has zero area",
    ),
    (
        "line of one point",
        {"type": "LineString", "coordinates": [[118.3, 36.8]]},
        None,
        "has 1 position(s); a line needs at least 2",
    ),
    (
        "degenerate line",
        {"type": "LineString", "coordinates": [[118.3, 36.8], [118.3, 36.8]]},
        None,
        "has too few distinct positions at (118.3, 36.8)",
    ),
    (
        "bad member",
        {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "coordinates": [[]]}]},
        None,
        "geometry 0 ring 0 has 0 position(s)",
    ),
]


@pytest.mark.parametrize(("case", "obj", "kinds", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_its_reason(
    case: str, obj: object, kinds: tuple[str, ...] | None, message: str
) -> None:
    with pytest.raises(GeoError) as err:
        validate_geojson(obj, name="boundary", kinds=kinds)
    assert str(err.value).startswith("boundary: ")
    assert message in str(err.value)


def test_too_many_vertices() -> None:
    with pytest.raises(GeoError, match=r"^area: has more than 4 vertices; simplify it"):
        validate_geojson(poly(SQUARE), name="area", max_vertices=4)
    assert validate_geojson(poly(SQUARE), max_vertices=5).is_valid


def test_geo_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        validate_geojson(None)


# --- repair ---------------------------------------------------------------------------------


def test_repair_closes_rings_and_says_so() -> None:
    geom, notes = repair_geojson(poly(SQUARE[:-1]), name="boundary", kinds=POLYGONAL)
    assert geom.equals(Polygon(SQUARE))
    assert notes == ["ring 0 was not closed: closed it"]


def test_repair_of_valid_input_changes_nothing() -> None:
    geom, notes = repair_geojson(poly(SQUARE))
    assert notes == []
    assert geom.equals(Polygon(SQUARE))


def test_repair_splits_a_bowtie() -> None:
    geom, notes = repair_geojson(poly(BOWTIE), kinds=POLYGONAL)
    assert isinstance(geom, MultiPolygon) and len(geom.geoms) == 2
    assert geom.is_valid
    assert notes == ["self-intersection at (118.305, 36.805): split into 2 polygons"]


def test_repair_reports_area_change() -> None:
    spike = [
        [118.3, 36.8],
        [118.32, 36.8],
        [118.32, 36.82],
        [118.31, 36.82],
        [118.31, 36.79],
        [118.31, 36.82],
        [118.3, 36.82],
        [118.3, 36.8],
    ]
    geom, notes = repair_geojson(poly(spike), kinds=POLYGONAL)
    assert isinstance(geom, Polygon) and geom.is_valid
    assert notes == [
        "ring self-intersection at (118.31, 36.82): repaired as a Polygon, area changed by 0.0%"
    ]


def test_repair_of_unclosed_bowtie_lists_both_changes() -> None:
    geom, notes = repair_geojson(poly(BOWTIE[:-1]), kinds=POLYGONAL)
    assert geom.is_valid
    assert notes[0] == "ring 0 was not closed: closed it"
    assert notes[1].startswith("self-intersection at (118.305, 36.805): split into 2 polygons")


def test_repair_refuses_a_kind_it_cannot_keep() -> None:
    with pytest.raises(GeoError, match="became a MultiPolygon when repaired"):
        repair_geojson(poly(BOWTIE), name="grid", kinds=("Polygon",))


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (poly([[118.3, 36.8], [118.31, math.nan], [118.31, 36.81], [118.3, 36.8]]), "not a finite"),
        ({"type": "Point", "coordinates": [200.0, 36.8]}, "out of range"),
        (poly([[118.3, 36.8], [118.31, 36.8], [118.32, 36.8]]), "zero area"),
        (
            {"type": "LineString", "coordinates": [[118.3, 36.8], [118.3, 36.8]]},
            "cannot be repaired",
        ),
        ({"type": "Polygon", "coordinates": []}, "is an empty Polygon"),
    ],
)
def test_repair_still_refuses_what_cannot_be_repaired(obj: dict, message: str) -> None:
    with pytest.raises(GeoError, match=r"^village: ") as err:
        repair_geojson(obj, name="village")
    assert message in str(err.value)


# --- points -----------------------------------------------------------------------------------


def test_validate_point_accepts_a_position() -> None:
    validate_point(118.3, 36.8)
    validate_point(-180, 90)


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (math.nan, 36.8, "report.position: position (nan, 36.8) is not a finite number"),
        (118.3, math.inf, "is not a finite number"),
        (
            36.8,
            118.3,
            "report.position: latitude 118.3 is out of range [-90, 90]; longitude "
            "and latitude look swapped (send lon=118.3, lat=36.8)",
        ),
        (181.0, 36.8, "report.position: longitude 181.0 is out of range [-180, 180]"),
        (118.3, -91.0, "report.position: latitude -91.0 is out of range"),
        ("118.3", 36.8, "report.position: longitude '118.3' is not a number"),
        (118.3, None, "report.position: latitude None is not a number"),
    ],
)
def test_validate_point_refuses(lon: object, lat: object, message: str) -> None:
    with pytest.raises(GeoError) as err:
        validate_point(lon, lat, name="report.position")  # type: ignore[arg-type]
    assert message in str(err.value)
