"""Waiting in tests: every test that polls for something to become true uses wait_until (or,
on an event loop, wait_until_async), so the deadline, the pause and the failure read alike."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

Message = str | Callable[[], str]


def wait_until(
    check: Callable[[], T],
    *,
    seconds: float = 10.0,
    every: float = 0.1,
    pause: Callable[[float], object] = time.sleep,
    ignoring: tuple[type[BaseException], ...] = (),
    failing: Message = "condition not met in time",
) -> T:
    """Call check() until it returns something truthy, and return that. After `seconds`, an
    AssertionError saying `failing` (a callable is asked only then: a server's log, say).
    Exceptions in `ignoring` count as "not yet"; any other ends the wait at once. `pause`
    sleeps between tries: a Playwright page passes its wait_for_timeout, so the browser's
    event handlers run meanwhile."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
        except ignoring:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(_said(failing))
        pause(every)


async def wait_until_async(
    check: Callable[[], Awaitable[T] | T],
    *,
    seconds: float = 10.0,
    every: float = 0.1,
    ignoring: tuple[type[BaseException], ...] = (),
    failing: Message = "condition not met in time",
) -> T:
    """wait_until on an event loop: the loop runs between tries (the code under test often
    needs it to), and check may be a coroutine function."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
        except ignoring:
            result = None
        if result:
            return result  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(_said(failing))
        await asyncio.sleep(every)


def on_page(page: Any) -> Callable[[float], None]:
    """A pause that waits through Playwright (a sync Page), so that its event handlers
    (routes, requests) run meanwhile: they run only while the sync API waits on the browser."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)


def _said(failing: Message) -> str:
    return failing() if callable(failing) else failing
