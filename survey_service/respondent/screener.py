"""Screening off the event loop (rule 5): free text goes to a pool of worker processes, in
chunks, within a time budget per request.

Screening is pure Python, so a thread would not free the loop (the GIL): one large batch of
phone-like text once held every other request for over a minute. A small request's text (a few
answers, up to INLINE_CHARS) is screened in place, since that costs less than the trip to a
worker (bench/ measures both); anything more goes to the pool, whose
processes are started on first use (tests that never send a long text never start one).

A request whose screening is not done within its budget, or whose worker died, gets 503 with
Retry-After and nothing is stored: screening happens before anything is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from survey_service.confidentiality import redaction, screening

log = logging.getLogger(__name__)

# Characters screened on the loop itself for one request; more goes to the pool.
INLINE_CHARS = 1_000
# Characters per chunk sent to a worker: the budget is checked between chunks, so a request
# that runs out of time leaves at most one chunk (a fraction of a second) still running.
CHUNK_CHARS = 50_000

# How much lower than the server a worker's CPU priority is (Unix nice).
WORKER_NICENESS = 10

Item = tuple[str, frozenset[str]]  # a text and the numbers to keep in it
T = TypeVar("T")


class ScreeningUnavailable(Exception):
    """Screening could not finish for this request (out of time, or a worker failed)."""


def screen_items(items: Sequence[Item]) -> list[str]:
    """What a worker runs: each text screened with its own numbers kept."""
    return [screening.screen(text, keep) for text, keep in items]


def read_items(items: Sequence[Item]) -> list[redaction.Reading]:
    """What a worker runs for the review page: each stored text as words, flagged."""
    return [redaction.read(text, keep) for text, keep in items]


def _start_worker() -> None:
    # Below the server in the queue for a CPU: on a small machine the event loop, which
    # answers everyone else, comes first (see bench/: the worst GET during a large batch of
    # phone numbers).
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    screening.warm()


class Screener:
    def __init__(self, workers: int, budget_seconds: float):
        self.workers, self.budget = workers, budget_seconds
        self._pool: ProcessPoolExecutor | None = None

    async def screen_all(self, items: Sequence[Item]) -> list[str]:
        """Each text screened, in order, or ScreeningUnavailable."""
        return await self._each(screen_items, items)

    async def read_all(self, items: Sequence[Item]) -> list[redaction.Reading]:
        """Each text as the review page shows it (rule 5's review), or ScreeningUnavailable:
        the same finders as screening, so the same reasons to keep them off the loop."""
        return await self._each(read_items, items)

    async def _each(
        self, work: Callable[[Sequence[Item]], list[T]], items: Sequence[Item]
    ) -> list[T]:
        if sum(len(text) for text, _ in items) <= INLINE_CHARS:
            return work(items)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.budget
        out: list[T] = []
        for chunk in _chunks(items):
            left = deadline - loop.time()
            if left <= 0:
                raise ScreeningUnavailable("out of time")
            try:
                future = loop.run_in_executor(self._executor(), work, chunk)
                out.extend(await asyncio.wait_for(future, left))
            except TimeoutError:
                raise ScreeningUnavailable("out of time") from None
            except BrokenProcessPool:
                log.error("a screening worker died; starting new ones")
                self.close()
                raise ScreeningUnavailable("worker failed") from None
        return out

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fork of a process running the database thread and the server's own
            # threads could inherit a lock held mid-operation.
            self._pool = ProcessPoolExecutor(
                self.workers, multiprocessing.get_context("spawn"), initializer=_start_worker
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _chunks(items: Sequence[Item]) -> list[list[Item]]:
    chunks: list[list[Item]] = [[]]
    size = 0
    for item in items:
        if size + len(item[0]) > CHUNK_CHARS and chunks[-1]:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += len(item[0])
    return chunks
