"""The portal's browser tests share this: Debian's Chromium under Playwright, and the check
every page they visit passes (axe finds nothing; a screenshot kept for a person to look at)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
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


class Service:
    """`survey-service serve` in a child process on 127.0.0.1, for a portal browser test."""

    def __init__(self, root: Path, extra_env: dict[str, str] | None = None):
        from tests.support.inspectors import PASSWORD
        from tests.support.serverproc import free_port

        self.root = root
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "SURVEY_DATA_DIR": str(root / "data"),
            "SURVEY_QUESTIONNAIRES_DIR": str(root / "questionnaires"),
            "SURVEY_PORT": str(port),
            "SURVEY_HOST": "127.0.0.1",
            "SURVEY_PUBLIC_BASE_URL": self.base,
            "SURVEY_PASSWORD": PASSWORD,
            "SURVEY_LOG_LEVEL": "warning",
            **(extra_env or {}),
        }

    def command(self, *args: str) -> str:
        """A `survey-service` command against this service's data; what it printed."""
        cli = str(Path(sys.executable).parent / "survey-service")
        done = subprocess.run([cli, *args], env=self.env, check=True, capture_output=True)
        return done.stdout.decode().strip()

    def send(self, answers: list[dict[str, Any]]) -> None:
        """Responses to every-type, then the days pass: every random delay is over (rule 6)."""
        import httpx

        items = [
            {"id": str(uuid.uuid4()), "questionnaire": "every-type", "version": 1, "answers": a}
            for a in answers
        ]
        assert httpx.post(f"{self.base}/api/responses/batch", json={"responses": items}).is_success
        with sqlite3.connect(self.root / "data" / "survey.sqlite3") as db:
            db.execute("UPDATE responses SET eligible = '2000-01-01'")

    @contextmanager
    def running(self) -> Iterator[str]:
        """The service started and answering; stopped afterwards. Yields its address."""
        import httpx

        from tests.support.waiting import wait_until

        cli = str(Path(sys.executable).parent / "survey-service")
        log_path = self.root / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen([cli, "serve"], env=self.env, stderr=log)
            try:
                wait_until(
                    lambda: httpx.get(f"{self.base}/api/questionnaires", timeout=1).is_success,
                    seconds=20,
                    ignoring=(httpx.HTTPError,),
                    failing=log_path.read_text,
                )
                yield self.base
            finally:
                process.terminate()
                process.wait(timeout=10)
