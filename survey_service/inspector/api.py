"""The inspectors' JSON API under /api/inspect/: thin handlers over batches, downloads, summary,
QR and audit; every route needs a session or a bearer token (auth.api_guard)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import ResponseHeader, State
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from survey_service.confidentiality import suppression
from survey_service.export import downloads
from survey_service.export.writers import FORMATS, MEDIA_TYPES
from survey_service.http.errors import error_response, one_error
from survey_service.inspector import audit, auth, batches, qr
from survey_service.questionnaires import Questionnaire
from survey_service.release import service, tables
from survey_service.responses import FieldError
from survey_service.settings import Settings
from survey_service.store import Store
from survey_service.store.inspector import Batch

JSON = "application/json"
_FILE = re.compile(r"^(\d{1,9}|all)\.(csv|xlsx|json)$")
NO_STORE = [ResponseHeader(name="cache-control", value="no-store")]


def _json(body: object, status: int = 200) -> Response[bytes]:
    return Response(msgspec.json.encode(body), status_code=status, media_type=JSON)


def _store(state: State) -> Store:
    store: Store = state.store
    return store


def _actor(request: Request[Any, Any, Any]) -> str:
    return str(request.state.inspector)


async def _versions(state: State, questionnaire: str) -> list[Questionnaire] | None:
    return (await batches.versions_of(_store(state))).get(questionnaire)


@get("/me", sync_to_thread=False)
def me(request: Request[Any, Any, Any]) -> Response[bytes]:
    return _json({"name": _actor(request)})


def _today(state: State) -> dt.date:
    today: dt.date = state.today()
    return today


@get("/questionnaires")
async def list_questionnaires(state: State) -> Response[bytes]:
    settings: Settings = state.settings
    return _json(await batches.overview(_store(state), settings.release, _today(state)))


@get("/questionnaires/{questionnaire:str}/batches")
async def list_batches(state: State, questionnaire: FromPath[str]) -> Response[bytes]:
    if await _versions(state, questionnaire) is None:
        return one_error(404, "questionnaire", "no questionnaire with this id")
    store = _store(state)
    settings: Settings = state.settings
    return _json(
        {
            "questionnaire": questionnaire,
            "min_batch": settings.min_batch,
            "waiting": await service.waiting(store, questionnaire, settings.release, _today(state)),
            "batches": await store.list_batches(questionnaire),
            "revisions": await store.batch_revisions(questionnaire),
        }
    )


@post("/questionnaires/{questionnaire:str}/batches", status_code=201)
async def release_batch(
    request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
) -> Response[bytes]:
    versions = await _versions(state, questionnaire)
    if versions is None:
        return one_error(404, "questionnaire", "no questionnaire with this id")
    settings: Settings = state.settings
    result = await service.release(
        _store(state), versions, settings.release, _actor(request), _today(state)
    )
    if isinstance(result, service.Refusal):
        return one_error(409, "batch", result.message)
    return _json(result, 201)


async def export_response(
    state: State, actor: str, questionnaire: str | None, which: str, fmt: str, codes: bool
) -> Response[bytes] | Stream:
    """Shared by the API and the portal's download links."""
    store = _store(state)
    chosen: list[Batch]
    if which == "all":
        assert questionnaire is not None
        chosen = await store.list_batches(questionnaire)
        if not chosen:
            return one_error(409, "batch", "nothing is released yet: release a batch first")
    else:
        batch = await store.get_batch(int(which))
        if batch is None or (questionnaire is not None and batch.questionnaire != questionnaire):
            return one_error(404, "batch", "no batch with this number")
        chosen = [batch]
        questionnaire = batch.questionnaire
    versions = await _versions(state, questionnaire)
    if versions is None:
        return one_error(404, "questionnaire", "no questionnaire with this id")
    settings: Settings = state.settings
    release = await service.protected(store, versions, settings.release, _today(state))
    plan = downloads.Plan(questionnaire, chosen, fmt, codes, actor)  # type: ignore[arg-type]
    await audit.record(store, actor, "export", plan.audit_detail)
    body = downloads.stream(store, release, plan, settings.data_dir / "export-tmp")
    return Stream(
        body,
        media_type=MEDIA_TYPES[plan.fmt],
        headers={"content-disposition": f'attachment; filename="{plan.filename}"'},
    )


def _parse_file(file: str) -> tuple[str, str] | None:
    match = _FILE.match(file)
    return (match[1], match[2]) if match else None


def _codes(value: str | None) -> bool | None:
    if value in (None, "", "0", "false", "labels"):
        return False
    if value in ("1", "true", "codes"):
        return True
    return None


@get("/batches/{file:str}")
async def export_batch(
    request: Request[Any, Any, Any],
    state: State,
    file: FromPath[str],
    codes: FromQuery[str | None] = None,
) -> Response[bytes] | Stream:
    parsed = _parse_file(file)
    if parsed is None or parsed[0] == "all":
        return one_error(404, "batch", f"ask for a batch number and one of {', '.join(FORMATS)}")
    flag = _codes(codes)
    if flag is None:
        return one_error(422, "codes", "must be 1 (codes) or 0 (labels)")
    return await export_response(state, _actor(request), None, parsed[0], parsed[1], flag)


@get("/questionnaires/{questionnaire:str}/batches/{file:str}")
async def export_questionnaire(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: FromPath[str],
    file: FromPath[str],
    codes: FromQuery[str | None] = None,
) -> Response[bytes] | Stream:
    parsed = _parse_file(file)
    if parsed is None:
        return one_error(404, "batch", "ask for all.csv, all.xlsx or all.json, or a batch number")
    flag = _codes(codes)
    if flag is None:
        return one_error(422, "codes", "must be 1 (codes) or 0 (labels)")
    if await _versions(state, questionnaire) is None:
        return one_error(404, "questionnaire", "no questionnaire with this id")
    return await export_response(state, _actor(request), questionnaire, *parsed, flag)


async def build_summary(
    state: State, questionnaire: str, policy: str | None, by: str | None
) -> tables.Summary | Response[bytes]:
    """The summary every view shows: from the protected release, under the operator's policy
    or a stricter one the request names."""
    versions = await _versions(state, questionnaire)
    if versions is None:
        return one_error(404, "questionnaire", "no questionnaire with this id")
    settings: Settings = state.settings
    allowed = suppression.allowed(settings.suppression_policy)
    policy = policy or settings.suppression_policy
    errors = []
    if policy not in allowed:
        errors.append(
            FieldError(
                "policy",
                f"must be one of {', '.join(allowed)}: this service protects summaries with"
                f" '{settings.suppression_policy}' at least",
            )
        )
    release = await service.protected(_store(state), versions, settings.release, _today(state))
    qis = [q for q in release.layout.quasi_identifiers if q in release.layout.info]
    if by and by not in qis:
        errors.append(FieldError("by", f"must be a quasi-identifier: {', '.join(qis)}"))
    if errors:
        return error_response(422, errors)
    numbers = [b.number for b in await _store(state).list_batches(questionnaire)]
    return tables.summarise(
        release.layout, release.cells, suppression.policy(policy), numbers, by or None
    )


@get("/questionnaires/{questionnaire:str}/summary")
async def questionnaire_summary(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: FromPath[str],
    policy: FromQuery[str | None] = None,
    by: FromQuery[str | None] = None,
) -> Response[bytes]:
    result = await build_summary(state, questionnaire, policy, by)
    if isinstance(result, Response):
        return result
    await audit.viewed_summary(
        _store(state), _actor(request), questionnaire, result.policy, result.by
    )
    return _json(result)


async def qr_response(state: State, questionnaire: str, kind: str) -> Response[bytes]:
    if await _versions(state, questionnaire) is None:
        return one_error(404, "questionnaire", "no questionnaire with this id")
    settings = state.settings
    refused = qr.refusal(settings.public_base_url, settings.posters_allow_private_url)
    if refused:
        return one_error(409, "public_base_url", refused)
    url = qr.target_url(settings.public_base_url, questionnaire)
    if kind == "svg":
        return Response(await asyncio.to_thread(qr.svg, url), media_type="image/svg+xml")
    return Response(await asyncio.to_thread(qr.png, url), media_type="image/png")


@get("/questionnaires/{questionnaire:str}/qr.svg")
async def qr_svg(state: State, questionnaire: FromPath[str]) -> Response[bytes]:
    return await qr_response(state, questionnaire, "svg")


@get("/questionnaires/{questionnaire:str}/qr.png")
async def qr_png(state: State, questionnaire: FromPath[str]) -> Response[bytes]:
    return await qr_response(state, questionnaire, "png")


@get("/audit")
async def audit_log(
    state: State, limit: FromQuery[int] = 200, before: FromQuery[int | None] = None
) -> Response[bytes]:
    if not 1 <= limit <= 1000:
        return one_error(422, "limit", "must be from 1 to 1000")
    if not audit.valid_before(before):
        return one_error(400, "before", audit.BAD_BEFORE)
    return _json({"entries": await audit.recent(_store(state), limit, before)})


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
        exception_handlers={NotAuthorizedException: _not_authorized},
        response_headers=NO_STORE,
        include_in_schema=False,
    )
