"""The per-request context: a database session, the caller, and request-scoped dataloaders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
