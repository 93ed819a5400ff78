"""When storage fails (full, locked, read-only, a failed COMMIT): 503 + Retry-After, never a
201 for a row that is not committed, and the service recovers once the cause goes away."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
import msgspec
import pytest

from survey_service.app import create_app
from survey_service.settings import Settings
from survey_service.store import sqlite as sqlite_store
from tests.conftest import response_body


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The app with its lifespan on this event loop, so a test can reach into its store."""
    app = create_app(settings)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert set(body) == {"errors"}
    assert [set(e) for e in body["errors"]] == [{"field", "message"}]


def stored(settings: Settings) -> int:
    with contextlib.closing(sqlite3.connect(settings.database_path)) as conn:
        return int(conn.execute("SELECT count(*) FROM responses").fetchone()[0])


async def post_until_unavailable(client: httpx.AsyncClient, limit: int = 400) -> tuple[int, Any]:
    accepted = 0
    for _ in range(limit):
        items = [response_body(one_word="x" * 400) for _ in range(50)]
        response = await client.post("/api/responses/batch", json={"responses": items})
        if response.status_code == 503:
            return accepted, response
        assert response.status_code == 200
        accepted += sum(r["status"] == "accepted" for r in response.json()["results"])
    raise AssertionError("storage never filled up")


async def test_database_full_is_503_and_recovers(settings):
    async with serving(settings) as (app, client):
        store = app.state.store
        assert (await client.post("/api/responses", json=response_body())).status_code == 201

        async def limit_size(conn: aiosqlite.Connection) -> None:
            # SQLite's own cap on the file's size: writes fail with SQLITE_FULL, as on a full
            # disk. Run on the writer's queue, so it never races another write.
            async with conn.execute("PRAGMA page_count") as cursor:
                row = await cursor.fetchone()
            assert row is not None
            # Read and closed: a statement left open on the writer would make the start-up
            # purge's checkpoint fail, and the failure drops this connection and its limit.
            async with conn.execute(f"PRAGMA max_page_count={row[0] + 2}") as cursor:
                await cursor.fetchall()

        await store.write(limit_size, transaction=False)
        accepted, refused = await post_until_unavailable(client)
        assert_unavailable(refused)
        assert stored(settings) == 1 + accepted

        await store.write(lambda c: c.execute("PRAGMA max_page_count=1073741823"), False)
        assert (await client.post("/api/responses", json=response_body())).status_code == 201
        assert stored(settings) == accepted + 2


async def test_database_locked_beyond_busy_timeout_is_503_and_recovers(settings):
    conf = msgspec.structs.replace(settings, busy_timeout_ms=100)
    async with serving(conf) as (_, client):
        assert (await client.post("/api/responses", json=response_body())).status_code == 201
        other = sqlite3.connect(conf.database_path, isolation_level=None, check_same_thread=False)
        # Another process holding the write lock. Taken off the event loop, as another
        # process would be: blocking the loop here would stall a write the service has in
        # flight (the start-up purge) while this waits for that write's lock.
        await asyncio.to_thread(other.execute, "BEGIN EXCLUSIVE")
        try:
            assert_unavailable(await client.post("/api/responses", json=response_body()))
            batch = {"responses": [response_body(), response_body()]}
            assert_unavailable(await client.post("/api/responses/batch", json=batch))
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert (await client.post("/api/responses", json=response_body())).status_code == 201
        assert stored(conf) == 2


class _CommitFails:
    """The writer's sqlite3 connection, except that storing a group fails as on an I/O error.
    (A group is one INSERT statement, which is its own transaction: it fails, or commits.)"""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith("INSERT INTO responses"):
            raise sqlite3.OperationalError("disk I/O error")
        return self.conn.execute(sql, *args)


async def test_a_failed_commit_is_never_acknowledged_and_the_writer_recovers(settings, monkeypatch):
    async with serving(settings) as (app, client):
        # One write first, so start-up's own writes (the retention purge) are done.
        assert (await client.post("/api/responses", json=response_body())).status_code == 201
        writer = app.state.store._writer
        real_group = sqlite_store._insert_group
        monkeypatch.setattr(
            sqlite_store, "_insert_group", lambda conn, rows: real_group(_CommitFails(conn), rows)
        )
        body = response_body()
        assert_unavailable(await client.post("/api/responses", json=body))
        assert stored(settings) == 1
        monkeypatch.setattr(sqlite_store, "_insert_group", real_group)
        # The suspect connection was dropped; a fresh one takes the same response.
        assert (await client.post("/api/responses", json=body)).status_code == 201
        assert app.state.store._writer is not writer
        assert stored(settings) == 2


async def test_a_database_that_opens_read_only_is_503_and_recovers(settings, monkeypatch):
    async with serving(settings) as (app, client):
        assert (await client.post("/api/responses", json=response_body())).status_code == 201
        # The file becomes read-only under us (as after a remount): every connection the
        # writer opens now is a read-only one.
        real_connect = aiosqlite.connect
        uri = f"file:{settings.database_path}?mode=ro"
        monkeypatch.setattr(
            aiosqlite, "connect", lambda *_a, **kw: real_connect(uri, uri=True, **kw)
        )
        store = app.state.store
        await store._writer.close()
        store._writer = None
        assert_unavailable(await client.post("/api/responses", json=response_body()))
        assert_unavailable(await client.post("/api/responses", json=response_body()))
        monkeypatch.setattr(aiosqlite, "connect", real_connect)
        assert (await client.post("/api/responses", json=response_body())).status_code == 201
        assert stored(settings) == 2


async def test_a_write_job_whose_connection_vanished_does_not_stop_the_writer(settings):
    # Found by the suite: the start-up checkpoint ran on a connection closed under it, its
    # error escaped the job and ended the writer task, and every later POST waited forever.
    async with serving(settings) as (app, client):
        store = app.state.store
        assert (await client.post("/api/responses", json=response_body())).status_code == 201

        async def vanish(conn: aiosqlite.Connection) -> None:
            await conn.close()
            await conn.execute("SELECT 1")

        # aiosqlite's error for a closed connection reaches the caller; the writer goes on.
        with pytest.raises(ValueError, match="no active connection"):
            await store.write(vanish, transaction=False)
        assert not store._writes.task.done()
        assert (await client.post("/api/responses", json=response_body())).status_code == 201
        assert stored(settings) == 2


# -- a real small filesystem, where the machine lets us mount one (root in CI, skipped else) ---
# (Remounting it read-only is refused while SQLite holds its files open for writing, so the
# read-only case is the simulated one above.)


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the simulated cases still run")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
            os.fsync(f.fileno())
    return filler


async def test_a_really_full_disk_is_503_and_recovers(tiny_fs, settings):
    conf = msgspec.structs.replace(settings, data_dir=tiny_fs / "data")
    async with serving(conf) as (_, client):
        assert (await client.post("/api/responses", json=response_body())).status_code == 201
        filler = _fill(tiny_fs)
        accepted, refused = await post_until_unavailable(client)
        assert_unavailable(refused)
        assert stored(conf) == 1 + accepted
        filler.unlink()
        assert (await client.post("/api/responses", json=response_body())).status_code == 201
        assert stored(conf) == 2 + accepted
