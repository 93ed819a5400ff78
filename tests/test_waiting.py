"""The one polling loop the tests share (tests/support/waiting.py): a wait that passed when it
should have failed would hide every timing bug it guards."""

import asyncio

import pytest

from tests.support.waiting import wait_until, wait_until_async


def test_returns_what_the_check_found_once_it_holds():
    tries = iter([0, None, [], "found"])
    assert wait_until(lambda: next(tries), every=0.001) == "found"


def test_fails_naming_what_did_not_happen_and_asks_for_the_message_only_then():
    asked = []

    def message() -> str:
        asked.append(True)
        return "the server never answered"

    with pytest.raises(AssertionError, match="the server never answered"):
        wait_until(lambda: False, seconds=0.05, every=0.01, failing=message)
    assert asked == [True]


def test_listed_exceptions_mean_not_yet_and_others_end_the_wait():
    tries = iter([ConnectionError, ConnectionError, True])

    def check() -> bool:
        outcome = next(tries)
        if outcome is ConnectionError:
            raise ConnectionError
        return outcome

    assert wait_until(check, every=0.001, ignoring=(ConnectionError,)) is True

    def exited() -> bool:
        raise RuntimeError("the server exited")

    with pytest.raises(RuntimeError, match="exited"):
        wait_until(exited, seconds=5, ignoring=(ConnectionError,))


async def test_the_async_wait_awaits_checks_and_lets_the_loop_run():
    done = asyncio.Event()
    asyncio.get_running_loop().call_later(0.02, done.set)

    async def is_done() -> bool:
        return done.is_set()

    assert await wait_until_async(is_done, every=0.005) is True
    with pytest.raises(AssertionError, match="never"):
        await wait_until_async(lambda: False, seconds=0.03, every=0.01, failing="never")
