"""ingestDeviceAlarm: a device's alarm becomes an event (source SENSOR) routed by the device's
location; a storm from one device stays one event; unknown keys are refused."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, select

from backend.db.engine import make_sessionmaker
from backend.events.models import Event, EventCategory
from backend.inspections.models import DeviceAlarm, TargetDevice
from tests.conftest import Api, Clock, codes
from tests.events.helpers import report
from tests.inspections.conftest import World
from tests.inspections.helpers import count, pk

ALARM = """mutation($i: DeviceAlarmInput!) { ingestDeviceAlarm(input: $i) {
  event { id status source category { code } grid { code } location }
  duplicateOf { id } neighbourGrids errors { field code message } } }"""


def alarm(api: Api, key: str, kind: str, **extra: object) -> dict:
    r = api.post(ALARM, {"i": {"clientId": str(uuid.uuid4()), "deviceKey": key,
                               "alarmType": kind, **extra}})
    assert "errors" not in r, r
    return r["data"]["ingestDeviceAlarm"]


def _sensor(world: World, engine: Engine, n: int) -> tuple[str, TargetDevice]:
    code = sorted(d for d in world.device_keys if world.device_target[d] in
                  {t for t in world.targets})[n]
    with make_sessionmaker(engine)() as s:
        d = s.scalar(select(TargetDevice).where(TargetDevice.code == code))
        s.expunge(d)
    return world.device_keys[code], d


def test_an_alarm_becomes_a_sensor_event_at_the_device(api: Api, world: World,
                                                      engine: Engine) -> None:
    key, device = _sensor(world, engine, 0)
    r = alarm(api, key, "SMOKE", value=0.8)
    assert r["errors"] == [] and r["duplicateOf"] is None
    e = r["event"]
    assert e["source"] == "SENSOR" and e["category"]["code"] == "0404"
    assert e["location"]["coordinates"] == [device.lon, device.lat]
    assert e["grid"] is not None


def test_an_alarm_storm_of_1000_is_one_event(api: Api, world: World, engine: Engine,
                                            clock: Clock) -> None:
    key, device = _sensor(world, engine, 1)
    before = count(engine, Event)
    first = alarm(api, key, "DUST_PM10", value=180.0)["event"]
    for n in range(999):
        if n % 100 == 0:
            clock.advance(minutes=1)  # a storm over a quarter of an hour, inside the window
        r = alarm(api, key, "DUST_PM10", value=150.0 + n % 50)
        assert r["event"]["id"] == first["id"] and r["duplicateOf"]["id"] == first["id"]
    assert count(engine, Event) == before + 1
    assert count(engine, DeviceAlarm, DeviceAlarm.device_id == device.id,
                 DeviceAlarm.alarm_type == "DUST_PM10") == 1000
    with make_sessionmaker(engine)() as s:
        assert set(s.scalars(select(DeviceAlarm.event_id)
                             .where(DeviceAlarm.device_id == device.id))) == {
            pk(first["id"])}
        window = s.scalar(select(EventCategory.duplicate_window_h)
                          .where(EventCategory.code == "0302"))
    # another type from the same device is its own case; past the window a new one opens
    assert alarm(api, key, "NOISE")["event"]["id"] != first["id"]
    clock.advance(hours=window + 1)
    assert alarm(api, key, "DUST_PM10")["event"]["id"] != first["id"]


def test_alarm_is_idempotent_on_client_id(api: Api, world: World, engine: Engine) -> None:
    key, _ = _sensor(world, engine, 2)
    i = {"clientId": str(uuid.uuid4()), "deviceKey": key, "alarmType": "FLAME"}
    first = api.post(ALARM, {"i": i})["data"]["ingestDeviceAlarm"]
    before = count(engine, DeviceAlarm), count(engine, Event)
    again = api.post(ALARM, {"i": i})["data"]["ingestDeviceAlarm"]
    assert again["event"]["id"] == first["event"]["id"]
    assert again == first  # the first answer in full
    assert (count(engine, DeviceAlarm), count(engine, Event)) == before
    other = api.post(ALARM, {"i": {**i, "value": 3.0}})["data"]["ingestDeviceAlarm"]
    assert [e["code"] for e in other["errors"]] == ["CONFLICT"]
    # merged by the events' own duplicate rule into someone's open case: the resend says so too
    key, device = _sensor(world, engine, 3)
    case = report(api, "admin", "0404", device.lon, device.lat)["event"]
    j = {"clientId": str(uuid.uuid4()), "deviceKey": key, "alarmType": "SMOKE"}
    first = api.post(ALARM, {"i": j})["data"]["ingestDeviceAlarm"]
    assert first["duplicateOf"]["id"] == case["id"] and first["event"]["id"] != case["id"]
    assert api.post(ALARM, {"i": j})["data"]["ingestDeviceAlarm"] == first


def test_an_unknown_device_key_is_refused_and_nothing_written(api: Api, world: World,
                                                             engine: Engine) -> None:
    before = count(engine, DeviceAlarm), count(engine, Event)
    r = api.post(ALARM, {"i": {"clientId": str(uuid.uuid4()), "deviceKey": "key-T999-nope",
                               "alarmType": "SMOKE"}})
    assert codes(r) == ["UNAUTHENTICATED"] and "device key" in r["errors"][0]["message"]
    assert (count(engine, DeviceAlarm), count(engine, Event)) == before


def test_an_unknown_alarm_type(api: Api, world: World, engine: Engine) -> None:
    key, _ = _sensor(world, engine, 3)
    before = count(engine, DeviceAlarm), count(engine, Event)
    r = alarm(api, key, "ALIENS")
    assert [e["code"] for e in r["errors"]] == ["BAD_INPUT"] and r["event"] is None
    assert (count(engine, DeviceAlarm), count(engine, Event)) == before


def test_device_keys_are_stored_as_hashes_only(world: World, engine: Engine) -> None:
    with make_sessionmaker(engine)() as s:
        stored = set(s.scalars(select(TargetDevice.key_hash)))
    assert not stored & set(world.device_keys.values())
    assert all(len(h) == 64 for h in stored)
