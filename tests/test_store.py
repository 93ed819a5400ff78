"""The SQLite store against a real file on disk: migrations, group commit, idempotent inserts."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import msgspec
import pytest

from survey_service.store import NewResponse, StoredVersion, StoreUnavailable, migrations
from survey_service.store.sqlite import SQLiteStore


def row(response_id: str | None = None, answers: bytes = b'{"q":"yes"}') -> NewResponse:
    return NewResponse(
        id=response_id or str(uuid.uuid4()),
        questionnaire="demo",
        version=1,
        received="2026-11-25",
        answers=answers,
        content_hash="h-" + answers.decode(),
    )


@pytest.fixture
async def store(tmp_path: Path):
    s = SQLiteStore(tmp_path / "survey.sqlite3")
    await s.open()
    await s.publish_version(StoredVersion("demo", 1, b"{}", "hash1"))
    yield s
    await s.close()


def test_a_new_file_gets_every_migration_recorded(tmp_path: Path):
    async def open_and_close():
        s = SQLiteStore(tmp_path / "db.sqlite3")
        await s.open()
        await s.close()

    asyncio.run(open_and_close())
    asyncio.run(open_and_close())  # a second start applies nothing twice
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        applied = conn.execute("SELECT number, name FROM schema_migrations").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert applied[0] == (1, "0001_initial.sql")
    assert [n for n, _ in applied] == list(range(1, len(applied) + 1))
    assert mode == "wal"


async def test_migration_3_adds_the_language_and_keeps_earlier_rows(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:  # a database as it was before languages
        conn.execute(
            "CREATE TABLE schema_migrations"
            " (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_on TEXT NOT NULL)"
        )
        for number, name, sql in migrations.load("sqlite")[:2]:
            conn.executescript(sql)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, '2026-11-01')", (number, name)
            )
        conn.execute("INSERT INTO questionnaire_versions VALUES ('demo', 1, x'7b7d', 'h', 0)")
        conn.execute(
            "INSERT INTO responses (id, questionnaire, version, received, answers, content_hash)"
            " VALUES ('old', 'demo', 1, '2026-11-02', x'7b7d', 'h')"
        )
    s = SQLiteStore(path)
    await s.open()
    try:
        await s.add_responses([msgspec.structs.replace(row("new"), language="pl")])
    finally:
        await s.close()
    with sqlite3.connect(path) as conn:
        stored = dict(conn.execute("SELECT id, language FROM responses").fetchall())
    assert stored == {"old": None, "new": "pl"}


async def test_rows_are_on_disk_when_add_responses_returns(store: SQLiteStore, tmp_path: Path):
    first = row()
    assert await store.add_responses([first]) == ["accepted"]
    # A separate connection, as another process would open it, sees the committed row.
    with sqlite3.connect(tmp_path / "survey.sqlite3") as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM responses")]
    assert ids == [first.id]


async def test_same_id_is_duplicate_with_same_content_and_conflict_with_other(store):
    first = row()
    same = row(first.id)
    other = row(first.id, answers=b'{"q":"no"}')
    assert await store.add_responses([first]) == ["accepted"]
    assert await store.add_responses([same, other]) == ["duplicate", "conflict"]
    assert await store.count_responses() == 1


async def test_the_same_id_twice_in_one_group_is_stored_once(store):
    first = row()
    assert await store.add_responses([first, row(first.id)]) == ["accepted", "duplicate"]
    assert await store.count_responses("demo") == 1


async def test_concurrent_callers_share_transactions_and_each_gets_its_own_outcome(store):
    rows = [row() for _ in range(300)]
    outcomes = await asyncio.gather(*(store.add_responses([r]) for r in rows))
    assert outcomes == [["accepted"]] * 300
    assert await store.count_responses() == 300
    assert await store.response_hashes([r.id for r in rows[:3]]) == {
        r.id: r.content_hash for r in rows[:3]
    }


async def test_a_failed_transaction_acknowledges_nothing_and_the_next_one_works(store):
    orphan = NewResponse("6f1c7d3e-0a1b-4c2d-8e3f-9a0b1c2d3e4f", "unknown", 9, "d", b"{}", "h")
    good = row()
    # The unknown questionnaire breaks the foreign key, so the whole group rolls back.
    results = await asyncio.gather(
        store.add_responses([orphan]), store.add_responses([good]), return_exceptions=True
    )
    assert all(isinstance(r, StoreUnavailable) for r in results)
    assert await store.count_responses() == 0
    assert await store.add_responses([good]) == ["accepted"]


async def test_close_commits_what_is_queued(tmp_path: Path):
    s = SQLiteStore(tmp_path / "db.sqlite3")
    await s.open()
    await s.publish_version(StoredVersion("demo", 1, b"{}", "hash1"))
    pending = [asyncio.create_task(s.add_responses([row()])) for _ in range(50)]
    await asyncio.sleep(0)
    await s.close()
    assert [await p for p in pending] == [["accepted"]] * 50
    with pytest.raises(StoreUnavailable):
        await s.add_responses([row()])
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM responses").fetchone()[0] == 50


async def test_versions_are_published_once_and_retired_on_request(store):
    await store.publish_version(StoredVersion("demo", 1, b"{changed}", "hash2"))
    versions = await store.published_versions()
    assert [(v.questionnaire, v.version, v.content_hash) for v in versions] == [
        ("demo", 1, "hash1")
    ]
    assert await store.set_retired("demo", 1, True)
    assert await store.retired_versions() == {("demo", 1)}
    assert not await store.set_retired("demo", 7, True)


async def test_no_time_or_sequence_is_stored(store, tmp_path: Path):
    await store.add_responses([row() for _ in range(3)])
    with sqlite3.connect(tmp_path / "survey.sqlite3") as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(responses)")]
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("SELECT rowid FROM responses")  # WITHOUT ROWID: no arrival order
    assert columns == [
        "id",
        "questionnaire",
        "version",
        "received",
        "answers",
        "content_hash",
        "batch",
        "language",  # issue 9: the questionnaire language chosen, nothing about the device
    ]
