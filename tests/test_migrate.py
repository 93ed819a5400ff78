"""`survey-service migrate --to postgresql://…`: an SQLite deployment moves up whole."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import asyncpg
import msgspec
import pytest

from survey_service import cli
from survey_service.store import NewResponse, StoredVersion
from survey_service.store.inspector import AuditEntry, Batch, Credential, Inspector
from survey_service.store.postgres import PostgresStore
from survey_service.store.reviews import Review
from survey_service.store.sqlite import SQLiteStore
from tests.support.pgcluster import Cluster
from tests.support.releases import cut_batch

INES = Inspector("ines", "argon2-hash", False, "2026-11-01T09:00:00Z")
AUDIT = AuditEntry("2026-11-25T10:00:00Z", "ines", "release")

VERSIONS = [
    StoredVersion("demo", 1, b'{"v":1}', "h1"),
    StoredVersion("demo", 2, b'{"v":2}', "h2"),
    StoredVersion("other", 1, b'{"o":1}', "h3"),
]


def responses(n: int) -> list[NewResponse]:
    return [
        NewResponse(
            str(uuid.uuid4()),
            "demo",
            1 + i % 2,
            "2026-W48",
            b'{"q":"%d"}' % i,
            f"c{i}",
            "2026-12-01",
            i % 256,
        )
        for i in range(n)
    ]


@pytest.fixture
def deployment(monkeypatch, tmp_path: Path) -> list[NewResponse]:
    """An SQLite deployment in SURVEY_DATA_DIR with versions (one retired) and responses."""
    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path))
    rows = responses(12_000)  # more than one COPY chunk

    async def seed() -> None:
        s = SQLiteStore(tmp_path / "survey.sqlite3")
        await s.open()
        for v in VERSIONS:
            await s.publish_version(v)
        await s.set_retired("demo", 1, True)
        await s.add_responses(rows[:10_000])
        await s.add_inspector(INES, AUDIT)
        await s.add_credential("token-hash", "ines", "token", "2027-01-01T00:00:00Z")
        now = "2026-11-25T11:00:00Z"
        await s.count_login_attempt("name-hash", now, now, 5)
        await s.note_maintenance("compaction", now)
        batch = await cut_batch(s, "demo", "2026-12-01")
        assert isinstance(batch, Batch)
        assert batch.number == 1
        # Issue 15: a reviewer, the review queue, one approved text marked as a quote.
        await s.set_reviewer("ines", True, AUDIT)
        assert await s.queue_texts("demo", ["q"]) == 10_000
        (one,) = await s.texts_to_review("demo", 1)
        await s.save_review("demo", one.handle, Review("approved", "[redacted]", True), AUDIT)
        await s.add_responses(rows[10_000:])  # waiting for the next batch
        await s.close()

    asyncio.run(seed())
    return rows


@pytest.fixture
def empty_url(pg_cluster: Cluster) -> str:
    return asyncio.run(pg_cluster.new_database())


def test_migrate_copies_everything_and_checks_counts(deployment, empty_url: str, capsys):
    assert cli.main(["migrate", "--to", empty_url]) == 0
    out = capsys.readouterr().out
    assert "copied 3 rows of questionnaire_versions; counts match" in out
    assert "copied 12000 rows of responses; counts match" in out
    copied = [("inspectors", 1), ("credentials", 1), ("login_failures", 1), ("maintenance", 1)]
    for table, count in copied:
        assert f"copied {count} rows of {table}; counts match" in out
    assert "copied 1 rows of batches; counts match" in out
    assert "copied 4 rows of audit; counts match" in out
    assert "copied 10000 rows of text_reviews; counts match" in out
    assert "copied 1 rows of text_review_batches; counts match" in out

    async def read() -> None:
        s = PostgresStore(empty_url)
        await s.open()
        try:
            published = await s.published_versions()
            assert [(v.questionnaire, v.version, v.content, v.retired) for v in published] == [
                ("demo", 1, b'{"v":1}', True),
                ("demo", 2, b'{"v":2}', False),
                ("other", 1, b'{"o":1}', False),
            ]
            hashes = await s.response_hashes([r.id for r in deployment])
            assert hashes == {r.id: r.content_hash for r in deployment}
            conn = await asyncpg.connect(empty_url)
            answers = await conn.fetchval(
                "SELECT answers FROM responses WHERE id = $1", deployment[5].id
            )
            await conn.close()
            assert answers == deployment[5].answers
            # Accounts, tokens, throttling, batches and the audit log came across...
            assert await s.list_inspectors() == [msgspec.structs.replace(INES, reviewer=True)]
            assert [(q.text, q.batch) for q in await s.quotes("demo")] == [("[redacted]", 1)]
            assert await s.text_counts("demo") == {1: {"waiting": 9_999, "approved": 1}}
            assert await s.get_credential("token-hash", "2026-11-25") == Credential(
                "ines", "token", "2027-01-01T00:00:00Z"
            )
            now = "2026-11-25T11:00:01Z"
            assert await s.count_login_attempt("name-hash", now, "2026-11-25", 5) == (
                True,
                ["2026-11-25T11:00:00Z"],
            )
            assert await s.maintenance_done("compaction") == "2026-11-25T11:00:00Z"
            assert [b.count for b in await s.list_batches()] == [10_000]
            assert await s.waiting_counts("demo", "2026-12-01") == (2_000, 2_000)
            # ...and new numbers follow the copied ones.
            second = await cut_batch(s, "demo", "2026-12-01")
            assert isinstance(second, Batch)
            assert second.number == 2
            assert [e.id for e in await s.audit_entries()] == [5, 4, 3, 2, 1]
        finally:
            await s.close()

    asyncio.run(read())


@pytest.mark.usefixtures("deployment")
def test_migrate_refuses_a_database_that_holds_data(empty_url: str, capsys):
    assert cli.main(["migrate", "--to", empty_url]) == 0
    capsys.readouterr()
    assert cli.main(["migrate", "--to", empty_url]) == 1
    err = capsys.readouterr().err
    assert "already holds questionnaire_versions" in err
    assert "empty database only" in err
    assert empty_url not in err  # the URL may carry a password


def test_migrate_without_an_sqlite_database(monkeypatch, tmp_path: Path, empty_url: str, capsys):
    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path / "nothing-here"))
    assert cli.main(["migrate", "--to", empty_url]) == 1
    assert "nothing to copy" in capsys.readouterr().err


@pytest.mark.usefixtures("deployment")
def test_migrate_to_an_unreachable_server(pg_cluster: Cluster, capsys):
    url = f"postgresql://postgres@127.0.0.1:{pg_cluster.port}/no_such_database"
    assert cli.main(["migrate", "--to", url]) == 1
    assert "error:" in capsys.readouterr().err


@pytest.mark.usefixtures("deployment")
def test_migrate_without_the_postgres_extra_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # as on an install without [postgres]
    assert cli.main(["migrate", "--to", "postgresql://postgres@127.0.0.1/x"]) == 1
    assert "survey-service[postgres]" in capsys.readouterr().err
