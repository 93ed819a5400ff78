"""The one writer task of a store: group commit, shared by the SQLite and PostgreSQL backends.

Responses waiting at the same moment go into one transaction, and each caller is answered
only after it has committed; any other write (a job) runs alone, after the responses that
were waiting when it was asked for. A backend gives either an async function that commits a
group's rows (PostgreSQL), or an `OnThread` (SQLite): a function that commits a group on the
backend's own writer thread, which then goes straight on to the responses that arrived while
it was committing. That thread answers each group the moment it commits, and never sits idle
waiting for a busy event loop to hand it the next group (which was a large share of the
SQLite writer's time under many connections; see bench/).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from survey_service.store import NewResponse, Outcome, StoreUnavailable

CommitRows = Callable[[list[NewResponse]], Awaitable[list[Outcome]]]
RunJob = Callable[[Any], Awaitable[None]]

# Groups one trip to the writer thread may commit before a queued job gets its turn.
GROUPS_PER_TRIP = 32
_ROWS = object()  # queue mark: responses are waiting


@dataclass(frozen=True)
class OnThread:
    """Committing on a backend's own thread. `run(fn)` runs fn(connection) there; `commit`
    stores one group in one transaction on it; `failed` (on the event loop) makes the
    connection fit again after a failed commit and returns the error its callers get."""

    run: Callable[[Callable[[Any], Any]], Awaitable[Any]]
    commit: Callable[[Any, list[NewResponse]], list[Outcome]]
    failed: Callable[[Exception], Awaitable[Exception]]


class _Pending:
    """One caller's responses, waiting for the next group commit."""

    __slots__ = ("future", "rows")

    def __init__(self, rows: Sequence[NewResponse], future: asyncio.Future[list[Outcome]]):
        self.rows, self.future = rows, future


class GroupCommitter:
    def __init__(
        self, name: str, commit: CommitRows | OnThread, run_job: RunJob | None = None
    ) -> None:
        self.name, self._commit_with, self._run_job = name, commit, run_job
        # Appended on the event loop, taken by the writer (maybe on its thread): deque's
        # append and popleft are atomic, so no lock is needed.
        self._waiting: collections.deque[_Pending] = collections.deque()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()  # _ROWS marks, jobs, stop (None)
        self.task: asyncio.Task[None] | None = None
        self.closing = False

    def start(self) -> None:
        self.task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        """Commit what is queued, answer its callers, then end the task."""
        if self.closing:
            return
        self.closing = True
        if self.task is not None:
            await self._queue.put(None)
            await self.task

    async def add(self, rows: Sequence[NewResponse]) -> list[Outcome]:
        """Each row's outcome, once the group holding them has committed."""
        if not rows:
            return []
        self._check_open()
        future: asyncio.Future[list[Outcome]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Pending(rows, future))
        self._queue.put_nowait(_ROWS)
        return await future

    async def put_job(self, job: object) -> None:
        """Queue another write; run_job runs it in turn and answers its caller."""
        self._check_open()
        await self._queue.put(job)

    def _check_open(self) -> None:
        if self.closing or self.task is None:
            raise StoreUnavailable("the service is shutting down")

    def _take_waiting(self) -> list[_Pending]:
        """Everything waiting now. Safe on the writer's thread."""
        group = []
        with contextlib.suppress(IndexError):
            while True:
                group.append(self._waiting.popleft())
        return group

    async def _loop(self) -> None:
        stop = False
        while not stop:
            # Responses left waiting by the last trip need no mark to be picked up.
            items = [] if self._waiting else [await self._queue.get()]
            while not self._queue.empty():
                items.append(self._queue.get_nowait())
            for item in items:
                if item is _ROWS:
                    continue
                await self._commit_waiting()  # what came before the job goes first
                if item is None:
                    while self._waiting:  # add() refuses new ones now: this ends
                        await self._commit_waiting()
                    stop = True
                elif self._run_job is not None:
                    await self._run_job(item)
            await self._commit_waiting()

    async def _commit_waiting(self) -> None:
        """One round: the responses waiting now, and on a writer thread those that arrive
        during its trip, up to GROUPS_PER_TRIP groups, so a queued job is never starved."""
        group = self._take_waiting()
        if not group:
            return
        if isinstance(self._commit_with, OnThread):
            await self._commit_on_thread(self._commit_with, group)
        else:
            await self._commit_here(self._commit_with, group)

    async def _commit_here(self, commit: CommitRows, group: list[_Pending]) -> None:
        try:
            outcomes = await commit(_rows(group))
        except Exception as exc:  # nobody in this group hears "accepted"; the writer goes on
            _fail(group, exc)
            return
        _settle(group, outcomes)

    async def _commit_on_thread(self, on: OnThread, group: list[_Pending]) -> None:
        """Commit group, then whatever arrived meanwhile, on the writer's thread. A group it
        takes it also commits (or fails): nothing taken is left behind."""
        loop = asyncio.get_running_loop()

        def trip(conn: Any) -> tuple[list[_Pending], Exception] | None:
            current = group
            try:
                for n in range(GROUPS_PER_TRIP):
                    if n:
                        current = self._take_waiting()
                        if not current:
                            break
                    outcomes = on.commit(conn, _rows(current))
                    loop.call_soon_threadsafe(_settle, current, outcomes)
            except Exception as exc:  # current is the group that was not answered
                return current, exc
            return None

        try:
            failed = await on.run(trip)
        except Exception as exc:  # the thread was never reached (no connection)
            failed = group, exc
        if failed is not None:
            unanswered, error = failed
            _fail(unanswered, await on.failed(error))


def _rows(group: list[_Pending]) -> list[NewResponse]:
    return [row for pending in group for row in pending.rows]


def _settle(group: list[_Pending], outcomes: list[Outcome]) -> None:
    position = 0
    for pending in group:
        if not pending.future.done():
            pending.future.set_result(outcomes[position : position + len(pending.rows)])
        position += len(pending.rows)


def _fail(group: list[_Pending], exc: Exception) -> None:
    for pending in group:
        if not pending.future.done():
            pending.future.set_exception(exc)
