"""The audit log: an entry for each step, and triggers that refuse any change or removal."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from survey_service.inspector import auth
from tests.support.inspectors import (
    add_account,
    make_app,
    make_settings,
    on_store,
    page_csrf,
    seed,
    sign_in,
    token_for,
)


async def test_each_step_is_audited(tmp_path: Path):
    settings = make_settings(tmp_path)
    async with AsyncTestClient(make_app(settings)) as client:
        await add_account(client)  # account added
        await sign_in(client, "amira", "wrong password")  # login failed
        await sign_in(client, "ghost", "wrong password")  # login failed, unknown name
        await sign_in(client)  # login
        headers = await token_for(client)  # token issued
        await seed(client, [{"fits": "yes"}] * 10)
        await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
        await client.get("/api/inspect/batches/1.xlsx", headers=headers)  # export
        page = await client.get("/inspect/")
        await client.post("/inspect/logout", data={"csrf": page_csrf(page.text)})
        await on_store(client, lambda s: auth.set_disabled(s, "amira", True, "manager"))
        entries = list(reversed(await on_store(client, lambda s: s.audit_entries())))
        steps = [(e.actor, e.action) for e in entries]
        assert steps == [
            ("test", "account added"),
            ("amira", "login failed"),
            ("(unknown name)", "login failed"),
            ("amira", "login"),
            ("test", "token issued"),
            ("amira", "batch released"),
            ("amira", "export"),
            ("amira", "logout"),
            ("manager", "account disabled"),
        ]
        assert "batch 1: 10 responses" in entries[5].detail
        assert "batch 1 as xlsx" in entries[6].detail
        assert all(e.at.endswith("Z") for e in entries)
        assert "wrong password" not in repr(entries)  # what was typed is never kept
        await sign_in(client)
        reply = await client.get("/inspect/audit", follow_redirects=False)
        assert reply.status_code == 303  # disabled: cannot see it any more


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit SET actor = 'someone else'",
        "DELETE FROM audit",
        "UPDATE batches SET count = 1",
        "DELETE FROM batches",
        "UPDATE responses SET batch = 99",
    ],
)
async def test_triggers_refuse_changes_to_the_record(tmp_path: Path, sql: str):
    settings = make_settings(tmp_path)
    async with AsyncTestClient(make_app(settings)) as client:
        await add_account(client)
        headers = await token_for(client)
        await seed(client, [{"fits": "yes"}] * 10)
        await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
    conn = sqlite3.connect(settings.database_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match=r"append-only|fixed|stays"):
            conn.execute(sql)
        assert conn.execute("SELECT count(*) FROM audit").fetchone()[0] == 3
    finally:
        conn.close()


async def test_audit_page_lists_entries(tmp_path: Path):
    async with AsyncTestClient(make_app(make_settings(tmp_path))) as client:
        await add_account(client)
        await sign_in(client)
        page: Any = await client.get("/inspect/audit")
        assert page.status_code == 200
        assert "account added" in page.text
        assert "login" in page.text
