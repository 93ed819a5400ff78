"""The decode-only baseline: a minimal Litestar app with the same wire struct, storing nothing.

The durable ingest figure is compared with this in the same run: it is what Litestar and
granian cost on this machine before any checking or storage."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Request, Response, post

from survey_service.responses import Submission

_decoder = msgspec.json.Decoder(Submission)


@post("/api/responses", status_code=201)
async def submit(request: Request[Any, Any, Any]) -> Response[bytes]:
    submission = _decoder.decode(await request.body())
    body = msgspec.json.encode({"id": submission.id, "status": "accepted"})
    return Response(body, status_code=201, media_type="application/json")


app = Litestar(route_handlers=[submit], debug=False, logging_config=None)
