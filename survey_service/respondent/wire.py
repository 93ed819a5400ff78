"""The respondent side's bodies on the wire: what api.py decodes and encodes, as msgspec structs.

The OpenAPI document (api_docs.py) is generated from these, so what it shows is what is sent.
The submitted response itself is responses.Submission, a batch's result intake.Result, and
every error errors.ErrorBody: each lives beside the code that decides it.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from survey_service.questionnaires import Audience, Questionnaire
from survey_service.respondent.intake import Result


class Listed(msgspec.Struct):
    """One entry of GET /api/questionnaires (Registry.listing builds it)."""

    id: str
    version: int
    audience: Audience
    title: str
    versions: list[int]


class Definition(Questionnaire, frozen=True, kw_only=True):
    """A published version as GET /api/questionnaires/... serves it (Registry.definition_json)."""

    retired: bool


class BatchBody(msgspec.Struct, forbid_unknown_fields=True):
    """POST /api/responses/batch. Each item is taken as it comes (Any) and judged on its own
    by intake, so one bad item is reported in its result and never refuses the batch."""

    responses: list[Any]


class Stored(msgspec.Struct):
    """POST /api/responses, when the response is stored: 201 accepted or 200 duplicate."""

    id: str
    status: Literal["accepted", "duplicate"]


class BatchResults(msgspec.Struct):
    """POST /api/responses/batch: one result per item, in order."""

    results: list[Result]
