"""The periodic work of door-to-door services: escalating overdue requests and making
reminders before qualifications expire. Run by `wangge sweep` / `wangge remind` and every
minute inside `wangge serve`, beside the events sweeper."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from backend.config import Settings
from backend.db.engine import in_batches, sweep_in_batches
from backend.services.service import remind, sweep

BATCH = 200  # per transaction: a backlog must not hold SQLite's write lock for long


def sweep_requests(sessions: sessionmaker[Session], now: datetime) -> tuple[int, int]:
    return sweep_in_batches(sessions, lambda s: sweep(s, now, BATCH))


def make_reminders(sessions: sessionmaker[Session], now: datetime, days: int) -> int:
    return in_batches(sessions, lambda s: remind(s, now, days, BATCH))


def periodic(sessions: sessionmaker[Session], settings: Settings) -> None:
    now = settings.clock().astimezone(UTC)
    sweep_requests(sessions, now)
    make_reminders(sessions, now, settings.reminder_days)
