"""A blocking iterator whose first step starts on a thread at once.

An export's shuffled read spends its first step with the database sorting every released row
into a random order (ORDER BY random(): about a second per million rows in SQLite, which lets
go of the GIL meanwhile). Started before the k-anonymity pass, that sort runs while the pass
reads, on the other core, instead of after it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
_END = object()


class HeadStart(Generic[T]):
    """Iterate once; `close()` when done or abandoned (it waits for the first step)."""

    def __init__(self, items: Iterator[T]) -> None:
        self._items = items
        pool = ThreadPoolExecutor(1, thread_name_prefix="head-start")
        self._first = pool.submit(next, items, _END)
        pool.shutdown(wait=False)  # its one thread ends with the first step

    def __iter__(self) -> Iterator[T]:
        first = self._first.result()  # the first step's error, if any, is raised here
        if first is _END:
            return
        yield first  # type: ignore[misc]
        yield from self._items

    def close(self) -> None:
        # A generator cannot be closed while its first step still runs on the thread.
        with contextlib.suppress(Exception):
            self._first.result()
        close = getattr(self._items, "close", None)
        if close is not None:
            close()
