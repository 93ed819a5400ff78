"""Request limits checked before any decoding: body size, time to send it, JSON nesting depth."""

from __future__ import annotations

import asyncio
import itertools
import re

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

# A JSON string, escapes included: brackets inside strings do not nest anything.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class BodyTooLarge(Exception):
    pass


def too_deep(body: bytes, max_depth: int) -> bool:
    """True if arrays and objects nest deeper than max_depth. A real response nests 3 deep and a
    batch 5; fewer brackets than the limit cannot nest past it, so the common case costs two
    counts and no scan."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(_STEP[b] for b in brackets), default=0) > max_depth


class ClientGone(Exception):
    pass


def body_headers(scope: Scope) -> tuple[bytes, bytes]:
    """The media type (lower case, parameters dropped) and Content-Length, read from the raw
    headers: parsing them all into Litestar's Headers cost more than the rest of a request's
    checks together."""
    media_type = length = None
    for name, value in scope["headers"]:
        if name == b"content-type" and media_type is None:
            media_type = value.split(b";", 1)[0].strip().lower()
        elif name == b"content-length" and length is None:
            length = value
    return media_type or b"", length or b""


async def read_body(receive: Receive, limit: int, declared: bytes = b"") -> bytes:
    """The whole body, refusing it as soon as it passes `limit` bytes. The caller bounds the
    time it may take (a slow sender holds a connection and memory; see
    Settings.request_timeout_seconds). `declared` is the Content-Length header, if any: too
    large a promise is refused unread."""
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = event.get("body", b"")  # type: ignore[assignment]
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not event.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


# The largest body any route other than the two respondent POSTs takes: the portal's forms
# (sign-in, release, sign-out) hold a few short fields. Litestar's default was 10 MB, and a
# few dozen held sign-in bodies grew a worker's memory several times over.
FORM_BODY_BYTES = 8 * 1024
# The review form (rule 5) sends a field per word ticked for redaction: a 5,000-character
# answer holds up to about 2,500 words, "redact=2499&" each, so it gets a larger cap of its own.
REVIEW_BODY_BYTES = 64 * 1024
# An inspector's draft uploaded to the portal's preview (an XLSForm workbook of a few hundred
# rows is 10 to 50 KB; the reader stops at 2,000 rows anyway).
DRAFT_UPLOAD_BYTES = 1024 * 1024
# Routes that read their body themselves, within their own limits (the respondent POSTs:
# read_body above), say so in their `opt`; BodyDeadline leaves them alone.
READS_OWN_BODY = "reads_own_body"


class BodyDeadline(ASGIMiddleware):
    """Every other route gets the respondent routes' time limit on its body: a request's body
    must have arrived `timeout` seconds after the request did, or it is refused with 408.
    Together with FORM_BODY_BYTES, a slow sender holds little memory, and not for long."""

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = READS_OWN_BODY

    def __init__(self, timeout: float):
        self.timeout = timeout

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        deadline = asyncio.get_running_loop().time() + self.timeout
        body_done = False

        async def within_deadline() -> ReceiveMessage:
            nonlocal body_done
            if body_done:
                # After the body, receive() only waits for the client to leave (a streaming
                # download listens for that for as long as it streams): no deadline.
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise HTTPException(
                    status_code=408, detail="the body took too long to arrive; send it again"
                ) from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await next_app(scope, within_deadline, send)
