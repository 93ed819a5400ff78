"""The form app's native ES modules (static/*.js), and how the server joins them: into the page
as one inline module script (one request), and into the worker as one classic script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from survey_service.respondent import webapp
from survey_service.respondent.form_page import joined

STATIC = webapp.STATIC_DIR


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)


def test_each_script_is_type_checked():
    # screening.js too, though it stays a plain script (it sets a global for the page, the
    # worker, the tests and the bench).
    for path in sorted(STATIC.glob("*.js")):
        assert path.read_text().startswith("// @ts-check\n"), path.name


def test_the_page_joins_every_module_the_app_imports_once_dependencies_first(tmp_path):
    write(
        tmp_path,
        {
            "app.js": 'import { b } from "./b.js";\nimport * as a from "./a.js";\nb(a.one);\n',
            "b.js": 'export const b = () => uno;\nimport { one as uno } from "./a.js";\n',
            "a.js": "export const one = 1;\nexport async function later() {}\nexport class C {}\n",
        },
    )
    text = joined(tmp_path, "app.js")
    # a runs before b, which imports it, and only once though two modules import it.
    assert text.count("const one = 1;") == 1
    assert text.index("const one = 1;") < text.index("const b =") < text.index("b(a.one)")
    # An import binds before the module's code runs, wherever it is written.
    assert text.index("const { one: uno } = __module_a;") < text.index("const b =")
    assert "const a = __module_a;" in text
    assert "return { one, later, C };" in text
    assert "import" not in text
    assert "export" not in text


@pytest.mark.parametrize(
    "line",
    [
        "export let count = 0;",  # a live binding a joined copy cannot keep
        "export default function () {}",
        "export { x };",
        'import x from "./a.js";',
        'import { x } from "/app/a.js";',
        "  export const y = 2;",
    ],
)
def test_module_syntax_the_page_cannot_join_stops_start_up(tmp_path, line):
    write(tmp_path, {"app.js": line + "\n", "a.js": "export const x = 1;\n"})
    with pytest.raises(ValueError, match="cannot join"):
        joined(tmp_path, "app.js")


def test_an_import_cycle_stops_start_up(tmp_path):
    write(
        tmp_path,
        {
            "app.js": 'import { a } from "./a.js";\n',
            "a.js": 'import { b } from "./b.js";\nexport const a = 1;\n',
            "b.js": 'import { a } from "./a.js";\nexport const b = 2;\n',
        },
    )
    with pytest.raises(ValueError, match=re.escape("import cycle: app.js -> a.js -> b.js -> a.js")):
        joined(tmp_path, "app.js")


def imported_by_the_app() -> set[str]:
    seen = {"app.js"}
    pending = ["app.js"]
    while pending:
        text = (STATIC / pending.pop()).read_text()
        for found in re.findall(r'^import [^;]*?"\./([\w-]+\.js)";', text, re.M):
            if found not in seen:
                seen.add(found)
                pending.append(found)
    return seen


async def test_each_module_is_served_as_it_is_so_the_files_run_without_a_build(client):
    modules = imported_by_the_app()
    assert {"app.js", "i18n.js", "outbox.js", "sync.js", "form.js", "exit.js"} <= modules
    for name in modules:
        response = await client.get(f"/app/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.text == (STATIC / name).read_text()
    assert (await client.get("/app/sw.js")).status_code == 404  # the worker lives at /q/sw.js


async def test_the_page_carries_the_app_as_one_inline_module(client):
    page = (await client.get("/q/every-type")).text
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts == [' type="application/json" id="data"', ' type="module"']
    body = re.search(r'<script type="module">(.*?)</script>', page, re.S)
    assert body
    assert "__module_outbox" in body[1]
    assert "performance.mark" in body[1]


async def test_the_worker_is_one_classic_script_with_the_outbox_in_it(client):
    worker = (await client.get("/q/sw.js")).text
    assert worker.startswith('"use strict";')
    assert not re.search(r"^\s*(import|export)\b|importScripts", worker, re.M)
    # The same outbox code the page runs, so both send the same way.
    outbox = joined(STATIC, "outbox.js")
    assert outbox.removeprefix("(() => {\n").removesuffix("\n})();") in worker
