"""Shared GraphQL for the event tests."""

import uuid

from tests.conftest import Api

EVENT_FIELDS = """id code status routing nearBoundary snapDistanceM deadline responseDueAt
  overdue escalationLevel grid { code } township { code } department { code }
  assignee { username } category { code } allowedActions"""
REPORT = f"""mutation($i: ReportEventInput!) {{ reportEvent(input: $i) {{
  event {{ {EVENT_FIELDS} }} duplicateOf {{ id code }} neighbourGrids
  errors {{ field code message }} }} }}"""
TRANSITION = f"""mutation($id: ID!, $a: EventAction!, $n: String, $t: DispatchTarget,
  $p: PointInput) {{ transitionEvent(id: $id, action: $a, note: $n, target: $t, location: $p)
  {{ event {{ {EVENT_FIELDS} }} errors {{ field code message }} }} }}"""
EVALUATE = """mutation($id: ID!, $r: Rating!, $c: String) { evaluateEvent(id: $id, rating: $r,
  comment: $c) { event { id status rating } errors { field code message } } }"""


def report_input(category: str, lon: float | None = None, lat: float | None = None,
                 **extra: object) -> dict:
    i = {"clientId": str(uuid.uuid4()), "categoryCode": category, "description": "测试事件",
         **extra}
    if lon is not None:
        i["location"] = {"lon": lon, "lat": lat}
    return i


def report(api: Api, user: str | None, category: str, lon: float | None = None,
           lat: float | None = None, **extra: object) -> dict:
    r = api.post(REPORT, {"i": report_input(category, lon, lat, **extra)}, as_user=user)
    assert "errors" not in r, r
    return r["data"]["reportEvent"]


def act(api: Api, user: str, event_id: str, action: str, **extra: object) -> dict:
    r = api.post(TRANSITION, {"id": event_id, "a": action, **extra}, as_user=user)
    assert "errors" not in r, r
    return r["data"]["transitionEvent"]


def categories(api: Api) -> list[dict]:
    q = """{ eventCategories { code name selfHandleable deadlineUnit response resolution
      duplicateRadiusM duplicateWindowHours department { code } parent { code } } }"""
    return api.post(q)["data"]["eventCategories"]


def pick(api: Api, self_handleable: bool, unit: str | None = None) -> dict:
    """A small class with the wanted settings and a duplicate radius."""
    for c in categories(api):
        if c["parent"] and c["selfHandleable"] is self_handleable \
                and c["duplicateRadiusM"] > 0 and (unit is None or c["deadlineUnit"] == unit):
            return c
    raise AssertionError("no such category in the catalogue")
