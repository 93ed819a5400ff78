"""Browser suite fixtures: one Playwright and Chromium for the suite, a real server per test."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from survey_service.settings import BUNDLED_QUESTIONNAIRES as BUNDLED
from tests.support.waiting import wait_until

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "questionnaires"  # apart from the API fixtures, which tests count
ARTIFACTS = HERE.parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
FORM = "check-in"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`granian` running the real app in a child process, on 127.0.0.1 only."""

    def __init__(
        self,
        data_dir: Path,
        static_dir: Path | None = None,
        questionnaires: Path = FIXTURES,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.static_dir = static_dir
        self.questionnaires = questionnaires
        self.env = env or {}
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def form_url(self, qid: str = FORM) -> str:
        return f"{self.url}/q/{qid}"

    def start(self) -> None:
        env = {
            "PATH": "/usr/bin:/bin",
            "SURVEY_DATA_DIR": str(self.data_dir),
            "SURVEY_QUESTIONNAIRES_DIR": str(self.questionnaires),
            "SURVEY_HOST": "127.0.0.1",
            "SURVEY_PORT": str(self.port),
            **self.env,
        }
        if self.static_dir:
            env["TEST_STATIC_DIR"] = str(self.static_dir)
        log = (self.data_dir / "server.log").open("ab")
        with log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "granian", "--interface", "asgi", "--factory"),
                    *("--host", "127.0.0.1", "--port", str(self.port)),
                    *("--working-dir", str(HERE), "asgi_factory:app"),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(self._answers, seconds=20, failing=self.log)
        except AssertionError as exc:
            raise RuntimeError(f"server did not start:\n{exc}") from None

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(self.log())
        try:
            with urllib.request.urlopen(self.url + "/api/questionnaires", timeout=1):
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return (self.data_dir / "server.log").read_text(errors="replace")

    def stored(self) -> int:
        """Rows in the responses table, read beside the server as an operator would."""
        path = self.data_dir / "survey.sqlite3"
        if not path.exists():
            return 0
        with sqlite3.connect(path) as db:
            return db.execute("SELECT count(*) FROM responses").fetchone()[0]


# Package scope, not session: the sync API keeps an event loop running in this thread while it
# is open, and pytest-asyncio cannot run the async tests of other modules beside it.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps`")
    browser = playwright.chromium.launch(executable_path=CHROMIUM)
    yield browser
    browser.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    context.set_default_timeout(10_000)
    # The quick-exit target, stubbed: no request leaves this machine.
    context.route(
        "https://www.bbc.co.uk/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>Weather</title><p>Weather</p>"
        ),
    )
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


@pytest.fixture
def bundled(tmp_path: Path) -> Iterator[Server]:
    """The service with the questionnaires it ships (have-your-say and staff-survey)."""
    server = Server(tmp_path, questionnaires=BUNDLED)
    server.start()
    yield server
    server.stop()
