"""HeadStart: the same items in the same order, the first step's error where it is iterated,
and a close that waits for a first step still running."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from survey_service.head_start import HeadStart


def test_it_yields_every_item_once_in_order():
    assert list(HeadStart(iter(range(5)))) == [0, 1, 2, 3, 4]
    assert list(HeadStart(iter([]))) == []


def test_the_first_steps_error_is_raised_when_iterated():
    def failing() -> Iterator[int]:
        raise RuntimeError("database gone")
        yield 1

    started = HeadStart(failing())
    with pytest.raises(RuntimeError, match="database gone"):
        list(started)
    started.close()


def test_close_waits_for_the_first_step_then_closes_the_source():
    release, closed = threading.Event(), threading.Event()

    def slow() -> Iterator[int]:
        try:
            release.wait(5)
            yield 1
            yield 2
        finally:
            closed.set()

    started = HeadStart(slow())
    threading.Timer(0.05, release.set).start()
    started.close()  # abandoned before iterating: no "generator already executing"
    assert closed.is_set()
