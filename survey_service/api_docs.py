"""What the OpenAPI document says about the respondent POSTs. They read and check their own
bodies (api.py), so Litestar cannot see the shapes; this declares them, as DESIGN.md's
respondent API table does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from survey_service.errors import ErrorBody
from survey_service.intake import Result


class Stored(msgspec.Struct):
    id: str
    status: Literal["accepted", "duplicate"]


class BatchResults(msgspec.Struct):
    results: list[Result]


def _of(kind: OpenAPIType, description: str | None = None) -> Schema:
    return Schema(type=kind, description=description)


_ANSWER = Schema(
    one_of=[
        _of(OpenAPIType.STRING, "a choice's code, or text"),
        _of(OpenAPIType.INTEGER, "a scale or number answer"),
        Schema(type=OpenAPIType.ARRAY, items=_of(OpenAPIType.STRING), description="codes"),
        _of(OpenAPIType.NULL, "not answered (as are blank text and an empty list)"),
    ]
)
SUBMISSION = Schema(
    type=OpenAPIType.OBJECT,
    required=["id", "questionnaire", "version", "answers"],
    additional_properties=False,
    properties={
        "id": Schema(
            type=OpenAPIType.STRING,
            description="a random UUID made on the device; the same id again is a duplicate",
        ),
        "questionnaire": _of(OpenAPIType.STRING, "the questionnaire's id"),
        "version": _of(OpenAPIType.INTEGER, "the version answered"),
        "answers": Schema(
            type=OpenAPIType.OBJECT,
            additional_properties=_ANSWER,
            description="answers by question id. Free text is screened before it is stored:"
            " personal details (names, phone numbers, addresses, ...) become markers such as"
            " [name] or [phone], and the original is never kept. Inspectors see a free-text"
            " answer only after a reviewer has read it (and may redact more or withhold it),"
            " and never on a respondent's request: no endpoint gives an answer back.",
        ),
        "language": _of(OpenAPIType.STRING, "the language answered in (multilingual only)"),
    },
)
BATCH = Schema(
    type=OpenAPIType.OBJECT,
    required=["responses"],
    additional_properties=False,
    properties={
        "responses": Schema(
            type=OpenAPIType.ARRAY,
            items=SUBMISSION,
            min_items=1,
            description="1 to SURVEY_MAX_BATCH_ITEMS (default 500) responses",
        )
    },
)


def _body(schema: Schema) -> RequestBody:
    return RequestBody(content={"application/json": OpenAPIMediaType(schema=schema)}, required=True)


@dataclass
class SubmitOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = _body(SUBMISSION)


@dataclass
class BatchOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = _body(BATCH)


_PROBLEMS = {
    400: "the body is not JSON, or nests too deep",
    408: "the body took longer than SURVEY_REQUEST_TIMEOUT_SECONDS to arrive",
    413: "the body is larger than the limit",
    415: "the body is not sent as application/json",
    429: "too many requests from this network; see Retry-After",
    503: "the store cannot take it now (disk full, locked, read-only); nothing was saved, try"
    " again after Retry-After",
}


def _errors(description: str) -> ResponseSpec:
    return ResponseSpec(ErrorBody, description=description, generate_examples=False)


SUBMIT_RESPONSES = {
    201: ResponseSpec(Stored, description="stored (status accepted)", generate_examples=False),
    200: ResponseSpec(Stored, description="this id was stored before with the same content"),
    409: _errors("this id was stored before with other content; the stored one is kept"),
    422: _errors("a field is wrong; each error names it (answers.q3, version, ...)"),
    **{status: _errors(text) for status, text in _PROBLEMS.items()},
}
BATCH_RESPONSES = {
    200: ResponseSpec(
        BatchResults,
        description="one result per response, in order: accepted, duplicate, conflict or"
        " rejected (with its errors)",
        generate_examples=False,
    ),
    422: _errors("the body is not an object with 1 to the limit of responses"),
    **{status: _errors(text) for status, text in _PROBLEMS.items()},
}
