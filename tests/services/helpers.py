"""Shared GraphQL for the services tests."""

import uuid

from tests.conftest import Api

REQUEST_FIELDS = """id code status channel atHome dueAt overdue escalationLevel
  assignee { username } item { code } department { code } allowedActions
  household { id address } resident { id name idNumber }"""
REQUEST = f"""mutation($i: RequestServiceInput!) {{ requestService(input: $i) {{
  request {{ {REQUEST_FIELDS} }} errors {{ field code message }} }} }}"""
TRANSITION = f"""mutation($id: ID!, $a: ServiceAction!, $n: String, $s: DateTime) {{
  transitionServiceRequest(id: $id, action: $a, note: $n, scheduledFor: $s) {{
  request {{ {REQUEST_FIELDS} }} errors {{ field code message }} }} }}"""
CHECK_IN = """mutation($i: CheckInVisitInput!) { checkInVisit(input: $i) {
  visit { id at distanceM geofenceM outsideGeofence flagged flagReasons accuracyM mocked
          position agent { username } request { id status } }
  errors { field code message } } }"""
EVALUATE = """mutation($id: ID!, $r: ServiceRating!, $c: String) {
  evaluateServiceRequest(id: $id, rating: $r, comment: $c) {
  request { id status rating } errors { field code message } } }"""


def request_input(item: str, household_id: str, resident_id: str | None = None,
                  channel: str = "HOTLINE", **extra: object) -> dict:
    i = {"clientId": str(uuid.uuid4()), "itemCode": item, "householdId": household_id,
         "channel": channel, **extra}
    if resident_id is not None:
        i["residentId"] = resident_id
    return i


def request(api: Api, user: str, item: str, household_id: str, resident_id: str | None = None,
            channel: str = "HOTLINE", **extra: object) -> dict:
    r = api.post(REQUEST, {"i": request_input(item, household_id, resident_id, channel,
                                              **extra)}, as_user=user)
    assert "errors" not in r, r
    out = r["data"]["requestService"]
    assert out["errors"] == [], out
    return out["request"]


def act(api: Api, user: str, request_id: str, action: str, **extra: object) -> dict:
    r = api.post(TRANSITION, {"id": request_id, "a": action, **extra}, as_user=user)
    assert "errors" not in r, r
    return r["data"]["transitionServiceRequest"]


def check_in(api: Api, user: str, request_id: str, lon: float, lat: float,
             client_id: str | None = None, **position: object) -> dict:
    i = {"clientId": client_id or str(uuid.uuid4()), "requestId": request_id,
         "position": {"lon": lon, "lat": lat, **position}}
    return api.post(CHECK_IN, {"i": i}, as_user=user)
