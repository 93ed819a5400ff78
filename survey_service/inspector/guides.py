"""The inspectors' help pages: the guides in docs/, rendered for the portal, so the words an
inspector reads there and the words in the repository are one text."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from markdown_it import MarkdownIt

from survey_service import bundled

# The guides the portal shows, by page name.
PAGES = {"numbers": "numbers.md", "confidentiality": "confidentiality.md"}
_LINK = re.compile(r'href="(' + "|".join(map(re.escape, PAGES.values())) + r')"')
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def _docs_dir() -> Path:
    """docs/ in a checkout; its copy inside the package in an installed wheel."""
    return bundled.folder(bundled.DOCS)


@functools.cache
def page(name: str) -> tuple[str, str] | None:
    """(title, HTML) of a guide, or None for a name that is not one."""
    file = PAGES.get(name)
    if file is None:
        return None
    text = (_docs_dir() / file).read_text(encoding="utf-8")
    title = text.splitlines()[0].lstrip("# ").strip()
    html = _markdown.render(text)
    # Links between guides point at their portal pages.
    by_file = {f: f"/inspect/help/{n}" for n, f in PAGES.items()}
    html = _LINK.sub(lambda m: f'href="{by_file[m[1]]}"', html)
    # Wide tables scroll inside their own box on a phone, reachable by keyboard.
    numbers = iter(range(1, html.count("<table>") + 1))
    html = re.sub(
        "<table>",
        lambda _: (
            f'<div class="table-scroll" tabindex="0" role="region"'
            f' aria-label="Table {next(numbers)}"><table>'
        ),
        html,
    )
    return title, html.replace("</table>", "</table></div>")
