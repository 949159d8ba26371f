"""Deadlines and escalation under a controlled clock: at the deadline to the township
supervision, at twice it to the district, exactly once each."""

import os
import subprocess
import sys
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.relay import from_global_id
from backend.events.models import Event, EventTransition
from backend.events.service import sweep
from tests.conftest import Api
from tests.events.helpers import pick, report

LEVEL = 'query($id: ID!) { node(id: $id) { ... on Event { escalationLevel overdue deadline } } }'


def escalations(session: Session, event_pk: int) -> int:
    return session.scalar(select(func.count()).select_from(EventTransition).where(
        EventTransition.event_id == event_pk, EventTransition.action == "ESCALATE"))


def test_escalation_fires_once_at_one_and_two_deadlines(api: Api, session: Session,
                                                        clock) -> None:  # type: ignore[no-untyped-def]
    cat = pick(api, self_handleable=True, unit="HOURS")
    clock.advance(days=200)
    start = clock.now
    e = report(api, "agent2", cat["code"], 118.3055, 36.8226, acknowledgeDuplicate=True)["event"]
    pk = from_global_id(e["id"])[1]
    due = datetime.fromisoformat(e["deadline"])
    assert due == start + timedelta(hours=cat["resolution"])
    twice = start + 2 * timedelta(hours=cat["resolution"])

    def level_after_sweep(at: datetime) -> int:
        sweep(session, at)
        session.commit()
        return session.get(Event, pk).escalation_level

    assert level_after_sweep(due - timedelta(seconds=1)) == 0
    assert level_after_sweep(due) == 1
    assert level_after_sweep(due + timedelta(minutes=5)) == 1
    assert level_after_sweep(twice - timedelta(seconds=1)) == 1
    assert level_after_sweep(twice) == 2
    assert level_after_sweep(twice + timedelta(days=3)) == 2
    assert escalations(session, pk) == 2
    clock.now = due + timedelta(seconds=1)
    n = api.post(LEVEL, {"id": e["id"]}, as_user="admin")["data"]["node"]
    assert n["overdue"] and n["escalationLevel"] == 2


def test_closed_cases_are_not_escalated(api: Api, session: Session, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.events.helpers import act

    cat = pick(api, self_handleable=True, unit="HOURS")
    clock.advance(days=210)
    e = report(api, "agent2", cat["code"], 118.3056, 36.8227, acknowledgeDuplicate=True)["event"]
    act(api, "dispatcher", e["id"], "REJECT", n="重复上报")
    sweep(session, clock.now + timedelta(days=30))
    session.commit()
    assert escalations(session, from_global_id(e["id"])[1]) == 0


def test_working_day_deadlines_skip_the_weekend(api: Api, clock) -> None:  # type: ignore[no-untyped-def]
    cat = pick(api, self_handleable=False, unit="WORKING_DAYS")
    clock.advance(days=4, hours=7)  # Friday 27 Nov 2026, 16:00 in Linzi
    e = report(api, "agent", cat["code"], 118.3057, 36.8228, acknowledgeDuplicate=True)["event"]
    due = datetime.fromisoformat(e["deadline"])
    assert due.weekday() < 5 and due - clock.now > timedelta(days=2)  # not Sat/Sun


def test_cli_sweep(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "WANGGE_SECRET": "x" * 40}
    r = subprocess.run([sys.executable, "-m", "backend.cli", "sweep", "--now",
                        "2030-01-01T00:00:00+00:00"], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "escalated" in r.stdout


def test_a_backlog_is_swept_in_short_transactions(api: Api, session: Session, clock,  # type: ignore[no-untyped-def]
                                                 settings, monkeypatch) -> None:
    import backend.app
    from backend.db.engine import make_sessionmaker

    cat = pick(api, self_handleable=True, unit="HOURS")
    clock.advance(days=230)
    events = [report(api, "agent2", cat["code"], 118.3058 + k * 1e-4, 36.8229,
                     acknowledgeDuplicate=True)["event"] for k in range(3)]
    clock.advance(hours=2 * cat["resolution"] + 1)
    monkeypatch.setattr(backend.app, "SWEEP_BATCH", 1)
    backend.app.sweep_once(make_sessionmaker(session.get_bind()), settings)
    for e in events:
        assert escalations(session, from_global_id(e["id"])[1]) == 2
