"""The inspectors' side on the wire: what the JSON API and the portal's download links read
from a request, the answer structs the API adds, a refusal as the one error shape, and an
export as a download. The service's own results (service.BatchListing, batches.Overview,
tables.Summary, the store's Batch) are encoded as they are."""

from __future__ import annotations

import re

import msgspec
from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.response import Stream

from survey_service.export.writers import FORMATS, Format
from survey_service.http.errors import error_response
from survey_service.inspector.service import Export, Refused
from survey_service.store import Store
from survey_service.store.inspector import AuditEntry

NO_STORE = [ResponseHeader(name="cache-control", value="no-store")]  # nothing here is cached
_FILE = re.compile(r"^(\d{1,9}|all)\.(csv|xlsx|json)$")
# How the API and the portal answer each kind of refusal.
STATUS = {"not found": 404, "conflict": 409, "invalid": 422, "malformed": 400}


class Me(msgspec.Struct):
    """GET /api/inspect/me."""

    name: str


class AuditPage(msgspec.Struct):
    """GET /api/inspect/audit: newest first."""

    entries: list[AuditEntry]


class Download(msgspec.Struct, frozen=True):
    """A download asked for by its file name: `3.csv` (batch 3) or `all.xlsx`."""

    batch: int | None  # None: every released batch
    fmt: Format
    codes: bool

    @classmethod
    def parse(cls, file: str, codes: str | None, all_allowed: bool) -> Download:
        match = _FILE.match(file)
        if match is None or (match[1] == "all" and not all_allowed):
            if all_allowed:
                wanted = "ask for all.csv, all.xlsx or all.json, or a batch number"
            else:
                wanted = f"ask for a batch number and one of {', '.join(FORMATS)}"
            raise Refused.one("not found", "batch", wanted)
        flag = _codes(codes)
        if flag is None:
            raise Refused.one("invalid", "codes", "must be 1 (codes) or 0 (labels)")
        fmt = next(f for f in FORMATS if f == match[2])
        return cls(None if match[1] == "all" else int(match[1]), fmt, flag)


def _codes(value: str | None) -> bool | None:
    if value in (None, "", "0", "false", "labels"):
        return False
    if value in ("1", "true", "codes"):
        return True
    return None


def refused(refusal: Refused) -> Response[bytes]:
    """A refusal as the one error shape, naming each field."""
    return error_response(STATUS[refusal.kind], refusal.errors)


def download(export: Export, store: Store) -> Stream:
    """An export streamed as an attachment, written off the event loop."""
    return Stream(
        export.chunks(store),
        media_type=export.media_type,
        headers={"content-disposition": f'attachment; filename="{export.filename}"'},
    )
