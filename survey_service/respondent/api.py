"""Respondent routes: questionnaires out, responses in. Thin: decode, call intake, encode."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.middleware.compression import CompressionMiddleware
from litestar.params import FromPath
from litestar.types import Receive, Scope, Send

from survey_service import responses
from survey_service.http import limits, ratelimit
from survey_service.http.errors import ErrorBody, one_error
from survey_service.registry import Registry
from survey_service.respondent import api_docs
from survey_service.respondent.intake import Intake
from survey_service.respondent.wire import BatchBody, BatchResults, Stored
from survey_service.responses import FieldError
from survey_service.settings import Settings

JSON = "application/json"
# Definitions travel gzipped (a phone on 3G pays for every byte); Litestar's middleware on
# these GET routes only, since the busy POST routes answer a few bytes.
GZIP = [DefineMiddleware(CompressionMiddleware, config=CompressionConfig(backend="gzip"))]
_STATUS = {"accepted": 201, "duplicate": 200, "conflict": 409, "rejected": 422}


class _Answer:
    """A JSON answer, encoded once and sent as it stands: a plain ASGI app, which Litestar
    passes through untouched (the respondent handlers say so by returning this type). These
    are the busiest routes, and building a Litestar Response, then converting it to an
    ASGIResponse, was a large share of their CPU (see bench/). The security headers
    are added by the app's before_send hook, as on every response."""

    __slots__ = ("body", "start")

    def __init__(self, content: object, status: int):
        encoded = msgspec.json.encode(content)
        self.body = {"type": "http.response.body", "body": encoded}
        self.start = {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(encoded)),
            ],
        }

    async def __call__(self, _scope: Scope, _receive: Receive, send: Send) -> None:
        await send(self.start)  # type: ignore[arg-type]
        await send(self.body)  # type: ignore[arg-type]


def _problem(status: int, field: str, message: str) -> _Answer:
    """The shared error shape, as an _Answer."""
    return _Answer(ErrorBody([FieldError(field, message)]), status)


def _json(body: object, status: int = 200) -> Response[bytes]:
    return Response(msgspec.json.encode(body), status_code=status, media_type=JSON)


@get("/api/questionnaires", sync_to_thread=False, middleware=GZIP)
def list_questionnaires(state: State) -> Response[bytes]:
    registry: Registry = state.registry
    return _json(registry.listing())


@get("/api/questionnaires/{questionnaire:str}", sync_to_thread=False, middleware=GZIP)
def latest_definition(state: State, questionnaire: FromPath[str]) -> Response[bytes]:
    registry: Registry = state.registry
    latest = registry.latest(questionnaire)
    if latest is None:
        return one_error(404, "questionnaire", "no questionnaire with this id takes answers")
    return _definition(registry, latest.id, latest.version)


# A version as a str, read here: Litestar's int type takes whatever int() does (" 1", "+1",
# "01", "١"), and each would be another URL, cached apart, for the same definition.
_VERSION = re.compile(r"[1-9][0-9]{0,9}")


@get(
    "/api/questionnaires/{questionnaire:str}/versions/{version:str}",
    sync_to_thread=False,
    middleware=GZIP,
)
def version_definition(
    state: State, questionnaire: FromPath[str], version: FromPath[str]
) -> Response[bytes]:
    number = int(version) if _VERSION.fullmatch(version) else 0  # no version 0: not found
    return _definition(state.registry, questionnaire, number)


def _definition(registry: Registry, questionnaire: str, version: int) -> Response[bytes]:
    body = registry.definition_json(questionnaire, version)
    if body is None:
        return one_error(404, "version", "no such questionnaire version")
    return Response(body, media_type=JSON)


async def _read(request: Request[Any, Any, Any], limit: int) -> tuple[bytes, _Answer | None]:
    media_type, declared = limits.body_headers(request.scope)
    if media_type != b"application/json":
        return b"", _problem(415, "body", "send JSON with Content-Type: application/json")
    timeout = request.app.state.settings.request_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            return await limits.read_body(request.receive, limit, declared), None
    except limits.ClientGone:
        return b"", _problem(400, "body", "the connection closed before the body arrived")
    except limits.BodyTooLarge:
        return b"", _problem(413, "body", f"is larger than {limit} bytes")
    except TimeoutError:
        return b"", _problem(408, "body", "took too long to arrive; send it again")


def _items(body: bytes, settings: Settings, batch: bool) -> tuple[Sequence[Any], _Answer | None]:
    """The submitted items: a well-formed body in one typed pass (only where the depth limit
    allows what such a body nests, so a stricter SURVEY_MAX_JSON_DEPTH refuses exactly what it
    did), anything else the careful way, which names each problem."""
    if settings.max_json_depth >= responses.WELL_FORMED_DEPTH[batch]:
        well_formed = responses.decode_well_formed(body, batch)
        if well_formed is not None:
            return well_formed, None
    data, problem = _decode(body, settings)
    if problem or not batch:
        return [data], problem
    try:
        return msgspec.convert(data, BatchBody).responses, None
    except msgspec.ValidationError:
        return [], _problem(422, "responses", "send an object with a list of responses")


def _decode(body: bytes, settings: Settings) -> tuple[Any, _Answer | None]:
    """The careful path: depth, then generic JSON, so each problem gets its own answer."""
    if limits.too_deep(body, settings.max_json_depth):
        return None, _problem(400, "body", f"nests deeper than {settings.max_json_depth} levels")
    try:
        return msgspec.json.decode(body), None
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return None, _problem(400, "body", "is not valid JSON")


async def _submitted(
    request: Request[Any, Any, State], batch: bool
) -> tuple[Sequence[Any], _Answer | None]:
    """What both POSTs do first: spend the client's token, read the body within its limit,
    and decode the submitted items."""
    ratelimit.spend(request, "respondent")
    settings = request.app.state.settings
    limit = settings.max_batch_body_bytes if batch else settings.max_body_bytes
    body, problem = await _read(request, limit)
    if problem:
        return [], problem
    return _items(body, settings, batch)


@post(
    "/api/responses",
    status_code=201,
    request_max_body_size=None,
    opt={limits.READS_OWN_BODY: True},
)
async def submit_response(request: Request[Any, Any, State]) -> _Answer:
    items, problem = await _submitted(request, batch=False)
    if problem:
        return problem
    intake: Intake = request.app.state.intake
    (result,) = await intake.submit(items)
    if result.status in ("accepted", "duplicate"):
        assert result.id is not None  # a stored response has an id
        return _Answer(Stored(result.id, result.status), _STATUS[result.status])
    return _Answer(ErrorBody(result.errors), _STATUS[result.status])


@post(
    "/api/responses/batch",
    status_code=200,
    request_max_body_size=None,
    opt={limits.READS_OWN_BODY: True},
)
async def submit_batch(request: Request[Any, Any, State]) -> _Answer:
    items, problem = await _submitted(request, batch=True)
    if problem:
        return problem
    limit = request.app.state.settings.max_batch_items
    if not 1 <= len(items) <= limit:
        return _problem(422, "responses", f"must hold from 1 to {limit} responses")
    # Tokens in proportion to the items (one was spent on arrival): a batch of 500 answers
    # costs what 500 single POSTs would, screening included.
    ratelimit.spend(request, "respondent", cost=len(items) - 1)
    intake: Intake = request.app.state.intake
    return _Answer(BatchResults(await intake.submit(items)), 200)


ROUTES = [list_questionnaires, latest_definition, version_definition, submit_response, submit_batch]


def routes(settings: Settings) -> list[HTTPRouteHandler]:
    """The respondent routes and their OpenAPI document, built once from the settings (its
    limits are theirs). It is not a route of its own document."""
    body = msgspec.json.encode(api_docs.document(settings))

    @get("/schema/openapi.json", sync_to_thread=False, middleware=GZIP)
    def openapi_document() -> Response[bytes]:
        return Response(body, media_type=JSON)

    return [*ROUTES, openapi_document]
