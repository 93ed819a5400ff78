"""Per-client rate limits that never keep an address: token buckets keyed by a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Scope

# Above this many tracked clients, buckets that have refilled are dropped; if that is not
# enough (a flood of fresh addresses), the oldest go. Memory stays bounded whatever arrives.
MAX_TRACKED = 100_000


class TooManyRequests(HTTPException):
    status_code = 429


class RateLimiter:
    """Token bucket per client: `burst` requests at once, then `rate` per second.

    A client is known only by HMAC-SHA256(key, address) with a random key made when the
    limiter is built and held in memory only: nothing can turn a bucket back into an address,
    and a restart forgets every bucket. Nothing here is stored or logged.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = MAX_TRACKED,
    ):
        self.rate, self.burst, self.clock, self.max_tracked = rate, burst, clock, max_tracked
        self._key = secrets.token_bytes(32)
        # digest -> (tokens left, when last refilled); dicts keep insertion order for eviction.
        self._buckets: dict[bytes, tuple[float, float]] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def client_key(self, address: str) -> bytes:
        return hmac.new(self._key, address.encode(), hashlib.sha256).digest()[:16]

    def take(self, address: str, cost: float = 1.0) -> float:
        """Spend `cost` tokens for this client: 0.0 if allowed, else seconds until they are
        back. A cost above the burst is charged as the whole burst, so it is never refused
        for ever, only made to wait for a full bucket."""
        if not self.enabled:
            return 0.0
        cost = min(cost, float(self.burst))
        now = self.clock()
        key = self.client_key(address)
        tokens, then = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        if tokens >= cost:
            self._buckets[key] = (tokens - cost, now)
            self._prune(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (cost - tokens) / self.rate

    def tracked(self) -> int:
        return len(self._buckets)

    def _prune(self, now: float) -> None:
        if len(self._buckets) <= self.max_tracked:
            return
        full_after = self.burst / self.rate
        for key, (_, then) in list(self._buckets.items()):
            if now - then >= full_after:
                del self._buckets[key]
        while len(self._buckets) > self.max_tracked:
            del self._buckets[next(iter(self._buckets))]


def client_address(scope: Scope, trusted_proxy_hops: int = 0) -> str:
    """The address to limit on. X-Forwarded-For is believed only as far as the configured number
    of trusted proxies appended to it; a client can prepend anything it likes. IPv6 clients
    are grouped by /64, since one host usually holds a whole /64."""
    client = scope.get("client")
    address = client[0] if client else ""
    if trusted_proxy_hops > 0:
        forwarded = [
            part.strip()
            for name, value in scope.get("headers", [])
            if name == b"x-forwarded-for"
            for part in value.decode("latin-1").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            address = forwarded[-min(trusted_proxy_hops, len(forwarded))]
    return _group(address)


def _group(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


def spend(connection: ASGIConnection[Any, Any, Any, Any], name: str, cost: float = 1.0) -> None:
    """Spend `cost` tokens (one per request, more for a batch's further items) from the
    limiter `app.state.limiters[name]` for this client, or raise TooManyRequests (429 with
    Retry-After) when too few are left."""
    limiter: RateLimiter = connection.app.state.limiters[name]
    if not limiter.enabled:
        return  # and the address is never even parsed
    hops: int = connection.app.state.settings.trusted_proxy_hops
    wait = limiter.take(client_address(connection.scope, hops), cost)
    if wait > 0:
        raise TooManyRequests(
            detail="too many requests from this network; nothing was saved, try again soon",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


def rate_limited(
    name: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """A Litestar guard that spends a token; add it to a route with
    `guards=[rate_limited("login")]`. The respondent routes call spend() themselves: Litestar
    copies the route handler for every guard call, a cost on the busiest route."""

    # Async although it never awaits: Litestar runs a plain function guard in a worker thread.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        spend(connection, name)

    return guard


def limiters_for(settings: Any) -> dict[str, RateLimiter]:
    return {
        "respondent": RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        "login": RateLimiter(settings.login_rate_limit_per_second, settings.login_rate_limit_burst),
    }
