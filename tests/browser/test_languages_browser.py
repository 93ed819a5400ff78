"""The form app in more than one language, in a real Chromium (issue 9): the browser's language
first, a switch that keeps the answers, right-to-left layout, offline, axe in each language.

The fixture questionnaire is tests/browser/questionnaires/multilingual.toml (en, pl, ar); its
Polish and Arabic are unreviewed test data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.waiting import wait_until

from .conftest import ARTIFACTS, PHONE, Server
from .test_webapp_browser import record_batches

pytestmark = pytest.mark.browser

FORM = "multilingual"
NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """A page in a fresh context whose browser speaks `locale` (navigator.languages)."""
    contexts: list[BrowserContext] = []

    def make(locale: str = "en-GB") -> Page:
        context = browser.new_context(viewport=PHONE, service_workers="allow", locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


def button(page: Page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def switch(page: Page, language: str) -> None:
    page.locator("#lang").select_option(language)
    expect(page.locator("html")).to_have_attribute("lang", language)


def test_opens_in_the_best_of_the_browsers_languages(new_page: NewPage, server: Server):
    expected = [
        # (browser locale, language shown, direction, first heading, start button)
        ("ar", "ar", "rtl", "استبيانك", "ابدأ"),
        ("pl-PL", "pl", "ltr", "Twoja ankieta", "Zacznij"),  # by language when no exact tag
        ("de-DE", "en", "ltr", "Your check-in", "Start"),  # none matches: the default
    ]
    for locale, language, direction, title, start in expected:
        page = new_page(locale)
        page.goto(server.form_url(FORM))
        expect(button(page, start)).to_be_visible()
        html = page.locator("html")
        expect(html).to_have_attribute("lang", language)
        expect(html).to_have_attribute("dir", direction)
        expect(heading(page)).to_have_text(title)
        expect(page.locator("#lang")).to_have_value(language)
        assert page.errors == []  # type: ignore[attr-defined]

        # Right to left is mirrored, not just aligned: quick exit moves to the left of the
        # bar, Get help to its right, and the panel's stripe to its right edge.
        exit_box = page.locator("#exit").bounding_box()
        help_box = page.locator("#help").bounding_box()
        assert exit_box
        assert help_box
        assert (exit_box["x"] < help_box["x"]) == (direction == "rtl")
        stripe = page.locator(".panel").evaluate(
            "el => [getComputedStyle(el).borderLeftWidth, getComputedStyle(el).borderRightWidth]"
        )
        assert stripe == (["0px", "5px"] if direction == "rtl" else ["5px", "0px"])
        if direction == "rtl":
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / "languages-ar-intro.png", full_page=True)


def test_a_single_language_form_shows_no_switch(new_page: NewPage, server: Server):
    page = new_page("ar")
    page.goto(server.form_url("check-in"))
    expect(button(page, "Start")).to_be_visible()
    expect(page.locator("#langs")).to_be_hidden()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")


def test_switching_language_keeps_the_answers_and_sends_the_language(
    new_page: NewPage, server: Server
):
    page = new_page("en-GB")
    sent = record_batches(page.context)
    page.goto(server.form_url(FORM))
    button(page, "Start").click()
    page.get_by_label("14 to 15").check()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("4", exact=True).check()

    switch(page, "pl")
    expect(heading(page)).to_have_text("O tobie")
    expect(page.get_by_text("Krok 1 z 4")).to_be_visible()
    expect(page.get_by_label("14–15 lat")).to_be_checked()
    expect(page.get_by_label("Tak", exact=True)).to_be_checked()
    expect(page.get_by_label("4", exact=True)).to_be_checked()
    expect(page.get_by_text("5 = Bardzo")).to_be_visible()
    button(page, "Dalej").click()
    page.get_by_label("W domu").check()
    page.get_by_label("Ilu dorosłym ufasz?").fill("99")
    button(page, "Dalej").click()
    expect(page.locator(".error-summary")).to_contain_text("Wpisz liczbę całkowitą od 0 do 20")

    switch(page, "ar")  # the error, already shown, reads in the new language too
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(heading(page)).to_have_text("الشعور بالأمان")
    expect(page.locator(".error-summary")).to_contain_text("أدخل عددًا صحيحًا من 0 إلى 20")
    expect(page.get_by_label("في المنزل")).to_be_checked()
    number = page.get_by_label("كم عدد البالغين الذين تثق بهم؟")
    expect(number).to_have_value("99")
    number.fill("٣")  # an Arabic keyboard's 3
    button(page, "التالي").click()
    page.get_by_label("هل هناك أي شيء آخر تريد أن تخبرنا به؟").fill("نوادٍ أكثر")
    button(page, "التالي").click()
    expect(heading(page)).to_have_text("راجع إجاباتك")
    review = page.locator("main")
    for shown in ("من 14 إلى 15", "نعم", "في المنزل", "٣", "نوادٍ أكثر"):
        expect(review).to_contain_text(shown)
    button(page, "أرسل إجاباتي").click()
    expect(heading(page)).to_have_text("شكرًا لك")
    expect(page.locator("#status")).to_have_text("أُرسل كل شيء")
    item = sent[0]["responses"][0]
    assert item["language"] == "ar"
    assert item["answers"] == {
        "age_band": "14_15",
        "has_worker": "yes",
        "worker_help": 4,
        "safe_places": ["home"],
        "trusted_adults": 3,
        "anything_else": "نوادٍ أكثر",
    }
    wait_until(lambda: server.stored() == 1)
    assert page.errors == []  # type: ignore[attr-defined]


def test_offline_in_a_second_language(new_page: NewPage, server: Server):
    page = new_page("pl")
    page.goto(server.form_url(FORM))
    expect(heading(page)).to_have_text("Twoja ankieta")
    page.wait_for_selector("html[data-offline=ready]", state="attached")
    page.context.set_offline(True)
    page.reload()  # everything below comes from the service worker's caches
    expect(button(page, "Zacznij")).to_be_visible()
    expect(page.locator("#support-h")).to_have_text("Chcesz z kimś porozmawiać?")
    switch(page, "ar")  # a language not yet shown on this phone, from its kept catalogue
    expect(heading(page)).to_have_text("استبيانك")
    expect(page.locator("#support-h")).to_have_text("هل تحتاج إلى التحدث مع أحد؟")
    expect(page.locator("#support-list")).to_contain_text("مجاني وسرّي، في أي وقت")
    button(page, "ابدأ").click()
    page.get_by_label("من 16 إلى 17").check()
    for _ in range(3):
        button(page, "التالي").click()
    button(page, "أرسل إجاباتي").click()
    expect(page.locator("#status")).to_contain_text("إجابة واحدة بانتظار الإرسال.")
    assert server.stored() == 0
    page.context.set_offline(False)
    expect(page.locator("#status")).to_have_text("أُرسل كل شيء")
    assert server.stored() == 1
    assert page.errors == []  # type: ignore[attr-defined]


def test_every_screen_in_every_language_passes_axe(new_page: NewPage, server: Server):
    """axe on each screen in en, pl and ar, reached by switching language on that screen."""
    page = new_page("en-GB")
    axe = Axe()
    ARTIFACTS.mkdir(exist_ok=True)

    def each_language(name: str) -> None:
        for language in ("pl", "ar", "en"):
            switch(page, language)
            expect(page.locator("#langs")).to_be_visible()  # the switch is on every screen
            if language == "ar":
                page.screenshot(path=ARTIFACTS / f"languages-ar-{name}.png", full_page=True)
            result = axe.run(page)
            assert result.violations_count == 0, f"{name} in {language}: {result.generate_report()}"

    page.goto(server.form_url(FORM))
    expect(button(page, "Start")).to_be_visible()
    each_language("intro")
    button(page, "Start").click()
    page.get_by_label("Yes", exact=True).check()
    button(page, "Next").click()
    page.get_by_label("How many adults do you trust?").fill("-4")
    button(page, "Next").click()
    each_language("error-summary")
    page.get_by_label("How many adults do you trust?").fill("4")
    button(page, "Next").click()
    button(page, "Next").click()
    each_language("review")
    button(page, "Send my answers").click()
    expect(page.locator("#status")).to_have_text("All sent")
    each_language("confirmation")
    assert page.errors == []  # type: ignore[attr-defined]
