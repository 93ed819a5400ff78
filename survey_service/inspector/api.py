"""The inspectors' JSON API under /api/inspect/: every route needs a session or a bearer token
(auth.api_guard). Thin: parse the request, call the inspector service, encode its answer; a
refusal becomes the one error shape (wire.refused)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from survey_service.http.errors import one_error
from survey_service.inspector import auth, wire
from survey_service.inspector.service import InspectorService, Refused
from survey_service.inspector.wire import NO_STORE

JSON = "application/json"


def _json(body: object, status: int = 200) -> Response[bytes]:
    return Response(msgspec.json.encode(body), status_code=status, media_type=JSON)


def _service(state: State) -> InspectorService:
    return InspectorService(state.store, state.settings, state.today)


def _actor(request: Request[Any, Any, Any]) -> str:
    return str(request.state.inspector)


@get("/me", sync_to_thread=False)
def me(request: Request[Any, Any, Any]) -> Response[bytes]:
    return _json(wire.Me(_actor(request)))


@get("/questionnaires")
async def list_questionnaires(state: State) -> Response[bytes]:
    return _json(await _service(state).overview())


@get("/questionnaires/{questionnaire:str}/batches")
async def list_batches(state: State, questionnaire: FromPath[str]) -> Response[bytes]:
    return _json(await _service(state).batch_listing(questionnaire))


@post("/questionnaires/{questionnaire:str}/batches", status_code=201)
async def release_batch(
    request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
) -> Response[bytes]:
    return _json(await _service(state).release(questionnaire, _actor(request)), 201)


@get("/batches/{file:str}")
async def export_batch(
    request: Request[Any, Any, Any],
    state: State,
    file: FromPath[str],
    codes: FromQuery[str | None] = None,
) -> Stream:
    wanted = wire.Download.parse(file, codes, all_allowed=False)
    export = await _service(state).export(
        _actor(request), None, wanted.batch, wanted.fmt, wanted.codes
    )
    return wire.download(export, state.store)


@get("/questionnaires/{questionnaire:str}/batches/{file:str}")
async def export_questionnaire(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: FromPath[str],
    file: FromPath[str],
    codes: FromQuery[str | None] = None,
) -> Stream:
    wanted = wire.Download.parse(file, codes, all_allowed=True)
    export = await _service(state).export(
        _actor(request), questionnaire, wanted.batch, wanted.fmt, wanted.codes
    )
    return wire.download(export, state.store)


@get("/questionnaires/{questionnaire:str}/summary")
async def questionnaire_summary(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: FromPath[str],
    policy: FromQuery[str | None] = None,
    by: FromQuery[str | None] = None,
) -> Response[bytes]:
    return _json(await _service(state).summary(_actor(request), questionnaire, policy, by))


@get("/questionnaires/{questionnaire:str}/qr.svg")
async def qr_svg(state: State, questionnaire: FromPath[str]) -> Response[bytes]:
    image = await _service(state).qr_code(questionnaire, "svg")
    return Response(image, media_type="image/svg+xml")


@get("/questionnaires/{questionnaire:str}/qr.png")
async def qr_png(state: State, questionnaire: FromPath[str]) -> Response[bytes]:
    return Response(await _service(state).qr_code(questionnaire, "png"), media_type="image/png")


@get("/audit")
async def audit_log(
    state: State, limit: FromQuery[int] = 200, before: FromQuery[int | None] = None
) -> Response[bytes]:
    return _json(wire.AuditPage(await _service(state).audit_log(limit, before)))


def _refused(_: Request[Any, Any, Any], refusal: Refused) -> Response[bytes]:
    return wire.refused(refusal)


def _not_authorized(_: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[bytes]:
    response = one_error(401, "authorization", exc.detail or "sign in first")
    response.headers["www-authenticate"] = 'Bearer realm="inspect"'
    return response


def api_router() -> Router:
    return Router(
        path="/api/inspect",
        route_handlers=[
            me,
            list_questionnaires,
            list_batches,
            release_batch,
            export_batch,
            export_questionnaire,
            questionnaire_summary,
            qr_svg,
            qr_png,
            audit_log,
        ],
        guards=[auth.api_guard],
        exception_handlers={NotAuthorizedException: _not_authorized, Refused: _refused},
        response_headers=NO_STORE,
        include_in_schema=False,
    )
