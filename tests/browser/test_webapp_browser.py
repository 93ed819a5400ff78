"""The form app in a real Chromium at phone size, against the real service (issue 4)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, Playwright, Route, expect

from survey_service.respondent.webapp import STATIC_DIR
from tests.support.waiting import on_page, wait_until

from .conftest import ARTIFACTS, CHROMIUM, PHONE, Server

pytestmark = pytest.mark.browser

SUPPORT = 'a[href="tel:08001111"]'


def button(page: Page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def open_form(page: Page, server: Server) -> None:
    page.goto(server.form_url())
    expect(button(page, "Start")).to_be_visible()


def wait_offline_ready(page: Page) -> None:
    page.wait_for_selector("html[data-offline=ready]", state="attached")


def fill_everything(page: Page) -> None:
    """Start to review, answering every type of question."""
    button(page, "Start").click()
    page.get_by_label("14 to 15").check()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("4", exact=True).check()
    button(page, "Next").click()
    page.get_by_label("At home").check()
    page.get_by_label("Online").check()
    page.get_by_label("How many adults do you trust?").fill("3")
    button(page, "Next").click()
    page.get_by_label("One word for how you feel today").fill("tired")
    page.get_by_label("Is there anything else you want to tell us?").fill("More clubs please")
    button(page, "Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")


def fill_little(page: Page) -> None:
    button(page, "Start").click()
    page.get_by_label("16 to 17").check()
    for _ in range(3):
        button(page, "Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")


def send(page: Page) -> None:
    button(page, "Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")


def status(page: Page):
    return page.locator("#status")


def record_batches(context: BrowserContext) -> list[dict]:
    """The bodies posted to the batch endpoint by the pages and the service worker."""
    sent: list[dict] = []
    context.on(
        "request",
        lambda r: r.url.endswith("/api/responses/batch") and sent.append(r.post_data_json),
    )
    return sent


def cache_names(page: Page) -> list[str]:
    return page.evaluate("async () => await caches.keys()")


def test_fill_and_send_online(page: Page, server: Server):
    open_form(page, server)
    fill_everything(page)
    review = page.locator("main").inner_text()
    for shown in ("14 to 15", "At home, Online", "3", "tired", "More clubs please"):
        assert shown in review
    # The draft lives in memory only (rule 10).
    kept = page.evaluate("[document.cookie, localStorage.length, sessionStorage.length]")
    assert kept == ["", 0, 0]
    send(page)
    expect(status(page)).to_have_text("All sent")
    wait_until(lambda: server.stored() == 1)
    assert page.errors == []  # type: ignore[attr-defined]


def test_opens_offline_and_sends_when_back_online(page: Page, context: BrowserContext, server):
    open_form(page, server)
    wait_offline_ready(page)
    context.set_offline(True)
    page.reload()
    expect(button(page, "Start")).to_be_visible()  # served by the service worker
    expect(page.locator(SUPPORT)).to_be_visible()
    fill_little(page)
    send(page)
    expect(status(page)).to_contain_text("1 waiting to send")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "offline-waiting.png", full_page=True)
    assert Axe().run(page).violations_count == 0
    assert server.stored() == 0
    context.set_offline(False)  # no reload: the `online` event sends it
    expect(status(page)).to_have_text("All sent")
    assert server.stored() == 1
    items = page.evaluate(
        """() => new Promise((resolve) => {
            const req = indexedDB.open("outbox", 1);
            req.onsuccess = () => {
                const all = req.result.transaction("items").objectStore("items").getAll();
                all.onsuccess = () => resolve(all.result.length);
            };
        })"""
    )
    assert items == 0  # nothing left on the phone


def test_an_answer_left_waiting_is_sent_when_the_form_is_next_opened(
    page: Page, context: BrowserContext, server: Server
):
    # A browser without Background Sync: only an open form page sends, and says so.
    context.add_init_script("delete window.SyncManager")
    open_form(page, server)
    wait_offline_ready(page)
    context.set_offline(True)
    fill_little(page)
    send(page)
    expect(status(page)).to_contain_text("1 waiting")
    expect(page.locator("#done-note")).to_contain_text("the next time you open it")
    page.close()  # the phone is put away with the answer still in the outbox
    context.set_offline(False)
    later = context.new_page()
    later.goto(server.form_url())
    expect(later.locator("#status")).to_have_text("All sent")  # sync on load
    assert server.stored() == 1


def test_lost_reply_is_retried_as_a_duplicate(page: Page, context: BrowserContext, server: Server):
    statuses: list[str] = []

    def drop_first_reply(route: Route) -> None:
        response = route.fetch()  # the server stores the answer...
        results = [r["status"] for r in response.json()["results"]]
        statuses.extend(results)
        if len(statuses) == 1:
            route.abort()  # ...but the phone never hears back
        else:
            route.fulfill(response=response)

    # On the context: the page and its service worker (Background Sync) both send.
    context.route("**/api/responses/batch", drop_first_reply)
    open_form(page, server)
    fill_little(page)
    send(page)
    expect(status(page)).to_have_text("All sent", timeout=15_000)
    assert statuses == ["accepted", "duplicate"]
    assert server.stored() == 1


def test_a_new_release_sends_an_answer_left_waiting(
    page: Page, context: BrowserContext, tmp_path: Path
):
    static = tmp_path / "static"
    shutil.copytree(STATIC_DIR, static)
    data = tmp_path / "data"
    data.mkdir()
    old = Server(data, static)
    old.start()
    try:
        page.goto(old.form_url())
        wait_offline_ready(page)
        first_shell = [n for n in cache_names(page) if n.startswith("shell-")]
        assert page.evaluate("window.APP_RELEASE") is None
        context.set_offline(True)
        fill_little(page)
        send(page)
        expect(status(page)).to_contain_text("1 waiting")
    finally:
        old.stop()

    # Deploy a changed app on the same origin while the answer waits on the phone.
    with (static / "app.js").open("a") as js:
        js.write('\nwindow.APP_RELEASE = "next";\n')
    new = Server(data, static)
    new.port = old.port
    new.start()
    try:
        context.route("**/api/responses/batch", lambda route: route.abort())
        context.set_offline(False)
        page.reload()
        wait_until(
            lambda: (
                (names := [n for n in cache_names(page) if n.startswith("shell-")])
                and names != first_shell
                and len(names) == 1
            )
        )
        page.reload()
        assert page.evaluate("window.APP_RELEASE") == "next"
        expect(status(page)).to_contain_text("1 waiting")
        kept = page.evaluate(
            "async () => (await (await caches.match('/q/check-in')).text())"
            ".includes('\"version\":1')"
        )
        assert kept, "the form the waiting answer was written against is gone"
        assert new.stored() == 0
        context.unroute("**/api/responses/batch")
        context.set_offline(True)
        context.set_offline(False)
        expect(status(page)).to_have_text("All sent", timeout=15_000)
        assert new.stored() == 1
    finally:
        new.stop()


def test_an_answer_sent_during_a_sync_is_not_left_behind(
    page: Page, context: BrowserContext, server: Server
):
    held: list[Route] = []
    context.route(
        "**/api/responses/batch",
        lambda route: route.continue_() if held else held.append(route),  # hold the first
    )
    open_form(page, server)
    fill_little(page)
    send(page)
    expect(status(page)).to_contain_text("1 waiting")
    wait_until(lambda: len(held) == 1, pause=on_page(page))  # the first sync is in flight
    button(page, "Back to the start").click()
    fill_little(page)
    send(page)  # this trigger arrives while the first request is still open
    held[0].fulfill(response=held[0].fetch())
    expect(status(page)).to_have_text("All sent", timeout=1_500)  # no wait for a backoff
    assert server.stored() == 2


def test_a_refused_answer_is_shown_once_and_not_retried(
    page: Page, context: BrowserContext, server: Server
):
    sent = record_batches(context)
    open_form(page, server)
    fill_little(page)
    send(page)
    expect(status(page)).to_have_text("All sent")
    # The same id with other content (as after a bug or tampering): the server says conflict.
    clash = {**sent[0]["responses"][0], "answers": {"age_band": "12_13"}}
    page.evaluate(
        """(item) => new Promise((resolve) => {
            const req = indexedDB.open("outbox", 1);
            req.onsuccess = () => {
                const tx = req.result.transaction("items", "readwrite");
                tx.objectStore("items").put(item);
                tx.oncomplete = () => { dispatchEvent(new Event("online")); resolve(); };
            };
        })""",
        clash,
    )
    expect(status(page)).to_contain_text("1 could not be accepted by the server")
    requests = len(sent)
    page.wait_for_timeout(3_000)  # longer than the first backoff: no retry
    assert len(sent) == requests == 2
    assert server.stored() == 1


def test_without_indexeddb_the_memory_outbox_still_sends(
    page: Page, context: BrowserContext, server: Server
):
    page.add_init_script(
        "Object.defineProperty(window, 'indexedDB', {get() { return undefined; }})"
    )
    open_form(page, server)
    context.set_offline(True)
    fill_little(page)
    send(page)
    expect(status(page)).to_contain_text("Keep this page open")
    expect(page.locator("#done-note")).to_contain_text("keep it open")
    context.set_offline(False)
    expect(status(page)).to_have_text("All sent")
    assert server.stored() == 1


@pytest.mark.parametrize("how", ["button", "shift"])
def test_quick_exit_leaves_and_back_shows_no_answers(page: Page, server: Server, how: str):
    page.goto(server.url + "/app/app.css")  # somewhere to come back to
    open_form(page, server)
    button(page, "Start").click()
    page.get_by_label("14 to 15").check()
    if how == "button":
        button(page, "Exit this page").click()
    else:
        for _ in range(3):
            page.keyboard.press("Shift")
    page.wait_for_url("https://www.bbc.co.uk/weather")
    page.go_back()
    page.wait_for_load_state()
    # The form's history entry was replaced: Back skips it, and nothing answered is on screen.
    assert "/q/" not in page.url
    assert page.locator("input:checked").count() == 0
    assert "14 to 15" not in page.content()


def test_capital_letters_do_not_trigger_quick_exit(page: Page, server: Server):
    open_form(page, server)
    button(page, "Start").click()
    for _ in range(2):
        button(page, "Next").click()
    page.get_by_label("One word for how you feel today").focus()
    for key in ("Shift+O", "Shift+K", "Shift+A", "Shift+Y"):
        page.keyboard.press(key)
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("x")  # another key starts the count again
    page.keyboard.press("Shift")
    page.wait_for_timeout(300)
    assert page.url == server.form_url()
    expect(page.get_by_label("One word for how you feel today")).to_have_value("OKAYx")


def test_back_from_the_exit_site_shows_a_blank_start(page: Page, server: Server):
    open_form(page, server)
    button(page, "Start").click()
    page.get_by_label("14 to 15").check()
    page.evaluate("() => history.pushState(null, '', location.href)")
    button(page, "Exit this page").click()
    page.wait_for_url("https://www.bbc.co.uk/weather")
    page.go_back()
    expect(button(page, "Start")).to_be_visible()
    assert page.locator("input:checked").count() == 0


def test_skip_logic_errors_review_and_personal_details(page: Page, server: Server):
    open_form(page, server)
    button(page, "Start").click()
    expect(page.get_by_text("Step 1 of 4")).to_be_visible()
    scale = page.locator("legend", has_text="How much does your worker help you?")
    expect(scale).to_be_hidden()
    page.get_by_label("Yes", exact=True).check()
    expect(scale).to_be_visible()
    page.get_by_label("3", exact=True).check()
    page.get_by_label("No", exact=True).check()
    expect(scale).to_be_hidden()
    button(page, "Next").click()

    page.get_by_label("How many adults do you trust?").fill("99")
    button(page, "Next").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter a whole number from 0 to 20")
    assert page.title().startswith("Error:")
    summary.get_by_role("link").click()
    expect(page.get_by_label("How many adults do you trust?")).to_be_focused()
    page.get_by_label("Prefer not to say").check()
    page.get_by_label("At home").check()  # "Prefer not to say" excludes the others
    expect(page.get_by_label("Prefer not to say")).not_to_be_checked()
    page.get_by_label("How many adults do you trust?").fill("2")
    button(page, "Next").click()
    page.get_by_label("Is there anything else you want to tell us?").fill("text me 07700 900123")
    button(page, "Next").click()

    review = page.locator("main")
    expect(review).not_to_contain_text("How much does your worker help you?")  # skipped
    expect(review).to_contain_text("At home")
    button(page, "Change About you").click()  # changing one answer comes back to the review
    page.get_by_label("14 to 15").check()
    button(page, "Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(review).to_contain_text("14 to 15")
    notice = page.locator(".notice")
    expect(notice).to_contain_text("We found a phone number in this answer.")
    expect(notice.locator(".as-sent")).to_have_text("text me [phone]")
    button(page, "Change my answer").click()
    expect(page.get_by_label("Is there anything else you want to tell us?")).to_be_focused()
    page.get_by_label("Is there anything else you want to tell us?").fill("more clubs")
    button(page, "Next").click()
    send(page)
    wait_until(lambda: server.stored() == 1)


def test_every_screen_is_accessible_and_shows_support(page: Page, server: Server):
    """axe on each screen at 360 × 740, support and quick exit on each; screenshots to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    axe = Axe()
    seen: list[str] = []

    def screen(name: str) -> None:
        expect(page.locator(SUPPORT)).to_be_visible()
        expect(button(page, "Exit this page")).to_be_visible()
        page.screenshot(path=ARTIFACTS / f"{len(seen)}-{name}.png", full_page=True)
        result = axe.run(page)
        assert result.violations_count == 0, f"{name}: {result.generate_report()}"
        seen.append(name)

    open_form(page, server)
    screen("intro")
    button(page, "Start").click()
    page.get_by_label("Yes", exact=True).check()
    screen("about-you")
    button(page, "Next").click()
    page.get_by_label("How many adults do you trust?").fill("-4")
    button(page, "Next").click()
    screen("error-summary")
    page.get_by_label("How many adults do you trust?").fill("4")
    button(page, "Next").click()
    page.get_by_label("One word for how you feel today").fill("me@example.com")
    screen("your-words")
    button(page, "Next").click()
    screen("review-with-personal-details-notice")
    button(page, "Send as shown").click()
    expect(status(page)).to_have_text("All sent")
    screen("confirmation")
    # Narrow phones and 200 % zoom (a 360 px phone then lays out 180 CSS px): no sideways scroll.
    for width in (320, 180):
        page.set_viewport_size({"width": width, "height": 2 * width})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert server.stored() == 1


def test_chromium_finds_it_installable(playwright: Playwright, server: Server, tmp_path: Path):
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, viewport=PHONE
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(server.form_url())
        wait_offline_ready(page)
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], json.dumps(errors)
        manifest = cdp.send("Page.getAppManifest")
        assert not manifest.get("errors"), manifest
    finally:
        context.close()
