"""Escalation of overdue requests and reminders before qualifications expire, under a
controlled clock: each exactly once."""

import os
import subprocess
import sys
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.relay import from_global_id, to_global_id
from backend.services.models import Qualification, Reminder, ServiceRequest, ServiceTransition
from backend.services.service import remind, sweep
from backend.tasks.models import Task
from backend.worktime import TZ
from tests.conftest import Api, codes
from tests.services.conftest import Corner
from tests.services.helpers import act, request

LEVEL = """query($id: ID!) { node(id: $id) { ... on ServiceRequest { escalationLevel overdue
  dueAt } } }"""


def test_overdue_requests_escalate_once_at_one_and_two_time_limits(
        api: Api, corner: Corner, session: Session, clock) -> None:  # type: ignore[no-untyped-def]
    r = request(api, "svc_a", "RS04", corner.s1[0].id, channel="ROUND")  # 3 working days
    pk = from_global_id(r["id"])[1]
    due = datetime.fromisoformat(r["dueAt"])
    twice = session.get(ServiceRequest, pk).escalate2_at
    assert twice > due

    def level_after_sweep(at: datetime) -> int:
        sweep(session, at)
        session.commit()
        session.expire_all()
        return session.get(ServiceRequest, pk).escalation_level

    assert level_after_sweep(due - timedelta(seconds=1)) == 0
    assert level_after_sweep(due) == 1
    assert level_after_sweep(due + timedelta(hours=1)) == 1
    assert level_after_sweep(twice - timedelta(seconds=1)) == 1
    assert level_after_sweep(twice + timedelta(days=30)) == 2
    assert session.scalar(select(func.count()).select_from(ServiceTransition).where(
        ServiceTransition.request_id == pk, ServiceTransition.action == "ESCALATE")) == 2
    clock.now = due + timedelta(seconds=1)
    n = api.post(LEVEL, {"id": r["id"]}, as_user="supervisor")["data"]["node"]
    assert n["overdue"] is True and n["escalationLevel"] == 2


def test_delivered_requests_are_not_escalated(api: Api, corner: Corner,
                                              session: Session) -> None:
    r = request(api, "svc_a", "RS04", corner.s1[1].id, channel="ROUND")
    act(api, "dispatcher_b", r["id"], "CANCEL", n="居民撤回")
    pk = from_global_id(r["id"])[1]
    sweep(session, datetime.fromisoformat(r["dueAt"]) + timedelta(days=60))
    session.commit()
    assert session.get(ServiceRequest, pk).escalation_level == 0


def _qualification(session: Session, corner: Corner, k: int, item: str, expires: date) -> int:
    from backend.services.models import ServiceItem

    item_id = session.scalar(select(ServiceItem.id).where(ServiceItem.code == item))
    resident = corner.s1[k].resident_pks[0]
    session.add(Qualification(resident_id=resident, item_id=item_id, expires_on=expires))
    session.commit()
    return resident


def _at(d: date, hour: int = 9) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=TZ)


def test_reminder_fires_once_on_the_right_day(api: Api, corner: Corner,
                                              session: Session) -> None:
    expires = date(2030, 6, 30)
    resident = _qualification(session, corner, 4, "RS02", expires)
    window = expires - timedelta(days=30)  # 31 May 2030
    made = []
    for when in (_at(window - timedelta(days=1), 23),  # the evening before: not yet
                 _at(window, 0),  # midnight in Linzi: the day has come
                 _at(window, 10), _at(window + timedelta(days=10)), _at(expires, 8)):
        made.append(remind(session, when, 30))
        session.commit()
    assert made == [0, 1, 0, 0, 0]
    rows = session.scalars(select(Reminder).where(Reminder.resident_id == resident)).all()
    assert [(r.expires_on, r.created_at.astimezone(TZ).date()) for r in rows] == [
        (expires, window)]
    task = session.scalar(select(Task).where(Task.kind == "REMINDER",
                                             Task.subject_id == rows[0].id))
    assert task.status == "OPEN" and task.due_at == _at(expires, 8).replace(minute=30)
    agent = {u: api.post("{ me { id } }", as_user=u)["data"]["me"]["id"]
             for u in ("svc_a", "svc_b")}
    owner = next(u for u, gid in agent.items() if from_global_id(gid)[1] == task.assignee_id)
    q = """{ myTasks(first: 100) { edges { node { kind dueAt subject { ... on Reminder {
      expiresOn item { code validityDays } resident { name } household { id } } } } } } }"""
    edges = api.post(q, as_user=owner)["data"]["myTasks"]["edges"]
    mine = [e["node"] for e in edges if e["node"]["kind"] == "REMINDER"
            and e["node"]["subject"]["expiresOn"] == "2030-06-30"]
    assert len(mine) == 1 and mine[0]["subject"]["item"] == {"code": "RS02",
                                                              "validityDays": 365}
    assert mine[0]["subject"]["household"]["id"] == corner.s1[4].id
    node = 'query($id: ID!) { node(id: $id) { ... on Reminder { expiresOn } } }'
    gid = to_global_id("Reminder", rows[0].id)
    assert api.post(node, {"id": gid}, as_user=owner)["data"]["node"] == {
        "expiresOn": "2030-06-30"}
    assert codes(api.post(node, {"id": gid}, as_user="agent")) == ["FORBIDDEN"]
    # the agent files the request the reminder asked for: the reminder is done
    request(api, owner, "RS02", corner.s1[4].id, corner.s1[4].resident_ids[0], channel="ROUND")
    session.rollback()  # a fresh snapshot
    assert session.get(Task, task.id).status == "DONE"


def test_a_renewed_qualification_is_reminded_again_and_the_cli(
        api: Api, corner: Corner, session: Session, database_url: str) -> None:
    expires = date(2031, 3, 31)
    resident = _qualification(session, corner, 5, "MZ04", expires)
    assert remind(session, _at(expires - timedelta(days=7)), 7) == 1
    session.commit()
    q = session.scalar(select(Qualification).where(Qualification.resident_id == resident))
    q.expires_on = date(2032, 3, 31)  # renewed for a year
    session.commit()
    env = {**os.environ, "DATABASE_URL": database_url, "WANGGE_SECRET": "x" * 32}
    cli = [sys.executable, "-m", "backend.cli", "remind", "--now", "2032-03-24T09:00:00+08:00",
           "--days", "7"]
    out = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "made 1 reminders" in out.stdout
    again = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)
    assert "made 0 reminders" in again.stdout
    session.rollback()
    assert [r.expires_on for r in session.scalars(
        select(Reminder).where(Reminder.resident_id == resident).order_by(Reminder.id))] == [
        date(2031, 3, 31), date(2032, 3, 31)]
