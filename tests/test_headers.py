"""Security headers on every response of every route, errors included. Routes are read from
the app itself, so a route another part of the service adds later is checked without edits."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.settings import Settings
from tests.conftest import response_body

EXPECTED = {
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SAMPLE = {int: "1", str: "every-type"}
JSON_TYPE = {"content-type": "application/json"}
TEXT_TYPE = {"content-type": "text/plain"}


def assert_secure(response: Any, where: str) -> None:
    csp = response.headers.get("content-security-policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == "default-src 'self'", where
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", where
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{where}: {name}"
    assert response.headers.get("permissions-policy"), where
    path = where.split(" ")[1] if " " in where else ""
    if not path.startswith("/inspect"):  # rule 2: no cookie for respondents (staff sign in)
        assert "set-cookie" not in response.headers, where


def concrete(route: HTTPRoute) -> str:
    """The route's path with each parameter filled with a plausible value."""

    def fill(match: re.Match[str]) -> str:
        definition = route.path_parameters[match[1]]
        return SAMPLE.get(definition.type, "x")

    return re.sub(r"{(\w+)(?::[^}]*)?}", fill, route.path)


@pytest.fixture
async def open_client(settings: Settings) -> Any:
    conf = msgspec.structs.replace(settings, rate_limit_burst=10_000)
    async with AsyncTestClient(create_app(conf)) as client:
        yield client


async def test_every_route_and_method_sends_the_headers(open_client):
    routes = [r for r in open_client.app.routes if isinstance(r, HTTPRoute)]
    assert len(routes) >= 5
    seen_statuses = set()
    for route in routes:
        path = concrete(route)
        for method in ALL_METHODS:
            json = {"responses": [response_body()]} if path.endswith("batch") else response_body()
            kwargs = {"json": json} if method in ("POST", "PUT", "PATCH") else {}
            response = await open_client.request(method, path, **kwargs)
            seen_statuses.add(response.status_code)
            assert_secure(response, f"{method} {path} -> {response.status_code}")
    assert {200, 201, 405} <= seen_statuses


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/nowhere", {}, 404),
        ("GET", "/api/questionnaires/none-such", {}, 404),
        ("DELETE", "/api/responses", {}, 405),
        ("POST", "/api/responses", {"content": b"x" * 70_000, "headers": JSON_TYPE}, 413),
        ("POST", "/api/responses", {"content": b"id=1", "headers": TEXT_TYPE}, 415),
        ("POST", "/api/responses", {"json": {"id": "nope"}}, 422),
        ("POST", "/api/responses", {"content": b"{", "headers": JSON_TYPE}, 400),
    ],
)
async def test_error_responses_send_the_headers_and_the_error_shape(
    open_client, method, path, kwargs, status
):
    response = await open_client.request(method, path, **kwargs)
    assert response.status_code == status
    assert_secure(response, f"{method} {path}")
    body = response.json()
    assert set(body) == {"errors"}
    assert all(set(e) == {"field", "message"} for e in body["errors"])


async def test_rate_limited_and_unavailable_answers_send_the_headers(settings):
    conf = msgspec.structs.replace(settings, rate_limit_burst=1, rate_limit_per_second=0.01)
    async with AsyncTestClient(create_app(conf)) as client:
        await client.post("/api/responses", json=response_body())
        limited = await client.post("/api/responses", json=response_body())
        assert limited.status_code == 429
        assert_secure(limited, "429")
