"""What every `wangge` command shares: the console, sessions on DATABASE_URL, and one
transaction that prints a coded error and keeps nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from backend.config import load_settings
from backend.db.engine import make_engine, make_sessionmaker, writing
from backend.errors import AppError

T = TypeVar("T")
console = Console()


def sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(load_settings().database_url))


def fail(e: AppError) -> NoReturn:
    console.print(f"[red]{e.code}[/red]: {e.message}")
    raise typer.Exit(1)


def transaction(work: Callable[[Session], T], commit: bool = True) -> T:
    """Run `work` in one transaction; on an error print it, keep nothing and exit 1."""
    with sessions()() as session:
        writing(session)
        try:
            result = work(session)
        except AppError as e:
            session.rollback()
            fail(e)
        if commit:
            session.commit()
    return result
