"""Rules of the task inbox: domains open and close tasks; a phone lists its open ones by due
time; a dispatcher reassigns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from backend.areas.models import GridAgent
from backend.auth.models import User
from backend.auth.service import Caller
from backend.db import direct
from backend.db.batch import rows_of
from backend.db.paging import Page, keyset_page
from backend.errors import BadInput, Forbidden, InvalidTransition, NotFound, Unauthenticated
from backend.live import Feed
from backend.tasks.models import STATUSES, Task

NO_DUE = datetime(9999, 1, 1, tzinfo=UTC)


def task_values(kind: str, subject_id: int | None, assignee_id: int, due_at: datetime | None,
                now: datetime, township_id: int | None, lon: float | None,
                lat: float | None, note: str | None) -> dict:
    return dict(kind=kind, subject_id=subject_id, assignee_id=assignee_id, status="OPEN",
                due_at=due_at, created_at=now, township_id=township_id, lon=lon, lat=lat,
                note=note, closed_at=None)


def open_task(session: Session, kind: str, subject_id: int, assignee_id: int,
              due_at: datetime | None, now: datetime, township_id: int | None,
              lon: float | None = None, lat: float | None = None, note: str | None = None
              ) -> Task:
    task = Task(**task_values(kind, subject_id, assignee_id, due_at, now, township_id, lon,
                              lat, note))
    session.add(task)
    return task


INSERT_TASK = insert(Task.__table__)  # with task_values: for hot paths, no ORM object


def close_tasks(session: Session, kind: str, subject_id: int, status: str, now: datetime,
                assignee_id: int | None = None) -> None:
    """Close the subject's open tasks (DONE or CANCELLED), or only one person's."""
    stmt = (update(Task).where(Task.kind == kind, Task.subject_id == subject_id,
                               Task.status == "OPEN")
            .values(status=status, closed_at=now))
    if assignee_id is not None:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    session.execute(stmt)


def least_loaded_agent(session: Session, grid_id: int) -> int | None:
    """The grid's agent with the fewest open tasks (ties: the lowest user id)."""
    return direct.scalar(session, _least_loaded_statement(), {"grid": grid_id})


@cache
def _least_loaded_statement() -> Select:
    # Built once: composing it cost more than running it.
    return least_loaded_select(bindparam("grid"))


def least_loaded_select(grid_id: ColumnElement) -> Select:
    """least_loaded_agent of the grid `grid_id` (a parameter, or a column to correlate)."""
    agents, t = GridAgent.__table__, Task.__table__
    # count(*): an index-only scan of ix_tasks_inbox can answer it (count(id) reads the rows)
    load = (select(func.count()).select_from(t)
            .where(t.c.assignee_id == agents.c.user_id, t.c.status == "OPEN")
            .correlate(agents).scalar_subquery())
    return (select(agents.c.user_id).where(agents.c.grid_id == grid_id)
            .order_by(load, agents.c.user_id).limit(1))


def my_tasks(session: Session, caller: Caller, statuses: Sequence[str] | None,
             first: int | None, after: str | None, max_page: int) -> Page[Task]:
    if caller.is_public:
        raise Unauthenticated("log in to see your tasks")
    statuses = list(statuses or ["OPEN"])
    if unknown := set(statuses) - set(STATUSES):
        raise BadInput(f"unknown task status {sorted(unknown)}", "status")
    stmt = select(Task).where(Task.assignee_id == caller.user_id, Task.status.in_(statuses))
    due = func.coalesce(Task.due_at, NO_DUE)  # tasks without a due time come last
    return keyset_page(session, stmt, (due, Task.id), first, after, max_page,
                       lambda t: (t.due_at or NO_DUE, t.id))


def assign_task(session: Session, caller: Caller, task_id: int, assignee_id: int,
                reason: str | None, now: datetime) -> Task:
    """A dispatcher hands a task to someone else, with a reason. An event's task moves with
    the event (a DISPATCH in its history)."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}", "id")
    if not (caller.district_wide or ("DISPATCHER" in caller.roles
                                     and task.township_id in caller.township_ids)):
        raise Forbidden("only a dispatcher of the task's township reassigns it")
    if task.status != "OPEN":
        raise InvalidTransition(f"the task is {task.status}; only OPEN tasks are reassigned",
                                "id")
    if task.kind == "INSPECTION":
        # 双随机: who inspects a target is the published draw's (and a follow-up is the
        # recording inspector's); a dispatcher's choice would undo the random assignment.
        raise InvalidTransition("inspection tasks follow the published draw; they are not "
                                "reassigned", "id")
    if session.get(User, assignee_id) is None:
        raise NotFound(f"no user {assignee_id}", "assigneeId")
    if task.kind == "EVENT":
        from backend.events import service as events

        events.transition(session, caller, task.subject_id, "DISPATCH", reason, None,
                          events.Target(assignee_id=assignee_id), now)
    elif task.kind == "SERVICE_REQUEST":  # the request moves with its task, in its history
        from backend.services import service as services

        services.reassign(session, caller, task.subject_id, assignee_id, reason, now)
    else:
        close_tasks(session, task.kind, task.subject_id, "CANCELLED", now)
        open_task(session, task.kind, task.subject_id, assignee_id, task.due_at, now,
                  task.township_id, task.lon, task.lat, reason)
    session.flush()
    return session.scalar(select(Task).where(Task.kind == task.kind,
                                             Task.subject_id == task.subject_id,
                                             Task.status == "OPEN")
                          .order_by(Task.id.desc()).limit(1))


# The taskAssigned subscription: an assignment, or a reassignment, is a new row.
NEW_TASKS = Feed(Task.id, Task.id, rows_of(Task))


def check_follow(caller: Caller) -> None:
    if caller.is_public:
        raise Unauthenticated("log in to follow your tasks")


def assigned_to(caller: Caller, t: Task | None) -> bool:
    """A new task goes to its assignee while it is still open."""
    return t is not None and t.assignee_id == caller.user_id and t.status == "OPEN"
