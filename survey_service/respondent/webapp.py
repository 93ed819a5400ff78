"""Serves the offline form app in static/: a page per questionnaire (built by form_page.py),
help pages for a link that opens no form, assets, manifest and service worker."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import brotli
from litestar import Request, Response, Router, get
from litestar.datastructures import CacheControlHeader, State
from litestar.params import FromPath

from survey_service import bundled
from survey_service import registry as published
from survey_service.confidentiality import screening_rules
from survey_service.http.errors import one_error
from survey_service.questionnaires import Questionnaire
from survey_service.registry import Registry
from survey_service.respondent.form_page import FALLBACK_LANGUAGE, Shell, joined
from survey_service.settings import BUNDLED_QUESTIONNAIRES, Settings

# The form app: the repository's static/, or its copy inside an installed wheel.
STATIC_DIR = bundled.folder(bundled.STATIC)

# Served at /app/<name>, with every script in static/ but the worker (served at /q/sw.js);
# anything else under /app/ is a 404. PNGs are already compressed. The page inlines app.css
# and the app's modules; they are served too, so a browser can run the modules as they are
# (tests/browser/test_modules_browser.py does), and for pages kept from an earlier release.
WORKER = "sw.js"
ASSETS = {
    "app.css": "text/css",
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
}
# The patterns static/screening.js runs: the server's own file, served at /app/<this name>.
SCREENING_PATTERNS = "screening-patterns.json"
# The app's own words, one catalogue per language: static/i18n/<tag>.json. The page embeds
# the ones its questionnaire needs; they are also served at /app/i18n/<tag>.json.
I18N_DIR = "i18n"
_CATALOGUE_NAME = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\.json$")

# The page a link to no questionnaire gets, and the worker's page for one never kept offline.
HELP_TITLE = "Have your say"
THEME_COLOUR = "#1d3f6e"

# The service worker does the offline caching; HTTP caches must always revalidate so a new
# release reaches phones on their next visit. ETags keep revalidation cheap on slow data.
REVALIDATE = CacheControlHeader(no_cache=True)


@dataclass(frozen=True)
class Asset:
    """A response body made once, with its gzip and brotli forms and an ETag."""

    body: bytes
    media_type: str
    etag: str
    encoded: dict[str, bytes] = field(default_factory=dict)  # "br" and "gzip" forms
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, body: bytes, media_type: str, headers: dict[str, str] | None = None) -> Asset:
        encoded = {}
        if not media_type.startswith("image/"):
            encoded = {
                "br": brotli.compress(body, quality=11, mode=brotli.MODE_TEXT),
                "gzip": gzip.compress(body, 9, mtime=0),
            }
        return cls(
            body=body,
            media_type=media_type,
            etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
            encoded=encoded,
            headers=headers or {},
        )

    def respond(self, request: Request[Any, Any, Any], status: int = 200) -> Response[bytes]:
        headers = {**self.headers, "ETag": self.etag, "Vary": "Accept-Encoding"}
        if status == 200 and request.headers.get("if-none-match") == self.etag:
            return Response(b"", status_code=304, headers=headers)
        body = self.body
        accepted = request.headers.get("accept-encoding", "")
        for coding in ("br", "gzip"):  # brotli is about an eighth smaller on this text
            if coding in self.encoded and coding in accepted:
                body = self.encoded[coding]
                headers["Content-Encoding"] = coding
                break
        return Response(body, status_code=status, media_type=self.media_type, headers=headers)


def app_assets(static_dir: Path) -> dict[str, Asset]:
    """What is served under /app/ (the page inlines most of it): the assets by name, the
    screening patterns, and each catalogue as i18n/<tag>.json."""
    kinds = ASSETS | {
        p.name: "text/javascript" for p in static_dir.glob("*.js") if p.name != WORKER
    }
    assets = {
        name: Asset.of((static_dir / name).read_bytes(), kind) for name, kind in kinds.items()
    }
    assets[SCREENING_PATTERNS] = Asset.of(screening_rules.for_browser(), "application/json")
    for tag, body in catalogues(static_dir).items():
        assets[f"{I18N_DIR}/{tag}.json"] = Asset.of(body, "application/json")
    return assets


def app_version(static_dir: Path) -> str:
    """One hash over every file of the app, catalogues included: any change makes a new
    release for the worker."""
    digest = hashlib.sha256(manifest("_", "_"))  # the manifest is made here, not in static/
    digest.update(screening_rules.raw_bytes())  # and the screening patterns come from the package
    for path in sorted(static_dir.rglob("*")):
        if path.is_file():
            name = path.relative_to(static_dir).as_posix()
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def catalogues(static_dir: Path) -> dict[str, bytes]:
    """The interface catalogues by language tag. Each must be a JSON object; the service
    refuses to start on a broken one rather than show a phone half a language."""
    found: dict[str, bytes] = {}
    folder = static_dir / I18N_DIR
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        if not _CATALOGUE_NAME.match(path.name):
            raise ValueError(f"{path}: name it after a language tag, like en.json or pt-BR.json")
        body = path.read_bytes()
        try:
            if not isinstance(json.loads(body), dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise ValueError(f"{path}: not a JSON object of strings: {exc}") from None
        found[path.stem] = body
    if FALLBACK_LANGUAGE not in found:
        raise ValueError(f"{folder}: the fallback catalogue {FALLBACK_LANGUAGE}.json is missing")
    return found


def manifest(qid: str, title: str) -> bytes:
    """The installed app is named after its questionnaire, whose title the format requires
    to be neutral (rule 10): it shows on the home screen."""
    return json.dumps(
        {
            "name": title,
            "short_name": title,
            "id": f"/q/{qid}",
            "start_url": f"/q/{qid}",
            "scope": "/q/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": THEME_COLOUR,
            "lang": "en-GB",
            "icons": [
                {"src": f"/app/icon-{n}.png", "sizes": f"{n}x{n}", "type": "image/png"}
                for n in (192, 512)
            ],
        },
        indent=1,
    ).encode()


class Pages:
    """Each questionnaire's page and manifest, made on first request and kept per content
    (a new version or a retirement makes a new one); help pages made at start-up."""

    def __init__(self, shell: Shell):
        self.shell = shell
        self._forms: dict[tuple[str, bytes], tuple[Asset, Asset]] = {}
        self.help = {
            state: self._asset(shell.page(state, HELP_TITLE))
            for state in ("missing", "closed", "offline")
        }

    def _asset(self, body: bytes) -> Asset:
        return Asset.of(body, "text/html", {"Content-Security-Policy": self.shell.csp})

    async def form(self, registry: Registry, qid: str) -> tuple[Asset, Asset] | None:
        latest = registry.latest(qid)
        definition = registry.definition_json(qid, latest.version) if latest else None
        if latest is None or definition is None:
            return None
        key = (qid, definition)
        if key not in self._forms:
            # Brotli at its best takes tens of milliseconds: off the event loop.
            self._forms[key] = await asyncio.to_thread(self._build, latest, definition)
        return self._forms[key]

    def _build(self, q: Questionnaire, definition: bytes) -> tuple[Asset, Asset]:
        body = self.shell.page("form", q.title, q.id, definition, q.languages)
        return self._asset(body), Asset.of(manifest(q.id, q.title), "application/manifest+json")

    def not_found(self, registry: Registry, qid: str) -> Asset:
        return self.help["closed" if registry.knows(qid) else "missing"]


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    return "text/html" in request.headers.get("accept", "")


def worker_script(folder: Path, version: str) -> bytes:
    """sw.js joined with the modules it imports (outbox.js) into one classic script: module
    service workers came late to some browsers that have service workers, classic ones never."""
    text = '"use strict";\n' + joined(folder, WORKER)
    return text.replace("__VERSION__", version).encode()


def webapp_routes(settings: Settings, static_dir: Path | None = None) -> list[Router]:
    """The form app's routes; `static_dir` defaults to the shipped static/ folder.

    Security headers (CSP default-src 'self', no-referrer, nosniff) come from the app-wide
    hook in headers.py; pages carry a stricter CSP of their own that names their inline
    scripts and styles by hash. No route here sets a cookie.
    """
    del settings
    folder = static_dir or STATIC_DIR
    version = app_version(folder)
    assets = app_assets(folder)
    pages = Pages(Shell.load(folder, catalogues(folder)))
    worker = Asset.of(worker_script(folder, version), "text/javascript")

    def unknown(request: Request[Any, Any, Any], registry: Registry, qid: str) -> Response[bytes]:
        # A person following a mistyped link gets help and 999, a program the error shape.
        if _wants_html(request):
            return pages.not_found(registry, qid).respond(request, 404)
        return one_error(404, "questionnaire", "no questionnaire with this id takes answers")

    @get("/q/sw.js", sync_to_thread=False)
    def service_worker(request: Request[Any, Any, Any]) -> Response[bytes]:
        # At /q/ its scope covers the form pages only, never the API or any other page.
        return worker.respond(request)

    @get(["/q/{questionnaire:str}", "/q/{questionnaire:str}/"])
    async def form_page(
        request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
    ) -> Response[bytes]:
        found = await pages.form(state.registry, questionnaire)
        if found is None:
            return unknown(request, state.registry, questionnaire)
        return found[0].respond(request)

    @get("/q/{questionnaire:str}/manifest.webmanifest")
    async def web_manifest(
        request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
    ) -> Response[bytes]:
        found = await pages.form(state.registry, questionnaire)
        if found is None:
            return one_error(404, "questionnaire", "no questionnaire with this id takes answers")
        return found[1].respond(request)

    @get("/app/offline", sync_to_thread=False)
    def offline_page(request: Request[Any, Any, Any]) -> Response[bytes]:
        # The worker keeps this and shows it for a form page this phone never kept.
        return pages.help["offline"].respond(request)

    @get("/app/i18n/{name:str}", sync_to_thread=False)
    def catalogue(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
        found = assets.get(f"{I18N_DIR}/{name}")
        if found is None:
            return one_error(404, "path", "no catalogue for this language")
        return found.respond(request)

    @get("/app/{name:str}", sync_to_thread=False)
    def asset(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
        found = assets.get(name)
        if found is None:
            return one_error(404, "path", "nothing here")
        return found.respond(request)

    return [
        Router(
            "/",
            route_handlers=[
                service_worker,
                form_page,
                web_manifest,
                offline_page,
                catalogue,
                asset,
            ],
            cache_control=REVALIDATE,
            include_in_schema=False,
        )
    ]


def page_weight(
    qid: str = "have-your-say", questionnaires_dir: Path | None = None
) -> dict[str, int]:
    """What a phone downloads for one questionnaire's form (the bundled have-your-say by
    default): the page in bytes, gzip and brotli, and, fetched after the form is usable, the
    worker (outbox included) and the manifest (gzip), and the review step's screener (gzip)."""
    versions = published.load(questionnaires_dir or BUNDLED_QUESTIONNAIRES)
    latest = max((q for (i, _), (_, q) in versions.items() if i == qid), key=lambda q: q.version)
    definition = Registry([latest]).definition_json(qid, latest.version)
    assert definition is not None
    shell = Shell.load(STATIC_DIR, catalogues(STATIC_DIR))
    body = shell.page("form", latest.title, qid, definition, latest.languages)
    after = [worker_script(STATIC_DIR, app_version(STATIC_DIR)), manifest(qid, latest.title)]
    # The review step's screener, fetched once the respondent starts (and kept by the worker).
    review = [(STATIC_DIR / "screening.js").read_bytes(), screening_rules.for_browser()]
    return {
        "page": len(body),
        "page_gzip": len(gzip.compress(body, 9)),
        "page_brotli": len(brotli.compress(body, quality=11, mode=brotli.MODE_TEXT)),
        "worker_gzip": sum(len(gzip.compress(b, 9)) for b in after),
        "screener_gzip": sum(len(gzip.compress(b, 9)) for b in review),
    }
