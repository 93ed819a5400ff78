"""Security headers on every response (rule 11 in docs/rules.md: no third-party resources)."""

from __future__ import annotations

from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

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


async def add_security_headers(message: Message, scope: Scope) -> None:
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


class SecurityHeadersMiddleware:
    """The same headers for an ASGI app mounted outside Litestar's send path."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_missing(message)
            await send(message)

        await self.app(scope, receive, send_with_headers)
