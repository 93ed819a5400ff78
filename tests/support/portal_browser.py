"""The portal's browser tests share this: Debian's Chromium under Playwright, and the check
every page they visit passes (axe finds nothing; a screenshot kept for a person to look at)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Chromium; the test is skipped where Debian's package is missing."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make system-deps)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


def axe_clean(page: Any, folder: str, name: str) -> None:
    """No accessibility violation on the page as it stands; its screenshot in test-artifacts."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    (ARTIFACTS / folder).mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(ARTIFACTS / folder / f"{name}-{width}.png"), full_page=True)
