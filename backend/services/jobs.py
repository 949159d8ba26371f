"""The periodic work of door-to-door services: escalating overdue requests and making
reminders before qualifications expire. Run by `wangge sweep` / `wangge remind` and every
minute inside `wangge serve`, beside the events sweeper."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from backend.config import Settings
from backend.db.engine import writing
from backend.services.service import remind, sweep

BATCH = 200  # per transaction: a backlog must not hold SQLite's write lock for long


def sweep_requests(sessions: sessionmaker[Session], now: datetime) -> tuple[int, int]:
    total = [0, 0]
    while True:
        with sessions() as session:
            writing(session)
            first, second = sweep(session, now, BATCH)
            session.commit()
        total = [total[0] + first, total[1] + second]
        if (first, second) == (0, 0):
            return total[0], total[1]


def make_reminders(sessions: sessionmaker[Session], now: datetime, days: int) -> int:
    total = 0
    while True:
        with sessions() as session:
            writing(session)
            n = remind(session, now, days, BATCH)
            session.commit()
        total += n
        if n < BATCH:
            return total


def periodic(sessions: sessionmaker[Session], settings: Settings) -> None:
    now = settings.clock().astimezone(UTC)
    sweep_requests(sessions, now)
    make_reminders(sessions, now, settings.reminder_days)
