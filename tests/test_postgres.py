"""What only PostgreSQL has: a schema shared by several instances, lost connections, and two
real app processes on one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from survey_service.inspector import auth
from survey_service.store import StoredVersion, StoreUnavailable
from survey_service.store.inspector import Batch
from survey_service.store.postgres import PostgresStore
from tests.conftest import response_body
from tests.support.inspectors import make_app
from tests.support.releases import cut_batch
from tests.support.serverproc import ServerProcess
from tests.test_store import row


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to the test's database, to look at what the store wrote."""
    conn = await asyncpg.connect(pg_url)
    yield conn
    await conn.close()


async def test_instances_starting_together_apply_each_migration_once(pg_url: str, pg):
    stores = [PostgresStore(pg_url, pool_size=2) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    for s in stores:
        await s.close()
    applied = await pg.fetch("SELECT number, name FROM schema_migrations ORDER BY number")
    assert applied[0]["name"] == "0001_initial.sql"
    assert [r["number"] for r in applied] == list(range(1, len(applied) + 1))


async def test_no_time_or_sequence_column_is_stored(pg_url: str, pg):
    s = PostgresStore(pg_url)
    await s.open()
    await s.close()
    columns = await pg.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'responses' ORDER BY ordinal_position"
    )
    assert [c[0] for c in columns] == [
        "id",
        "questionnaire",
        "version",
        "received",
        "answers",
        "content_hash",
        "batch",
        "language",
        "eligible",
        "record_key",
    ]


async def test_an_unreachable_server_is_storage_unavailable(pg_cluster):
    s = PostgresStore(f"postgresql://postgres@127.0.0.1:{pg_cluster.port}/no_such_database")
    with pytest.raises(StoreUnavailable):
        await s.open()


async def test_the_pool_recovers_from_lost_connections(pg_url: str, pg):
    s = PostgresStore(pg_url, pool_size=2)
    await s.open()
    try:
        await s.publish_version(StoredVersion("demo", 1, b"{}", "hash1"))
        # The database server drops every connection of ours, as in a failover or restart.
        await pg.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        # The group in flight on a dead connection fails as StoreUnavailable (a 503 the phone
        # retries), unless the pool noticed first and reconnected; nothing hangs either way.
        first = row()
        try:
            outcome = await s.add_responses([first])
        except StoreUnavailable:
            outcome = await s.add_responses([first])
        assert outcome == ["accepted"]
        assert await s.add_responses([row()]) == ["accepted"]
        assert await s.count_responses() == 2
    finally:
        await s.close()


async def _token(url: str) -> str:
    s = PostgresStore(url, pool_size=2)
    await s.open()
    try:
        assert await auth.add_inspector(s, "ines", "correct horse battery", "test")
        token = await auth.issue_token(s, "ines", "test")
    finally:
        await s.close()
    assert token is not None
    return token


@pytest.mark.slow
async def test_two_app_processes_on_one_database_store_each_response_once(
    pg_url: str, pg, tmp_path: Path, questionnaires_dir: Path
):
    """Phones retrying through a load balancer: the same responses reach both instances at
    once, singly and in batches. Each id is stored once and accepted exactly once. Then
    concurrent batch releases on both instances cut one batch, never two."""
    servers = [
        ServerProcess(
            tmp_path / f"data{i}",
            questionnaires_dir,
            tmp_path / f"server{i}.log",
            SURVEY_DATABASE_URL=pg_url,
            SURVEY_DATABASE_POOL_SIZE="4",
            SURVEY_MIN_BATCH="10",
        )
        for i in range(2)
    ]
    for server in servers:
        server.start()
    try:
        bodies = [response_body(fits="yes") for _ in range(30)]
        async with httpx.AsyncClient(timeout=30) as client:
            singles = [
                client.post(f"{server.url}/api/responses", json=body)
                for body in bodies
                for server in servers
            ]
            batches = [
                client.post(f"{server.url}/api/responses/batch", json={"responses": bodies})
                for server in servers
            ]
            answers = await asyncio.gather(*singles, *batches)
        statuses: dict[str, list[str]] = {b["id"]: [] for b in bodies}
        for answer in answers[: len(singles)]:
            assert answer.status_code in (200, 201), answer.text
            statuses[answer.json()["id"]].append(answer.json()["status"])
        for answer in answers[len(singles) :]:
            assert answer.status_code == 200, answer.text
            for result in answer.json()["results"]:
                statuses[result["id"]].append(result["status"])
        expected = ["accepted", "duplicate", "duplicate", "duplicate"]
        assert [sorted(s) for s in statuses.values()] == [expected] * len(bodies)
        assert await pg.fetchval("SELECT count(*) FROM responses") == len(bodies)
        stored = {r[0] for r in await pg.fetch("SELECT id FROM responses")}
        assert stored == {b["id"] for b in bodies}
        # A different answer under a stored id is a conflict on either instance.
        clash = {**bodies[0], "answers": {"fits": "no"}}
        async with httpx.AsyncClient(timeout=30) as client:
            for server in servers:
                answer = await client.post(f"{server.url}/api/responses", json=clash)
                assert answer.status_code == 409

        # The days pass: every response is ready. Inspectors press Release on both instances at
        # once, three times each: one batch holds all 30 responses; every other press finds
        # too few ready (409).
        await pg.execute("UPDATE responses SET eligible = '2000-01-01'")
        headers = {"Authorization": f"Bearer {await _token(pg_url)}"}
        async with httpx.AsyncClient(timeout=30, headers=headers) as client:
            releases = await asyncio.gather(
                *(
                    client.post(f"{server.url}/api/inspect/questionnaires/every-type/batches")
                    for server in servers
                    for _ in range(3)
                )
            )
        codes = sorted(r.status_code for r in releases)
        assert codes == [201, 409, 409, 409, 409, 409], [r.text for r in releases]
        assert await pg.fetch("SELECT count FROM batches") == [(30,)]
        assert await pg.fetchval("SELECT count(*) FROM responses WHERE batch IS NULL") == 0
    finally:
        for server in servers:
            assert server.stop() == 0


async def test_the_audit_log_and_batches_refuse_changes(pg_url: str, pg):
    s = PostgresStore(pg_url)
    await s.open()
    try:
        await s.publish_version(StoredVersion("demo", 1, b"{}", "hash1"))
        await s.add_responses([row() for _ in range(3)])
        batch = await cut_batch(s, "demo")
        assert isinstance(batch, Batch)
    finally:
        await s.close()
    refused = [
        "UPDATE audit SET actor = 'someone else'",
        "DELETE FROM audit",
        "TRUNCATE audit",
        "UPDATE batches SET count = 1",
        "DELETE FROM batches",
        "TRUNCATE batches CASCADE",
        "UPDATE responses SET batch = NULL",
    ]
    for sql in refused:
        with pytest.raises(asyncpg.RestrictViolationError, match=r"append-only|fixed|stays"):
            await pg.execute(sql)
    assert await pg.fetchval("SELECT count(*) FROM audit") == 1
    assert await pg.fetchval("SELECT count(*) FROM responses WHERE batch IS NOT NULL") == 3


async def test_the_app_runs_on_postgresql_without_knowing_it(pg_url: str, settings):
    conf = msgspec.structs.replace(settings, database_url=pg_url, database_pool_size=3)
    async with AsyncTestClient(make_app(conf)) as client:
        body = response_body(fits="yes")
        assert (await client.post("/api/responses", json=body)).status_code == 201
        again = await client.post("/api/responses", json=body)
        assert (again.status_code, again.json()["status"]) == (200, "duplicate")
        clash = {**body, "answers": {"fits": "no"}}
        assert (await client.post("/api/responses", json=clash)).status_code == 409
        listed = (await client.get("/api/questionnaires")).json()
        assert "every-type" in {q["id"] for q in listed}
    assert not (settings.data_dir / "survey.sqlite3").exists()  # nothing went to SQLite


async def _sign_in(client: httpx.AsyncClient, url: str, password: str) -> httpx.Response:
    page = await client.get(f"{url}/inspect/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return await client.post(
        f"{url}/inspect/login",
        data={"username": "ines", "password": password, "csrf": csrf},
        follow_redirects=False,
    )


@pytest.mark.slow
async def test_sign_ins_at_once_on_two_instances_are_checked_no_more_than_the_limit(
    pg_url: str, pg, tmp_path: Path, questionnaires_dir: Path
):
    """Issue 17, item 1: 20 sign-ins at once to one account, through two app processes on one
    database, with the per-address limit off. Only SURVEY_LOGIN_MAX_FAILURES passwords are
    checked; the other attempts are refused unchecked, and then so is the right password."""
    await _token(pg_url)  # makes the account "ines"
    servers = [
        ServerProcess(
            tmp_path / f"data{i}",
            questionnaires_dir,
            tmp_path / f"server{i}.log",
            SURVEY_DATABASE_URL=pg_url,
            SURVEY_DATABASE_POOL_SIZE="4",
            SURVEY_LOGIN_RATE_LIMIT_PER_SECOND="0",
            SURVEY_LOGIN_SLOWDOWN_SECONDS="0",
        )
        for i in range(2)
    ]
    for server in servers:
        server.start()
    try:
        clients = [httpx.AsyncClient(timeout=30) for _ in range(20)]
        try:
            answers = await asyncio.gather(
                *(
                    _sign_in(client, servers[i % 2].url, f"guess {i}")
                    for i, client in enumerate(clients)
                )
            )
            assert all(a.status_code == 401 for a in answers)
            late = await _sign_in(clients[0], servers[1].url, "correct horse battery")
            assert late.status_code == 401
            assert "paused" in late.text
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        counts = dict(
            await pg.fetch("SELECT action, count(*) FROM audit GROUP BY action ORDER BY action")
        )
        assert counts["login failed"] == 5
        assert counts["login refused"] == 16
        assert "login" not in counts
    finally:
        for server in servers:
            assert server.stop() == 0


async def test_compaction_rewrites_the_table_in_key_order(pg_url: str, pg):
    """Rule 3 on PostgreSQL: the heap keeps rows where they arrived (ctid order is arrival
    order) until compaction rewrites it in id order (CLUSTER)."""
    from tests.test_maintenance import _rank_correlation

    s = PostgresStore(pg_url)
    await s.open()
    try:
        await s.publish_version(StoredVersion("demo", 1, b"{}", "hash1"))
        arrival: list[str] = []
        for _ in range(60):
            rows = [row(answers=b'{"q":"' + b"x" * 300 + b'"}') for _ in range(10)]
            await s.add_responses(rows)
            arrival += [r.id for r in rows]
        rank = {rid: n for n, rid in enumerate(arrival)}

        async def correlation() -> float:
            found = await pg.fetch(
                "SELECT id, (ctid::text::point)[0]::int * 1000 + (ctid::text::point)[1]::int"
                " FROM responses"
            )
            return _rank_correlation([rank[r[0]] for r in found], [r[1] for r in found])

        assert await correlation() > 0.9
        assert await s.compact() is True
        assert abs(await correlation()) < 0.3
        ordered = [r[0] for r in await pg.fetch("SELECT id FROM responses ORDER BY ctid")]
        assert ordered == sorted(arrival)
        assert await s.count_responses() == 600
    finally:
        await s.close()
