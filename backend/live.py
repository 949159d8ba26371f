"""What subscriptions are fed from: new rows of append-only tables, seen by polling.

One poller per process reads each watched table's rows past the last id it saw, every
`interval_s`, and hands them to that table's subscribers. The same on both databases, and it
sees every writer: the other workers, `wangge sweep` in another process, a PostgreSQL
server's other clients. (LISTEN/NOTIFY would cut the latency on PostgreSQL, at the price of
a second path that SQLite does not have.)

Ids are handed out when a row is inserted, not when it is committed: a row of a transaction
still open when a later id was read would be skipped. So the ids passed over are kept as
gaps and read again, for `GAP_S` seconds (a rolled-back insert leaves its id unused for
good).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from backend.db.engine import reading
from backend.errors import Behind

log = logging.getLogger("wangge")

BATCH = 500  # rows a table per poll; a backlog is read over the following polls
GAP_S = 30.0
MAX_GAPS = 10_000
QUEUE = 1_000  # a subscriber this far behind is ended, not let to hold the process's memory


@dataclass(frozen=True, eq=False)  # by identity: a column's == is SQL
class Feed:
    """A table's new rows: `id` increases with each insert, `key` is what subscribers get
    (after `load`, which reads those keys' objects in one statement)."""
    id: ColumnElement
    key: ColumnElement
    load: Callable[[Session, Sequence[Any]], list[Any]]


_BEHIND = object()  # in a queue: what follows was dropped


@dataclass(eq=False)  # a set's member, by identity
class _Subscriber:
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE))
    behind: bool = False


@dataclass
class _Watch:
    after: int  # the highest id seen
    subscribers: set[_Subscriber] = field(default_factory=set)
    gaps: dict[int, float] = field(default_factory=dict)  # id -> when it was passed over


class Hub:
    def __init__(self, sessions: sessionmaker[Session], interval_s: float) -> None:
        self.sessions = sessions
        self.interval_s = interval_s
        self._watches: dict[Feed, _Watch] = {}
        self._task: asyncio.Task | None = None

    @asynccontextmanager
    async def subscribe(self, feed: Feed) -> AsyncIterator[AsyncIterator[Any]]:
        """The feed's objects from about now on, in the order of their rows."""
        sub = _Subscriber()
        watch = self._watches.get(feed)
        if watch is None:  # the first subscriber: "now" is the newest id
            after = await run_in_threadpool(self._newest, feed)
            watch = self._watches.setdefault(feed, _Watch(after))
        watch.subscribers.add(sub)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        try:
            yield self._items(sub)
        finally:
            watch.subscribers.discard(sub)
            if not watch.subscribers:
                del self._watches[feed]

    async def _items(self, sub: _Subscriber) -> AsyncIterator[Any]:
        while True:
            item = await sub.queue.get()
            if item is _BEHIND:
                raise Behind(f"more than {QUEUE} changes behind: subscribe again")
            yield item

    async def _run(self) -> None:
        while self._watches:
            await asyncio.sleep(self.interval_s)
            try:
                found = await run_in_threadpool(self._poll, list(self._watches.items()))
            except Exception:  # a failed poll is tried again at the next tick
                log.exception("subscription poll failed")
                continue
            for feed, items in found:
                watch = self._watches.get(feed)
                for sub in list(watch.subscribers) if watch else ():
                    for item in items:
                        if sub.behind:
                            break
                        try:
                            sub.queue.put_nowait(item)
                        except asyncio.QueueFull:
                            sub.behind = True
                            sub.queue.get_nowait()
                            sub.queue.put_nowait(_BEHIND)

    def _newest(self, feed: Feed) -> int:
        with self.sessions() as s:
            reading(s)
            return s.scalar(select(func.coalesce(func.max(feed.id), 0))) or 0

    def _poll(self, watches: list[tuple[Feed, _Watch]]) -> list[tuple[Feed, list[Any]]]:
        out = []
        with self.sessions() as s:
            reading(s)
            for feed, watch in watches:
                out.append((feed, self._read(s, feed, watch)))
        return out

    def _read(self, s: Session, feed: Feed, watch: _Watch) -> list[Any]:
        now = time.monotonic()
        for i, since in list(watch.gaps.items()):
            if now - since > GAP_S:
                del watch.gaps[i]
        gaps = sorted(watch.gaps)
        after = watch.after
        new = feed.id > after
        stmt = (select(feed.id, feed.key).where(or_(new, feed.id.in_(gaps)) if gaps else new)
                .order_by(feed.id).limit(BATCH + len(gaps)))
        rows = s.execute(stmt).all()
        seen = {i for i, _ in rows}
        for i in seen & watch.gaps.keys():
            del watch.gaps[i]
        fresh = sorted(i for i in seen if i > after)
        if fresh:
            top = fresh[-1]
            if top - after - len(fresh) <= MAX_GAPS:  # else ids were skipped in bulk, not held
                watch.gaps.update((i, now) for i in range(after + 1, top) if i not in seen)
            while len(watch.gaps) > MAX_GAPS:
                del watch.gaps[min(watch.gaps)]
            watch.after = top
        keys = list(dict.fromkeys(k for _, k in rows))  # one object for several rows of it
        return feed.load(s, keys) if keys else []
