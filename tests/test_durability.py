"""Acknowledged means kept: concurrent submissions, replays, and a hard stop of the server."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURE_QUESTIONNAIRES, response_body
from tests.support.serverproc import ServerProcess


async def test_200_concurrent_submissions_are_each_accepted_once(client, settings):
    bodies = [response_body(trust=1 + i % 5) for i in range(200)]
    first = await asyncio.gather(*(client.post("/api/responses", json=b) for b in bodies))
    assert [r.status_code for r in first] == [201] * 200
    replays = await asyncio.gather(*(client.post("/api/responses", json=b) for b in bodies))
    assert {r.json()["status"] for r in replays} == {"duplicate"}
    with sqlite3.connect(settings.database_path) as conn:
        assert conn.execute("SELECT count(*) FROM responses").fetchone()[0] == 200


async def test_the_same_response_sent_twice_at_once_is_stored_once(client, settings):
    body = response_body(fits="yes")
    results = await asyncio.gather(*(client.post("/api/responses", json=body) for _ in range(20)))
    statuses = sorted(r.json()["status"] for r in results)
    assert statuses == ["accepted"] + ["duplicate"] * 19
    with sqlite3.connect(settings.database_path) as conn:
        assert conn.execute("SELECT count(*) FROM responses").fetchone()[0] == 1


@pytest.mark.slow
def test_acknowledged_responses_survive_a_hard_stop(tmp_path: Path):
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir, FIXTURE_QUESTIONNAIRES, tmp_path / "server.log").start()
    acknowledged = []
    try:

        async def send_all() -> None:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                bodies = [response_body(trust=3) for _ in range(100)]
                replies = await asyncio.gather(
                    *(http.post("/api/responses", json=b) for b in bodies)
                )
                acknowledged.extend(
                    b for b, r in zip(bodies, replies, strict=True) if r.status_code == 201
                )

        asyncio.run(send_all())
    finally:
        server.kill()  # SIGKILL: no shutdown code runs
    assert len(acknowledged) == 100

    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            replays = [http.post("/api/responses", json=b).json()["status"] for b in acknowledged]
            assert set(replays) == {"duplicate"}
            assert http.post("/api/responses", json=response_body()).status_code == 201
    finally:
        server.stop()
    with sqlite3.connect(data_dir / "survey.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM responses").fetchone()[0] == 101
