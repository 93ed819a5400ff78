"""One error shape for every failure: {"errors": [{"field", "message"}]}, never echoing answers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from survey_service.respondent.screener import ScreeningUnavailable
from survey_service.responses import FieldError
from survey_service.store import StoreUnavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class ErrorBody(msgspec.Struct):
    errors: list[FieldError]


def error_response(
    status: int, errors: Sequence[FieldError], headers: dict[str, str] | None = None
) -> Response[bytes]:
    return Response(
        msgspec.json.encode(ErrorBody(list(errors))),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def one_error(status: int, field: str, message: str) -> Response[bytes]:
    return error_response(status, [FieldError(field, message)])


def _http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    field = "body" if exc.status_code in (400, 408, 413, 415, 429) else "path"
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
        # Litestar's own parameter checks: name the parameter, drop the value it saw.
        errors = [
            FieldError(str(e.get("key") or field), str(e.get("message") or "is not valid"))
            for e in exc.extra
            if isinstance(e, dict)
        ]
        return error_response(exc.status_code, errors or [FieldError(field, "is not valid")])
    message = {
        404: "nothing here",
        405: "method not allowed here",
        413: "request body is too large",
    }.get(exc.status_code, exc.detail or "request refused")
    return error_response(exc.status_code, [FieldError(field, message)], exc.headers)


def _store_unavailable(_: Request[Any, Any, Any], _exc: StoreUnavailable) -> Response[bytes]:
    return error_response(
        503,
        [FieldError("body", "storage is unavailable for a moment: nothing was saved, try again")],
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _screening_unavailable(
    _: Request[Any, Any, Any], _exc: ScreeningUnavailable
) -> Response[bytes]:
    return error_response(
        503,
        [
            FieldError(
                "answers",
                "could not be checked for personal details in time: nothing was saved, send"
                " again shortly",
            )
        ],
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    # Log the type and where, never the request (it may carry answers or identifiers).
    log.error("unexpected %s on %s", type(exc).__name__, request.scope.get("path_template", "?"))
    return one_error(500, "body", "the service failed; nothing was saved")


EXCEPTION_HANDLERS = {
    HTTPException: _http_exception,
    StoreUnavailable: _store_unavailable,
    ScreeningUnavailable: _screening_unavailable,
    Exception: _unexpected,
}
