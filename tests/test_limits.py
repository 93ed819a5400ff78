"""Request limits and rate limiting: depth, slow bodies, token buckets keyed without addresses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.http.limits import too_deep
from survey_service.http.ratelimit import RateLimiter, TrustedProxies, client_address
from survey_service.settings import Settings, SettingsError, from_env
from tests.conftest import response_body


def error_shape(response: Any) -> list[str]:
    body = response.json()
    assert set(body) == {"errors"}, body
    assert all(set(e) == {"field", "message"} for e in body["errors"])
    return [e["field"] for e in body["errors"]]


@pytest.mark.parametrize(
    ("body", "depth", "expected"),
    [
        (b'{"a": [1, 2]}', 2, False),
        (b'{"a": [[1]]}', 2, True),
        (b'{"a": "[[[[[[[[[["}', 2, False),  # brackets in strings nest nothing
        (b'{"a": "\\"[[[[[["}', 2, False),  # nor after an escaped quote
        (b"[" * 100_000, 8, True),
        (b"]]]]]][[", 8, False),
        (msgspec.json.encode({"responses": [response_body() for _ in range(500)]}), 8, False),
    ],
)
def test_too_deep_counts_only_real_nesting(body, depth, expected):
    assert too_deep(body, depth) is expected


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
async def test_deep_nesting_is_a_400_not_a_crash(client, opener):
    for depth in (9, 1000, 10_000):
        response = await client.post(
            "/api/responses", content=opener * depth, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert error_shape(response) == ["body"]


def test_token_bucket_allows_the_burst_then_the_rate():
    now = [0.0]
    limiter = RateLimiter(2.0, 3, clock=lambda: now[0])
    assert [limiter.take("10.0.0.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("10.0.0.1") == pytest.approx(0.5)
    assert limiter.take("10.0.0.2") == 0.0  # another client has its own bucket
    now[0] += 0.5
    assert limiter.take("10.0.0.1") == 0.0
    assert limiter.take("10.0.0.1") > 0


def test_buckets_hold_no_address_and_stay_bounded():
    now = [0.0]
    limiter = RateLimiter(1.0, 2, clock=lambda: now[0], max_tracked=100)
    for i in range(1000):
        limiter.take(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._buckets) <= 101
    keys = list(limiter._buckets)
    assert all(isinstance(k, bytes) and len(k) == 16 for k in keys)
    assert b"10.0" not in b"".join(keys)
    # A fresh limiter has a fresh key: the same address hashes differently after a restart.
    assert RateLimiter(1.0, 2).client_key("10.0.0.1") != limiter.client_key("10.0.0.1")


def test_a_flood_of_new_addresses_costs_no_scan_of_every_bucket():
    # Issue 17, item 4: past the cap, each new client scanned every bucket (O(n)), and spoofed
    # addresses took throughput from 2,490 to 52 requests/s. Eviction must be O(1) amortised.
    now = [0.0]
    limiter = RateLimiter(0.001, 5, clock=lambda: now[0], max_tracked=2000)
    scans = [0]

    class Counting(type(limiter._buckets)):  # type: ignore[misc]
        def items(self):
            scans[0] += 1
            return super().items()

        def values(self):
            scans[0] += 1
            return super().values()

        def keys(self):
            scans[0] += 1
            return super().keys()

        def copy(self):
            scans[0] += 1
            return super().copy()

    limiter._buckets = Counting(limiter._buckets)
    for i in range(6000):
        now[0] += 0.001
        limiter.take(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
    assert scans[0] == 0
    assert len(limiter._buckets) <= 2000


def test_the_cap_forgets_the_least_recently_seen_client_first():
    now = [0.0]
    limiter = RateLimiter(0.001, 2, clock=lambda: now[0], max_tracked=100)
    for _ in range(2):
        assert limiter.take("203.0.113.9") == 0.0
    assert limiter.take("203.0.113.9") > 0  # out of tokens
    for i in range(150):  # new clients arrive; the spent one keeps knocking
        limiter.take(f"10.0.0.{i}")
        assert limiter.take("203.0.113.9") > 0, i
    assert len(limiter._buckets) <= 100


def _scope(client: str, forwarded: str | None = None) -> Any:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"client": (client, 1234), "headers": headers}


PROXIES = "10.0.0.0/24, 192.168.7.1, fd00::/8"


@pytest.mark.parametrize(
    ("scope", "trusted", "expected"),
    [
        # No proxies configured: the header is ignored, whoever sends it.
        (_scope("10.0.0.9", "6.6.6.6"), "", "10.0.0.9"),
        # Issue 17, item 5: a client that connects directly cannot choose its address.
        (_scope("198.51.100.4", "6.6.6.6"), PROXIES, "198.51.100.4"),
        (_scope("198.51.100.4", "6.6.6.6, 10.0.0.2"), PROXIES, "198.51.100.4"),
        # From a trusted proxy: the nearest address that is not a trusted proxy itself.
        (_scope("10.0.0.9", "6.6.6.6, 203.0.113.7"), PROXIES, "203.0.113.7"),
        (_scope("10.0.0.9", "6.6.6.6, 203.0.113.7, 192.168.7.1"), PROXIES, "203.0.113.7"),
        (_scope("10.0.0.9", "203.0.113.7,10.0.0.3 , 10.0.0.4"), PROXIES, "203.0.113.7"),
        (_scope("fd00::1", "2001:db8:1:2::9"), PROXIES, "2001:db8:1:2::/64"),
        # Only trusted proxies in the chain: the first of them.
        (_scope("10.0.0.9", "10.0.0.5, 10.0.0.6"), PROXIES, "10.0.0.5"),
        (_scope("10.0.0.9"), PROXIES, "10.0.0.9"),
        # Not an address: the proxy's own, rather than a value the client made up.
        (_scope("10.0.0.9", "not-an-ip"), PROXIES, "10.0.0.9"),
        (_scope("2001:db8:1:2:3:4:5:6"), "", "2001:db8:1:2::/64"),
        (_scope("::ffff:10.1.2.3"), "", "10.1.2.3"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(scope, trusted, expected):
    assert client_address(scope, TrustedProxies.parse(trusted)) == expected


@pytest.mark.parametrize("value", ["10.0.0.0/33", "proxy.example", "10.0.0.1/24/2", "*"])
def test_a_bad_trusted_proxy_stops_start_up_naming_the_variable(value):
    with pytest.raises(SettingsError, match="SURVEY_TRUSTED_PROXIES"):
        from_env({"SURVEY_TRUSTED_PROXIES": value})


def test_the_retired_hop_count_is_refused_with_what_replaced_it():
    with pytest.raises(SettingsError, match=r"SURVEY_TRUSTED_PROXY_HOPS.*SURVEY_TRUSTED_PROXIES"):
        from_env({"SURVEY_TRUSTED_PROXY_HOPS": "1"})


async def test_a_client_connecting_directly_cannot_dodge_the_limit_with_a_header(settings):
    conf = msgspec.structs.replace(
        settings, rate_limit_per_second=0.01, rate_limit_burst=2, trusted_proxies="10.9.9.9"
    )
    async with AsyncTestClient(create_app(conf)) as client:
        statuses = [
            (
                await client.post(
                    "/api/responses",
                    json=response_body(),
                    headers={"x-forwarded-for": f"198.51.100.{i}"},
                )
            ).status_code
            for i in range(4)
        ]
    assert statuses == [201, 201, 429, 429]


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    conf = msgspec.structs.replace(settings, rate_limit_per_second=0.5, rate_limit_burst=3)
    async with AsyncTestClient(create_app(conf)) as test_client:
        yield test_client


async def test_over_the_limit_is_429_with_retry_after_and_nothing_saved(limited):
    for _ in range(3):
        assert (await limited.post("/api/responses", json=response_body())).status_code == 201
    refused = await limited.post("/api/responses", json=response_body())
    assert refused.status_code == 429
    assert error_shape(refused) == ["body"]
    assert int(refused.headers["retry-after"]) >= 1
    batch = await limited.post("/api/responses/batch", json={"responses": [response_body()]})
    assert batch.status_code == 429
    assert await limited.app.state.store.count_responses() == 3
    # Reading definitions is never limited: a cached app must always be able to refresh.
    assert (await limited.get("/api/questionnaires")).status_code == 200


async def asgi_post(
    app: Any, path: str, chunks: list[bytes], pause: float, complete: bool = True
) -> tuple[int, dict[str, str], bytes]:
    """Drive the ASGI app directly with a body that arrives in pieces, `pause` seconds apart
    (the test client reads a body whole, so it cannot be slow). With complete=False the
    client promises more after the last piece and then disconnects."""
    pieces = list(chunks)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not pieces:
            return {"type": "http.disconnect"}
        piece = pieces.pop(0)
        if len(chunks) - len(pieces) > 1:
            await asyncio.sleep(pause)
        return {"type": "http.request", "body": piece, "more_body": bool(pieces) or not complete}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], headers, body


async def test_a_slow_body_is_408_and_saves_nothing(settings):
    conf = msgspec.structs.replace(settings, request_timeout_seconds=0.2)
    app = create_app(conf)
    async with app.lifespan():  # on this loop: the test client would run it on another
        body = msgspec.json.encode(response_body())
        status, headers, text = await asgi_post(
            app, "/api/responses", [body[:10], body[10:]], pause=1.0
        )
        assert status == 408
        assert msgspec.json.decode(text)["errors"][0]["field"] == "body"
        assert "content-security-policy" in headers
        assert await app.state.store.count_responses() == 0
        # The same body sent briskly is fine.
        status, _, _ = await asgi_post(app, "/api/responses", [body[:10], body[10:]], 0.01)
        assert status == 201


async def test_a_body_in_pieces_is_counted_as_it_arrives(settings):
    # No Content-Length to refuse it by: the pieces add up past the limit, or the sender
    # goes away half way. Either way a clear 4xx, and nothing saved.
    conf = msgspec.structs.replace(settings, max_body_bytes=1000)
    app = create_app(conf)
    async with app.lifespan():
        body = msgspec.json.encode(response_body())
        status, _, text = await asgi_post(app, "/api/responses", [b" " * 600, b" " * 600], 0)
        assert (status, msgspec.json.decode(text)["errors"][0]["field"]) == (413, "body")
        status, _, text = await asgi_post(app, "/api/responses", [body[:10]], 0, complete=False)
        assert (status, msgspec.json.decode(text)["errors"][0]["field"]) == (400, "body")
        status, _, _ = await asgi_post(app, "/api/responses", [body[:10], body[10:]], 0)
        assert status == 201
        assert await app.state.store.count_responses() == 1


async def test_login_attempts_have_their_own_limit(settings):
    conf = msgspec.structs.replace(
        settings, login_rate_limit_per_second=0.01, login_rate_limit_burst=2
    )
    async with AsyncTestClient(create_app(conf)) as client:
        statuses = [
            (
                await client.post("/inspect/login", data={"username": "x", "password": "y"})
            ).status_code
            for _ in range(3)
        ]
        assert statuses[:2] != [429, 429]
        assert statuses[2] == 429
        # Respondents are not slowed by someone guessing passwords from the same address.
        assert (await client.post("/api/responses", json=response_body())).status_code == 201


async def test_a_stricter_depth_limit_still_refuses_a_well_formed_batch(settings):
    # A batch holding a multiple-choice answer nests 5 deep; the typed fast path must not
    # let it past a limit of 4.
    strict = msgspec.structs.replace(settings, max_json_depth=4)
    body = {"responses": [response_body(helped=["gp"])]}
    async with AsyncTestClient(create_app(strict)) as client:
        refused = await client.post("/api/responses/batch", json=body)
        single = await client.post("/api/responses", json=response_body(helped=["gp"]))
    assert refused.status_code == 400
    assert error_shape(refused) == ["body"]
    assert single.status_code == 201


# -- issue 17, item 3: every route that takes a body has a cap that fits it and a time limit ----

BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


async def drive(
    app: Any, method: str, path: str, body: bytes, pause: float, headers: list[tuple[bytes, bytes]]
) -> tuple[int, int, float]:
    """Send `body` in 1 KiB pieces, `pause` seconds apart; answer (status, bytes the app
    pulled, seconds taken)."""
    pieces = [body[i : i + 1024] for i in range(0, len(body), 1024)] or [b""]
    pulled = [0]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not pieces:
            await asyncio.sleep(3600)  # a client that never finishes
        piece = pieces.pop(0)
        if pulled[0]:
            await asyncio.sleep(pause)
        pulled[0] += len(piece)
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
        "headers": [(b"host", b"test"), *headers], "state": {},
    }  # fmt: skip
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(app(scope, receive, send), 30)
    took = asyncio.get_running_loop().time() - started
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], pulled[0], took


async def _credentials(app: Any) -> list[tuple[bytes, bytes]]:
    from survey_service.inspector import auth

    store = app.state.store
    assert await auth.add_inspector(store, "amira", "correct horse battery", "test")
    token = await auth.issue_token(store, "amira", "test")
    login = await auth.login(store, app.state.settings, "amira", "correct horse battery")
    return [
        (b"authorization", f"Bearer {token}".encode()),
        (b"cookie", f"inspect_session={login.secret}".encode()),
    ]


async def test_no_route_reads_more_than_its_cap_or_waits_past_the_timeout(settings):
    from litestar.routes import HTTPRoute

    from survey_service.http.limits import DRAFT_UPLOAD_BYTES, FORM_BODY_BYTES, REVIEW_BODY_BYTES
    from tests.test_headers import concrete

    conf = msgspec.structs.replace(settings, request_timeout_seconds=0.5)
    app = create_app(conf)
    caps = {
        "/api/responses": conf.max_body_bytes,
        "/api/responses/batch": conf.max_batch_body_bytes,
        # The review form: a field per word ticked for redaction (issue 15).
        "/inspect/questionnaires/{questionnaire:str}/review": REVIEW_BODY_BYTES,
        "/inspect/preview": DRAFT_UPLOAD_BYTES,  # an inspector's draft workbook
    }
    async with app.lifespan():
        headers = [(b"content-type", b"application/x-www-form-urlencoded")]
        headers += await _credentials(app)
        checked = 0
        for route in (r for r in app.routes if isinstance(r, HTTPRoute)):
            path = concrete(route)
            for method in sorted(route.methods & set(BODY_METHODS)):
                cap = caps.get(route.path, FORM_BODY_BYTES)
                where = f"{method} {path}"
                status, pulled, _ = await drive(app, method, path, b"x" * (cap + 4096), 0, headers)
                assert pulled <= cap + 1024, where
                assert status in (413, 415) or pulled < cap, (where, status)
                status, _, took = await drive(app, method, path, b"x" * 4096, 0.3, headers)
                assert took < 1.5, where
                assert status == 408 or status < 400 or status in (401, 403, 409, 415), where
                checked += 1
    assert checked >= 5


async def test_a_large_or_slow_login_body_is_refused(settings):
    conf = msgspec.structs.replace(settings, request_timeout_seconds=0.5)
    app = create_app(conf)
    async with app.lifespan():
        form = [(b"content-type", b"application/x-www-form-urlencoded")]
        big = b"username=amira&password=" + b"x" * (1024 * 1024)
        status, pulled, _ = await drive(app, "POST", "/inspect/login", big, 0, form)
        assert status == 413
        assert pulled < 64 * 1024
        slow = b"username=amira&password=" + b"x" * 3000
        status, _, took = await drive(app, "POST", "/inspect/login", slow, 0.4, form)
        assert status == 408
        assert took < 1.5


async def test_the_body_deadline_ends_with_the_body_so_long_downloads_are_not_cut():
    # Litestar's streaming responses wait on receive() for the client to go away while they
    # stream: that wait must not count as a slow body (a large export streams for minutes).
    from litestar.types import Scope

    from survey_service.http.limits import BodyDeadline

    events: list[str] = []

    async def app(_scope: Scope, receive: Any, _send: Any) -> None:
        first = await receive()
        events.append(first["type"])
        events.append((await receive())["type"])  # the disconnect, long after the deadline

    async def receive() -> dict[str, Any]:
        if not events:
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(0.4)
        return {"type": "http.disconnect"}

    middleware = BodyDeadline(0.1)
    scope = {"type": "http", "route_handler": type("H", (), {"opt": {}})()}

    async def send(_: Any) -> None:
        return None

    await middleware.handle(scope, receive, send, app)  # type: ignore[arg-type]
    assert events == ["http.request", "http.disconnect"]
