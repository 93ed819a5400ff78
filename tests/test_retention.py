"""Rule 12: purged responses are gone from the database files, not flagged."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import msgspec
import pytest

from survey_service import cli
from survey_service.ops import retention
from survey_service.store import NewResponse, StoredVersion
from survey_service.store.sqlite import SQLiteStore


def response(received: str, text: str) -> NewResponse:
    answers = msgspec.json.encode({"one_word": text})
    return NewResponse(str(uuid.uuid4()), "demo", 1, received, answers, text, received, 7)


@pytest.fixture
async def store(tmp_path: Path):
    s = SQLiteStore(tmp_path / "survey.sqlite3")
    await s.open()
    await s.publish_version(StoredVersion("demo", 1, b"{}", "h"))
    yield s
    await s.close()


def file_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.glob("survey.sqlite3*"))


async def test_purge_removes_old_rows_from_the_files(store: SQLiteStore, tmp_path: Path):
    await store.add_responses(
        [
            response("2024-01-10", "ancient-answer-alpha"),
            response("2024-W02", "ancient-answer-weekly"),
            response("2026-11-20", "recent-answer-beta"),
            response("2026-W47", "recent-answer-weekly"),
        ]
    )
    assert b"ancient-answer-alpha" in file_bytes(tmp_path)
    report = await retention.purge(store, dt.date(2026, 11, 25), retention_days=365)
    assert report == retention.PurgeReport(removed=2, clean=True)
    assert await store.count_responses() == 2
    blob = file_bytes(tmp_path)
    assert b"ancient-answer-alpha" not in blob
    assert b"ancient-answer-weekly" not in blob
    assert b"recent-answer-beta" in blob


def test_the_cutoff_is_today_minus_the_retention_period():
    assert retention.cutoff(dt.date(2026, 11, 25), 30) == dt.date(2026, 10, 26)


def test_purge_command(monkeypatch, tmp_path: Path, capsys):
    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path))

    async def seed() -> None:
        s = SQLiteStore(tmp_path / "survey.sqlite3")
        await s.open()
        await s.publish_version(StoredVersion("demo", 1, b"{}", "h"))
        await s.add_responses([response("2020-01-01", "old"), response("2999-01-01", "new")])
        await s.close()

    import asyncio

    asyncio.run(seed())
    assert cli.main(["purge", "--older-than", "30"]) == 0
    assert "purged 1 responses received more than 30 days ago" in capsys.readouterr().out
