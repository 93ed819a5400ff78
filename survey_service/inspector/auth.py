"""Inspector credentials: Argon2 passwords, sessions and tokens (only their hashes are stored),
login throttling and lockout, CSRF values, and the guards that protect inspector routes."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from survey_service.inspector.audit import entry as audit
from survey_service.inspector.audit import now_utc, stamp
from survey_service.settings import Settings
from survey_service.store import Store
from survey_service.store.inspector import TOKEN_ID_LENGTH, Inspector

SESSION_COOKIE = "inspect_session"
LOGIN_COOKIE = "inspect_login"
# Two cookies with the same secret, one per path, so a session is never sent to respondent routes.
COOKIE_PATHS = ("/inspect", "/api/inspect")
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FAILED = "That name and password did not work. Check them and try again."
MAX_SLOWDOWN_SECONDS = 10.0
NAME_MAX = 64

_hasher = PasswordHasher()
# Checked when a name is unknown or disabled, so the answer takes as long as a real check.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_for(secret: str) -> str:
    """The CSRF value of a session: derived from its secret, so nothing more is stored."""
    return hmac.new(secret.encode(), b"csrf", hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def valid_name(name: str) -> bool:
    return 0 < len(name) <= NAME_MAX and name.isprintable() and name == name.strip()


class LoginResult(msgspec.Struct):
    inspector: str | None = None
    secret: str | None = None
    message: str = ""


async def login(
    store: Store, settings: Settings, name: str, password: str, now: dt.datetime | None = None
) -> LoginResult:
    """Check a name and password. Every refusal reads the same, whether or not the name exists.

    The attempt is counted as a failure before the password is checked, in one step in the
    store, so attempts at once (on any instance) cannot all get past the limit; a success
    clears the count. The limit is on failures within the last SURVEY_LOGIN_LOCKOUT_MINUTES:
    each one stops counting that long after it happened, so once a pause ends, one wrong
    try pauses the name only until the next failure leaves the window."""
    now = now or now_utc()
    name = name.strip()[:NAME_MAX]
    name_hash = secret_hash(name.casefold())
    window = dt.timedelta(minutes=settings.login_lockout_minutes)
    limit = settings.login_max_failures
    allowed, earlier = await store.count_login_attempt(
        name_hash, stamp(now), stamp(now - window), limit
    )
    account = await store.get_inspector(name) if name else None
    actor = account.name if account else "(unknown name)"
    span = _minutes(settings.login_lockout_minutes)
    if not allowed:
        until = _after(earlier[0], window)
        detail = f"paused after {limit} failed sign-ins in {span}, until {until}"
        await store.append_audit(audit(actor, "login refused", detail, now))
        return LoginResult(message=_paused_message(until, now))
    # Slow down each further guess at the same name.
    await _pause(min(settings.login_slowdown_seconds * len(earlier), MAX_SLOWDOWN_SECONDS))
    ok = await asyncio.to_thread(
        verify_password,
        account.password_hash if account and not account.disabled else _DUMMY_HASH,
        password,
    )
    if ok and account is not None and not account.disabled:
        await store.clear_login_failures(name_hash)
        secret = new_secret()
        expires = now + dt.timedelta(hours=settings.session_hours)
        await store.add_credential(
            secret_hash(secret), account.name, "session", stamp(expires), stamp(now)
        )
        await store.append_audit(audit(account.name, "login", "", now))
        return LoginResult(inspector=account.name, secret=secret)
    failures = len(earlier) + 1
    detail = f"{failures} of {limit} failed sign-ins for this name in {span}"
    if failures < limit:
        await store.append_audit(audit(actor, "login failed", detail, now))
        return LoginResult(message=FAILED)
    until = _after((earlier or [stamp(now)])[0], window)
    await store.append_audit(audit(actor, "login failed", f"{detail}; paused until {until}", now))
    return LoginResult(message=_paused_message(until, now))


async def _pause(seconds: float) -> None:
    await asyncio.sleep(seconds)


def _parse(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _after(value: str, window: dt.timedelta) -> str:
    """When a failure counted at `value` leaves the window."""
    return stamp(_parse(value) + window)


def _minutes(minutes: float) -> str:
    return f"{minutes:g} minute{'s' if minutes != 1 else ''}"


def _paused_message(until: str, now: dt.datetime) -> str:
    minutes = max(1, round((_parse(until) - now).total_seconds() / 60))
    return (
        f"Too many tries. Sign-in is paused for about {minutes} minute"
        f"{'s' if minutes != 1 else ''}; then try again, or ask your programme manager."
    )


async def issue_token(
    store: Store, name: str, actor: str, days: float = 90, now: dt.datetime | None = None
) -> str | None:
    """A new API token for an active account, valid for `days` (printed once, stored only as
    a hash)."""
    account = await store.get_inspector(name)
    if account is None or account.disabled:
        return None
    now = now or now_utc()
    secret = new_secret()
    expires = stamp(now + dt.timedelta(days=days))
    await store.add_credential(secret_hash(secret), name, "token", expires, stamp(now))
    token_id = secret_hash(secret)[:TOKEN_ID_LENGTH]
    await store.append_audit(
        audit(actor, "token issued", f"API token {token_id} for {name}, expires {expires}", now)
    )
    return secret


async def revoke_token(store: Store, name: str, token_id: str, actor: str) -> bool:
    return await store.revoke_token(
        name, token_id, audit(actor, "token revoked", f"API token {token_id} of {name}")
    )


async def set_password(store: Store, name: str, password: str, actor: str) -> bool:
    """A new password for an account: its sessions end, and its failed sign-ins are forgotten."""
    hashed = await asyncio.to_thread(hash_password, password)
    if not await store.set_password(name, hashed, audit(actor, "password changed", name)):
        return False
    await store.clear_login_failures(secret_hash(name.casefold()))
    return True


async def add_inspector(store: Store, name: str, password: str, actor: str) -> bool:
    account = Inspector(name, await asyncio.to_thread(hash_password, password), False, "")
    account = msgspec.structs.replace(account, created=stamp(now_utc()))
    return await store.add_inspector(account, audit(actor, "account added", name))


async def set_disabled(store: Store, name: str, disabled: bool, actor: str) -> bool:
    action = "account disabled" if disabled else "account enabled"
    return await store.set_inspector_disabled(name, disabled, audit(actor, action, name))


async def set_reviewer(store: Store, name: str, reviewer: bool, actor: str) -> bool:
    """Give or take the reviewer role: reading released free text and deciding on it."""
    action = "reviewer role given" if reviewer else "reviewer role taken"
    return await store.set_reviewer(name, reviewer, audit(actor, action, name))


# -- guards ------------------------------------------------------------------------------------


class LoginRequired(NotAuthorizedException):
    """A page needs a signed-in inspector: answered with a redirect to the login page."""


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _identify(connection: ASGIConnection[Any, Any, Any, Any], api: bool) -> bool:
    store: Store = connection.app.state.store
    token = _bearer(connection) if api else None
    secret = token or connection.cookies.get(SESSION_COOKIE)
    if not secret or len(secret) > 200:
        return False
    credential = await store.get_credential(secret_hash(secret), stamp(now_utc()))
    if credential is None or (token is None and credential.kind != "session"):
        return False
    connection.state.inspector = credential.inspector
    connection.state.session_secret = None if token else secret
    return True


async def api_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not await _identify(connection, api=True):
        raise NotAuthorizedException("sign in, or send an API token as 'Authorization: Bearer'")
    secret = connection.state.session_secret
    # A session cookie on a state-changing call needs the CSRF header too; tokens do not.
    method = connection.scope.get("method", "GET")
    if (
        secret
        and method not in SAFE_METHODS
        and not same(connection.headers.get(CSRF_HEADER), csrf_for(secret))
    ):
        raise NotAuthorizedException(f"send the session's CSRF value in {CSRF_HEADER}")


async def page_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not await _identify(connection, api=False):
        raise LoginRequired()
