"""Inspector sign-in on both backends: attempts counted before the password is checked, a
pause that decays, and every attempt in the audit log (issue 17, items 1, 2 and 10)."""

from __future__ import annotations

import asyncio
import datetime as dt

import msgspec
import pytest

from survey_service.inspector import auth
from survey_service.settings import Settings
from survey_service.store import Store
from tests.test_store import backend_settings, new_store  # noqa: F401  (fixtures)

PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def conf(backend_settings: Settings) -> Settings:  # noqa: F811
    return msgspec.structs.replace(
        backend_settings, login_max_failures=5, login_lockout_minutes=15, login_slowdown_seconds=0
    )


@pytest.fixture
async def accounts(new_store) -> Store:  # noqa: F811
    s = new_store()
    await s.open()
    assert await auth.add_inspector(s, "amira", PASSWORD, "test")
    return s


async def actions(store: Store) -> list[str]:
    return [e.action for e in reversed(await store.audit_entries(1000))]


async def test_sign_ins_at_once_are_checked_no_more_than_the_limit(accounts: Store, conf):
    checked = []
    real = auth.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password)
        return real(password_hash, password)

    auth.verify_password = counting  # type: ignore[assignment]
    try:
        results = await asyncio.gather(
            *(auth.login(accounts, conf, "amira", f"guess {i}", T0) for i in range(20))
        )
    finally:
        auth.verify_password = real  # type: ignore[assignment]
    assert len(checked) == 5
    assert all(r.secret is None for r in results)
    log = await actions(accounts)
    assert log.count("login failed") == 5
    assert log.count("login refused") == 15
    # The right password, a moment later, is refused too: the name is paused.
    late = await auth.login(accounts, conf, "amira", PASSWORD, T0 + dt.timedelta(seconds=5))
    assert late.secret is None
    assert "paused" in late.message


async def test_the_pause_decays_so_one_wrong_try_does_not_restart_it(accounts: Store, conf):
    # Five wrong passwords, a minute apart: paused until the first leaves the 15-minute window.
    for minute in range(5):
        at = T0 + dt.timedelta(minutes=minute)
        assert (await auth.login(accounts, conf, "amira", "wrong", at)).secret is None
    paused = await auth.login(accounts, conf, "amira", PASSWORD, T0 + dt.timedelta(minutes=14))
    assert paused.secret is None
    assert "paused" in paused.message
    # At 15 minutes the first failure has left the window: one try is allowed. A wrong one
    # pauses the name again only until the next failure leaves the window (a minute).
    wrong = await auth.login(accounts, conf, "amira", "wrong", T0 + dt.timedelta(minutes=15))
    assert "about 1 minute" in wrong.message
    (last,) = await accounts.audit_entries(1)
    assert (last.action, last.detail) == (
        "login failed",
        "5 of 5 failed sign-ins for this name in 15 minutes; paused until 2026-11-25T10:16:00Z",
    )
    ok = await auth.login(accounts, conf, "amira", PASSWORD, T0 + dt.timedelta(minutes=16))
    assert ok.secret is not None


async def test_after_a_lockout_one_wrong_try_does_not_lock_for_the_full_period(
    accounts: Store, conf
):
    for _ in range(5):
        await auth.login(accounts, conf, "amira", "wrong", T0)
    after = T0 + dt.timedelta(minutes=15, seconds=1)
    one_more = await auth.login(accounts, conf, "amira", "wrong", after)
    assert "paused" not in one_more.message
    ok = await auth.login(accounts, conf, "amira", PASSWORD, after + dt.timedelta(seconds=1))
    assert ok.secret is not None


async def test_the_inspector_sees_each_attempt_on_their_name(accounts: Store, conf):
    for _ in range(6):
        await auth.login(accounts, conf, "amira", "wrong", T0)
    entries = [e for e in reversed(await accounts.audit_entries(100)) if e.actor == "amira"]
    failed = [e.detail for e in entries if e.action == "login failed"]
    assert failed[0] == "1 of 5 failed sign-ins for this name in 15 minutes"
    assert failed[-1].startswith("5 of 5 failed sign-ins for this name in 15 minutes; paused until")
    refused = [e.detail for e in entries if e.action == "login refused"]
    assert refused == ["paused after 5 failed sign-ins in 15 minutes, until 2026-11-25T10:15:00Z"]


async def test_tokens_expire_after_the_days_asked_for(accounts: Store):
    token = await auth.issue_token(accounts, "amira", "test", days=2, now=T0)
    assert token is not None
    hashed = auth.secret_hash(token)
    assert await accounts.get_credential(hashed, "2026-11-27T09:59:59Z") is not None
    assert await accounts.get_credential(hashed, "2026-11-27T10:00:00Z") is None
    (listed,) = await accounts.list_tokens("amira")
    assert listed.id == hashed[:12]
    assert listed.expires == "2026-11-27T10:00:00Z"


async def test_a_new_password_works_and_the_old_one_stops(accounts: Store, conf):
    session = await auth.login(accounts, conf, "amira", PASSWORD, T0)
    assert await auth.set_password(accounts, "amira", "a much better passphrase", "test")
    assert (
        await accounts.get_credential(auth.secret_hash(session.secret), "2026-11-25T10:00:01Z")
        is None
    )
    assert (await auth.login(accounts, conf, "amira", PASSWORD, T0)).secret is None
    assert (await auth.login(accounts, conf, "amira", "a much better passphrase", T0)).secret
    assert "password changed" in await actions(accounts)
