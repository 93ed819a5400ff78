"""The one writer task of a store: group commit, shared by the SQLite and PostgreSQL backends.

Responses waiting at the same moment go into one transaction, and each caller is answered
only after it has committed; any other write (a job) runs alone, in the order it was asked
for. A backend gives the function that commits a group's rows and, if it queues other writes
here too (SQLite's single writer does), the function that runs one of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from survey_service.store import NewResponse, Outcome, StoreUnavailable

CommitRows = Callable[[list[NewResponse]], Awaitable[list[Outcome]]]
RunJob = Callable[[Any], Awaitable[None]]


class _Pending:
    """One caller's responses, waiting for the next group commit."""

    __slots__ = ("future", "rows")

    def __init__(self, rows: Sequence[NewResponse], future: asyncio.Future[list[Outcome]]):
        self.rows, self.future = rows, future


class GroupCommitter:
    def __init__(self, name: str, commit_rows: CommitRows, run_job: RunJob | None = None):
        self.name, self._commit_rows, self._run_job = name, commit_rows, run_job
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
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
        future: asyncio.Future[list[Outcome]] = asyncio.get_running_loop().create_future()
        await self._put(_Pending(rows, future))
        return await future

    async def put_job(self, job: object) -> None:
        """Queue another write; run_job runs it in turn and answers its caller."""
        await self._put(job)

    async def _put(self, item: object) -> None:
        if self.closing or self.task is None:
            raise StoreUnavailable("the service is shutting down")
        await self._queue.put(item)

    async def _loop(self) -> None:
        stop = False
        while not stop:
            waiting = [await self._queue.get()]
            while not self._queue.empty():
                waiting.append(self._queue.get_nowait())
            group: list[_Pending] = []
            for item in waiting:
                if isinstance(item, _Pending):
                    group.append(item)
                    continue
                if group:
                    await self._commit(group)
                    group = []
                if item is None:
                    stop = True
                elif self._run_job is not None:
                    await self._run_job(item)
            if group:
                await self._commit(group)

    async def _commit(self, group: list[_Pending]) -> None:
        rows = [row for pending in group for row in pending.rows]
        try:
            outcomes = await self._commit_rows(rows)
        except Exception as exc:  # nobody in this group hears "accepted"; the writer goes on
            for pending in group:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            return
        position = 0
        for pending in group:
            if not pending.future.done():
                pending.future.set_result(outcomes[position : position + len(pending.rows)])
            position += len(pending.rows)
