"""Security headers on every response (rule 11 in docs/rules.md: no third-party resources)."""

from __future__ import annotations

from litestar.types import HTTPResponseStartEvent, Message, Scope

SECURITY_HEADERS = {
    # No third-party scripts, fonts or trackers; no framing.
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none';"
    " form-action 'self'",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
}


_RAW = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


async def add_security_headers(message: Message, _scope: Scope) -> None:
    """A `before_send` hook: unlike middleware, which Litestar runs only for a matched route,
    it also reaches the router's own 404 and 405 answers. Async on purpose: Litestar runs a
    plain function hook in a worker thread, a thread hop for every message sent."""
    if message["type"] == "http.response.start":
        _add_missing(message)


def _add_missing(message: HTTPResponseStartEvent) -> None:
    headers = list(message.get("headers", ()))
    present = {name.lower() for name, _ in headers}
    # A route may set a stricter policy of its own: keep it.
    headers.extend(pair for pair in _RAW if pair[0] not in present)
    message["headers"] = headers
