"""Admins edit categories and the calendar; past events keep their settings."""

from datetime import datetime, timedelta

from tests.conftest import Api, codes
from tests.events.helpers import pick, report

UPDATE = """mutation($c: String!, $x: CategoryChanges!) { updateEventCategory(code: $c,
  changes: $x) { category { code resolution deadlineUnit } errors { field code message } } }"""
DAY = "mutation($d: Date!, $w: Boolean) { setCalendarDay(day: $d, workday: $w) { code } }"


def test_category_edit_does_not_rewrite_past_events(api: Api, clock) -> None:  # type: ignore[no-untyped-def]
    cat = pick(api, self_handleable=False, unit="HOURS")
    clock.advance(days=500)
    before = report(api, "admin", cat["code"], 118.3758, 36.8058, acknowledgeDuplicate=True)
    r = api.post(UPDATE, {"c": cat["code"], "x": {"resolution": cat["resolution"] * 2}},
                 as_user="admin")["data"]["updateEventCategory"]
    try:
        assert r["category"]["resolution"] == cat["resolution"] * 2
        after = report(api, "admin", cat["code"], 118.3758, 36.8058, acknowledgeDuplicate=True)
        d0 = datetime.fromisoformat(before["event"]["deadline"])
        d1 = datetime.fromisoformat(after["event"]["deadline"])
        assert d1 - d0 == timedelta(hours=cat["resolution"])
        q = 'query($id: ID!) { node(id: $id) { ... on Event { deadline } } }'
        again = api.post(q, {"id": before["event"]["id"]}, as_user="admin")["data"]["node"]
        assert again["deadline"] == before["event"]["deadline"]
    finally:
        api.post(UPDATE, {"c": cat["code"], "x": {"resolution": cat["resolution"]}},
                 as_user="admin")


def test_only_admins_edit_and_bad_values_are_refused(api: Api) -> None:
    cat = pick(api, self_handleable=False)["code"]
    assert codes(api.post(UPDATE, {"c": cat, "x": {"response": 1}}, as_user="supervisor")) == [
        "FORBIDDEN"]
    for x, field in (({"deadlineUnit": "WEEKS"}, "deadlineUnit"), ({"response": -1}, "response"),
                     ({"departmentCode": "NOPE"}, "departmentCode")):
        err = api.post(UPDATE, {"c": cat, "x": x}, as_user="admin")["data"][
            "updateEventCategory"]["errors"][0]
        assert err["field"] == field
    err = api.post(UPDATE, {"c": "9999", "x": {}}, as_user="admin")["data"][
        "updateEventCategory"]["errors"][0]
    assert err["code"] == "NOT_FOUND"


def test_calendar_override_moves_working_day_deadlines(api: Api, clock) -> None:  # type: ignore[no-untyped-def]
    cat = pick(api, self_handleable=False, unit="WORKING_DAYS")
    clock.advance(days=700)
    while clock.now.weekday() != 0:  # a Monday, in office hours
        clock.advance(days=1)
    spot = (118.3759, 36.8059)
    plain = report(api, "admin", cat["code"], *spot, acknowledgeDuplicate=True)["event"]
    day = clock.now.date()
    assert api.post(DAY, {"d": day.isoformat(), "w": False}, as_user="admin")[
        "data"]["setCalendarDay"] == []
    try:
        moved = report(api, "admin", cat["code"], *spot, acknowledgeDuplicate=True)["event"]
        assert moved["deadline"] > plain["deadline"]
    finally:
        api.post(DAY, {"d": day.isoformat(), "w": None}, as_user="admin")
    assert codes(api.post(DAY, {"d": day.isoformat(), "w": False}, as_user="dispatcher")) == [
        "FORBIDDEN"]
