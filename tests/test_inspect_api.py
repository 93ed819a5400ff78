"""The inspectors' API and portal in-process: credentials, every 401/404/409/422, batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

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

API_GETS = [
    "/api/inspect/me",
    "/api/inspect/questionnaires",
    "/api/inspect/questionnaires/every-type/batches",
    "/api/inspect/batches/1.csv",
    "/api/inspect/questionnaires/every-type/batches/all.xlsx",
    "/api/inspect/questionnaires/every-type/summary",
    "/api/inspect/questionnaires/every-type/qr.svg",
    "/api/inspect/questionnaires/every-type/qr.png",
    "/api/inspect/audit",
]
PAGES = [
    "/inspect/",
    "/inspect/questionnaires/every-type",
    "/inspect/questionnaires/every-type/summary",
    "/inspect/questionnaires/every-type/posters",
    "/inspect/questionnaires/every-type/poster",
    "/inspect/questionnaires/every-type/leaflet",
    "/inspect/questionnaires/every-type/download/all.csv",
    "/inspect/audit",
    "/inspect/accounts",
    "/inspect/help/numbers",
]


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(make_app(make_settings(tmp_path))) as test_client:
        await add_account(test_client)
        yield test_client


def assert_error_shape(body: dict[str, Any]) -> None:
    assert set(body) == {"errors"}
    assert body["errors"]
    for error in body["errors"]:
        assert set(error) == {"field", "message"}


@pytest.mark.parametrize("path", API_GETS)
async def test_api_routes_answer_401_without_credentials(client, path):
    reply = await client.get(path)
    assert reply.status_code == 401
    assert_error_shape(reply.json())
    assert "bearer" in reply.headers["www-authenticate"].lower()
    bad = await client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


async def test_release_answers_401_without_credentials(client):
    reply = await client.post("/api/inspect/questionnaires/every-type/batches")
    assert reply.status_code == 401
    assert_error_shape(reply.json())


@pytest.mark.parametrize("path", PAGES)
async def test_pages_redirect_to_login_without_a_session(client, path):
    reply = await client.get(path, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("/inspect/login")


async def test_release_form_without_a_session_redirects(client):
    reply = await client.post(
        "/inspect/questionnaires/every-type/release", data={"csrf": "x"}, follow_redirects=False
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/inspect/login"


async def test_respondent_routes_stay_cookie_free(client):
    await sign_in(client)
    for reply in [
        await client.get("/api/questionnaires"),
        await client.get("/api/questionnaires/every-type"),
        await client.post(
            "/api/responses",
            json={
                "id": "6b3f5c8e-8a1f-4c57-9d55-1b8f1f2f2a10",
                "questionnaire": "every-type",
                "version": 1,
                "answers": {"fits": "yes"},
            },
        ),
    ]:
        assert "set-cookie" not in reply.headers


async def test_login_sets_strict_httponly_cookies_scoped_to_inspector_paths(client):
    reply = await sign_in(client)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/inspect/"
    cookies = [c for c in reply.headers.get_list("set-cookie") if c.startswith("inspect_session=")]
    assert {c.split("Path=")[1].split(";")[0] for c in cookies} == {"/inspect", "/api/inspect"}
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "samesite=strict" in cookie.lower()
        assert "Secure" not in cookie
    page = await client.get("/inspect/")
    assert page.status_code == 200
    assert "Have your say" in page.text


async def test_session_cookie_is_secure_over_https(tmp_path):
    settings = make_settings(tmp_path, public_base_url="https://survey.example.org")
    async with AsyncTestClient(
        make_app(settings), base_url="https://testserver.local"
    ) as test_client:
        await add_account(test_client)
        reply = await sign_in(test_client)
        cookies = [c for c in reply.headers.get_list("set-cookie") if "inspect_session=" in c]
        assert cookies
        assert all("Secure" in c for c in cookies)


async def test_wrong_password_and_unknown_name_read_the_same(client):
    wrong = await sign_in(client, "amira", "not the password")
    unknown = await sign_in(client, "nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "That name and password did not work"
    assert message in wrong.text
    assert message in unknown.text
    assert "set-cookie" not in wrong.headers or "inspect_session" not in wrong.headers["set-cookie"]


async def test_login_without_its_csrf_value_is_refused(client):
    await client.get("/inspect/login")
    reply = await client.post(
        "/inspect/login", data={"username": "amira", "password": "correct horse battery"}
    )
    assert reply.status_code == 403
    assert "inspect_session" not in reply.headers.get("set-cookie", "")


async def test_repeated_failures_lock_the_name_even_for_the_right_password(client):
    for _ in range(5):
        assert (await sign_in(client, "amira", "wrong guess")).status_code == 401
    locked = await sign_in(client)
    assert locked.status_code == 401
    assert "paused" in locked.text
    # An unknown name locks the same way: nothing tells the two apart.
    for _ in range(6):
        reply = await sign_in(client, "ghost", "wrong guess")
    assert "paused" in reply.text


async def test_failures_slow_down_login(tmp_path, monkeypatch):
    import survey_service.inspector.auth as auth_module

    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(auth_module, "_pause", fake_sleep)
    settings = make_settings(tmp_path, login_slowdown_seconds=1.0)
    async with AsyncTestClient(make_app(settings)) as test_client:
        await add_account(test_client)
        for _ in range(3):
            await sign_in(test_client, "amira", "wrong")
    assert waits == [0.0, 1.0, 2.0]


async def test_session_api_calls_that_change_state_need_the_csrf_header(client):
    await sign_in(client)
    page = await client.get("/inspect/")
    refused = await client.post("/api/inspect/questionnaires/every-type/batches")
    assert refused.status_code == 401
    allowed = await client.post(
        "/api/inspect/questionnaires/every-type/batches",
        headers={"X-CSRF-Token": page_csrf(page.text)},
    )
    assert allowed.status_code == 409  # authorised; nothing to release yet


async def test_release_needs_min_batch_and_batches_never_overlap(client):
    headers = await token_for(client)
    await seed(client, [{"fits": "yes"}] * 9)
    few = await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
    assert few.status_code == 409
    assert_error_shape(few.json())
    message = few.json()["errors"][0]["message"]
    assert "Not enough answers are ready" in message
    assert "at least 10" in message
    assert "9" not in message  # no exact count of waiting answers, anywhere (rule 6)
    await seed(client, [{"fits": "no"}] * 3)
    made = await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
    assert made.status_code == 201
    body = made.json()
    assert body == {
        "number": 1,
        "questionnaire": "every-type",
        "count": 12,
        "released": body["released"],
    }
    again = await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
    assert again.status_code == 409
    assert "Not enough" in again.json()["errors"][0]["message"]
    await seed(client, [{"understand": "yes"}] * 10, questionnaire="staff")
    other = await client.post("/api/inspect/questionnaires/staff/batches", headers=headers)
    assert other.json()["number"] == 2  # unique across the service
    listed = await client.get("/api/inspect/questionnaires/every-type/batches", headers=headers)
    assert listed.json()["batches"] == [body]
    assert listed.json()["waiting"] == {
        "release_possible": False,
        "waiting": "none",
        "ready": "none",
        "schedule": "manual",
    }
    overview = await client.get("/api/inspect/questionnaires", headers=headers)
    by_id = {q["id"]: q for q in overview.json()}
    assert by_id["every-type"]["released"] == 12
    assert by_id["every-type"]["versions"] == [1, 2]


async def test_unknown_questionnaire_is_404_everywhere(client):
    headers = await token_for(client)
    for path in [
        "/api/inspect/questionnaires/nope/batches",
        "/api/inspect/questionnaires/nope/summary",
        "/api/inspect/questionnaires/nope/qr.svg",
        "/api/inspect/questionnaires/nope/batches/all.csv",
    ]:
        reply = await client.get(path, headers=headers)
        assert reply.status_code == 404, path
        assert_error_shape(reply.json())
    post = await client.post("/api/inspect/questionnaires/nope/batches", headers=headers)
    assert post.status_code == 404


async def test_export_routes_and_their_errors(client):
    headers = await token_for(client)
    nothing = await client.get(
        "/api/inspect/questionnaires/every-type/batches/all.csv", headers=headers
    )
    assert nothing.status_code == 409
    await seed(client, [{"fits": "yes", "age_band": "14_15"}] * 10)
    await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
    for fmt, media in [("csv", "text/csv"), ("xlsx", "spreadsheetml"), ("json", "json")]:
        for path in [
            f"/api/inspect/batches/1.{fmt}",
            f"/api/inspect/questionnaires/every-type/batches/all.{fmt}",
        ]:
            reply = await client.get(path, headers=headers)
            assert reply.status_code == 200, path
            assert media in reply.headers["content-type"]
            assert "attachment" in reply.headers["content-disposition"]
            assert reply.headers["cache-control"] == "no-store"
    assert (await client.get("/api/inspect/batches/7.csv", headers=headers)).status_code == 404
    assert (await client.get("/api/inspect/batches/1.pdf", headers=headers)).status_code == 404
    assert (await client.get("/api/inspect/batches/all.csv", headers=headers)).status_code == 404
    bad = await client.get("/api/inspect/batches/1.csv?codes=maybe", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "codes"
    wrong_q = await client.get("/api/inspect/questionnaires/staff/batches/1.csv", headers=headers)
    assert wrong_q.status_code == 404


async def test_summary_route_and_its_422s(client):
    headers = await token_for(client)
    ok = await client.get(
        "/api/inspect/questionnaires/every-type/summary?by=age_band", headers=headers
    )
    assert ok.status_code == 200
    assert ok.json()["by"] == "age_band"
    for query, field in [("policy=none", "policy"), ("by=fits", "by")]:
        reply = await client.get(
            f"/api/inspect/questionnaires/every-type/summary?{query}", headers=headers
        )
        assert reply.status_code == 422
        assert reply.json()["errors"][0]["field"] == field


async def test_qr_and_audit_routes(client):
    headers = await token_for(client)
    # SURVEY_PUBLIC_BASE_URL is the loopback default here: no QR code (tests/test_qr.py).
    for kind in ("svg", "png"):
        qr = await client.get(f"/api/inspect/questionnaires/every-type/qr.{kind}", headers=headers)
        assert qr.status_code == 409
        assert qr.json()["errors"][0]["field"] == "public_base_url"
    log = await client.get("/api/inspect/audit", headers=headers)
    assert log.status_code == 200
    assert log.json()["entries"][0]["action"] == "token issued"
    assert (await client.get("/api/inspect/audit?limit=0", headers=headers)).status_code == 422
    me = await client.get("/api/inspect/me", headers=headers)
    assert me.json() == {"name": "amira"}


async def test_disabling_an_account_ends_its_tokens_and_sessions(client):
    from survey_service.inspector import auth

    headers = await token_for(client)
    await sign_in(client)
    await on_store(client, lambda s: auth.set_disabled(s, "amira", True, "test"))
    assert (await client.get("/api/inspect/me", headers=headers)).status_code == 401
    assert (await client.get("/inspect/", follow_redirects=False)).status_code == 303
    assert (await sign_in(client)).status_code == 401


async def test_portal_pages_render_for_a_signed_in_inspector(client):
    await sign_in(client)
    for path in PAGES:
        reply = await client.get(path)
        expected = 409 if path.endswith("all.csv") else 200  # nothing released yet
        assert reply.status_code == expected, path
    missing = await client.get("/inspect/questionnaires/nope")
    assert missing.status_code == 404


async def test_accounts_help_states_the_configured_lockout(tmp_path):
    settings = make_settings(tmp_path, login_max_failures=3, login_lockout_minutes=30)
    async with AsyncTestClient(make_app(settings)) as local:
        await add_account(local)
        await sign_in(local)
        page = (await local.get("/inspect/accounts")).text
    assert "After 3 wrong passwords" in page
    assert "30 minutes" in page


async def test_portal_release_form(client):
    await sign_in(client)
    page = await client.get("/inspect/questionnaires/every-type")
    csrf = page_csrf(page.text)
    refused = await client.post("/inspect/questionnaires/every-type/release", data={"csrf": csrf})
    assert refused.status_code == 409
    assert "a batch needs at least 10" in refused.text
    await seed(client, [{"fits": "yes"}] * 10)
    forged = await client.post(
        "/inspect/questionnaires/every-type/release", data={"csrf": "forged"}
    )
    assert forged.status_code == 403
    done = await client.post(
        "/inspect/questionnaires/every-type/release", data={"csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    shown = await client.get(done.headers["location"])
    assert "Batch 1 released with 10 responses" in shown.text


async def test_logout_ends_the_session(client):
    await sign_in(client)
    page = await client.get("/inspect/")
    out = await client.post(
        "/inspect/logout", data={"csrf": page_csrf(page.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert (await client.get("/inspect/", follow_redirects=False)).status_code == 303


async def test_login_never_redirects_off_the_portal(client):
    page = await client.get("/inspect/login?next=//evil.example/")
    reply = await client.post(
        "/inspect/login?next=//evil.example/",
        data={
            "username": "amira",
            "password": "correct horse battery",
            "csrf": page_csrf(page.text),
        },
        follow_redirects=False,
    )
    assert reply.headers["location"] == "/inspect/"


async def test_portal_pages_carry_the_csp_and_no_inline_script(client):
    await sign_in(client)
    reply = await client.get("/inspect/questionnaires/every-type/summary")
    assert "default-src 'self'" in reply.headers["content-security-policy"]
    assert "<script" not in reply.text
    assert "style=" not in reply.text


async def test_the_help_pages_are_the_guides_in_docs(client):
    await sign_in(client)
    page = await client.get("/inspect/help/numbers")
    assert page.status_code == 200
    assert "<h1>What the numbers mean</h1>" in page.text
    assert "<table>" in page.text
    assert "Hidden to protect people" in page.text
    assert (
        'href="/inspect/help/numbers"' in (await client.get("/inspect/help/confidentiality")).text
    )
    assert (await client.get("/inspect/help/nothing")).status_code == 404
    summary = await client.get("/inspect/questionnaires/every-type/summary")
    assert 'href="/inspect/help/numbers"' in summary.text
