"""Per-client rate limits that never keep an address: token buckets keyed by a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Scope

if TYPE_CHECKING:
    from survey_service.settings import Settings

# The most clients tracked at once: past it, the least recently seen is forgotten (it gets a
# full bucket if it comes back). About 100 bytes each: 100,000 is some 10 MB, whatever arrives.
MAX_TRACKED = 100_000
# Buckets looked at per request for ones that have filled up again (and so can go): a
# constant, so a flood of new addresses costs O(1) per request, never a scan of them all.
_SWEEP = 2


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
        # digest -> (tokens left, when last refilled), least recently seen first: an
        # OrderedDict moves a key to the end and drops the first in O(1) (a dict's first key
        # gets slower to find as deletions pile up at its front).
        self._buckets: OrderedDict[bytes, tuple[float, float]] = OrderedDict()
        self._full_after = burst / rate if rate > 0 else 0.0

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
        buckets = self._buckets
        tokens, then = buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        spent = tokens >= cost
        buckets[key] = (tokens - cost if spent else tokens, now)
        buckets.move_to_end(key)
        self._prune(now)
        return 0.0 if spent else (cost - tokens) / self.rate

    def _prune(self, now: float) -> None:
        """Drop the least recently seen buckets that have filled up again (they hold nothing a
        new bucket would not), a few per call, then any beyond the cap."""
        buckets = self._buckets
        for _ in range(_SWEEP):
            if not buckets:
                return
            key = next(iter(buckets))  # O(1) on an OrderedDict: the head of its list
            if now - buckets[key][1] < self._full_after:
                break
            del buckets[key]
        while len(buckets) > self.max_tracked:
            buckets.popitem(last=False)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """The reverse proxies whose X-Forwarded-For is believed (SURVEY_TRUSTED_PROXIES)."""

    def __init__(self, networks: tuple[Network, ...] = ()):
        self.networks = networks

    @classmethod
    def parse(cls, value: str) -> TrustedProxies:
        """Comma-separated addresses and CIDR networks; ValueError names a bad one."""
        networks = []
        for part in (p.strip() for p in value.split(",")):
            if part:
                try:
                    networks.append(ipaddress.ip_network(part, strict=False))
                except ValueError:
                    raise ValueError(f"{part!r} is not an IP address or CIDR network") from None
        return cls(tuple(networks))

    def __contains__(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        ip = getattr(ip, "ipv4_mapped", None) or ip
        return any(ip in network for network in self.networks)


def client_address(scope: Scope, trusted: TrustedProxies | None = None) -> str:
    """The address to limit on, as uvicorn's ProxyHeadersMiddleware finds it: X-Forwarded-For
    counts only when the connecting peer is a trusted proxy, and then the client is the
    nearest address in it that is not one (each proxy appends what connected to it, and a
    client can write anything before that). A value that is not an address leaves the peer's
    own (uvicorn would take the text). IPv6 clients are grouped by /64, since one host
    usually holds a whole /64."""
    client = scope.get("client")
    address = client[0] if client else ""
    if trusted is not None and trusted.networks and address in trusted:
        forwarded = [
            part.strip()
            for name, value in scope.get("headers", [])
            if name == b"x-forwarded-for"
            for part in value.decode("latin-1").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        untrusted = [part for part in forwarded if part not in trusted]
        chosen = untrusted[-1] if untrusted else (forwarded[0] if forwarded else address)
        address = chosen if _is_ip(chosen) else address
    return _group(address)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


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
    address = client_address(connection.scope, connection.app.state.trusted_proxies)
    wait = limiter.take(address, cost)
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


def limiters_for(settings: Settings) -> dict[str, RateLimiter]:
    return {
        "respondent": RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        "login": RateLimiter(settings.login_rate_limit_per_second, settings.login_rate_limit_burst),
    }
