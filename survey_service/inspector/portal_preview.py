"""The portal's preview page: a signed-in inspector uploads a draft (an XLSForm workbook or a
questionnaire file) and sees it in the real form app, marked as a preview; nothing is stored,
the draft included. Thin: check the session and the form, read the draft off the event loop
(drafts.read_isolated), answer with the page or with the problems, each at its sheet, row and
column."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException

from survey_service.http import limits
from survey_service.inspector import auth, portal
from survey_service.inspector.wire import NO_STORE
from survey_service.respondent import drafts, preview
from survey_service.respondent.form_page import Shell
from survey_service.respondent.webapp import STATIC_DIR, catalogues

PAGE = "/inspect/preview"
FIELD = "draft"
# Drafts read at once; more wait their turn (each child may take CHILD_MEMORY_BYTES).
READERS = 2


def _form(
    request: Request[Any, Any, Any],
    status: int = 200,
    problems: list[drafts.DraftProblem] | None = None,
    file_name: str = "",
) -> Response[str]:
    return portal.render(
        request,
        "preview.html",
        status,
        title="Preview a draft",
        problems=problems or [],
        file_name=file_name,
        max_kib=limits.DRAFT_UPLOAD_BYTES // 1024,
    )


def preview_router(static_dir: Path | None = None) -> Router:
    folder = static_dir or STATIC_DIR
    shell = Shell.load(folder, catalogues(folder))
    readers = asyncio.Semaphore(READERS)

    @get("/preview", guards=[auth.page_guard], sync_to_thread=False)
    def upload_page(request: Request[Any, Any, Any]) -> Response[str]:
        return _form(request)

    # A workbook is bigger than the portal's other forms: this route alone takes up to
    # DRAFT_UPLOAD_BYTES (every other non-respondent route stops at FORM_BODY_BYTES).
    @post(
        "/preview",
        guards=[auth.page_guard],
        status_code=200,
        request_max_body_size=limits.DRAFT_UPLOAD_BYTES,
    )
    async def show_draft(request: Request[Any, Any, Any]) -> Response[Any]:
        try:
            form = await request.form()
        except HTTPException as exc:
            if exc.status_code != 413:
                raise
            too_big = f"is larger than {limits.DRAFT_UPLOAD_BYTES // 1024} KB: the right file?"
            return _form(request, 413, [drafts.DraftProblem(too_big)], "the file")
        if not portal._csrf_ok(request, form):
            return portal._forbidden(request)
        upload = form.get(FIELD)
        if not isinstance(upload, UploadFile) or not upload.filename:
            problem = drafts.DraftProblem("choose a file to preview")
            return _form(request, 422, [problem], "the form")
        name = Path(upload.filename).name
        data = await upload.read()
        try:
            async with readers:
                q = await drafts.read_isolated(name, data)
        except drafts.DraftRefused as exc:
            return _form(request, 422, exc.problems, name)
        body = preview.page(shell, q, back=PAGE)
        return Response(
            body,
            media_type=portal.HTML,
            headers={"Content-Security-Policy": shell.csp},
        )

    return Router(
        path="/inspect",
        route_handlers=[upload_page, show_draft],
        exception_handlers={auth.LoginRequired: portal._login_redirect},
        response_headers=NO_STORE,
        include_in_schema=False,
    )
