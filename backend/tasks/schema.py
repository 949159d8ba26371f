"""GraphQL of the task inbox: myTasks and assignTask."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from backend.api.context import Info
from backend.api.mutations import mutate
from backend.api.relay import Connection, Node, connection, pk_of, to_global_id
from backend.api.scalars import GeoJSON, UserError
from backend.events import loaders as event_loaders
from backend.events.schema import Event
from backend.inspections import loaders as inspection_loaders
from backend.inspections.schema import InspectionAssignment
from backend.services import loaders as service_loaders
from backend.services.schema import Reminder, ServiceRequest
from backend.tasks import models, service

# what a task is about: one union, so every domain's work shares the one inbox
TaskSubject = Annotated[Event | ServiceRequest | Reminder | InspectionAssignment,
                        strawberry.union("TaskSubject")]
TaskKind = strawberry.enum(Enum("TaskKind", {k: k for k in models.KINDS}))
TaskStatus = strawberry.enum(Enum("TaskStatus", {s: s for s in models.STATUSES}))


@strawberry.type(description="One item of a phone's inbox: an event, a service request, a "
                             "reminder or an inspection assigned to a person.")
class Task(Node):
    kind: TaskKind
    status: TaskStatus
    due_at: datetime | None
    created_at: datetime
    note: str | None
    row: strawberry.Private[models.Task]

    @classmethod
    def of(cls, t: models.Task) -> Task:
        return cls(id=to_global_id("Task", t.id), kind=TaskKind(t.kind),
                   status=TaskStatus(t.status), due_at=t.due_at, created_at=t.created_at,
                   note=t.note, row=t)

    @strawberry.field(description="Where the work is (GeoJSON Point, WGS-84).")
    def location(self) -> GeoJSON | None:
        if self.row.lon is None:
            return None
        return {"type": "Point", "coordinates": [self.row.lon, self.row.lat]}

    @strawberry.field(description="What the task is about.")
    async def subject(self, info: Info) -> TaskSubject | None:
        if self.row.kind == "SERVICE_REQUEST":
            r = await info.context.loader(service_loaders.request).load(self.row.subject_id)
            return ServiceRequest.of(r) if r else None
        if self.row.kind == "REMINDER":
            m = await info.context.loader(service_loaders.reminder).load(self.row.subject_id)
            return Reminder.of(m) if m else None
        if self.row.kind == "INSPECTION":
            a = await info.context.loader(inspection_loaders.assignment).load(self.row.subject_id)
            return InspectionAssignment.of(a) if a else None
        if self.row.kind != "EVENT":
            return None
        e = await info.context.loader(event_loaders.event).load(self.row.subject_id)
        return Event.of(e) if e else None


@strawberry.type
class TaskPayload:
    task: Task | None
    errors: list[UserError]


@strawberry.type
class TasksQuery:
    @strawberry.field(description="The caller's tasks by due time (OPEN by default).")
    def my_tasks(self, info: Info, status: list[TaskStatus] | None = None,
                 first: int | None = None, after: str | None = None) -> Connection[Task]:
        c = info.context
        page = service.my_tasks(c.session, c.caller, [s.value for s in status or []] or None,
                                first, after, c.settings.max_page)
        return connection(page, Task.of)


@strawberry.type
class TasksMutation:
    @strawberry.mutation(description="A dispatcher reassigns a task, saying why.")
    def assign_task(self, info: Info, id: strawberry.ID, assignee_id: strawberry.ID,
                    reason: str | None = None) -> TaskPayload:
        c = info.context
        t, errors = mutate(info, lambda: service.assign_task(
            c.session, c.caller, pk_of(id, "Task", "id"),
            pk_of(assignee_id, "User", "assigneeId"), reason, c.now()))
        return TaskPayload(task=Task.of(t) if t else None, errors=errors)


@strawberry.type
class TasksSubscription:
    @strawberry.subscription(description="The caller's new tasks, from now on: each one "
                                         "assigned or reassigned to them (websocket).")
    async def task_assigned(self, info: Info) -> AsyncGenerator[Task, None]:
        c = info.context
        caller = c.caller
        service.check_follow(caller)
        c.end_task()  # no connection held while waiting
        async with c.hub.subscribe(service.NEW_TASKS) as new:
            async for t in new:
                if service.assigned_to(caller, t):
                    c.recheck_caller()
                    yield Task.of(t)
