"""Rules 1 and 2 by construction: no identifier reaches the database files or any log."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURE_QUESTIONNAIRES, response_body
from tests.support.serverproc import ServerProcess

CANARIES = {
    "X-Forwarded-For": "203.0.113.77",
    "X-Real-IP": "198.51.100.23",
    "User-Agent": "CanaryAgent/9.9 (Tracking-Phone-42)",
    "Referer": "https://canary-referrer.example/poster?school=oakfield",
    "Cookie": "canary_session=cookie-canary-5d1f",
}
NEEDLES = [
    "203.0.113.77",
    "198.51.100.23",
    "CanaryAgent",
    "Tracking-Phone-42",
    "canary-referrer",
    "oakfield",
    "cookie-canary-5d1f",
]
ANSWER_CANARY = "canary answer words"  # stored, as it should be, but never logged


def database_bytes(data_dir: Path) -> bytes:
    # The main file, the WAL and the shared-memory index: wherever SQLite may have put bytes.
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("survey.sqlite3*")))


def assert_no_canary(blob: bytes | str, where: str) -> None:
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    for needle in NEEDLES:
        assert needle not in text, f"{needle!r} found in {where}"


async def test_no_identifier_in_database_or_logs_in_process(client, settings, caplog):
    caplog.set_level(logging.DEBUG)
    single = response_body(fits="yes", one_word=ANSWER_CANARY)
    batch = {"responses": [response_body(trust=3), response_body(times=2)]}
    for path, body in (("/api/responses", single), ("/api/responses/batch", batch)):
        response = await client.post(path, json=body, headers=CANARIES)
        assert response.status_code in (200, 201)
        assert "set-cookie" not in response.headers
    await client.post("/api/responses", json={"bad": 1}, headers=CANARIES)  # an error path too
    await client.get("/api/questionnaires", headers=CANARIES)
    assert_no_canary(database_bytes(settings.data_dir), "the database files")
    assert_no_canary(caplog.text, "the application log")
    assert ANSWER_CANARY not in caplog.text


@pytest.mark.slow
def test_no_identifier_in_database_or_server_output(tmp_path: Path):
    log_path = tmp_path / "server.log"
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir, FIXTURE_QUESTIONNAIRES, log_path, SURVEY_LOG_LEVEL="debug")
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers=CANARIES) as http:
            for _ in range(5):
                body = response_body(fits="no", why_not=ANSWER_CANARY)
                response = http.post("/api/responses", json=body)
                assert response.status_code == 201
                assert "set-cookie" not in response.headers
            http.post("/api/responses", content=b"{oops", headers={"content-type": "text/json"})
            http.get("/q/every-type")
    finally:
        assert server.stop() == 0
    assert_no_canary(database_bytes(data_dir), "the database files")
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert_no_canary(output, "the server's output")
    assert ANSWER_CANARY not in output
    assert "127.0.0.1:" not in output.replace(f"127.0.0.1:{server.port}", "")  # no client port


async def test_respondent_routes_never_set_a_cookie(client):
    paths = ["/api/questionnaires", "/api/questionnaires/every-type", "/nowhere"]
    for path in paths:
        assert "set-cookie" not in (await client.get(path)).headers
    response = await client.post("/api/responses", json=response_body())
    assert "set-cookie" not in response.headers


async def test_only_the_date_is_stored(client, settings):
    import sqlite3

    await client.post("/api/responses", json=response_body())
    with sqlite3.connect(settings.database_path) as conn:
        (received,) = conn.execute("SELECT received FROM responses").fetchone()
    assert len(received) == 10
    assert received.count("-") == 2  # YYYY-MM-DD, no time
