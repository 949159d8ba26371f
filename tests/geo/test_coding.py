"""geo.coding: administrative and grid codes, and grid numbering in reading order."""

from __future__ import annotations

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from geo.coding import Code, check_code, grid_code, number_grids, parse_code, reading_order
from geo.errors import GeoError

VILLAGE = "370305001001"


def squares(rows: int, cols: int, size: float = 0.01) -> list[tuple[int, int, Polygon]]:
    """(row from the north, column from the west, square) for a rows x cols block."""
    out = []
    for r in range(rows):
        for c in range(cols):
            x, y = 118.3 + c * size, 36.8 - r * size
            out.append((r, c, shapely.box(x, y - size, x + size, y)))
    return out


def test_parse_each_level() -> None:
    assert parse_code("370305") == Code("370305", None, None, None)
    assert parse_code("370305001") == Code("370305", "370305001", None, None)
    assert parse_code(VILLAGE) == Code("370305", "370305001", VILLAGE, None)
    code = parse_code("370305001001007")
    assert code == Code("370305", "370305001", VILLAGE, "370305001001007")
    assert code.level == "grid" and code.code == "370305001001007"
    assert parse_code("370305001").level == "township"


@given(
    county=st.integers(110000, 659999),
    parts=st.lists(st.integers(1, 999), max_size=3),
)
@settings(max_examples=50, deadline=None)
def test_parse_round_trip(county: int, parts: list[int]) -> None:
    code = str(county) + "".join(f"{p:03d}" for p in parts)
    parsed = parse_code(code)
    assert parsed.code == code
    assert parsed.county == code[:6]
    assert [parsed.township, parsed.village, parsed.grid][: len(parts)] == [
        code[: 6 + 3 * (i + 1)] for i in range(len(parts))
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("37030", "has 5 digits; expected 6 (county), 9 (township), 12"),
        ("3703050011", "has 10 digits"),
        ("37030500100100101", "has 17 digits"),
        ("37030a", "must be a string of digits 0-9"),
        (" 370305", "must be a string of digits 0-9"),
        ("３７０３０５", "must be a string of digits 0-9"),
        (370305, "must be a string of digits 0-9"),
        ("370305000", "township part 000, which is not a township"),
        ("370305001000", "village part 000"),
        ("370305001001000", "grid part 000"),
    ],
)
def test_parse_refuses(code: object, message: str) -> None:
    with pytest.raises(GeoError) as err:
        parse_code(code)  # type: ignore[arg-type]
    assert message in str(err.value)


def test_check_code_levels_and_parents() -> None:
    assert check_code("370305", "county") == "370305"
    assert check_code("370305001", "township", "370305") == "370305001"
    assert check_code(VILLAGE, "village", "370305001") == VILLAGE
    assert check_code("370305001001002", "grid", "370305") == "370305001001002"
    assert check_code("370305001001002", "grid", VILLAGE) == "370305001001002"


@pytest.mark.parametrize(
    ("code", "level", "parent", "message"),
    [
        (
            "370305001",
            "village",
            None,
            "village code '370305001' has 9 digits; a village code has 12",
        ),
        ("37030500x", "township", None, "must be a string of digits"),
        ("370305001", "township", "370306", "township code 370305001 is not under county 370306"),
        (VILLAGE, "village", "370305002", "is not under township 370305002"),
        (VILLAGE, "village", VILLAGE, "is not under village"),
        (VILLAGE, "village", "37030", "has 5 digits"),
        (VILLAGE, "hamlet", None, "level 'hamlet' is not one of"),
    ],
)
def test_check_code_refuses(code: str, level: str, parent: str | None, message: str) -> None:
    with pytest.raises(GeoError) as err:
        check_code(code, level, parent)  # type: ignore[arg-type]
    assert message in str(err.value)


def test_grid_code() -> None:
    assert grid_code(VILLAGE, 1) == "370305001001001"
    assert grid_code(VILLAGE, 999) == "370305001001999"
    assert parse_code(grid_code(VILLAGE, 42)).village == VILLAGE


@pytest.mark.parametrize("seq", [0, 1000, -1, 1.0, True, "1"])
def test_grid_code_refuses_bad_sequence(seq: object) -> None:
    with pytest.raises(GeoError, match="must be a whole number from 1 to 999"):
        grid_code(VILLAGE, seq)  # type: ignore[arg-type]


def test_grid_code_refuses_bad_village() -> None:
    with pytest.raises(GeoError, match="village code"):
        grid_code("370305001", 1)


def test_numbering_reads_west_to_east_north_to_south() -> None:
    cells = squares(3, 3)
    shuffled = [cells[i] for i in (4, 8, 0, 2, 6, 1, 7, 3, 5)]
    codes = number_grids(VILLAGE, [p for _, _, p in shuffled])
    for (r, c, _), code in zip(shuffled, codes, strict=True):
        assert code == f"{VILLAGE}{r * 3 + c + 1:03d}"


def test_rows_tolerate_uneven_heights() -> None:
    # A row of a tall and a short grid: both in row one because their representative
    # points are within half a median height of each other.
    tall = shapely.box(118.30, 36.78, 118.31, 36.80)
    short = shapely.box(118.31, 36.787, 118.32, 36.80)
    below = shapely.box(118.31, 36.77, 118.32, 36.787)
    assert reading_order([below, short, tall]) == [2, 1, 0]


def test_keep_preserves_codes_and_fills_lowest_free_in_reading_order() -> None:
    polys = [p for _, _, p in squares(3, 3)]  # reading order already
    keep = {4: f"{VILLAGE}001", 0: f"{VILLAGE}005"}
    codes = number_grids(VILLAGE, polys, keep)
    assert codes[4] == f"{VILLAGE}001" and codes[0] == f"{VILLAGE}005"
    fresh = [int(codes[i][-3:]) for i in (1, 2, 3, 5, 6, 7, 8)]
    assert fresh == [2, 3, 4, 6, 7, 8, 9]
    assert len(set(codes)) == 9


def test_keep_refuses_bad_entries() -> None:
    polys = [p for _, _, p in squares(1, 2)]
    with pytest.raises(GeoError, match="is not under village"):
        number_grids(VILLAGE, polys, {0: "370305001002001"})
    with pytest.raises(GeoError, match="more than one polygon"):
        number_grids(VILLAGE, polys, {0: f"{VILLAGE}003", 1: f"{VILLAGE}003"})
    with pytest.raises(GeoError, match="keep index 2 is not an index"):
        number_grids(VILLAGE, polys, {2: f"{VILLAGE}003"})


def test_numbering_is_deterministic_and_unique() -> None:
    polys = [p for _, _, p in squares(5, 7, size=0.003)]
    codes = number_grids(VILLAGE, polys)
    assert codes == number_grids(VILLAGE, polys)
    assert sorted(codes) == [f"{VILLAGE}{i:03d}" for i in range(1, 36)]


def test_numbering_refuses_too_many_and_empty() -> None:
    with pytest.raises(GeoError, match="at most 999 grids"):
        number_grids(VILLAGE, [p for _, _, p in squares(40, 25, size=0.001)])
    with pytest.raises(GeoError, match="empty"):
        number_grids(VILLAGE, [Polygon()])
    assert number_grids(VILLAGE, []) == []
