"""Issue 17 on the inspectors' side: odd query values, headers, credentials and their audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.support.inspectors import add_account, make_app, make_settings, seed, sign_in, token_for


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(make_app(make_settings(tmp_path))) as test_client:
        await add_account(test_client)
        yield test_client


@pytest.mark.parametrize("before", ["99999999999999999999", "-99999999999999999999", "0"])
async def test_an_audit_page_number_out_of_range_is_a_400_not_a_500(client, before):
    headers = await token_for(client)
    reply = await client.get(f"/api/inspect/audit?before={before}", headers=headers)
    if before == "0":  # nothing is older than the first entry: an empty page
        assert reply.status_code == 200
        assert reply.json() == {"entries": []}
        return
    assert reply.status_code == 400
    assert reply.json() == {
        "errors": [{"field": "before", "message": reply.json()["errors"][0]["message"]}]
    }
    await sign_in(client)
    page = await client.get(f"/inspect/audit?before={before}")
    assert page.status_code == 400
    assert "Audit log" in page.text


async def test_every_text_answer_names_its_charset_once(client):
    headers = await token_for(client)
    await seed(client, [{"fits": "yes"}] * 10)
    await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
    await sign_in(client)
    for path in [
        "/inspect/",
        "/inspect/login",
        "/inspect/static/portal.css",
        "/inspect/questionnaires/every-type/download/all.csv",
        "/api/inspect/batches/1.csv",
    ]:
        reply = await client.get(path, headers=headers if path.startswith("/api") else None)
        assert reply.status_code == 200, path
        assert reply.headers["content-type"].lower().count("charset") == 1, path


def test_tokens_from_the_command_line_expire_and_are_revoked_one_by_one(
    tmp_path: Path, monkeypatch, capsys
):
    from survey_service import cli

    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SURVEY_PASSWORD", "correct horse battery")
    assert cli.main(["inspectors", "add", "amira"]) == 0
    capsys.readouterr()
    assert cli.main(["inspectors", "token", "amira", "--days", "30"]) == 0
    first = capsys.readouterr()
    assert cli.main(["inspectors", "token", "amira"]) == 0
    second = capsys.readouterr()
    secrets = [first.out.strip(), second.out.strip()]
    assert all(len(s) > 30 and "\n" not in s for s in secrets)  # stdout: the token alone
    assert "expires" in first.err
    assert cli.main(["inspectors", "tokens", "amira"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert len(ids) == 2
    (token_id,) = [i for i in ids if i in first.err]  # stderr named the token printed
    assert cli.main(["inspectors", "revoke", "amira", token_id]) == 0
    assert cli.main(["inspectors", "revoke", "amira", token_id]) == 1
    capsys.readouterr()
    assert cli.main(["inspectors", "tokens", "amira"]) == 0
    left = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert left == [i for i in ids if i != token_id]


def test_the_password_command_sets_a_new_password(tmp_path: Path, monkeypatch):
    import asyncio

    from survey_service import cli, settings
    from survey_service.inspector import auth
    from survey_service.store import open_store

    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SURVEY_PASSWORD", "correct horse battery")
    assert cli.main(["inspectors", "add", "amira"]) == 0
    monkeypatch.setenv("SURVEY_PASSWORD", "short")
    assert cli.main(["inspectors", "password", "amira"]) == 2
    monkeypatch.setenv("SURVEY_PASSWORD", "an entirely new passphrase")
    assert cli.main(["inspectors", "password", "amira"]) == 0
    assert cli.main(["inspectors", "password", "nobody"]) == 1
    conf = settings.from_env(login_slowdown_seconds=0)

    async def try_both() -> tuple[bool, bool]:
        store = open_store(conf)
        await store.open()
        try:
            old = await auth.login(store, conf, "amira", "correct horse battery")
            new = await auth.login(store, conf, "amira", "an entirely new passphrase")
            return old.secret is not None, new.secret is not None
        finally:
            await store.close()

    assert asyncio.run(try_both()) == (False, True)


async def test_viewing_a_summary_is_audited_like_a_download(client):
    headers = await token_for(client)
    reply = await client.get(
        "/api/inspect/questionnaires/every-type/summary?policy=ons", headers=headers
    )
    assert reply.status_code == 200
    await sign_in(client)
    assert (await client.get("/inspect/questionnaires/every-type/summary")).status_code == 200
    log = (await client.get("/api/inspect/audit", headers=headers)).json()["entries"]
    viewed = [e for e in log if e["action"] == "summary"]
    assert [(e["actor"], e["detail"]) for e in viewed] == [
        ("amira", "every-type summary (policy cellkey)"),
        ("amira", "every-type summary (policy ons)"),
    ]
