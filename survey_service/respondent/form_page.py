"""The form app's page, built to arrive in one request: static/index.html with the app's CSS and
scripts inlined (allowed by their hashes in the page's own Content-Security-Policy) and the
questionnaire and its interface words embedded as JSON. On slow 3G every request costs about
two seconds of latency, so a page that needed its script, then its questionnaire, then its
words took three round trips before a young person could tap Start; this one takes one.

static/ stays plain, commented source with no build step: the app is native ES modules a
browser can load as they are (`<script type="module" src="/app/app.js">` in index.html). The page
carries them joined into one inline module script (`joined`), so they cost no request of their
own, with the comments and indentation taken out (rjsmin, rcssmin), a quarter fewer bytes."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import rcssmin
import rjsmin

from survey_service.http.headers import SECURITY_HEADERS

# What a page is for. "form": a questionnaire. The others show help and 999 instead:
# "missing" for a link to no questionnaire, "closed" for one that takes no more answers, and
# "offline" for the service worker to show when a page this phone never kept is asked for.
State = Literal["form", "missing", "closed", "offline"]

FALLBACK_LANGUAGE = "en"
_STYLESHEET = re.compile(r'<link rel="stylesheet" href="/app/([\w.-]+)">')
_SCRIPT = re.compile(r'<script type="module" src="/app/([\w.-]+)"></script>')
_PLACEHOLDER = re.compile(r"__(TITLE|MANIFEST|DATA|QID)__")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _json_in_html(body: bytes) -> str:
    """JSON that is safe inside <script type="application/json">: no "<" can close the element
    (JSON strings may spell it \\u003c)."""
    return body.decode("utf-8").replace("<", "\\u003c")


@dataclass(frozen=True)
class Preview:
    """What the app needs to know of a preview: where "Back" leads (the portal's upload page,
    or nowhere for `survey-service preview`)."""

    back: str = ""


@dataclass(frozen=True)
class Shell:
    """index.html with its assets inlined, the policy that allows them, and the catalogues."""

    template: str
    csp: str
    catalogues: Mapping[str, bytes]

    @classmethod
    def load(cls, folder: Path, catalogues: Mapping[str, bytes]) -> Shell:
        scripts: list[str] = []
        styles: list[str] = []

        def style(match: re.Match[str]) -> str:
            text = rcssmin.cssmin((folder / match[1]).read_text(encoding="utf-8"))
            styles.append(_sha256(text))
            return f"<style>{text}</style>"

        def script(match: re.Match[str]) -> str:
            text = rjsmin.jsmin(joined(folder, match[1]))
            scripts.append(_sha256(text))
            return f'<script type="module">{text}</script>'

        template = (folder / "index.html").read_text(encoding="utf-8")
        template = _SCRIPT.sub(script, _STYLESHEET.sub(style, template))
        # Only the inlined texts, by hash: no 'unsafe-inline', nothing from anywhere else.
        csp = (
            SECURITY_HEADERS["content-security-policy"]
            + f"; script-src 'self' {' '.join(scripts)}; style-src 'self' {' '.join(styles)}"
        )
        return cls(template, csp, {tag: _compact(body) for tag, body in catalogues.items()})

    def page(
        self,
        state: State,
        title: str,
        qid: str = "",
        definition: bytes | None = None,
        languages: Iterable[str] = (),
        preview: Preview | None = None,
    ) -> bytes:
        """The page for a questionnaire (state "form", with its JSON definition and declared
        languages) or a help page (any other state, every catalogue so it opens in the
        browser's language). With `preview`, the form is an author's draft: marked as a
        preview on every screen, and it keeps and sends nothing."""
        wanted = words_for(languages, self.catalogues) if state == "form" else self.catalogues
        words = ",".join(f'"{tag}":{_json_in_html(self.catalogues[tag])}' for tag in wanted)
        marked = (
            f',"preview":{_json_in_html(json.dumps(asdict(preview)).encode())}' if preview else ""
        )
        data = (
            f'{{"state":"{state}","def":'
            + (_json_in_html(definition) if definition is not None else "null")
            + f',"words":{{{words}}}{marked}}}'
        )
        manifest = f'<link rel="manifest" href="/q/{qid}/manifest.webmanifest">' if qid else ""
        values = {"TITLE": html.escape(title), "MANIFEST": manifest, "DATA": data, "QID": qid}
        return _PLACEHOLDER.sub(lambda m: values[m[1]], self.template).encode("utf-8")


# The module syntax `joined` understands, each at the start of a line: named, namespace and
# bare imports of a sibling ("./name.js"), and exported declarations. Anything else (a default
# export, `export let`, whose live binding a copy cannot keep, `import()`) is refused.
_IMPORT = re.compile(
    r"^import\s+(?:(?P<names>\{[^}]*\})\s+from\s+|\*\s+as\s+(?P<all>[\w$]+)\s+from\s+)?"
    r'"\./(?P<file>[\w-]+\.js)";[ \t]*$',
    re.M,
)
_EXPORT = re.compile(
    r"^export\s+(?=(?:async\s+)?(?:function\*?|const|class)\s+(?P<name>[\w$]+))", re.M
)
_MODULE_SYNTAX = re.compile(r"^[ \t]*(?:import|export)\b", re.M)


def joined(folder: Path, entry: str) -> str:
    """`entry` and the modules it imports, as one script: each module a function scope that
    returns its exports, in the order a browser would run them (dependencies first, each once).
    The same code runs as when a browser loads the files: only import and export lines change."""
    order: list[str] = []
    _visit(folder, entry, order, [])
    parts = []
    for name in order:
        body, exports = _rewrite(folder / name)
        if name == entry:
            parts.append(f"(() => {{\n{body}\n}})();")
        else:
            ending = f"return {{ {', '.join(exports)} }};"
            parts.append(f"const {_binding(name)} = (() => {{\n{body}\n{ending}\n}})();")
    return "\n".join(parts)


def _binding(name: str) -> str:
    return "__module_" + re.sub(r"\W", "_", name.removesuffix(".js"))


def _visit(folder: Path, name: str, order: list[str], path: list[str]) -> None:
    if name in order:
        return
    if name in path:
        raise ValueError(f"static/{name}: an import cycle: {' -> '.join([*path, name])}")
    text = (folder / name).read_text(encoding="utf-8")
    for match in _IMPORT.finditer(text):
        _visit(folder, match["file"], order, [*path, name])
    order.append(name)


def _rewrite(path: Path) -> tuple[str, list[str]]:
    """A module's text with its imports as constants and `export` taken off, and its exports."""
    text = path.read_text(encoding="utf-8")
    known = {m.start() for m in _IMPORT.finditer(text)} | {
        m.start() for m in _EXPORT.finditer(text)
    }
    for match in _MODULE_SYNTAX.finditer(text):
        if match.start() not in known:
            line = text[match.start() :].split("\n", 1)[0]
            raise ValueError(f"static/{path.name}: module syntax the page cannot join: {line}")
    exports = [m["name"] for m in _EXPORT.finditer(text)]
    # Imports come first, wherever they are written, as a browser binds them before running.
    constants = [_constant(m) for m in _IMPORT.finditer(text) if m["all"] or m["names"]]
    return "\n".join([*constants, _EXPORT.sub("", _IMPORT.sub("", text))]), exports


def _constant(match: re.Match[str]) -> str:
    module = _binding(match["file"])
    if match["all"]:
        return f"const {match['all']} = {module};"
    names = re.sub(r"\b([\w$]+)\s+as\s+([\w$]+)\b", r"\1: \2", match["names"])
    return f"const {names} = {module};"


def _compact(catalogue: bytes) -> bytes:
    """A catalogue without its notes for translators ("_about") or its layout."""
    words = {k: v for k, v in json.loads(catalogue).items() if not k.startswith("_")}
    return json.dumps(words, ensure_ascii=False, separators=(",", ":")).encode()


def words_for(languages: Iterable[str], catalogues: Mapping[str, bytes]) -> list[str]:
    """The catalogues a form needs: English (every other falls back on it) and the best match
    for each language the questionnaire has, by tag, then by its primary language."""
    found = [FALLBACK_LANGUAGE]
    for tag in languages:
        match = next(
            (name for name in (tag, tag.split("-")[0].lower()) if name in catalogues), None
        )
        if match and match not in found:
            found.append(match)
    return found
