"""GraphQL of syncBatch: a phone's offline queue replayed, one result per operation.

Each operation is run as the mutation it names, through the schema (the same validation,
rules and payloads as when sent alone), in its own transaction, in the order given: one
that fails does not stop the others."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime
from enum import Enum
from uuid import UUID

import strawberry
from graphql import OperationDefinitionNode, parse
from strawberry.scalars import JSON

from backend import media as photos
from backend.api.context import Context, Info
from backend.api.errors import coded
from backend.api.scalars import UserError
from backend.db.engine import writing
from backend.errors import AppError, BadInput
from backend.sync import service

_ERRORS = "errors { field code message }"
# operation: (the mutation, whether its arguments hold an `input` with the clientId)
DOCUMENTS = {
    "REPORT_EVENT": ("mutation($input: ReportEventInput!) { r: reportEvent(input: $input) "
                     f"{{ o: event {{ id }} {_ERRORS} }} }}", True),
    "TRANSITION_EVENT": (
        "mutation($id: ID!, $action: EventAction!, $note: String, $location: PointInput, "
        "$target: DispatchTarget) { r: transitionEvent(id: $id, action: $action, note: $note, "
        f"location: $location, target: $target) {{ o: event {{ id }} {_ERRORS} }} }}", False),
    "EVALUATE_EVENT": (
        "mutation($id: ID!, $rating: Rating!, $comment: String) { r: evaluateEvent(id: $id, "
        f"rating: $rating, comment: $comment) {{ o: event {{ id }} {_ERRORS} }} }}", False),
    "REQUEST_SERVICE": ("mutation($input: RequestServiceInput!) { r: requestService(input: "
                        f"$input) {{ o: request {{ id }} {_ERRORS} }} }}", True),
    "CHECK_IN_VISIT": ("mutation($input: CheckInVisitInput!) { r: checkInVisit(input: $input) "
                       f"{{ o: visit {{ id }} {_ERRORS} }} }}", True),
    "TRANSITION_SERVICE_REQUEST": (
        "mutation($id: ID!, $action: ServiceAction!, $note: String, $scheduledFor: DateTime) "
        "{ r: transitionServiceRequest(id: $id, action: $action, note: $note, scheduledFor: "
        f"$scheduledFor) {{ o: request {{ id }} {_ERRORS} }} }}", False),
    "RECORD_INSPECTION": ("mutation($input: RecordInspectionInput!) { r: recordInspection("
                          f"input: $input) {{ o: inspection {{ id }} {_ERRORS} }} }}", True),
    "PING_LOCATION": ("mutation($position: PointInput!) { r: pingLocation(position: $position) }",
                      False),
}


def _variables(document: str) -> frozenset[str]:
    op = parse(document).definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    return frozenset(v.variable.name.value for v in op.variable_definitions)


_ARGUMENTS = {name: _variables(doc) for name, (doc, _) in DOCUMENTS.items()}
SyncOperation = strawberry.enum(Enum("SyncOperation", {k: k for k in DOCUMENTS}),
                                description="A mutation a phone may queue while offline.")


@strawberry.input
class SyncOpInput:
    client_id: UUID = strawberry.field(
        description="The operation's own id (a UUID): sent again, it is answered as the first "
                    "time. For a mutation whose input has a clientId, that one (or left out).")
    operation: SyncOperation
    arguments: JSON = strawberry.field(
        description="The mutation's arguments by name, e.g. {input: {...}} for REPORT_EVENT, "
                    "{id, action, note} for TRANSITION_EVENT, {position} for PING_LOCATION.")
    at: datetime | None = strawberry.field(default=None,
                                           description="When it was done on the phone.")


@strawberry.type
class SyncOpResult:
    client_id: UUID
    operation: SyncOperation
    ok: bool
    id: strawberry.ID | None = strawberry.field(description="What it created or changed.")
    replayed: bool = strawberry.field(description="Answered from its first run.")
    errors: list[UserError]


@strawberry.type
class SyncMutation:
    @strawberry.mutation(description="Replay a phone's offline queue: each operation as its "
                                     "mutation, in order, each once (see the README).")
    async def sync_batch(self, info: Info, ops: list[SyncOpInput]) -> list[SyncOpResult]:
        c = info.context
        service.check_batch(c.caller, len(ops))
        return [await _run(c, op) for op in ops]


async def _run(c: Context, op: SyncOpInput) -> SyncOpResult:
    from backend.api.schema import schema  # the schema holds this module

    name = op.operation.value
    result = SyncOpResult(client_id=op.client_id, operation=op.operation, ok=False, id=None,
                          replayed=False, errors=[])
    try:
        arguments = _arguments(op, name)
        digest = service.request_hash(name, await _photos_by_digest(name, arguments))
        with c.new_session() as session:
            first = service.replayed(session, c.caller, str(op.client_id), name, digest)
        if first is not None:
            return dataclasses.replace(result, ok=True, id=first["id"], replayed=True)
    except AppError as e:
        return dataclasses.replace(result, errors=[_error(e.code, e.message, e.field)])
    inner = c.fresh()
    done = await schema.execute(DOCUMENTS[name][0], variable_values=arguments, context_value=inner)
    errors = [_error(g.extensions["code"], g.message, None)
              for g in map(coded, done.errors or [])]
    answer = (done.data or {}).get("r")
    if isinstance(answer, dict):
        errors += [_error(e["code"], e["message"], e["field"]) for e in answer["errors"]]
    if errors or answer is None:
        return dataclasses.replace(result, errors=errors)
    changed = answer["o"]["id"] if isinstance(answer, dict) and answer.get("o") else None
    with c.new_session() as session:
        writing(session, one_statement=True)
        service.keep(session, c.caller, str(op.client_id), name, digest, {"id": changed},
                     op.at, c.now())
        session.commit()
    return dataclasses.replace(result, ok=True, id=changed)


def _arguments(op: SyncOpInput, name: str) -> dict:
    arguments = op.arguments
    if not isinstance(arguments, dict):
        raise BadInput("arguments must be an object of the mutation's arguments", "arguments")
    unknown = set(arguments) - _ARGUMENTS[name]
    if unknown:
        raise BadInput(f"{name} takes no arguments {sorted(unknown)}; it takes "
                       f"{sorted(_ARGUMENTS[name])}", "arguments")
    if DOCUMENTS[name][1]:
        given = arguments.get("input")
        if not isinstance(given, dict):
            raise BadInput(f"{name} needs its input", "arguments.input")
        client_id = str(op.client_id)
        if str(given.get("clientId", client_id)).lower() != client_id:
            raise BadInput("the operation's clientId and its input's differ", "clientId")
        arguments = {**arguments, "input": {**given, "clientId": client_id}}
    return arguments


async def _photos_by_digest(name: str, arguments: dict) -> dict:
    """The arguments with a report's photos (multipart uploads into the operation's
    input.media) as the digests of their bytes, for the replay check."""
    given = arguments.get("input")
    if name != "REPORT_EVENT" or not isinstance(given, dict) or not given.get("media"):
        return arguments
    if not isinstance(given["media"], list):
        raise BadInput("media is a list of files", "arguments.input.media")
    media = [hashlib.sha256(data).hexdigest()
             for _, data in await photos.read_uploads(given["media"])]
    return {**arguments, "input": {**given, "media": media}}


def _error(code: str, message: str, field: str | None) -> UserError:
    return UserError(field=field, code=code, message=message)
