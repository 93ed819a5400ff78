"""Issue 15, item 3: screening never runs long on the event loop; a batch pays for its items;
screening that cannot finish is a clear 503 and nothing is saved."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.http.ratelimit import RateLimiter
from survey_service.respondent.screener import INLINE_CHARS, Screener, ScreeningUnavailable
from survey_service.settings import Settings
from tests.conftest import FIXTURE_QUESTIONNAIRES, response_body
from tests.support.loop_latency import Latency, measure
from tests.support.serverproc import ServerProcess

LONG = ("ring 07700 900123 or 447700900123, " * 200)[: INLINE_CHARS * 2]


def test_a_cost_spends_that_many_tokens_and_never_more_than_the_burst():
    now = [0.0]
    limiter = RateLimiter(1.0, 10, clock=lambda: now[0])
    assert limiter.take("10.0.0.1", 6) == 0.0
    assert limiter.take("10.0.0.1", 5) == pytest.approx(1.0)  # 4 left, 5 asked: wait 1 s
    now[0] += 1.0
    assert limiter.take("10.0.0.1", 5) == 0.0
    now[0] += 100.0
    # 500 answers cost the whole burst: refused only until the bucket is full again.
    assert limiter.take("10.0.0.1", 500) == 0.0
    assert limiter.take("10.0.0.1", 1) == pytest.approx(1.0)


async def test_a_batch_spends_a_token_per_answer(settings: Settings):
    conf = msgspec.structs.replace(settings, rate_limit_per_second=0.01, rate_limit_burst=10)
    async with AsyncTestClient(create_app(conf)) as client:
        six = {"responses": [response_body() for _ in range(6)]}
        assert (await client.post("/api/responses/batch", json=six)).status_code == 200
        five = {"responses": [response_body() for _ in range(5)]}
        refused = await client.post("/api/responses/batch", json=five)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert await client.app.state.store.count_responses() == 6
        # The refused batch spent only its arrival token: three single answers still fit.
        for _ in range(3):
            assert (await client.post("/api/responses", json=response_body())).status_code == 201
        assert (await client.post("/api/responses", json=response_body())).status_code == 429


async def test_screening_out_of_time_is_503_and_nothing_is_saved(settings: Settings):
    conf = msgspec.structs.replace(settings, screening_timeout_seconds=1e-9)
    async with AsyncTestClient(create_app(conf)) as client:
        body = {"responses": [response_body(fits="no", why_not=LONG) for _ in range(3)]}
        answer = await client.post("/api/responses/batch", json=body)
        assert answer.status_code == 503
        assert int(answer.headers["retry-after"]) >= 1
        assert answer.json() == {
            "errors": [
                {
                    "field": "answers",
                    "message": "could not be checked for personal details in time: nothing"
                    " was saved, send again shortly",
                }
            ]
        }
        single = await client.post("/api/responses", json=response_body(fits="no", why_not=LONG))
        assert single.status_code == 503
        assert await client.app.state.store.count_responses() == 0
        # A short answer is screened in place and is not held up.
        short = response_body(fits="no", why_not="ring 07700 900123")
        assert (await client.post("/api/responses", json=short)).status_code == 201


async def test_long_text_is_screened_in_a_worker_process(settings: Settings):
    async with AsyncTestClient(create_app(settings)) as client:
        body = {"responses": [response_body(fits="no", why_not=LONG) for _ in range(2)]}
        answer = await client.post("/api/responses/batch", json=body)
        assert [r["status"] for r in answer.json()["results"]] == ["accepted", "accepted"]
        pool = client.app.state.intake.screener._pool
        assert pool is not None
        assert len(pool._processes) == settings.screening_workers
    blob = b"".join(p.read_bytes() for p in sorted(settings.data_dir.glob("survey.sqlite3*")))
    assert b"07700" not in blob
    assert b"447700900123" not in blob


async def test_a_dead_worker_is_a_503_and_the_next_request_gets_a_new_one():
    screener = Screener(workers=1, budget_seconds=30)
    try:
        items = [(LONG, frozenset[str]())]
        assert (await screener.screen_all(items))[0].startswith("ring [phone]")
        pool = screener._pool
        assert pool is not None
        for pid in list(pool._processes):
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(ScreeningUnavailable):
            await screener.screen_all(items)
        assert (await screener.screen_all(items))[0].startswith("ring [phone]")
    finally:
        screener.close()


def _within_bound(latency: Latency) -> bool:
    # Idle is floored at 5 ms: a 2 ms idle worst would make 10 ms of machine noise a failure.
    return latency.busy_worst_ms <= 5 * max(latency.idle_worst_ms, 5.0)


@pytest.mark.slow
def test_a_2_mb_batch_of_phone_numbers_does_not_hold_up_other_clients(tmp_path: Path):
    # Issue 15: one such batch froze the service for 84 s. Screened on the loop it still held
    # a GET for 6-8 s here; in the pool the GET stays within a few times its idle worst.
    # Other work on a shared machine only ever makes the busy figure worse, never better, so
    # the best of three runs is the fair one (screening on the loop fails all three by 1000x).
    runs = []
    with ServerProcess(tmp_path / "data", FIXTURE_QUESTIONNAIRES) as server:
        for _ in range(3):
            latency = measure(server.url)
            assert latency.body_bytes > 2_000_000
            assert latency.batch_status == 200
            assert latency.accepted == 400
            assert latency.busy_polls >= 3  # the GETs really ran while the batch was screened
            runs.append(latency)
            if _within_bound(latency):
                break
    assert _within_bound(runs[-1]), runs
