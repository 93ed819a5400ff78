"""Benchmark: export 1,000,000 released responses as CSV (and XLSX on a slice): rows/s and how
much the process grows while exporting. `run()` returns (figure, value, target, ok) rows for the
bench suite; `python bench/export_bench.py` prints them. Not part of `make test`."""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import msgspec

from survey_service import audit, batches, downloads
from survey_service.questionnaires import canonical_bytes, content_hash, load_file
from survey_service.settings import Settings
from survey_service.store import NewResponse, StoredVersion, open_store

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
                NewResponse(str(uuid.uuid4()), q.id, q.version, "2026-11-25", a, str(i))
                for i, a in enumerate(pool[j % len(pool)] for j in range(start, start + 20_000))
            ]
            await store.add_responses(chunk)
        await store.release_batch(q.id, 10, "2026-11-25", audit.entry("bench", "batch released"))
    finally:
        await store.close()


def _export(data_dir: Path, fmt: str, limit: int | None = None) -> tuple[int, float, float]:
    async def plan():
        store = open_store(Settings(data_dir=data_dir))
        await store.open()
        try:
            versions = (await batches.versions_of(store))["have-your-say"]
            released = await store.list_batches("have-your-say")
            return store, versions, released
        finally:
            await store.close()

    store, versions, released = asyncio.run(plan())
    p = downloads.Plan("have-your-say", released, fmt, False, "bench")  # type: ignore[arg-type]
    base = _rss_mb()
    peak = [base]

    def on_row(done: int) -> None:
        peak[0] = max(peak[0], _rss_mb())

    started = time.perf_counter()
    size = 0
    for chunk in downloads.stream(store, versions, p, 5, data_dir / "tmp", on_row):
        size += len(chunk)
    seconds = time.perf_counter() - started
    return p.rows, seconds, peak[0] - base


def run(rows: int = ROWS) -> list[tuple[str, str, str, bool]]:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        asyncio.run(_seed(data_dir, rows))
        count, seconds, growth = _export(data_dir, "csv")
        rate = count / seconds
        results = [
            (
                f"CSV export of {count:,} responses",
                f"{rate:,.0f} rows/s",
                f">= {TARGET_ROWS_PER_S:,} rows/s",
                rate >= TARGET_ROWS_PER_S,
            ),
            (
                "memory growth during CSV export",
                f"{growth:.0f} MB",
                f"< {TARGET_MB} MB",
                growth < TARGET_MB,
            ),
        ]
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        asyncio.run(_seed(data_dir, XLSX_ROWS))
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
