"""Posters and leaflets in a real Chromium (issue 16, item 10): no QR code to an address phones
cannot reach unless the operator says so, and each sheet prints on one page of its paper."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from .conftest import ARTIFACTS, BUNDLED, Server

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
PUBLIC = "https://survey.example.org"
MM = 72 / 25.4  # PDF points per millimetre
PAPER_MM = {"poster": (210, 297), "leaflet": (105, 148)}


def inspector_server(tmp_path: Path, **env: str) -> Server:
    tmp_path.mkdir(exist_ok=True)
    server = Server(tmp_path, questionnaires=BUNDLED, env=env)
    add = [sys.executable, "-m", "survey_service", "inspectors", "add", "amira"]
    subprocess.run(
        add,
        env={
            "PATH": "/usr/bin:/bin",
            "SURVEY_DATA_DIR": str(tmp_path),
            "SURVEY_QUESTIONNAIRES_DIR": str(BUNDLED),
            "SURVEY_PASSWORD": PASSWORD,
        },
        check=True,
        capture_output=True,
    )
    server.start()
    return server


@pytest.fixture
def signed_in(browser: Browser) -> Iterator[Callable[[Server], Page]]:
    contexts = []

    def sign_in(server: Server) -> Page:
        context = browser.new_context(viewport={"width": 1024, "height": 800})
        contexts.append(context)
        page = context.new_page()
        page.goto(server.url + "/inspect/login")
        page.get_by_label("Name").fill("amira")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server.url + "/inspect/")
        return page

    yield sign_in
    for context in contexts:
        context.close()


def test_no_qr_code_for_a_loopback_address_unless_confirmed(
    signed_in: Callable[[Server], Page], tmp_path: Path
):
    server = inspector_server(tmp_path / "default")  # SURVEY_PUBLIC_BASE_URL left at loopback
    try:
        page = signed_in(server)
        for sheet in ("posters", "poster", "leaflet"):
            page.goto(f"{server.url}/inspect/questionnaires/have-your-say/{sheet}")
            alert = page.get_by_role("alert")
            expect(alert).to_contain_text("SURVEY_PUBLIC_BASE_URL")
            expect(alert).to_contain_text("127.0.0.1")
            expect(alert).to_contain_text("SURVEY_POSTERS_ALLOW_PRIVATE_URL")
            expect(page.locator("img.qr")).to_have_count(0)
            result = Axe().run(page)
            assert result.violations_count == 0, f"{sheet}: {result.generate_report()}"
        for kind in ("svg", "png"):
            path = f"/api/inspect/questionnaires/have-your-say/qr.{kind}"
            reply = page.request.get(server.url + path)
            assert reply.status == 409
            assert reply.json()["errors"][0]["field"] == "public_base_url"
    finally:
        server.stop()

    # The operator confirms: a trial on this network, knowingly.
    confirmed = inspector_server(tmp_path / "trial", SURVEY_POSTERS_ALLOW_PRIVATE_URL="true")
    try:
        page = signed_in(confirmed)
        page.goto(f"{confirmed.url}/inspect/questionnaires/have-your-say/posters")
        expect(page.locator("img.qr")).to_be_visible()
        expect(page.locator(".note")).to_contain_text("only on this network")
    finally:
        confirmed.stop()


@pytest.mark.parametrize("sheet", ["leaflet", "poster"])
def test_each_sheet_prints_on_one_page_of_its_paper(
    signed_in: Callable[[Server], Page], tmp_path: Path, sheet: str
):
    server = inspector_server(tmp_path, SURVEY_PUBLIC_BASE_URL=PUBLIC)
    try:
        page = signed_in(server)
        page.goto(f"{server.url}/inspect/questionnaires/have-your-say/{sheet}")
        expect(page.locator("img.qr")).to_be_visible()
        pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{sheet}.pdf").write_bytes(page.pdf(prefer_css_page_size=True))
        assert len(pdf.pages) == 1, f"the {sheet} prints on {len(pdf.pages)} pages"
        width, height = (float(v) / MM for v in pdf.pages[0].mediabox.upper_right)
        assert (round(width), round(height)) == PAPER_MM[sheet]
        text = pdf.pages[0].extract_text()
        for needed in ("Childline", "0800 1111", "999", "survey.example.org/q/have-your-say"):
            assert needed in text, needed
    finally:
        server.stop()
