"""Issue 19 item 3 in real Chromium at 360 × 740: a draft in the real form app, marked as a
preview on every screen, storing nothing, from `survey-service preview` and from the portal;
and the issue's "Done when": an inspector writes a questionnaire in Excel, imports it, previews
it on a phone-sized screen and publishes it as a new version."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.support.inspectors import PASSWORD
from tests.support.waiting import wait_until
from tests.support.xlsforms import Form, multilingual_form, young_people_form

from .conftest import ARTIFACTS, PHONE, Server, free_port

pytestmark = pytest.mark.browser

BANNER = "Preview: nothing you enter here is sent or saved."
NEW_QUESTION = "What would make things better?"


def button(page: Page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def check(page: Page, name: str) -> None:
    """The preview is marked on this screen; axe finds nothing; a screenshot to look at."""
    expect(page.locator("#preview")).to_contain_text(BANNER)
    assert page.title().startswith("Preview: ")
    result = Axe().run(page)
    assert result.violations_count == 0, f"{name}: {result.generate_report()}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"preview-{name}.png", full_page=True)


def walk_the_draft(page: Page, answer: str) -> None:
    """Through every screen of young_people_form() to the end of the preview."""
    check(page, "intro")
    button(page, "Start").click()
    page.get_by_label("Yes", exact=True).check()
    check(page, "section")
    button(page, "Next").click()
    page.get_by_label("Anything else?").fill(answer)
    button(page, "Next").click()
    expect(heading(page)).to_have_text("Check your answers")
    check(page, "review")
    button(page, "Send as shown").click()
    expect(heading(page)).to_have_text("End of the preview")
    expect(page.get_by_text("nothing was sent or saved")).to_be_visible()
    check(page, "end")


def kept_on_the_phone(page: Page) -> dict[str, int]:
    return page.evaluate(
        """async () => ({
          databases: (await indexedDB.databases()).length,
          workers: (await navigator.serviceWorker.getRegistrations()).length,
          storage: localStorage.length + sessionStorage.length,
        })"""
    )


class PreviewProcess:
    """`survey-service preview FILE` in a child process on a free 127.0.0.1 port."""

    def __init__(self, draft: Path, data_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {"PATH": "/usr/bin:/bin", "SURVEY_DATA_DIR": str(data_dir)}
        self.log = data_dir.parent / "preview.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "survey_service", "preview", str(draft)),
                    "--port",
                    str(self.port),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # granian's worker goes down with it
            )
        try:
            wait_until(self._answers, seconds=30, every=0.2, failing=self.log.read_text)
        except AssertionError as exc:
            self.stop()
            raise RuntimeError(str(exc)) from None

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=5):
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)


@pytest.fixture
def previewing(tmp_path: Path) -> Iterator[tuple[PreviewProcess, Form, Path]]:
    form = multilingual_form()
    draft = form.save(tmp_path / "check-in.xlsx")
    process = PreviewProcess(draft, tmp_path / "data")
    yield process, form, draft
    process.stop()


def test_the_preview_command_shows_the_draft_marked_on_every_screen(page: Page, previewing):
    process, _, _ = previewing
    sent: list[str] = []
    page.on("request", lambda r: "/api/" in r.url and sent.append(r.url))
    page.goto(process.url)
    walk_the_draft(page, "text me on 07700 900123")
    assert sent == []  # nothing left the page
    assert kept_on_the_phone(page) == {"databases": 0, "workers": 0, "storage": 0}
    # The banner speaks the language chosen, like the rest of the form.
    button(page, "Back to the start").click()
    page.get_by_label("Language").select_option("pl")
    expect(page.locator("#preview")).to_have_text(
        "Podgląd: nic, co tu wpiszesz, nie zostanie wysłane ani zapisane."
    )
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_preview_shows_the_authors_changes_on_reload(page: Page, previewing):
    process, form, draft = previewing
    page.goto(process.url)
    form.settings["form_title"] = "How are things?"
    form.save(draft)
    page.reload()
    expect(heading(page)).to_have_text("How are things?")
    # A mistake in the workbook: the page lists it, placed as Excel shows it.
    form.question("trust")["relevant"] = "${nowhere} = 'yes'"
    form.save(draft)
    page.reload()
    expect(heading(page)).to_have_text("This draft cannot be previewed yet")
    expect(page.locator("main")).to_contain_text(form.place("survey", form.row_of("trust")))


# -- the portal ---------------------------------------------------------------------------------


def portal_server(tmp_path: Path, questionnaires: Path) -> Server:
    """The real service with an inspector account, as `survey-service inspectors add` makes it."""
    env = {"SURVEY_PASSWORD": PASSWORD, "SURVEY_LOG_LEVEL": "warning"}
    server = Server(tmp_path, questionnaires=questionnaires, env=env)
    subprocess.run(
        [sys.executable, "-m", "survey_service", "inspectors", "add", "amira"],
        env={
            "PATH": "/usr/bin:/bin",
            "SURVEY_DATA_DIR": str(tmp_path),
            "SURVEY_QUESTIONNAIRES_DIR": str(questionnaires),
            **env,
        },
        check=True,
        capture_output=True,
    )
    server.start()
    return server


def sign_in(page: Page, server: Server) -> None:
    page.goto(server.url + "/inspect/preview")
    page.get_by_label("Name").fill("amira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page)).to_have_text("Preview a draft questionnaire")


def upload(page: Page, draft: Path) -> None:
    page.get_by_label("Your draft").set_input_files(draft)
    button(page, "Preview").click()


def counts(server: Server) -> tuple[int, list[tuple[str, int]]]:
    with sqlite3.connect(server.data_dir / "survey.sqlite3") as db:
        versions = db.execute("SELECT questionnaire, version FROM questionnaire_versions")
        return server.stored(), sorted(versions.fetchall())


def test_the_portal_lists_a_drafts_problems_then_previews_it_storing_nothing(
    page: Page, tmp_path: Path
):
    server = portal_server(tmp_path, Path(__file__).parent / "questionnaires")
    try:
        before = counts(server)
        sign_in(page, server)
        ARTIFACTS.mkdir(exist_ok=True)
        form = young_people_form()
        form.settings["audience"] = "everyone"
        upload(page, form.save(tmp_path / "my-form.xlsx"))
        expect(page.get_by_role("alert")).to_contain_text("1 problem in my-form.xlsx")
        cells = page.locator("table.problems tbody td")
        problem = "must be young_people or staff, not 'everyone'"
        expect(cells).to_have_text(["settings", "2", "D (audience)", problem])
        result = Axe().run(page)
        assert result.violations_count == 0, result.generate_report()
        page.screenshot(path=ARTIFACTS / "preview-portal-problems.png", full_page=True)

        upload(page, young_people_form().save(tmp_path / "my-form.xlsx"))
        expect(page.get_by_role("link", name="Back to the portal")).to_be_visible()
        walk_the_draft(page, "my social worker Karen Jones")
        assert counts(server) == before  # no answer, and the draft is not published
        page.get_by_role("link", name="Back to the portal").click()
        expect(heading(page)).to_have_text("Preview a draft questionnaire")
    finally:
        server.stop()


# -- Done when: Excel, import, preview on a phone, publish -----------------------------------------


def test_an_inspector_writes_imports_previews_and_publishes_a_new_version(
    browser: Browser, page: Page, tmp_path: Path
):
    published = tmp_path / "questionnaires"
    published.mkdir()
    cli = [sys.executable, "-m", "survey_service"]
    env = {"PATH": "/usr/bin:/bin", "SURVEY_DATA_DIR": str(tmp_path / "cli")}

    def run(*args: str) -> str:
        done = subprocess.run([*cli, *args], env=env, capture_output=True, text=True, check=True)
        return done.stdout + done.stderr

    # Version 1 is live: written in Excel, imported, served.
    run("import-xlsform", str(young_people_form().save(tmp_path / "v1.xlsx")), "-o", str(published))
    server = portal_server(tmp_path, published)
    try:
        # In Excel: the next version, with a new question in the second group.
        form = young_people_form()
        form.settings["version"] = 2
        at = form.row_of("anything_else") - 1
        form.survey.insert(
            at,
            {
                "type": "text",
                "name": "better",
                "label": NEW_QUESTION,
                "appearance": "multiline",
            },
        )
        workbook = form.save(tmp_path / "check-in-v2.xlsx")
        drafts = tmp_path / "drafts"
        said = run("import-xlsform", str(workbook), "-o", str(drafts))
        assert "wrote" in said
        assert "check-in version 2" in said

        # On a phone-sized screen (the page fixture is 360 × 740), in the portal.
        assert page.viewport_size == PHONE
        sign_in(page, server)
        upload(page, workbook)
        expect(page.locator("#preview")).to_contain_text(BANNER)
        button(page, "Start").click()
        button(page, "Next").click()
        expect(page.get_by_label(NEW_QUESTION)).to_be_visible()
        page.get_by_label(NEW_QUESTION).fill("more youth clubs")
        button(page, "Next").click()
        button(page, "Send my answers").click()
        expect(heading(page)).to_have_text("End of the preview")
        assert counts(server) == (0, [("check-in", 1)])

        # Publish: the file goes into the questionnaires folder, and the service restarts.
        shutil.copy(drafts / "check-in-v2.toml", published)
        assert "check-in version 2" in run("check", str(published))
        server.stop()
        server.start()
        assert counts(server) == (0, [("check-in", 1), ("check-in", 2)])

        # A young person's phone now gets version 2, and their answer is stored against it.
        phone = browser.new_context(viewport=PHONE, service_workers="allow")
        try:
            young = phone.new_page()
            young.goto(server.form_url("check-in"))
            button(young, "Start").click()
            button(young, "Next").click()
            young.get_by_label(NEW_QUESTION).fill("more youth clubs")
            button(young, "Next").click()
            button(young, "Send my answers").click()
            expect(heading(young)).to_have_text("Thank you")
            for _ in range(100):
                if server.stored():
                    break
                young.wait_for_timeout(100)
            with sqlite3.connect(server.data_dir / "survey.sqlite3") as db:
                rows = db.execute("SELECT version, answers FROM responses").fetchall()
            assert [(v, json.loads(a)) for v, a in rows] == [(2, {"better": "more youth clubs"})]
        finally:
            phone.close()
    finally:
        server.stop()
