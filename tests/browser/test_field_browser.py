"""The form app in the field (issue 16), in a real Chromium at 360 × 740: Back between steps,
delivery with no page open, timeouts and honest status, help in reach, exclusive choices, a
first load in one request, and the smaller findings. Each test failed before the change."""

from __future__ import annotations

import itertools

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.support.waiting import on_page, wait_until

from .conftest import ARTIFACTS, Server
from .test_webapp_browser import (
    SUPPORT,
    button,
    fill_little,
    open_form,
    record_batches,
    send,
    status,
    wait_offline_ready,
)

pytestmark = pytest.mark.browser

BATCH = "**/api/responses/batch"
IN_VIEW = """el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight;
}"""
OUTBOX_SIZE = """() => new Promise((resolve, reject) => {
    const req = indexedDB.open("outbox", 1);
    req.onerror = () => reject(req.error);
    req.onupgradeneeded = () => req.result.createObjectStore("items", {keyPath: "id"});
    req.onsuccess = () => {
        const all = req.result.transaction("items").objectStore("items").getAll();
        all.onsuccess = () => resolve(all.result.length);
    };
})"""


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def in_view(page: Page, selector: str) -> bool:
    return page.locator(selector).first.evaluate(IN_VIEW)


def outbox_left(context: BrowserContext, server: Server) -> int:
    """Items in the outbox, read from a page of the origin that runs none of the app."""
    page = context.new_page()
    page.goto(server.url + "/app/icon-192.png")
    try:
        return page.evaluate(OUTBOX_SIZE)
    finally:
        page.close()


# -- 1. Back ------------------------------------------------------------------------------------


def test_back_goes_to_the_previous_step_with_the_answers_kept(page: Page, server: Server):
    open_form(page, server)
    button(page, "Start").click()
    page.get_by_label("14 to 15").check()
    button(page, "Next").click()
    page.get_by_label("At home").check()
    expect(heading(page)).to_have_text("Feeling safe")

    page.go_back()  # the phone's Back gesture
    expect(heading(page)).to_have_text("About you")
    expect(page.get_by_label("14 to 15")).to_be_checked()
    expect(heading(page)).to_be_focused()
    page.go_back()
    expect(button(page, "Start")).to_be_visible()
    page.go_forward()
    expect(heading(page)).to_have_text("About you")
    page.go_forward()
    expect(heading(page)).to_have_text("Feeling safe")
    expect(page.get_by_label("At home")).to_be_checked()
    # The form's own Back button walks the same history.
    button(page, "Back").click()
    expect(heading(page)).to_have_text("About you")
    page.go_forward()
    expect(heading(page)).to_have_text("Feeling safe")
    assert page.url == server.form_url()
    assert page.errors == []  # type: ignore[attr-defined]


def test_back_after_sending_never_shows_the_sent_answers(page: Page, server: Server):
    open_form(page, server)
    fill_little(page)
    send(page)
    page.go_back()
    expect(button(page, "Start")).to_be_visible()
    assert page.locator("input:checked").count() == 0
    expect(page.locator("main")).not_to_contain_text("16 to 17")


# -- 2. Delivery with no page open; quick exit and the outbox -----------------------------------


def test_background_sync_sends_the_outbox_with_no_page_open(
    page: Page, context: BrowserContext, server: Server
):
    open_form(page, server)
    wait_offline_ready(page)
    context.set_offline(True)
    fill_little(page)
    send(page)
    expect(status(page)).to_contain_text("1 waiting to send")
    page.close()  # the phone is put away; the form is never opened again
    assert context.pages == []
    assert server.stored() == 0
    # The signal comes back: Chromium wakes the worker with the "outbox" sync event.
    context.set_offline(False)
    wait_until(lambda: server.stored() == 1, seconds=20)
    assert outbox_left(context, server) == 0  # nothing left on the phone


def test_the_thank_you_note_says_the_answers_send_without_the_page(
    page: Page, context: BrowserContext, server: Server
):
    # Where the browser has Background Sync; without it, the note asks for the page to be
    # opened again (tests/browser/test_webapp_browser.py).
    open_form(page, server)
    wait_offline_ready(page)
    context.set_offline(True)
    fill_little(page)
    send(page)
    expect(page.locator("#done-note")).to_contain_text("even if you close this page")


def test_quick_exit_hands_the_outbox_to_the_worker(
    page: Page, context: BrowserContext, server: Server
):
    reachable = {"worker": False}

    def gate(route: Route) -> None:
        if reachable["worker"] and route.request.service_worker is not None:
            route.continue_()
        else:
            route.abort()  # the server cannot be reached for now

    context.route(BATCH, gate)
    open_form(page, server)
    wait_offline_ready(page)
    fill_little(page)
    send(page)
    expect(status(page)).to_contain_text("1 waiting to send")
    reachable["worker"] = True
    button(page, "Exit this page").click()
    page.wait_for_url("https://www.bbc.co.uk/weather")
    # No form page is open now: the worker sent what was waiting, then emptied the outbox.
    wait_until(lambda: server.stored() == 1, pause=on_page(page))
    wait_until(lambda: outbox_left(context, server) == 0)


# -- 3. A stalled request, and status text that tells the truth ---------------------------------


def test_a_stalled_send_times_out_and_the_status_says_why(page: Page, server: Server):
    held: list[Route] = []

    def stall_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)  # never answered: a request stuck on a bad connection

    # The page's own timeout: with Background Sync the worker would send beside it.
    page.add_init_script("delete window.SyncManager")
    page.clock.install()
    page.route(BATCH, stall_first)
    open_form(page, server)
    fill_little(page)
    send(page)
    expect(status(page)).to_contain_text("Sending")
    assert page.evaluate("navigator.onLine")
    page.clock.fast_forward("00:45")  # past the send timeout
    expect(status(page)).to_contain_text("can't reach the server")
    expect(status(page)).not_to_contain_text("when you are online")  # the phone is online
    page.clock.fast_forward("02:00")  # past the longest backoff
    expect(status(page)).to_have_text("All sent")
    assert len(held) == 1
    wait_until(lambda: server.stored() == 1)


def test_server_errors_and_offline_read_differently(
    page: Page, context: BrowserContext, server: Server
):
    page.add_init_script("delete window.SyncManager")  # the page's own sending, on its own
    page.route(BATCH, lambda route: route.fulfill(status=503, body="{}"))
    open_form(page, server)
    fill_little(page)
    send(page)
    expect(status(page)).to_contain_text("can't reach the server")
    context.set_offline(True)
    expect(status(page)).to_contain_text("It will send when you are online")
    page.unroute(BATCH)
    context.set_offline(False)
    expect(status(page)).to_have_text("All sent")


# -- 4. Help in the first viewport of every screen ----------------------------------------------


def check_help(page: Page, name: str, emergency: bool = False) -> None:
    """Get help is in the first viewport, and opens the contacts."""
    page.evaluate("window.scrollTo(0, 0)")
    helper = button(page, "Get help")
    expect(helper).to_be_visible()
    assert helper.evaluate(IN_VIEW), f"{name}: Get help is below the fold"
    helper.click()
    expect(page.locator("#support-h")).to_be_focused()
    assert in_view(page, SUPPORT if not emergency else 'a[href="tel:999"]'), name
    if emergency:
        assert in_view(page, SUPPORT) or page.locator(SUPPORT).is_visible(), name
        expect(page.locator('a[href="tel:999"]')).to_be_visible()
    result = Axe().run(page)
    assert result.violations_count == 0, f"{name}: {result.generate_report()}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=ARTIFACTS / f"field-{name}.png")


def test_get_help_is_in_the_first_viewport_of_every_screen(
    page: Page, context: BrowserContext, server: Server
):
    open_form(page, server)
    wait_offline_ready(page)
    check_help(page, "intro")
    button(page, "Start").click()
    check_help(page, "section")
    button(page, "Next").click()
    page.get_by_label("How many adults do you trust?").fill("-4")
    button(page, "Next").click()
    check_help(page, "error-summary")
    page.get_by_label("How many adults do you trust?").fill("4")
    button(page, "Next").click()
    page.get_by_label("One word for how you feel today").fill("me@example.com")
    button(page, "Next").click()
    check_help(page, "review-with-personal-details-notice")
    button(page, "Send as shown").click()
    expect(status(page)).to_have_text("All sent")
    check_help(page, "done")

    response = page.goto(server.url + "/q/chek-in")  # a mistyped link
    assert response
    assert response.status == 404
    expect(heading(page)).to_be_visible()
    check_help(page, "mistyped-link", emergency=True)

    context.set_offline(True)
    page.goto(server.url + "/q/another-form")  # never opened on this phone, and no signal
    expect(heading(page)).to_have_text("This page isn't saved on this phone")
    check_help(page, "offline-fallback", emergency=True)


# -- 5. The sticky bar never hides the focused control ------------------------------------------


def test_tabbing_backwards_never_hides_focus_under_the_bar(page: Page, bundled: Server):
    page.goto(bundled.form_url("have-your-say"))
    button(page, "Start").click()
    button(page, "Next").click()
    button(page, "Next").click()
    expect(heading(page)).to_have_text("Getting help")
    button(page, "Next").focus()
    hidden = []
    for step in range(30):
        page.keyboard.press("Shift+Tab")
        covered = page.evaluate(
            """() => {
                const el = document.activeElement;
                const bar = document.querySelector(".bar");
                if (el === document.body || bar.contains(el)) return null; // past the form
                const r = el.getBoundingClientRect();
                const under = r.top < bar.getBoundingClientRect().bottom;
                return under || r.bottom > innerHeight ? el.outerHTML.slice(0, 80) : null;
            }"""
        )
        if covered:
            hidden.append((step, covered))
    assert hidden == []


# -- 6. A double tap on Send -------------------------------------------------------------------


def test_a_double_tap_on_send_queues_one_response(
    page: Page, context: BrowserContext, server: Server
):
    sent = record_batches(context)
    open_form(page, server)
    fill_little(page)
    page.evaluate(
        """() => {
            const send = [...document.querySelectorAll("button")]
                .find((b) => b.textContent === "Send my answers");
            send.click();
            send.click();
        }"""
    )
    expect(heading(page)).to_have_text("Thank you")
    expect(status(page)).to_have_text("All sent")
    expect(page.locator("main")).to_contain_text("We have your answers")
    expect(page.locator("main")).not_to_contain_text("could not be accepted")
    items = [item for body in sent for item in body["responses"]]
    assert len(items) == 1
    wait_until(lambda: server.stored() == 1)


def test_an_empty_form_is_not_sent(page: Page, server: Server):
    open_form(page, server)
    button(page, "Start").click()
    for _ in range(3):
        button(page, "Next").click()
    button(page, "Send my answers").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Answer at least one question")
    assert page.evaluate(OUTBOX_SIZE) == 0


# -- 7. Exclusive choices ------------------------------------------------------------------------


def test_exclusive_choices_clear_the_others_and_the_other_way_round(
    page: Page, context: BrowserContext, bundled: Server
):
    sent = record_batches(context)
    page.goto(bundled.form_url("have-your-say"))
    button(page, "Start").click()
    button(page, "Next").click()
    button(page, "Next").click()
    expect(heading(page)).to_have_text("Getting help")
    friend, no_one = page.get_by_label("A friend"), page.get_by_label("No one")
    friend.check()
    no_one.check()
    expect(friend).not_to_be_checked()
    friend.check()
    expect(no_one).not_to_be_checked()
    nothing = page.get_by_label("Nothing has helped yet")
    not_needed = page.get_by_label("I have not needed help")
    page.get_by_label("Friends", exact=True).check()
    nothing.check()
    expect(page.get_by_label("Friends", exact=True)).not_to_be_checked()
    not_needed.check()
    expect(nothing).not_to_be_checked()
    for _ in range(3):
        button(page, "Next").click()
    button(page, "Send my answers").click()
    expect(status(page)).to_have_text("All sent")
    answers = sent[0]["responses"][0]["answers"]
    assert answers == {"go_to_for_help": ["friend"], "what_helped": ["not_needed"]}
    wait_until(lambda: bundled.stored() == 1)


# -- 8. First load: one request, compressed -----------------------------------------------------


def test_the_first_load_is_one_compressed_request(page: Page, server: Server):
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url.removeprefix(server.url)))
    response = page.goto(server.form_url())
    assert response is not None
    assert response.all_headers().get("content-encoding") in ("br", "gzip")
    expect(button(page, "Start")).to_be_visible()
    page.wait_for_load_state("networkidle")
    chained = [u for u in asked if u.startswith(("/api/", "/app/app.", "/app/i18n/"))]
    assert chained == [], "the form waited on more requests"
    encoding = page.evaluate(
        "fetch('/api/questionnaires/check-in').then((r) => r.headers.get('content-encoding'))"
    )
    assert encoding in ("br", "gzip")


# -- 9. The smaller findings ---------------------------------------------------------------------


def test_a_trailing_slash_opens_offline(page: Page, context: BrowserContext, server: Server):
    open_form(page, server)
    wait_offline_ready(page)
    context.set_offline(True)
    page.goto(server.form_url() + "/")
    expect(button(page, "Start")).to_be_visible()


def test_a_mistyped_link_shows_help_not_json(page: Page, server: Server):
    response = page.goto(server.url + "/q/chek-in")
    assert response
    assert response.status == 404
    expect(heading(page)).to_have_text("We can't find this form")
    expect(page.locator(SUPPORT)).to_be_visible()
    expect(page.locator('a[href="tel:999"]')).to_be_visible()
    expect(button(page, "Exit this page")).to_be_visible()
    assert "errors" not in page.locator("body").inner_text()


def test_the_staff_survey_shows_its_own_title(page: Page, bundled: Server):
    page.goto(bundled.form_url("staff-survey"))
    expect(button(page, "Start")).to_be_visible()
    assert page.title() == "Social work practice survey"
    assert "Have your say" not in page.locator("body").inner_text()
    page.set_viewport_size({"width": 1024, "height": 740})
    expect(page.locator(".bar")).to_contain_text("Social work practice survey")


def test_the_intro_is_short_and_names_the_exit_button_as_it_reads(page: Page, bundled: Server):
    page.goto(bundled.form_url("have-your-say"))
    start = button(page, "Start")
    expect(start).to_be_visible()
    assert start.evaluate(IN_VIEW), "Start is below the first screen"
    intro = page.locator("main").inner_text()
    assert "Quick exit" not in intro
    assert "Exit this page" in intro
    assert in_view(page, "#status") or page.locator("#status").is_hidden()


def test_a_revealed_question_is_announced(page: Page, server: Server):
    open_form(page, server)
    button(page, "Start").click()
    page.get_by_label("Yes", exact=True).check()
    live = page.locator("[aria-live]").filter(has_text="How much does your worker help you?")
    expect(live).to_have_count(1)


def test_switching_language_puts_focus_on_the_heading(page: Page, server: Server):
    page.goto(server.form_url("multilingual"))
    button(page, "Start").click()
    page.locator("#lang").select_option("pl")
    expect(heading(page)).to_have_text("O tobie")
    expect(heading(page)).to_be_focused()


def test_tap_targets_are_at_least_44_px_and_apart(page: Page, server: Server):
    open_form(page, server)
    button(page, "Start").click()
    sizes = page.evaluate(
        """() => [...document.querySelectorAll(
                ".bar button, #support-list a, main button, main select, .choice"
            )].filter((el) => el.offsetParent !== null).map((el) => {
                const r = el.getBoundingClientRect();
                return [el.textContent.trim().slice(0, 30), r.width, r.height];
            })"""
    )
    small = [s for s in sizes if s[1] < 44 or s[2] < 44]
    assert small == []
    links = page.locator("#support-list a").evaluate_all(
        "els => els.map((el) => el.getBoundingClientRect()).map((r) => [r.top, r.bottom])"
    )
    for (_, bottom), (top, _) in itertools.pairwise(links):
        assert top - bottom >= 8, "support links touch"
    # A tap anywhere on a choice's box picks it, not only on the small circle or its words.
    choice = page.locator(".choice").filter(has_text="14 to 15")
    box = choice.bounding_box()
    assert box
    page.mouse.click(box["x"] + box["width"] - 4, box["y"] + 4)
    expect(page.get_by_label("14 to 15")).to_be_checked()


def test_text_length_is_counted_as_the_server_counts_it(
    page: Page, context: BrowserContext, server: Server
):
    sent = record_batches(context)
    open_form(page, server)
    button(page, "Start").click()
    button(page, "Next").click()
    button(page, "Next").click()
    field = page.get_by_label("One word for how you feel today")
    # 300 characters that Unicode normalisation (NFC) turns into 600: the server's limit is 500.
    field.fill("\u0958" * 300)
    button(page, "Next").click()
    expect(page.locator(".error-summary")).to_contain_text("500 characters")
    # 300 emoji are 600 UTF-16 units but 300 characters: within the limit, and all kept.
    field.fill("\U0001f642" * 300)
    button(page, "Next").click()
    expect(heading(page)).to_have_text("Check your answers")
    button(page, "Send my answers").click()
    expect(status(page)).to_have_text("All sent")
    assert sent[0]["responses"][0]["answers"]["one_word"] == "\U0001f642" * 300
    wait_until(lambda: server.stored() == 1)
