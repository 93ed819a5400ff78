"""The portal in a real Chromium against a real server: sign in, release a batch, download the
XLSX, see the chart; axe finds no violations on any page; screenshots for a human to look at."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from tests.support.inspectors import FIXTURES, PASSWORD
from tests.support.portal_browser import Service, axe_clean, chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("portal")
    folder = root / "questionnaires"
    folder.mkdir()
    for sub in ("questionnaires", "inspect"):
        for path in (FIXTURES / sub).glob("*.toml"):
            shutil.copy(path, folder / path.name)
    # Posters for this loopback test server.
    service = Service(root, {"SURVEY_POSTERS_ALLOW_PRIVATE_URL": "true"})
    service.command("inspectors", "add", "amira")
    with service.running() as base:
        service.send(
            [
                {
                    "fits": "yes" if n % 3 else "no",
                    "trust": 1 + n % 5,
                    "age_band": "14_15",
                    "helped": ["mentor"],
                }
                for n in range(12)
            ]
        )
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def _check(page, name: str) -> None:
    axe_clean(page, "inspect", name)


def test_sign_in_release_download_and_see_the_chart(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{server}/inspect/")
    assert page.url.startswith(f"{server}/inspect/login")
    _check(page, "login")
    page.get_by_label("Name").fill("amira")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That name and password")
    page.get_by_label("Name").fill("amira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/inspect/")
    card = page.locator("section", has_text="Have your say").first.inner_text()
    assert "A release is possible: about 10 answers are ready" in card
    assert "12" not in card  # counts of waiting answers are rounded
    _check(page, "dashboard")

    page.get_by_role("link", name="Batches and downloads for Have your say").click()
    page.get_by_role("button", name="Release the ready answers as a batch").click()
    page.get_by_text("Batch 1 released with 12 responses").wait_for()
    _check(page, "batches")
    with page.expect_download() as info:
        page.get_by_role("link", name="Excel file of batch 1").click()
    saved = tmp_path / "batch.xlsx"
    info.value.save_as(saved)
    book = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
    assert book.sheetnames == ["responses", "codebook", "notes", "quotes"]
    assert book["responses"].max_row == 13

    page.goto(f"{server}/inspect/questionnaires/every-type/summary")
    chart = page.get_by_role("img", name="Does this description fit your experience?")
    assert chart.is_visible()
    assert chart.locator("rect.chart-bar").count() >= 2
    _check(page, "summary")
    page.get_by_label("Split by").select_option("age_band")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("Split by How old are you?").first.wait_for()
    _check(page, "summary-split")

    for name, path in [
        ("posters", "/inspect/questionnaires/every-type/posters"),
        ("poster-a4", "/inspect/questionnaires/every-type/poster"),
        ("leaflet-a6", "/inspect/questionnaires/every-type/leaflet"),
        ("audit", "/inspect/audit"),
        ("accounts", "/inspect/accounts"),
        ("help-numbers", "/inspect/help/numbers"),
        ("help-confidentiality", "/inspect/help/confidentiality"),
    ]:
        page.goto(server + path)
        _check(page, name)
    assert page.context.cookies()[0]["httpOnly"]

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    phone.add_cookies(context.cookies())
    small = phone.new_page()
    for name, path in [
        ("dashboard", "/inspect/"),
        ("batches", "/inspect/questionnaires/every-type"),
        ("summary", "/inspect/questionnaires/every-type/summary?by=age_band"),
        ("posters", "/inspect/questionnaires/every-type/posters"),
        ("audit", "/inspect/audit"),
        ("help-numbers", "/inspect/help/numbers"),
        ("help-confidentiality", "/inspect/help/confidentiality"),
    ]:
        small.goto(server + path)
        _check(small, name)
        overflow = small.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways on a phone"
    phone.close()
    context.close()
