"""What lasts on disk (issue 17, items 6, 7 and 8): private file modes whatever the umask,
compaction and backups in key order with an empty log, purges that check their checkpoint,
and no export temp file or safety copy left behind."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from survey_service.ops import backup, housekeeping, retention
from survey_service.settings import Settings
from survey_service.store import NewResponse, StoredVersion
from survey_service.store.sqlite import SQLiteStore
from tests.support.waiting import wait_until_async


def response(text: str = "short", received: str = "2026-11-25") -> NewResponse:
    answers = msgspec.json.encode({"why": text})
    return NewResponse(str(uuid.uuid4()), "demo", 1, received, answers, text[:40], received, 9)


@pytest.fixture
def umask_000() -> Iterator[None]:
    """The loosest umask an operator could run with: files come out 0666, folders 0777."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
async def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "data" / "survey.sqlite3")
    await s.open()
    await s.publish_version(StoredVersion("demo", 1, b"{}", "h"))
    yield s
    await s.close()


# -- item 6: file modes ------------------------------------------------------------------------


@pytest.mark.usefixtures("umask_000")
async def test_the_data_folder_and_database_files_are_private_whatever_the_umask(tmp_path: Path):
    data = tmp_path / "var"
    s = SQLiteStore(data / "survey.sqlite3")
    await s.open()
    try:
        await s.publish_version(StoredVersion("demo", 1, b"{}", "h"))
        await s.add_responses([response()])
        files = {p.name: mode(p) for p in data.iterdir()}
    finally:
        await s.close()
    assert mode(data) == 0o700
    assert files == {
        "survey.sqlite3": 0o600,
        "survey.sqlite3-wal": 0o600,
        "survey.sqlite3-shm": 0o600,
    }


async def test_an_existing_open_folder_and_files_are_made_private(tmp_path: Path):
    data = tmp_path / "var"
    s = SQLiteStore(data / "survey.sqlite3")
    await s.open()
    await s.close()
    data.chmod(0o755)
    for p in data.iterdir():
        p.chmod(0o644)
    s = SQLiteStore(data / "survey.sqlite3")
    await s.open()
    try:
        assert mode(data) == 0o700
        assert {mode(p) for p in data.iterdir()} == {0o600}
    finally:
        await s.close()


@pytest.mark.usefixtures("umask_000")
async def test_backups_and_safety_copies_are_private_whatever_the_umask(
    store: SQLiteStore, tmp_path: Path
):
    await store.add_responses([response()])
    copy = tmp_path / "backups" / "copy.sqlite3"
    backup.backup(store.path, copy)
    assert mode(copy) == 0o600
    await store.close()
    backup.restore(copy, store.path)
    (kept,) = store.path.parent.glob("survey.sqlite3.before-restore-*")
    assert mode(kept) == 0o600
    assert mode(store.path) == 0o600


# -- item 7: compaction and backups in key order ------------------------------------------------


def _overflow_heads(path: Path) -> list[tuple[str, int]]:
    """(response id, first overflow page) for each response whose answers overflow its cell,
    read from SQLite's dbstat table. A WITHOUT ROWID table is an index b-tree: interior cells
    hold rows too, so key order is an in-order walk (child i, cell i, child i + 1, ...)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        heads = conn.execute(
            "SELECT path, pageno FROM dbstat WHERE name = 'responses'"
            " AND pagetype = 'overflow' AND path LIKE '%+000000'"
        ).fetchall()
        ids = [r[0] for r in conn.execute("SELECT id FROM responses ORDER BY id")]
        long_ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM responses WHERE length(answers) > 3000 ORDER BY id"
            )
        ]

    def in_order(dbstat_path: str) -> tuple[tuple[int, int], ...]:
        head, cell = dbstat_path.split("+")[0].rsplit("/", 1)
        steps = [(int(part, 16), 0) for part in head.strip("/").split("/") if part]
        return (*steps, (int(cell, 16), 1))

    heads.sort(key=lambda h: in_order(h[0]))
    assert len(heads) == len(long_ids)
    assert len(ids) > len(long_ids)
    return [(i, page) for i, (_, page) in zip(long_ids, heads, strict=True)]


def _rank_correlation(xs: list[int], ys: list[int]) -> float:
    def ranks(values: list[int]) -> list[int]:
        order = sorted(range(len(values)), key=values.__getitem__)
        out = [0] * len(values)
        for position, index in enumerate(order):
            out[index] = position
        return out

    rx, ry = ranks(xs), ranks(ys)
    mean = (len(xs) - 1) / 2
    cov = sum((a - mean) * (b - mean) for a, b in zip(rx, ry, strict=True))
    var = sum((a - mean) ** 2 for a in rx)
    return cov / var


async def _arrivals(store: SQLiteStore, groups: int = 40) -> list[str]:
    """Responses sent one group after another, a third with a long answer (overflow pages)."""
    order: list[str] = []
    for g in range(groups):
        rows = [response("x" * 4500 if (g + i) % 3 == 0 else "short") for i in range(8)]
        await store.add_responses(rows)
        order += [r.id for r in rows]
    return order


async def test_compaction_leaves_no_arrival_order_in_the_pages_of_long_answers(
    store: SQLiteStore,
):
    order = await _arrivals(store)
    arrival = {rid: n for n, rid in enumerate(order)}

    def correlation() -> float:
        heads = _overflow_heads(store.path)
        return _rank_correlation([arrival[i] for i, _ in heads], [p for _, p in heads])

    # Measured, not assumed: new overflow pages are allocated as responses arrive.
    assert correlation() > 0.9
    assert await store.compact() is True
    pages = [p for _, p in _overflow_heads(store.path)]
    # In key order (the id's, which is random), give or take a page where the tree's shape
    # puts a row in an interior cell: nothing of the arrival order is left.
    assert _rank_correlation(list(range(len(pages))), pages) > 0.95
    assert abs(correlation()) < 0.3
    assert (store.path.parent / "survey.sqlite3-wal").stat().st_size == 0


async def test_a_backup_is_written_in_key_order(store: SQLiteStore, tmp_path: Path):
    order = await _arrivals(store)
    arrival = {rid: n for n, rid in enumerate(order)}
    copy = tmp_path / "copy.sqlite3"
    backup.backup(store.path, copy)
    heads = _overflow_heads(copy)
    pages = [p for _, p in heads]
    # Key order, give or take a page (see above), and no trace of arrival.
    assert _rank_correlation(list(range(len(pages))), pages) > 0.95
    assert abs(_rank_correlation([arrival[i] for i, _ in heads], pages)) < 0.3
    # One self-contained file. (A stat on the test's own loop delays nothing.)
    assert not Path(f"{copy}-wal").exists()  # noqa: ASYNC240


async def test_responses_arriving_during_compaction_are_all_kept(store: SQLiteStore):
    await _arrivals(store, groups=30)
    compacting = asyncio.create_task(store.compact())
    late = [response() for _ in range(200)]
    outcomes = await asyncio.gather(*(store.add_responses([r]) for r in late))
    assert await compacting is True
    assert [o for (o,) in outcomes] == ["accepted"] * 200
    stored = set(await store.response_hashes([r.id for r in late]))
    assert stored == {r.id for r in late}


async def test_compaction_runs_on_schedule_and_is_recorded(store: SQLiteStore, monkeypatch):
    ran: list[str] = []
    real = store.compact

    async def counting() -> bool:
        ran.append("compaction")
        return await real()

    monkeypatch.setattr(store, "compact", counting)
    conf = Settings(data_dir=store.path.parent, compaction_hours=24)
    task = asyncio.create_task(housekeeping.compact_on_schedule(store, conf))
    await wait_until_async(lambda: store.maintenance_done("compaction"), seconds=5, every=0.05)
    task.cancel()
    assert ran == ["compaction"]  # never done before: at once, then not for a day
    assert await store.maintenance_done("compaction") is not None
    # A restart soon after waits for the rest of the day rather than compacting again.
    assert (
        housekeeping.seconds_until_due(
            await store.maintenance_done("compaction"), 24, dt.datetime.now(dt.UTC)
        )
        > 23 * 3600
    )


# -- item 8: a purge's checkpoint is checked, and nothing is left behind ------------------------


def _file_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.glob("survey.sqlite3*"))


async def test_a_purge_during_a_long_read_is_reported_and_retried(store: SQLiteStore):
    await store.add_responses([response("ancient-answer-alpha", "2020-01-01"), response()])
    reader = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM responses").fetchone()  # an export's snapshot
    try:
        report = await retention.purge(store, dt.date(2026, 11, 25), 365, patience=0.5)
        assert report.removed == 1
        assert report.clean is False
        # The rows are deleted, but the old pages could not be overwritten yet.
        assert b"ancient-answer-alpha" in _file_bytes(store.path.parent)
        entries = await store.audit_entries()
        assert "could not be overwritten yet" in entries[0].detail
    finally:
        reader.close()
    assert await store.flush_log(patience=5) is True
    assert b"ancient-answer-alpha" not in _file_bytes(store.path.parent)


def test_the_purge_command_says_when_old_copies_remain(tmp_path: Path, monkeypatch, capsys):
    from survey_service import cli

    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path))

    async def seed() -> None:
        s = SQLiteStore(tmp_path / "survey.sqlite3")
        await s.open()
        await s.publish_version(StoredVersion("demo", 1, b"{}", "h"))
        await s.add_responses([response("old", "2020-01-01")])
        await s.close()

    asyncio.run(seed())
    reader = sqlite3.connect(f"file:{tmp_path / 'survey.sqlite3'}?mode=ro", uri=True)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM responses").fetchone()
    monkeypatch.setattr(retention, "CHECKPOINT_PATIENCE", 0.5)
    try:
        assert cli.main(["purge", "--older-than", "30"]) == 1
    finally:
        reader.close()
    assert "run `survey-service purge` again" in capsys.readouterr().err


def test_export_temp_files_left_by_a_crash_are_swept(tmp_path: Path):
    folder = tmp_path / "export-tmp"
    folder.mkdir()
    stale, fresh = folder / "tmpabc.xlsx", folder / "tmpdef"
    stale.write_bytes(b"rows of answers")
    fresh.write_bytes(b"an export being written")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    assert housekeeping.sweep_export_tmp(folder) == 1
    assert not stale.exists()
    assert fresh.exists()
    assert mode(folder) == 0o700


def test_safety_copies_are_deleted_after_the_days_set(tmp_path: Path):
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    old = tmp_path / "survey.sqlite3.before-restore-20261110T120000Z"
    recent = tmp_path / "survey.sqlite3.before-restore-20261124T120000Z"
    for p in (old, recent):
        p.write_bytes(b"every response")
    assert housekeeping.delete_old_safety_copies(tmp_path / "survey.sqlite3", 7, now) == [old]
    assert not old.exists()
    assert recent.exists()


async def test_the_service_sweeps_at_start(settings: Settings):
    from litestar.testing import AsyncTestClient

    from tests.support.inspectors import make_app

    folder = settings.data_dir / "export-tmp"
    folder.mkdir(parents=True)
    stale = folder / "tmpcrash.xlsx"
    stale.write_bytes(b"answers")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    async with AsyncTestClient(make_app(settings)):
        await wait_until_async(
            lambda: not stale.exists(),
            seconds=2,
            every=0.02,
            failing="the stale export file was not swept",
        )


async def test_expired_sessions_are_deleted(store: SQLiteStore):
    from survey_service.store.inspector import AuditEntry, Inspector

    entry = AuditEntry("2026-11-25T09:00:00Z", "test", "account added")
    await store.add_inspector(Inspector("ines", "hash", False, "2026-11-25T09:00:00Z"), entry)
    await store.add_credential("old", "ines", "session", "2020-01-01T00:00:00Z")
    await store.add_credential("new", "ines", "session", "2999-01-01T00:00:00Z")
    assert await housekeeping.forget_expired(store) == 1
    with sqlite3.connect(store.path) as conn:
        assert [r[0] for r in conn.execute("SELECT secret_hash FROM credentials")] == ["new"]
