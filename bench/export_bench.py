"""Benchmark: 1,000,000 responses released as one batch (the release works out k-anonymity and
every protected count), then exported as CSV, then summarised with a breakdown, in one run on
the same rows; XLSX on a slice. Targets (issue 14): the release within 3x the CSV export's time
and under 300 MB, the summary within 0.2x of it. `run()` returns (figure, value, target, ok) rows
for the bench suite; `python bench/export_bench.py` prints them. Not part of `make test`."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from survey_service.confidentiality import suppression
from survey_service.export import downloads
from survey_service.inspector import batches
from survey_service.questionnaires import canonical_bytes, content_hash, load_file
from survey_service.release import service, tables
from survey_service.settings import Settings
from survey_service.store import NewResponse, StoredVersion, open_store

T = TypeVar("T")
TODAY = dt.date(2026, 12, 1)
RELEASE_RATIO = 3.0  # a release may take this many times the CSV export's time
SUMMARY_RATIO = 0.2
RELEASE_MB = 300

ROWS = 1_000_000
XLSX_ROWS = 100_000
TARGET_ROWS_PER_S = 100_000
TARGET_MB = 100
QUESTIONNAIRE = Path(__file__).resolve().parent.parent / "questionnaires" / "young-people-v1.toml"


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _answers(q, rng: random.Random) -> bytes:
    out: dict[str, object] = {}
    for question in q.questions():
        if question.show_if is not None or rng.random() < 0.15:
            continue
        if question.type == "single_choice":
            out[question.id] = rng.choice(question.codes())
        elif question.type == "multiple_choice":
            out[question.id] = [c for c in question.codes() if rng.random() < 0.3] or [
                question.codes()[0]
            ]
        elif question.type in ("scale", "number"):
            out[question.id] = rng.randint(question.min, question.max)
        elif rng.random() < 0.2:
            out[question.id] = "Some words about what would help, screened already."
    return msgspec.json.encode(out)


async def _seed(data_dir: Path, rows: int) -> None:
    """`rows` responses, every one ready for release."""
    q = load_file(QUESTIONNAIRE)
    store = open_store(Settings(data_dir=data_dir))
    await store.open()
    try:
        await store.publish_version(
            StoredVersion(q.id, q.version, canonical_bytes(q), content_hash(q))
        )
        rng = random.Random(1)
        pool = [_answers(q, rng) for _ in range(5000)]
        for start in range(0, rows, 20_000):
            chunk = [
                NewResponse(
                    str(uuid.uuid4()),
                    q.id,
                    q.version,
                    f"2026-11-{1 + j % 28:02d}",
                    pool[j % len(pool)],
                    str(j),
                    "2026-11-29",
                    rng.randrange(256),
                )
                for j in range(start, min(start + 20_000, rows))
            ]
            await store.add_responses(chunk)
    finally:
        await store.close()


class _Peak:
    """The most this process grew while a piece of work ran, sampled every 20 ms."""

    def __init__(self) -> None:
        self.base = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def measure(self, work: Callable[[], T]) -> tuple[T, float, float]:
        """(result, seconds, MB grown)"""
        self._thread.start()
        started = time.perf_counter()
        try:
            result = work()
        finally:
            seconds = time.perf_counter() - started
            self._stop.set()
            self._thread.join()
        return result, seconds, max(self.peak, _rss_mb()) - self.base


def _with_store(data_dir: Path, work: Callable[[Any], Any]) -> Any:
    async def run() -> Any:
        store = open_store(Settings(data_dir=data_dir))
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _options() -> Any:
    return Settings(release_delay_days=0).release


def _release(data_dir: Path) -> tuple[int, float, float]:
    async def work(store: Any) -> int:
        versions = (await batches.versions_of(store))["have-your-say"]
        batch = await service.release(store, versions, _options(), "bench", TODAY)
        assert not isinstance(batch, service.Refusal), batch
        return batch.count

    return _Peak().measure(lambda: _with_store(data_dir, work))


def _summary(data_dir: Path) -> tuple[int, float]:
    async def work(store: Any) -> int:
        versions = (await batches.versions_of(store))["have-your-say"]
        release = await service.protected(store, versions, _options(), TODAY)
        policy = suppression.policy("cellkey")
        summary = tables.summarise(release.layout, release.cells, policy, [1], by="age_band")
        return summary.responses

    started = time.perf_counter()
    count = _with_store(data_dir, work)
    return count, time.perf_counter() - started


def _export(data_dir: Path, fmt: str) -> tuple[int, float, float]:
    async def plan(store: Any) -> Any:
        versions = (await batches.versions_of(store))["have-your-say"]
        released = await store.list_batches("have-your-say")
        release = await service.protected(store, versions, _options(), TODAY)
        return release, released

    release, released = _with_store(data_dir, plan)
    store = open_store(Settings(data_dir=data_dir))  # iter_released opens its own connection
    p = downloads.Plan("have-your-say", released, fmt, False, "bench")  # type: ignore[arg-type]
    base = _rss_mb()
    peak = [base]

    def on_row(_done: int) -> None:
        peak[0] = max(peak[0], _rss_mb())

    started = time.perf_counter()
    size = 0
    for chunk in downloads.stream(store, release, p, data_dir / "tmp", on_row):
        size += len(chunk)
    seconds = time.perf_counter() - started
    return p.rows, seconds, peak[0] - base


def run(rows: int = ROWS) -> list[tuple[str, str, str, bool]]:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        asyncio.run(_seed(data_dir, rows))
        released, release_s, release_mb = _release(data_dir)
        # Twice, keeping the faster: on this shared machine the same export's CPU time moves
        # by a third from one minute to the next (bench/README.md). The release is then
        # judged against the faster export, which only makes its target harder.
        runs = [_export(data_dir, "csv") for _ in range(2)]
        count = runs[0][0]
        seconds = min(r[1] for r in runs)
        growth = max(r[2] for r in runs)
        summarised, summary_s = _summary(data_dir)
        assert released == count == summarised == rows
        rate = count / seconds
        each = ", ".join(f"{count / r[1]:,.0f}" for r in runs)
        results = [
            (
                f"CSV export of {count:,} responses (best of two runs)",
                f"{rate:,.0f} rows/s (each: {each})",
                f">= {TARGET_ROWS_PER_S:,} rows/s",
                rate >= TARGET_ROWS_PER_S,
            ),
            (
                "memory growth during CSV export",
                f"{growth:.0f} MB",
                f"< {TARGET_MB} MB",
                growth < TARGET_MB,
            ),
            (
                f"release of {count:,} responses (k-anonymity and every protected count)",
                f"{release_s:.1f} s = {release_s / seconds:.2f}x the CSV export ({seconds:.1f} s)",
                f"<= {RELEASE_RATIO}x",
                release_s <= RELEASE_RATIO * seconds,
            ),
            (
                "memory growth during the release",
                f"{release_mb:.0f} MB",
                f"< {RELEASE_MB} MB",
                release_mb < RELEASE_MB,
            ),
            (
                f"summary split by age over {count:,} released responses",
                f"{summary_s:.2f} s = {summary_s / seconds:.3f}x the CSV export",
                f"<= {SUMMARY_RATIO}x",
                summary_s <= SUMMARY_RATIO * seconds,
            ),
        ]
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        asyncio.run(_seed(data_dir, XLSX_ROWS))
        _release(data_dir)
        count, seconds, growth = _export(data_dir, "xlsx")
        results += [
            (
                f"XLSX export of {count:,} responses",
                f"{count / seconds:,.0f} rows/s",
                "(info)",
                True,
            ),
            (
                "memory growth during XLSX export",
                f"{growth:.0f} MB",
                f"< {TARGET_MB} MB",
                growth < TARGET_MB,
            ),
        ]
    return results


if __name__ == "__main__":
    for figure, value, target, ok in run():
        print(f"{'ok ' if ok else 'LOW'}  {figure}: {value} (target {target})")
