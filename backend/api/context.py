"""The per-request context: a database session, the caller, and request-scoped dataloaders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from strawberry.dataloader import DataLoader
from strawberry.types import Info as _Info

from backend.auth.service import Caller, caller_from_token
from backend.config import Settings
from backend.db.engine import make_sessionmaker

K = TypeVar("K")
V = TypeVar("V")
BatchFn = Callable[[Session, Sequence[Any]], list[Any]]


@dataclass
class Context:
    session: Session
    settings: Settings
    token: str | None
    _caller: Caller | None = None
    _loaders: dict[BatchFn, DataLoader] = field(default_factory=dict)

    @property
    def caller(self) -> Caller:
        """Decoded on first use, so a bad token fails the operation that needs the caller."""
        if self._caller is None:
            self._caller = caller_from_token(self.session, self.token, self.settings.secret)
        return self._caller

    def new_session(self) -> Session:
        """Another session on the request's engine, configured as every session is."""
        return make_sessionmaker(self.session.get_bind())()

    def fresh(self) -> Context:
        """The same caller with a session of its own: for an operation run inside another
        (syncBatch), which commits or rolls back by itself."""
        return Context(session=self.new_session(), settings=self.settings, token=self.token,
                       _caller=self._caller)

    def now(self) -> datetime:
        """The request's time, in UTC (as stored), from the injectable clock."""
        return self.settings.clock().astimezone(UTC)

    def loader(self, batch: BatchFn) -> DataLoader:
        """The request's dataloader for a batch function `batch(session, keys) -> values`."""
        if batch not in self._loaders:
            session = self.session

            async def load(keys: list[Any]) -> list[Any]:
                return batch(session, keys)

            self._loaders[batch] = DataLoader(load_fn=load)
        return self._loaders[batch]

    def close(self, commit: bool = False) -> None:
        """End the request's session; `commit` ends an open transaction with COMMIT (for one
        that only read), else it is rolled back."""
        try:
            if commit and self.session.in_transaction():
                self.session.commit()
        except SQLAlchemyError:  # a read that failed in the database: close() rolls it back
            pass
        finally:
            self.session.close()


Info = _Info[Context, None]


@dataclass(eq=False)  # a set's member, by identity
class _Work:
    """One operation's session and loaders, shared by the tasks its fields resolve in."""
    session: Session | None = None
    loaders: dict = field(default_factory=dict)


# The operation a task works for: set where the operation begins (Pipeline.on_operation), and
# inherited by the tasks graphql-core starts for its fields (each with a copy of the context).
_WORK: ContextVar[_Work | None] = ContextVar("wangge_operation", default=None)


class LiveContext(Context):
    """A websocket's context (subscriptions). It lives as long as the connection, whose
    operations run side by side as asyncio tasks: each operation reads through a session and
    loaders of its own (with the tasks it starts for its fields), ended after each result is
    sent (`end_task`), so that no database connection is held while a subscription waits and
    no loader answers from an earlier result."""

    def __init__(self, sessions: Callable[[], Session], settings: Settings, token: str | None,
                 hub: Any) -> None:
        self._sessions = sessions
        self._works: set[_Work] = set()
        self.hub = hub  # backend.live.Hub
        self.connection_params: dict | None = None  # graphql-transport-ws connection_init
        super().__init__(session=None, settings=settings, token=token)  # type: ignore[arg-type]

    def begin_operation(self) -> None:
        """The current task starts an operation: it and the tasks it starts share its work."""
        work = _Work()
        self._works.add(work)
        _WORK.set(work)

    def _mine(self) -> _Work:
        work = _WORK.get()
        if work is None or work not in self._works:  # outside an operation (the handshake)
            self.begin_operation()
            work = _WORK.get()
        if work.session is None:
            work.session, work.loaders = self._sessions(), {}
        return work

    @property  # type: ignore[override]
    def session(self) -> Session:
        return self._mine().session  # type: ignore[return-value]

    @session.setter
    def session(self, _: Session) -> None:  # Context.__init__'s; sessions are per operation
        pass

    @property  # type: ignore[override]
    def _loaders(self) -> dict:
        return self._mine().loaders

    @_loaders.setter
    def _loaders(self, _: dict) -> None:
        pass

    def new_session(self) -> Session:
        return self._sessions()

    def close(self, commit: bool = False) -> None:
        """The operation is over: its session ended, it is forgotten."""
        self.end_task(commit)
        work = _WORK.get()
        if work is not None and work.session is None:  # else end_all ends it with the socket
            self._works.discard(work)

    def end_task(self, commit: bool = True) -> None:
        """End the current operation's session (a read's transaction with COMMIT) and
        loaders; what it reads next is read anew."""
        work = _WORK.get()
        if work is not None and work in self._works:
            self._end(work, commit)

    def end_all(self) -> None:
        """End every operation's session (the connection is closed)."""
        while self._works:
            self._end(self._works.pop(), commit=False)

    def _end(self, work: _Work, commit: bool) -> None:
        session, work.session, work.loaders = work.session, None, {}
        if session is not None:
            Context(session=session, settings=self.settings, token=None).close(commit)

    def use_connection_params(self) -> None:
        """The token of connection_init's payload (`{"authorization": "Bearer ..."}`, as
        browsers cannot set a websocket's headers), else the handshake's header."""
        params = self.connection_params or {}
        auth = str(params.get("authorization") or params.get("Authorization") or "")
        if auth[:7].lower() == "bearer ":
            self.token = auth[7:].strip() or None
        self._caller = None

    def recheck_caller(self) -> Caller:
        """The caller again, from the token: a subscription outlives neither its token's
        expiry nor its user."""
        self._caller = None
        return self.caller
