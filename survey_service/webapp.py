"""Serves the offline form app in static/: a page per questionnaire, assets, manifest, worker."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.datastructures import CacheControlHeader, State
from litestar.params import FromPath

from survey_service.confidentiality import screening_rules
from survey_service.errors import one_error
from survey_service.registry import Registry
from survey_service.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Served at /app/<name>; anything else under /app/ is a 404. PNGs are already compressed.
ASSETS = {
    "app.js": "text/javascript",
    "app.css": "text/css",
    "screening.js": "text/javascript",  # rule 5 in the browser; its patterns come from the package
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
}
# The patterns static/screening.js runs: the server's own file, served at /app/<this name>.
SCREENING_PATTERNS = "screening-patterns.json"
# The app's own words, one catalogue per language: static/i18n/<tag>.json, served at
# /app/i18n/<tag>.json. English is the fallback for any string a catalogue lacks.
I18N_DIR = "i18n"
FALLBACK_LANGUAGE = "en"
_CATALOGUE_NAME = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\.json$")

# The installed app's name is neutral whoever installs it (rule 10): never the topic of the survey.
APP_NAME = "Have your say"
THEME_COLOUR = "#1d3f6e"

# The service worker does the offline caching; HTTP caches must always revalidate so a new
# release reaches phones on their next visit. ETags keep revalidation cheap on slow data.
REVALIDATE = CacheControlHeader(no_cache=True)


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Asset:
        squeeze = not media_type.startswith("image/")
        return cls(
            body=body,
            gzipped=gzip.compress(body, 9, mtime=0) if squeeze else None,
            media_type=media_type,
            etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
        )

    def respond(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        headers = {"ETag": self.etag, "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == self.etag:
            return Response(b"", status_code=304, headers=headers)
        body = self.body
        if self.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            body = self.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=self.media_type, headers=headers)


def app_version(static_dir: Path) -> str:
    """One hash over every file of the app, catalogues included: any change makes a new
    release for the worker."""
    digest = hashlib.sha256(manifest("_"))  # the manifest is made here, not in static/
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


def manifest(qid: str) -> bytes:
    return json.dumps(
        {
            "name": APP_NAME,
            "short_name": APP_NAME,
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


def webapp_routes(settings: Settings, static_dir: Path | None = None) -> list[Router]:
    """The form app's routes; `static_dir` defaults to the repository's static/ folder.

    Security headers (CSP default-src 'self', no-referrer, nosniff) come from the app-wide
    middleware in headers.py; no route here sets a cookie.
    """
    folder = static_dir or STATIC_DIR
    version = app_version(folder)
    assets = {name: Asset.of((folder / name).read_bytes(), kind) for name, kind in ASSETS.items()}
    assets[SCREENING_PATTERNS] = Asset.of(screening_rules.for_browser(), "application/json")
    words = {
        f"{tag}.json": Asset.of(body, "application/json")
        for tag, body in catalogues(folder).items()
    }
    # The page lists the catalogues, so the app asks only for ones that exist.
    page_template = (
        (folder / "index.html")
        .read_text(encoding="utf-8")
        .replace("__CATALOGUES__", " ".join(sorted(n.removesuffix(".json") for n in words)))
    )
    worker = Asset.of(
        (folder / "sw.js").read_bytes().replace(b"__VERSION__", version.encode()),
        "text/javascript",
    )
    pages: dict[str, Asset] = {}
    manifests: dict[str, Asset] = {}

    def page_for(qid: str) -> Asset:
        # qid is one the registry knows, so it is [a-z0-9_-] only and safe inside the HTML.
        if qid not in pages:
            pages[qid] = Asset.of(page_template.replace("__QID__", qid).encode(), "text/html")
            manifests[qid] = Asset.of(manifest(qid), "application/manifest+json")
        return pages[qid]

    def unknown() -> Response[bytes]:
        return one_error(404, "questionnaire", "no questionnaire with this id takes answers")

    @get("/q/sw.js", sync_to_thread=False)
    def service_worker(request: Request[Any, Any, Any]) -> Response[bytes]:
        # At /q/ its scope covers the form pages only, never the API or any other page.
        return worker.respond(request)

    @get("/q/{questionnaire:str}", sync_to_thread=False)
    def form_page(
        request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
    ) -> Response[bytes]:
        registry: Registry = state.registry
        if registry.latest(questionnaire) is None:
            return unknown()
        return page_for(questionnaire).respond(request)

    @get("/q/{questionnaire:str}/manifest.webmanifest", sync_to_thread=False)
    def web_manifest(
        request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
    ) -> Response[bytes]:
        registry: Registry = state.registry
        if registry.latest(questionnaire) is None:
            return unknown()
        page_for(questionnaire)
        return manifests[questionnaire].respond(request)

    @get("/app/i18n/{name:str}", sync_to_thread=False)
    def catalogue(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
        found = words.get(name)
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
            route_handlers=[service_worker, form_page, web_manifest, catalogue, asset],
            cache_control=REVALIDATE,
            include_in_schema=False,
        )
    ]


def shell_gzip_bytes(static_dir: Path | None = None) -> int:
    """What a phone downloads for the app shell (HTML, CSS, JS, manifest, worker, the
    screening script and patterns, and the English catalogue every page falls back on),
    gzipped."""
    folder = static_dir or STATIC_DIR
    names = (
        "index.html",
        "app.js",
        "app.css",
        "sw.js",
        "screening.js",
        f"{I18N_DIR}/{FALLBACK_LANGUAGE}.json",
    )
    total = sum(len(gzip.compress((folder / name).read_bytes(), 9)) for name in names)
    total += len(gzip.compress(screening_rules.for_browser(), 9))  # precached with the shell
    return total + len(gzip.compress(manifest("have-your-say"), 9))


def catalogue_gzip_bytes(static_dir: Path | None = None) -> dict[str, int]:
    """Each other language's catalogue, gzipped: a phone fetches only its questionnaire's."""
    bodies = catalogues(static_dir or STATIC_DIR)
    return {
        tag: len(gzip.compress(body, 9)) for tag, body in bodies.items() if tag != FALLBACK_LANGUAGE
    }
