"""Reviewing free text in a real Chromium against a real server, by keyboard alone: tick a
word with Space, tick typed words with Enter, approve, withhold, mark a quote; axe finds no
violations on the review and quotes pages; the approved text and the quote reach the Excel
file. Screenshots for a human to look at."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest

from tests.support.inspectors import FIXTURES, PASSWORD
from tests.support.portal_browser import Service, axe_clean, chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BIN = Path(sys.executable).parent
# The last: long, with a word too long for a phone's width, left waiting.
LONG = "It went on and on " * 20 + "s" + "o" * 90 + " long"
WRITTEN = ["Wibbleton was scary", "Ask for Zorblax at the shop", "Nobody listened", LONG]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("review")
    folder = root / "questionnaires"
    folder.mkdir()
    for path in (FIXTURES / "questionnaires").glob("*.toml"):
        shutil.copy(path, folder / path.name)
    service = Service(root)
    service.command("inspectors", "add", "amira")
    service.command("inspectors", "reviewer", "amira")
    token = service.command("inspectors", "token", "amira")
    with service.running() as base:
        answers: list[dict[str, object]] = [
            {"fits": "no", "times": n, "age_band": "14_15"} for n in range(12)
        ]
        for given, text in zip(answers, WRITTEN, strict=False):
            given["why_not"] = text
        service.send(answers)
        headers = {"Authorization": f"Bearer {token}"}
        released = httpx.post(
            f"{base}/api/inspect/questionnaires/every-type/batches", headers=headers
        )
        assert released.status_code == 201
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def _check(page, name: str) -> None:
    axe_clean(page, "review", name)


def _tab_to(page, condition: str, limit: int = 300) -> None:
    """Press Tab until the focused element meets `condition` (JavaScript, `el` is it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {condition}; }})()"):
            return
    raise AssertionError(f"Tab never reached: {condition}")


def _in_item(text: str) -> str:
    """JavaScript: the focused element sits in the review item holding this answer."""
    words = "el.closest('section').textContent.replace(/\\s+/g, ' ')"
    return f"el.closest('section') && {words}.includes({text!r})"


def test_a_reviewer_works_through_the_texts_by_keyboard_alone(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{server}/inspect/login")
    _tab_to(page, "el.id === 'username'")
    page.keyboard.type("amira")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server}/inspect/")
    card = page.locator("section", has_text="Have your say").first.inner_text()
    assert "Written answers waiting for review\n4" in card
    _check(page, "dashboard")

    # On a phone: the review page, long words and all, never scrolls sideways.
    phone = browser.new_context(viewport={"width": 360, "height": 740})
    phone.add_cookies(context.cookies())
    small = phone.new_page()
    small.goto(f"{server}/inspect/questionnaires/every-type/review")
    _check(small, "review")
    assert small.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    phone.close()

    _tab_to(page, "el.textContent.startsWith('Review free text')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/review")
    assert page.get_by_text("4 answers wait for review").is_visible()
    _check(page, "review")

    # Tick "Wibbleton" with Space: its label shows the focus, and then the tick.
    _tab_to(page, f"el.name === 'redact' && el.value === '0' && {_in_item('Wibbleton')}")
    word = page.locator("label.word", has=page.locator("input:focus"))
    assert word.evaluate("l => getComputedStyle(l).outlineStyle") == "solid"
    assert word.inner_text().startswith("Wibbleton")
    page.keyboard.press("Space")
    assert page.locator("input:focus").is_checked()
    _check(page, "review-ticked")
    _tab_to(page, f"el.value === 'approve' && {_in_item('Wibbleton')}")
    page.keyboard.press("Enter")
    page.get_by_text("Approved with 1 redaction.").wait_for()

    # Typed words, then Enter: they are ticked (nothing is decided yet); then approve as a
    # quote. The skip link jumps over the words.
    _tab_to(page, f"el.classList.contains('skip-link') && {_in_item('Zorblax')}")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "quotable"
    _tab_to(page, f"el.name === 'phrase' && {_in_item('Zorblax')}")
    page.keyboard.type("zorblax")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    first = page.locator("section.review-item").first
    assert "Zorblax" in first.inner_text()
    ticked = first.locator("input[name=redact]:checked")
    assert ticked.count() == 1
    assert ticked.evaluate("i => i.value") == "2"
    _tab_to(page, f"el.name === 'quotable' && {_in_item('Zorblax')}")
    page.keyboard.press("Space")
    _tab_to(page, f"el.value === 'approve' && {_in_item('Zorblax')}")
    page.keyboard.press("Enter")
    page.get_by_text("Approved with 1 redaction, marked quotable.").wait_for()

    _tab_to(page, f"el.value === 'withhold' && {_in_item('Nobody listened')}")
    page.keyboard.press("Enter")
    page.get_by_text("Withheld: that answer will not appear in any file.").wait_for()
    assert page.get_by_text("1 answer waits for review").is_visible()
    _check(page, "review-done")

    page.goto(f"{server}/inspect/questionnaires/every-type/quotes")
    assert page.locator("blockquote").first.inner_text() == "Ask for [redacted] at the shop"
    _check(page, "quotes")
    page.goto(f"{server}/inspect/questionnaires/every-type")
    _check(page, "batches")
    with page.expect_download() as info:
        page.get_by_role("link", name="Excel file of batch 1").click()
    saved = tmp_path / "batch.xlsx"
    info.value.save_as(saved)
    book = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
    rows = list(book["responses"].iter_rows(values_only=True))
    texts = sorted(r[rows[0].index("why_not")] or "" for r in rows[1:])
    assert texts[-2:] == ["Ask for [redacted] at the shop", "[redacted] was scary"]
    assert texts.count("") == 10  # the withheld, the waiting and those who wrote nothing
    quotes = list(book["quotes"].iter_rows(values_only=True))
    assert quotes[1:] == [
        ("why_not", "What is different for you?", "Ask for [redacted] at the shop")
    ]

    phone = browser.new_context(viewport={"width": 390, "height": 844})  # after the review
    phone.add_cookies(context.cookies())
    small = phone.new_page()
    for name, path in [
        ("review", "/inspect/questionnaires/every-type/review"),
        ("quotes", "/inspect/questionnaires/every-type/quotes"),
        ("accounts", "/inspect/accounts"),
    ]:
        small.goto(server + path)
        _check(small, name)
        overflow = small.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways on a phone"
    phone.close()
    context.close()
