"""The `wangge` command: serve, migrate, load fixtures, add users. Configured by DATABASE_URL."""

from __future__ import annotations

import importlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from backend.areas.cli import divide, export_app, import_app
from backend.cli_support import console, fail, sessions, transaction
from backend.config import load_settings
from backend.db.engine import make_engine, make_sessionmaker
from backend.errors import AppError
from backend.inspections.verify_cli import verify_draw

app = typer.Typer(no_args_is_help=True, help="wangge (网格): grid-based field service backend.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
user_app = typer.Typer(no_args_is_help=True, help="Users and their jurisdiction.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import", help="Import villages and households.")
app.add_typer(export_app, name="export", help="Export grids.")
app.command()(divide)
app.command("verify-draw")(verify_draw)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql in a browser)."""
    from backend.serving import serve as run

    run(host, port, workers)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations to the configured database."""
    from backend.db.migrate import upgrade

    upgrade(make_engine(load_settings().database_url), revision)
    console.print(f"database at {revision}")


def _document(fixture: str) -> dict:
    """A fixture by name (fixtures/NAME.py with build()) or a JSON file."""
    path = Path(fixture)
    if path.suffix == ".json" or path.exists():
        return json.loads(path.read_text())
    try:
        return importlib.import_module(f"fixtures.{fixture}").build()
    except ModuleNotFoundError:
        console.print(f"[red]no fixture named {fixture!r} and no such file[/red]")
        raise typer.Exit(2) from None


def print_logins(doc: dict) -> None:
    table = Table(title="demo logins")
    for col in ("username", "password", "roles", "jurisdiction"):
        table.add_column(col)
    for u in doc.get("users", []):
        where = ", ".join(u.get("townships", []) + u.get("grids", [])) or "district"
        table.add_row(u["username"], u["password"], ",".join(u["roles"]), where)
    console.print(table)


@app.command()
def load(
    fixture: Annotated[str, typer.Argument(help="fixture name (e.g. small) or a JSON file")],
    if_absent: Annotated[bool, typer.Option(help="do nothing if the district exists")] = False,
    replace: Annotated[bool, typer.Option(help="delete the district first")] = False,
    logins: Annotated[bool, typer.Option(help="print the fixture's logins")] = False,
) -> None:
    """Load a district document in one transaction; nothing is kept if any feature is bad."""
    from backend.load import delete_district, district_exists, load_document

    doc = _document(fixture)
    with sessions()() as session:
        code = doc["district"]["code"]
        if district_exists(session, code) and if_absent:
            console.print(f"district {code} is already loaded")
        else:
            try:
                if replace:
                    delete_district(session, code, [u["username"] for u in doc.get("users", [])])
                report = load_document(session, doc)
            except AppError as e:
                session.rollback()
                fail(e)
            session.commit()
            console.print(f"loaded {report.townships} townships, {report.villages} villages, "
                          f"{report.grids} grids, {report.households} households, "
                          f"{report.users} users")
            if report.outside:
                console.print(f"[yellow]{len(report.outside)} households lie in no grid:[/yellow]"
                              f" {', '.join(report.outside[:20])}")
    if logins:
        print_logins(doc)


@app.command()
def demo(
    scale: Annotated[float, typer.Option(help="share of the villages, e.g. 0.05 for tests")] = 1.0,
    seed: int = 370305,
    households_per_grid: int = 200,
    if_absent: Annotated[bool, typer.Option(help="do nothing if the district exists")] = False,
) -> None:
    """(Re)create the Linzi demo district (临淄区) and a year of cases. Recreating it wipes
    the configured database (case history is append-only)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from backend.db.migrate import reset, upgrade
    from backend.load import district_exists
    from fixtures import demo as demo_fixture

    engine = make_engine(load_settings().database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        exists = district_exists(session, "370305")
    if exists and if_absent:
        console.print("the demo district is already loaded (`wangge demo` recreates it)")
        print_logins(_demo_logins())
        return
    if exists:
        console.print("wiping the database to recreate the demo")
        reset(engine)
    with make_sessionmaker(engine)() as session:
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
            tasks: dict[str, int] = {}

            def tick(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=total)
                bar.update(tasks[step], completed=done)

            try:
                doc, report = demo_fixture.load(session, load_settings().clock(), scale, seed,
                                                households_per_grid, progress=tick)
            except AppError as e:
                session.rollback()
                fail(e)
            session.commit()
    q = doc["quality"]
    console.print(f"loaded {report.townships} townships, {report.villages} villages, "
                  f"{report.grids} grids, {report.households} households, {report.users} users;"
                  f" {q.within_25pct:.1%} of grids within ±25% of {households_per_grid} "
                  f"households")
    print_logins(_demo_logins())


def _demo_logins() -> dict:
    from fixtures.demo import PASSWORD

    return {"users": [
        {"username": "admin", "password": PASSWORD, "roles": ["ADMIN"]},
        {"username": "supervisor", "password": PASSWORD, "roles": ["SUPERVISOR"]},
        {"username": "dispatcher-370305001", "password": PASSWORD, "roles": ["DISPATCHER"],
         "townships": ["370305001"]},
        {"username": "agent-370305001001001-1", "password": PASSWORD, "roles": ["AGENT"],
         "grids": ["370305001001001"]},
    ]}


@app.command()
def sweep(now: Annotated[str | None, typer.Option(help="ISO time (default: now)")] = None
          ) -> None:
    """Escalate overdue events and service requests once (also done every minute inside
    `wangge serve`)."""
    from datetime import UTC, datetime

    from backend.app import sweep_once

    settings = load_settings()
    if now is not None:
        at = datetime.fromisoformat(now)
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        settings = replace(settings, clock=lambda: at)
    first, second = sweep_once(sessions(), settings)
    console.print(f"escalated {first} to the township supervision, {second} to the district")
    from backend.services.jobs import sweep_requests

    first, second = sweep_requests(sessions(), settings.clock())
    console.print(f"service requests: escalated {first} to the township supervision, "
                  f"{second} to the district")


@app.command()
def remind(now: Annotated[str | None, typer.Option(help="ISO time (default: now)")] = None,
           days: Annotated[int | None, typer.Option(
               help="days before expiry (default WANGGE_REMINDER_DAYS, 30)")] = None) -> None:
    """Make reminder tasks for qualifications about to expire, each exactly once (also done
    every minute inside `wangge serve`)."""
    from datetime import UTC, datetime

    from backend.services.jobs import make_reminders

    settings = load_settings()
    at = datetime.now(UTC)
    if now is not None:
        at = datetime.fromisoformat(now)
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
    made = make_reminders(sessions(), at, settings.reminder_days if days is None else days)
    console.print(f"made {made} reminders")


@user_app.command("add")
def user_add(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    role: Annotated[list[str], typer.Option(
        help="AGENT INSPECTOR DISPATCHER SUPERVISOR ADMIN DEPARTMENT")],
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    township: Annotated[list[str], typer.Option(help="township code(s)")] = [],  # noqa: B006
    grid: Annotated[list[str], typer.Option(help="grid code(s) (agents)")] = [],  # noqa: B006
    department: Annotated[str | None, typer.Option(help="department code")] = None,
) -> None:
    """Add a user with roles and jurisdiction."""
    from backend.auth.service import add_user

    transaction(lambda s: add_user(s, username, password, name or username,
                                   [r.upper() for r in role], township, grid,
                                   department_code=department))
    console.print(f"added {username}")


if __name__ == "__main__":
    app()
