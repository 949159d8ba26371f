"""The seed catalogue of event categories (GB/T 30428.2 style) and departments."""

import re
from collections import Counter
from dataclasses import FrozenInstanceError

import pytest

from backend.events.catalogue import (
    ALARM_CATEGORIES,
    CATEGORIES,
    DEPARTMENTS,
    TOWNSHIP,
    Category,
    Department,
)

BIG = [c for c in CATEGORIES if c.parent is None]
SMALL = [c for c in CATEGORIES if c.parent is not None]
DEPT_CODES = {d.code for d in DEPARTMENTS}


def test_codes_are_unique() -> None:
    assert not [c for c, n in Counter(c.code for c in CATEGORIES).items() if n > 1]
    assert not [c for c, n in Counter(d.code for d in DEPARTMENTS).items() if n > 1]
    assert len({c.name for c in CATEGORIES}) == len(CATEGORIES)
    assert len({d.name for d in DEPARTMENTS}) == len(DEPARTMENTS)


def test_codes_are_well_formed() -> None:
    assert all(re.fullmatch(r"\d{2}", c.code) for c in BIG)
    assert all(re.fullmatch(r"\d{4}", c.code) for c in SMALL)
    big = {c.code for c in BIG}
    for c in SMALL:
        assert c.parent in big and c.code.startswith(c.parent), c
        assert c.code[2:] != "00", c  # small classes number from 01
    assert all(re.fullmatch(r"[A-Z]{2,16}", d.code) for d in DEPARTMENTS)
    assert all(c.name.strip() and d.name.strip() for c in CATEGORIES for d in DEPARTMENTS)


def test_big_classes_come_first_and_carry_no_settings() -> None:
    assert CATEGORIES[:len(BIG)] == tuple(BIG)
    for c in BIG:
        assert c.department is None and not c.self_handleable
        assert (c.response, c.resolution, c.duplicate_radius_m, c.duplicate_window_h) == (0,) * 4
    # small classes are grouped under their parents in code order
    assert [c.code for c in SMALL] == sorted(c.code for c in SMALL)


def test_counts() -> None:
    assert 8 <= len(BIG) <= 12
    assert 50 <= len(SMALL) <= 70
    assert 12 <= len(DEPARTMENTS) <= 15
    per_big = Counter(c.parent for c in SMALL)
    assert all(per_big[b.code] >= 2 for b in BIG)  # no empty or token big class


def test_every_small_class_has_an_existing_department() -> None:
    for c in SMALL:
        assert c.department in DEPT_CODES, c
    assert TOWNSHIP in DEPT_CODES
    # and every department receives some class
    assert {c.department for c in SMALL} == DEPT_CODES


def test_settings_are_in_sane_ranges() -> None:
    for c in SMALL:
        assert c.unit in ("HOURS", "WORKING_DAYS"), c
        assert c.urgency in ("LOW", "NORMAL", "URGENT"), c
        assert 0 < c.response <= c.resolution, c
        if c.unit == "HOURS":
            assert c.response <= 2 and c.resolution <= 48, c
        else:
            assert c.response <= 1 and c.resolution <= 15, c
        assert 30 <= c.duplicate_radius_m <= 200, c
        assert 6 <= c.duplicate_window_h <= 72, c


def test_emergencies_run_on_the_clock_and_are_not_left_to_the_agent() -> None:
    urgent = [c for c in SMALL if c.urgency == "URGENT"]
    assert len(urgent) >= 5
    for c in urgent:
        assert c.unit == "HOURS" and not c.self_handleable, c
        assert 0.5 <= c.response <= 1 and 4 <= c.resolution <= 24, c
    assert all(c.urgency == "URGENT" for c in SMALL if c.parent == "04")


def test_self_handleable_classes_are_minor_and_quick() -> None:
    mine = [c for c in SMALL if c.self_handleable]
    assert len(mine) >= 8
    names = {c.name for c in mine}
    assert {"暴露垃圾", "非法小广告", "乱堆物堆料", "共享单车乱停放"} <= names
    for c in mine:
        assert c.urgency != "URGENT", c
        assert (c.unit == "HOURS" and c.resolution <= 24) or \
            (c.unit == "WORKING_DAYS" and c.resolution <= 1), c
    # the tests that pick categories need both kinds in both units
    assert {c.unit for c in mine} == {c.unit for c in SMALL if not c.self_handleable} \
        == {"HOURS", "WORKING_DAYS"}


def test_hotline_livelihood_classes_use_working_days() -> None:
    hotline = [c for c in SMALL if c.parent == "10"]
    assert len(hotline) >= 6
    for c in hotline:
        assert c.unit == "WORKING_DAYS" and c.response == 1 and 3 <= c.resolution <= 15, c
        assert (c.duplicate_radius_m, c.duplicate_window_h) == (50, 72), c


def test_known_settings() -> None:
    by_name = {c.name: c for c in SMALL}
    pipe = by_name["自来水管破裂"]
    assert (pipe.duplicate_radius_m, pipe.duplicate_window_h) == (200, 24)
    fire = by_name["焚烧垃圾树叶"]
    assert (fire.duplicate_radius_m, fire.duplicate_window_h) == (100, 6)
    assert by_name["拖欠工资"].department == "RSJ"
    assert by_name["工地扬尘"].department == "ZJJ"


def test_alarm_targets_exist_and_are_small_classes() -> None:
    small = {c.code: c for c in SMALL}
    for alarm, code in ALARM_CATEGORIES.items():
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", alarm), alarm
        assert code in small, (alarm, code)
    names = {a: small[c].name for a, c in ALARM_CATEGORIES.items()}
    assert names["SMOKE"] == "火灾隐患" and names["DUST_PM10"] == "工地扬尘"
    assert names["WATERLOGGING"] == "道路积水" and "井盖" in names["MANHOLE_OPEN"]
    assert small[ALARM_CATEGORIES["KITCHEN_NO_HAT"]].parent == "11"
    assert small[ALARM_CATEGORIES["KITCHEN_RAT"]].parent == "11"


def test_records_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        CATEGORIES[0].name = "x"  # type: ignore[misc]
    assert isinstance(CATEGORIES[0], Category) and isinstance(DEPARTMENTS[0], Department)
