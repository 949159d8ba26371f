"""The registers (名录库) kept by admins: targets, their devices, inspectors' codes."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine

from backend.inspections.models import InspectionTarget, Inspector, TargetDevice
from tests.conftest import Api, codes
from tests.inspections.conftest import World
from tests.inspections.helpers import count, pk

TARGET = """mutation($i: InspectionTargetInput!) { addInspectionTarget(input: $i) {
  target { id code name category riskLevel address location gridCode township { code }
    devices { code kind active } }
  errors { field code message } } }"""
DEVICE = """mutation($t: ID!, $c: String!, $k: DeviceKind!) { addTargetDevice(targetId: $t,
  code: $c, kind: $k) { device { code kind location active } key errors { field code } } }"""
ACTIVE = """mutation($c: String!, $a: Boolean!) { setDeviceActive(code: $c, active: $a) {
  device { code active } key errors { field code } } }"""
INSPECTOR = """mutation($u: ID!, $c: String!) { setInspectorCode(userId: $u, code: $c) {
  user { username } code errors { field code } } }"""
ALARM = """mutation($i: DeviceAlarmInput!) { ingestDeviceAlarm(input: $i) {
  event { id source location } errors { code } } }"""


def target_input(**extra: object) -> dict:
    i = {"code": "R" + uuid.uuid4().hex[:12].upper(), "name": "东关小吃店", "category": "RESTAURANT",
         "riskLevel": "B", "location": {"lon": 118.3052, "lat": 36.8213}, "address": "东关路1号"}
    i.update(extra)
    return i


def add_target(api: Api, user: str = "admin", **extra: object) -> dict:
    r = api.post(TARGET, {"i": target_input(**extra)}, as_user=user)
    assert "errors" not in r, r
    return r["data"]["addInspectionTarget"]


def test_an_admin_registers_a_target_placed_by_its_location(api: Api) -> None:
    r = add_target(api)
    assert r["errors"] == []
    t = r["target"]
    assert t["gridCode"] == "370305001001001" and t["township"]["code"] == "370305001"
    assert t["location"] == {"type": "Point", "coordinates": [118.3052, 36.8213]}
    assert (t["category"], t["riskLevel"], t["devices"]) == ("RESTAURANT", "B", [])
    listed = api.post("{ inspectionTargets(first: 100, filter: {categories: [RESTAURANT]}) "
                      "{ totalCount edges { node { code } } } }", as_user="inspector")
    assert "errors" not in listed, listed


def test_a_position_in_gcj02_is_converted(api: Api) -> None:
    t = add_target(api, location={"lon": 118.3112, "lat": 36.8203, "crs": "GCJ02"})["target"]
    lon, lat = t["location"]["coordinates"]
    assert 0.003 < 118.3112 - lon < 0.008 and 0.0 < 36.8203 - lat < 0.003  # ~500 m in Linzi


def test_bad_targets_are_refused_and_nothing_written(api: Api, engine: Engine) -> None:
    taken = add_target(api)["target"]["code"]
    before = count(engine, InspectionTarget)
    for extra, field, code in [
        ({"code": taken}, "code", "CONFLICT"),
        ({"code": " "}, "code", "BAD_INPUT"),
        ({"code": "X" * 33}, "code", "BAD_INPUT"),
        ({"name": ""}, "name", "BAD_INPUT"),
        ({"address": "路" * 301}, "address", "BAD_INPUT"),
    ]:
        r = add_target(api, **extra)
        assert r["target"] is None and [(e["field"], e["code"]) for e in r["errors"]] == \
            [(field, code)], extra
    for location in ({"lon": 36.82, "lat": 118.30}, {"lon": 200.0, "lat": 36.8}):
        r = api.post(TARGET, {"i": target_input(location=location)}, as_user="admin")
        assert codes(r) == ["BAD_INPUT"] or r["data"]["addInspectionTarget"]["errors"][0][
            "code"] == "BAD_INPUT", r
    r = api.post(TARGET, {"i": target_input(category="CASINO")}, as_user="admin")
    assert codes(r) == ["BAD_INPUT"]
    assert count(engine, InspectionTarget) == before


def test_only_admins_keep_the_registers(api: Api, engine: Engine) -> None:
    before = count(engine, InspectionTarget)
    assert codes(api.post(TARGET, {"i": target_input()}, as_user="dispatcher")) == ["FORBIDDEN"]
    assert codes(api.post(TARGET, {"i": target_input()}, as_user="inspector")) == ["FORBIDDEN"]
    assert codes(api.post(TARGET, {"i": target_input()})) == ["UNAUTHENTICATED"]
    assert count(engine, InspectionTarget) == before
    target = add_target(api)["target"]["id"]
    r = api.post(DEVICE, {"t": target, "c": "CAM-X", "k": "CAMERA"}, as_user="dispatcher")
    assert codes(r) == ["FORBIDDEN"]
    me = api.post("{ me { id } }", as_user="inspector")["data"]["me"]["id"]
    assert codes(api.post(INSPECTOR, {"u": me, "c": "SCJ-900"}, as_user="supervisor")) == \
        ["FORBIDDEN"]


def test_a_device_key_is_given_once_and_works_until_retired(api: Api, engine: Engine) -> None:
    target = add_target(api)["target"]
    code = "SENSOR-" + uuid.uuid4().hex[:8]
    r = api.post(DEVICE, {"t": target["id"], "c": code, "k": "SENSOR"}, as_user="admin")
    d = r["data"]["addTargetDevice"]
    assert d["errors"] == [] and d["device"] == {"code": code, "kind": "SENSOR",
                                                 "location": target["location"], "active": True}
    key = d["key"]
    assert len(key) >= 24
    again = api.post(ACTIVE, {"c": code, "a": True}, as_user="admin")["data"]["setDeviceActive"]
    assert again["key"] is None  # never shown again

    def alarm() -> dict:
        return api.post(ALARM, {"i": {"clientId": str(uuid.uuid4()), "deviceKey": key,
                                      "alarmType": "SMOKE", "value": 0.9}})

    r = alarm()["data"]["ingestDeviceAlarm"]
    assert r["errors"] == [] and r["event"]["source"] == "SENSOR"
    assert r["event"]["location"] == target["location"]
    off = api.post(ACTIVE, {"c": code, "a": False}, as_user="admin")["data"]["setDeviceActive"]
    assert off["device"] == {"code": code, "active": False}
    assert codes(alarm()) == ["UNAUTHENTICATED"]

    before = count(engine, TargetDevice)
    for variables, field, error in [
        ({"t": target["id"], "c": code}, "code", "CONFLICT"),
        ({"t": target["id"], "c": ""}, "code", "BAD_INPUT"),
        ({"t": "SW5zcGVjdGlvblRhcmdldDo5OTk5OTk=", "c": "NEW-1"}, "targetId", "NOT_FOUND"),
    ]:
        r = api.post(DEVICE, {"k": "CAMERA", **variables}, as_user="admin")
        assert r["data"]["addTargetDevice"]["errors"] == [{"field": field, "code": error}]
    assert count(engine, TargetDevice) == before
    r = api.post(ACTIVE, {"c": "NO-SUCH", "a": False}, as_user="admin")
    assert r["data"]["setDeviceActive"]["errors"] == [{"field": "code", "code": "NOT_FOUND"}]


def test_an_inspector_gets_a_code_and_may_get_another(api: Api, engine: Engine,
                                                      world: World) -> None:
    me = api.post("{ me { id } }", as_user="inspector")["data"]["me"]["id"]
    r = api.post(INSPECTOR, {"u": me, "c": "SCJ-901"}, as_user="admin")["data"]
    assert r["setInspectorCode"] == {"user": {"username": "inspector"}, "code": "SCJ-901",
                                     "errors": []}
    r = api.post(INSPECTOR, {"u": me, "c": "SCJ-902"}, as_user="admin")["data"]
    assert r["setInspectorCode"]["code"] == "SCJ-902"
    assert count(engine, Inspector, Inspector.user_id == pk(me)) == 1

    before = count(engine, Inspector)
    agent = api.post("{ me { id } }", as_user="agent")["data"]["me"]["id"]
    for variables, field, error in [
        ({"u": agent, "c": "SCJ-903"}, "userId", "BAD_INPUT"),  # not an INSPECTOR
        ({"u": me, "c": "SCJ-001"}, "code", "CONFLICT"),  # world's ins-scj-1
        ({"u": me, "c": ""}, "code", "BAD_INPUT"),
        ({"u": "VXNlcjo5OTk5OTk=", "c": "SCJ-904"}, "userId", "NOT_FOUND"),
    ]:
        r = api.post(INSPECTOR, variables, as_user="admin")["data"]["setInspectorCode"]
        assert r["errors"] == [{"field": field, "code": error}], variables
    assert count(engine, Inspector) == before
