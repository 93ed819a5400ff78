"""The preview for authors: a draft questionnaire in the real form app, marked as a preview on
every screen, storing nothing. The portal shows an inspector's upload (portal_preview.py);
`survey-service preview FILE` serves one file on 127.0.0.1 with the app below, reading it again
whenever it changes, so an author can edit in Excel, save, and reload the phone's page.

The preview app has no store at all: no database is opened or created, and a response sent to
it (by a form a phone kept from the real service on this address, say) is answered 503 with the
reason, so such a phone keeps its answers for the real service instead of losing them."""

from __future__ import annotations

import asyncio
import html
import os
import sys
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath

from survey_service.http import limits
from survey_service.http.errors import EXCEPTION_HANDLERS, error_response
from survey_service.http.headers import add_security_headers
from survey_service.questionnaires import Questionnaire
from survey_service.registry import Registry
from survey_service.respondent import drafts
from survey_service.respondent.form_page import Preview, Shell
from survey_service.respondent.webapp import REVALIDATE, STATIC_DIR, Asset, app_assets, catalogues
from survey_service.responses import FieldError

# How `survey-service preview` tells its server process which file to serve.
FILE_VARIABLE = "SURVEY_PREVIEW_FILE"
NOT_STORED = (
    "this is a preview of a draft questionnaire: it takes no answers and stores nothing."
    " Answers wait on the phone for the real service"
)


def page(shell: Shell, q: Questionnaire, back: str = "") -> bytes:
    """The form app's page for a draft, marked as a preview; `back` leads to the portal."""
    definition = Registry([q]).definition_json(q.id, q.version)
    title = f"Preview: {q.title}"
    return shell.page("form", title, "", definition, q.languages, Preview(back=back))


def page_asset(shell: Shell, body: bytes) -> Asset:
    return Asset.of(body, "text/html", {"Content-Security-Policy": shell.csp})


def problems_page(name: str, problems: list[drafts.DraftProblem]) -> bytes:
    """What `survey-service preview` shows while the file has problems (the terminal says too)."""
    items = "".join(
        f"<li><strong>{html.escape(p.where or name)}</strong>: {html.escape(p.message)}</li>"
        for p in problems
    )
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Preview: problems to fix</title></head><body><main>"
        "<h1>This draft cannot be previewed yet</h1>"
        f"<p>Fix these in {html.escape(name)}, save it, then reload this page.</p>"
        f"<ul>{items}</ul></main></body></html>"
    ).encode()


class Watched:
    """The draft file, read again (in a child process, as uploads are) when it changes."""

    def __init__(self, path: Path, shell: Shell):
        self.path, self.shell = path, shell
        self._seen: tuple[int, int] | None = None
        self._answer: tuple[int, Asset] | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> tuple[int, Asset]:
        async with self._lock:
            try:
                stat = self.path.stat()
                seen = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                seen = (0, -1)
            if seen != self._seen or self._answer is None:
                self._answer = await self._read()
                self._seen = seen
            return self._answer

    async def _read(self) -> tuple[int, Asset]:
        name = self.path.name
        try:
            data = await asyncio.to_thread(self.path.read_bytes)
            q = await drafts.read_isolated(name, data)
        except OSError as exc:
            problems = [drafts.DraftProblem(f"cannot be read: {exc.strerror}")]
        except drafts.DraftRefused as exc:
            problems = exc.problems
        else:
            say(f"showing {q.id} version {q.version} from {name}")
            return 200, page_asset(self.shell, page(self.shell, q))
        for problem in problems:
            say(f"{name}: {problem}")
        return 422, Asset.of(problems_page(name, problems), "text/html")


def say(line: str) -> None:
    """The author watches the terminal `survey-service preview` runs in."""
    print(f"preview: {line}", file=sys.stderr, flush=True)


def preview_app(path: Path, static_dir: Path | None = None) -> Litestar:
    """The app `survey-service preview` serves: the draft at /, the form app's assets, and a
    503 for any response sent to it."""
    folder = static_dir or STATIC_DIR
    shell = Shell.load(folder, catalogues(folder))
    draft = Watched(path, shell)
    assets = app_assets(folder)

    # Never from a cache: the draft changes while its author works on it.
    @get("/", cache_control=CacheControlHeader(no_store=True))
    async def draft_page(request: Request[Any, Any, Any]) -> Response[bytes]:
        status, asset = await draft.current()
        return asset.respond(request, status)

    @get(
        ["/app/{name:str}", "/app/i18n/{name:str}"], sync_to_thread=False, cache_control=REVALIDATE
    )
    def asset(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
        prefix = "i18n/" if request.url.path.startswith("/app/i18n/") else ""
        found = assets.get(prefix + name)
        if found is None:
            return error_response(404, [FieldError("path", "nothing here")])
        return found.respond(request)

    @post(["/api/responses", "/api/responses/batch"], sync_to_thread=False)
    def no_answers() -> Response[bytes]:
        return error_response(503, [FieldError("body", NOT_STORED)], {"Retry-After": "3600"})

    return Litestar(
        route_handlers=[draft_page, asset, no_answers],
        request_max_body_size=limits.FORM_BODY_BYTES,
        middleware=[limits.BodyDeadline(15.0)],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_send=[add_security_headers],
        openapi_config=None,
        logging_config=None,
        debug=False,
    )


def app_from_env() -> Litestar:
    """The entry point for the preview's server process (see the cli package's `preview`)."""
    return preview_app(Path(os.environ[FILE_VARIABLE]))
