"""Request limits checked before any decoding: body size, time to send it, JSON nesting depth."""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import Any

from litestar import Request

# A JSON string, escapes included: brackets inside strings do not nest anything.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


def too_deep(body: bytes, max_depth: int) -> bool:
    """True if arrays and objects nest deeper than max_depth. A real response nests 3 deep and a
    batch 5; fewer brackets than the limit cannot nest past it, so the common case costs two
    counts and no scan."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(_STEP[b] for b in brackets), default=0) > max_depth


async def read_body(request: Request[Any, Any, Any], limit: int, timeout: float) -> bytes:
    """The whole body, refusing it as soon as it passes `limit` bytes or `timeout` seconds (a
    slow sender holds a connection and memory; see Settings.request_timeout_seconds)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTooSlow from None
    return b"".join(chunks)
