"""Does a big batch of free text hold up other clients? One client polls GET /api/questionnaires
every 100 ms, first with nothing else going on, then while a 2 MB batch of phone-like text is
screened. Used by tests/test_screening_off_loop.py and by `make bench`.

Absolute times do not hold on a shared 2-core machine, so the figure that matters is the ratio
of the worst latency under load to the worst latency idle, both measured in the same run.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx
import msgspec

POLL_SECONDS = 0.1
T = TypeVar("T")
# Every common way of writing a phone number, and numbers from abroad that only libphonenumber
# knows: the costliest text screening sees. Each answer gets its own digits (identical texts
# would be screened once).
PHONE_LIKE = "07700 9{n:05d}, 77009{n:05d} +44 7700 9{n:05d} 4477009{n:05d} +33 6 12 3{n:05d} "


@dataclass(frozen=True)
class Latency:
    idle_worst_ms: float
    busy_worst_ms: float
    busy_polls: int
    batch_status: int
    batch_seconds: float
    accepted: int
    body_bytes: int

    @property
    def ratio(self) -> float:
        return self.busy_worst_ms / self.idle_worst_ms


def phone_batch(items: int = 400, chars: int = 5000) -> bytes:
    """About 2 MB: `items` answers of `chars` characters of phone-like text each."""
    responses = []
    for i in range(items):
        numbers = "".join(PHONE_LIKE.format(n=(i * 97 + k) % 100_000) for k in range(chars // 60))
        responses.append(
            {
                "id": str(uuid.uuid4()),
                "questionnaire": "every-type",
                "version": 1,
                "answers": {"fits": "no", "why_not": numbers[:chars].strip()},
            }
        )
    return msgspec.json.encode({"responses": responses})


def _poll(client: httpx.Client, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        assert client.get("/api/questionnaires").status_code == 200
        took = time.perf_counter() - started
        out.append(took * 1000)
        stop.wait(max(0.0, POLL_SECONDS - took))


def _polled(
    poller: httpx.Client, seconds: float | None, work: Callable[[], T]
) -> tuple[list[float], T | None]:
    """GET latencies while `work` runs (or for `seconds` when there is none), and its result."""
    latencies: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=_poll, args=(poller, stop, latencies))
    thread.start()
    try:
        if seconds is not None:
            time.sleep(seconds)
            return latencies, None
        return latencies, work()
    finally:
        stop.set()
        thread.join()


def measure(url: str, idle_seconds: float = 3.0, body: bytes | None = None) -> Latency:
    """Idle before and after the batch (so a busy neighbour on the machine shows on both
    sides), and during it."""
    body = body if body is not None else phone_batch()
    with (
        httpx.Client(base_url=url, timeout=120) as poller,
        httpx.Client(base_url=url, timeout=120) as sender,
    ):
        for _ in range(5):  # warm the connection and the route
            poller.get("/api/questionnaires")
        before, _ = _polled(poller, idle_seconds, lambda: None)
        started = time.perf_counter()
        busy, answer = _polled(
            poller,
            None,
            lambda: sender.post(
                "/api/responses/batch", content=body, headers={"content-type": "application/json"}
            ),
        )
        took = time.perf_counter() - started
        after, _ = _polled(poller, idle_seconds, lambda: None)
    assert answer is not None
    accepted = 0
    if answer.status_code == 200:
        accepted = sum(r["status"] == "accepted" for r in answer.json()["results"])
    return Latency(
        idle_worst_ms=max(before + after),
        busy_worst_ms=max(busy),
        busy_polls=len(busy),
        batch_status=answer.status_code,
        batch_seconds=took,
        accepted=accepted,
        body_bytes=len(body),
    )
