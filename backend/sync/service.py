"""Replaying a phone's offline queue (syncBatch): each operation once.

An operation that succeeded is kept with its answer under the operation's clientId, so a
batch sent again (its answer lost on the way) gets the first answers and changes nothing;
the same clientId with other content is a CONFLICT. A failed operation wrote nothing and is
not kept: sent again, it is tried again (after the phone logged in anew, say)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.auth.service import Caller
from backend.db import direct, spatial
from backend.errors import BadInput, Conflict, Unauthenticated
from backend.sync.models import SyncOp

MAX_OPS = 100  # a batch; a longer queue goes in several


def check_batch(caller: Caller, count: int) -> None:
    if caller.is_public:
        raise Unauthenticated("log in to replay your queue")
    if count > MAX_OPS:
        raise BadInput(f"{count} operations in one batch; at most {MAX_OPS}", "ops")


def request_hash(operation: str, arguments: dict[str, Any]) -> str:
    body = json.dumps([operation, arguments], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def replayed(session: Session, caller: Caller, client_id: str, operation: str,
             digest: str) -> dict | None:
    """The first answer to this operation, or None if it has not succeeded before."""
    op = session.get(SyncOp, client_id)
    if op is None:
        return None
    if op.user_id != caller.user_id or op.operation != operation or op.request_hash != digest:
        raise Conflict(f"clientId {client_id} was already used for another operation",
                       "clientId")
    return json.loads(op.result)


def keep(session: Session, caller: Caller, client_id: str, operation: str, digest: str,
         result: dict, done_at: datetime | None, now: datetime) -> None:
    """Keep a succeeded operation's answer (the caller commits); a concurrent replay that kept
    it first wins."""
    t = SyncOp.__table__
    direct.execute(session, spatial.insert_unless_exists(t, "client_id",
                                                         spatial.dialect_of(session)),
                   dict(client_id=client_id, user_id=caller.user_id, operation=operation,
                        request_hash=digest, result=json.dumps(result), done_at=done_at,
                        synced_at=now))
