"""Issue 17 on the inspectors' side: odd query values, headers, credentials and their audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from inspect_support import add_account, make_settings, seed, sign_in, token_for
from litestar.testing import AsyncTestClient

from survey_service.app import create_app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(make_settings(tmp_path))) as test_client:
        await add_account(test_client)
        yield test_client


@pytest.mark.parametrize("before", ["99999999999999999999", "-99999999999999999999", "0"])
async def test_an_audit_page_number_out_of_range_is_a_400_not_a_500(client, before):
    headers = await token_for(client)
    reply = await client.get(f"/api/inspect/audit?before={before}", headers=headers)
    if before == "0":  # nothing is older than the first entry: an empty page
        assert reply.status_code == 200 and reply.json() == {"entries": []}
        return
    assert reply.status_code == 400
    assert reply.json() == {
        "errors": [{"field": "before", "message": reply.json()["errors"][0]["message"]}]
    }
    await sign_in(client)
    page = await client.get(f"/inspect/audit?before={before}")
    assert page.status_code == 400 and "Audit log" in page.text


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
