"""Issue 15 item 2: before sending, the form tells the respondent which answer holds what kind of
detail and shows the text as it will be sent, in real Chromium at 360 × 740 against the real
service. The server stays the authority: what the form shows is checked against what it stores,
for the issue's answers here and for the whole shared table of cases."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from survey_service.confidentiality import screening

from .conftest import ARTIFACTS, PHONE, Server

pytestmark = pytest.mark.browser

QUESTION = "Is there anything else you want to tell us?"
# The issue's answers, each with what the respondent is told was found.
ISSUE_ANSWERS = [
    (
        "My name is Jessica Smith and I go to St Mary's Academy in Rotherham",
        "We found a school and a person's name in this answer.",
    ),
    ("14 Acacia Road, Parson Cross, above the chip shop", "We found an address in this answer."),
    ("my social worker Karen Jones", "We found a person's name in this answer."),
    ("7700900123", "We found a phone number in this answer."),
]


def button(page: Page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def answer_last_question(page: Page, server: Server, text: str) -> None:
    """Start to review, with `text` as the only answer."""
    page.goto(server.form_url())
    button(page, "Start").click()
    button(page, "Next").click()
    button(page, "Next").click()
    page.get_by_label(QUESTION).fill(text)
    button(page, "Next").click()
    expect(heading(page)).to_have_text("Check your answers")


def stored_answers(data_dir: Path, questionnaire: str) -> list[dict]:
    with sqlite3.connect(data_dir / "survey.sqlite3") as db:
        rows = db.execute("SELECT answers FROM responses WHERE questionnaire = ?", [questionnaire])
        return [json.loads(row[0]) for row in rows]


def wait_stored(page: Page, server: Server, count: int, questionnaire: str = "check-in"):
    for _ in range(100):
        if server.stored() >= count:
            return stored_answers(server.data_dir, questionnaire)
        page.wait_for_timeout(100)
    raise AssertionError(f"the server did not store {count} responses")


def test_the_issues_answers_are_named_and_shown_as_the_server_stores_them(
    page: Page, server: Server
):
    for sent, (text, found) in enumerate(ISSUE_ANSWERS, start=1):
        answer_last_question(page, server, text)
        notice = page.locator(".notice")
        expect(notice).to_have_count(1)
        expect(notice.get_by_role("heading", level=3)).to_have_text(QUESTION)
        expect(notice).to_contain_text(found)
        expect(notice).to_contain_text("It will be sent like this")
        shown = notice.locator(".as-sent").inner_text()
        assert "[" in shown
        assert text not in shown
        expect(button(page, "Send my answers")).to_have_count(0)
        button(page, "Send as shown").click()
        expect(heading(page)).to_have_text("Thank you")
        stored = wait_stored(page, server, sent)
        assert {a["anything_else"] for a in stored} >= {shown}
        assert shown == screening.screen(text, screening.keep_numbers(["0800 1111"]))
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_harmless_answer_gets_no_notice(page: Page, server: Server):
    text = "Mum and Dad, my school nurse and Childline helped. Year 9, the bus to town"
    answer_last_question(page, server, text)
    expect(page.locator("#notices")).to_be_empty()
    expect(page.get_by_text("Nothing is sent until you tap “Send my answers”.")).to_be_visible()
    button(page, "Send my answers").click()
    assert wait_stored(page, server, 1)[0]["anything_else"] == text


def test_what_the_form_may_miss_it_says_may(page: Page, server: Server):
    # The server's name lists take "smith" too; the form, without them, must not stay quiet.
    answer_last_question(page, server, "my name is jessica smith")
    notice = page.locator(".notice")
    expect(notice).to_contain_text("It will be sent like this, and we may take out more:")
    # A name with no signal word: the form finds nothing for sure, and says it may.
    answer_last_question(page, server, "Jessica told me not to tell anyone")
    expect(notice).to_contain_text("This answer may have a name")
    expect(notice.locator(".as-sent")).to_have_count(0)
    button(page, "Send as shown").click()
    stored = wait_stored(page, server, 1)
    assert stored[0]["anything_else"] == "[name] told me not to tell anyone"


def test_change_my_answer_puts_focus_in_the_field_by_keyboard(page: Page, server: Server):
    answer_last_question(page, server, "text me on 07700 900123")
    change = button(page, "Change my answer")
    # Keyboard only: Tab from the heading reaches the button; Enter presses it.
    expect(heading(page)).to_be_focused()
    for _ in range(10):
        page.keyboard.press("Tab")
        if change.evaluate("el => el === document.activeElement"):
            break
    expect(change).to_be_focused()
    expect(change).to_have_accessible_description(QUESTION)
    page.keyboard.press("Enter")
    field = page.get_by_label(QUESTION)
    expect(field).to_be_focused()
    # A screen reader hears the question, then what was found in it.
    expect(field).to_have_accessible_description(
        "Do not include names or where you live. We found a phone number in this answer."
    )
    page.keyboard.press("Control+A")
    page.keyboard.type("more clubs please")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Next, back to the review
    expect(heading(page)).to_have_text("Check your answers")
    expect(page.locator(".notice")).to_have_count(0)
    button(page, "Send my answers").click()
    assert wait_stored(page, server, 1)[0]["anything_else"] == "more clubs please"


def test_the_notice_works_offline_and_matches_what_is_stored_later(
    page: Page, context: BrowserContext, server: Server
):
    page.goto(server.form_url())
    page.wait_for_selector("html[data-offline=ready]", state="attached")
    server.stop()
    context.set_offline(True)
    page.reload()  # from the worker's cache: page, script and patterns
    text = "snap me at jess_x99 or ring 07700 900123"
    button(page, "Start").click()
    button(page, "Next").click()
    button(page, "Next").click()
    page.get_by_label(QUESTION).fill(text)
    button(page, "Next").click()
    shown = page.locator(".as-sent")
    expect(shown).to_have_text("snap me at [handle] or ring [phone]")
    expect(page.locator(".notice")).to_contain_text("We found a username and a phone number")
    button(page, "Send as shown").click()
    expect(heading(page)).to_have_text("Thank you")
    server.start()
    context.set_offline(False)
    assert wait_stored(page, server, 1)[0]["anything_else"] == "snap me at [handle] or ring [phone]"


def test_without_the_screener_every_text_may_hold_details(browser: Browser, server: Server):
    # Offline before the worker kept the script: the form cannot check, so it never says nothing.
    context = browser.new_context(viewport=PHONE, service_workers="block")
    try:
        page = context.new_page()
        page.route("**/app/screening.js", lambda route: route.abort())
        answer_last_question(page, server, "ring 07700 900123")
        expect(page.locator(".notice")).to_contain_text("This answer may have a name")
        expect(page.locator(".as-sent")).to_have_count(0)
        expect(button(page, "Send as shown")).to_be_visible()
    finally:
        context.close()


def test_the_notice_and_the_change_screen_are_accessible(page: Page, server: Server):
    ARTIFACTS.mkdir(exist_ok=True)
    axe = Axe()
    answer_last_question(page, server, ISSUE_ANSWERS[0][0])
    page.screenshot(path=ARTIFACTS / "notice-review.png", full_page=True)
    result = axe.run(page)
    assert result.violations_count == 0, result.generate_report()
    button(page, "Change my answer").click()
    page.screenshot(path=ARTIFACTS / "notice-change.png", full_page=True)
    result = axe.run(page)
    assert result.violations_count == 0, result.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


# -- the whole shared table, through the form and the server ------------------------------------


def table_questionnaire(folder: Path, name: str, texts: list[str], support: tuple[str, ...]):
    """A questionnaire with one long text question per case, and the cases' support numbers."""
    lines = [
        f'id = "{name}"',
        "version = 1",
        'audience = "young_people"',
        'title = "Your views"',
        'intro = "A test form for the screening table."',
        '[[support]]\nname = "Childline"\nphone = "0800 1111"',
        *(f'[[support]]\nname = "Local team {i}"\nphone = "{p}"' for i, p in enumerate(support)),
        '[[sections]]\ntitle = "Your words"',
        *(
            f'[[sections.questions]]\nid = "t{i:03d}"\ntype = "long_text"\ntext = "Text {i}"'
            for i in range(len(texts))
        ),
    ]
    (folder / f"{name}.toml").write_text("\n".join(lines) + "\n")


FILL = """(texts) => {
  texts.forEach((text, i) => {
    const field = document.getElementById("q-t" + String(i).padStart(3, "0"));
    field.value = text;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
}"""

# Per question: what the review says (null: no notice), the text "as it will be sent", and
# whether it says more may go.
READ = """() => Object.fromEntries([...document.querySelectorAll(".notice")].map((n) => [
  n.dataset.q,
  {
    shown: n.querySelector(".as-sent") ? n.querySelector(".as-sent").textContent : null,
    may: /may/.test(n.textContent.replace(n.querySelector("h3").textContent, "")),
  },
]))"""


def test_for_every_case_in_the_table_the_form_shows_what_the_server_stores_or_says_may(
    page: Page, tmp_path: Path
):
    from survey_service.confidentiality import screening_table

    groups: dict[tuple[str, ...], list[screening_table.Case]] = {}
    for case in screening_table.cases():
        groups.setdefault(case.support, []).append(case)
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    for n, (support, cases) in enumerate(groups.items()):
        table_questionnaire(folder, f"table-{n}", [c.text for c in cases], support)
    server = Server(tmp_path, questionnaires=folder)
    server.start()
    try:
        wrong = []
        for n, cases in enumerate(groups.values()):
            page.goto(server.form_url(f"table-{n}"))
            button(page, "Start").click()
            page.evaluate(FILL, [c.text for c in cases])
            button(page, "Next").click()
            expect(heading(page)).to_have_text("Check your answers")
            told = page.evaluate(READ)
            button(page, "Send as shown").click()
            expect(heading(page)).to_have_text("Thank you")
            (stored,) = wait_stored(page, server, n + 1, f"table-{n}")
            for i, case in enumerate(cases):
                qid = f"t{i:03d}"
                kept, notice = stored.get(qid, ""), told.get(qid)  # blank: not answered
                if kept == case.text:  # stored word for word: no claim that anything goes
                    fine = notice is None or (notice["shown"] is None and notice["may"])
                elif case.app_misses:  # the form may not know all of it, and must say may
                    fine = notice is not None and (notice["shown"] == kept or notice["may"])
                else:  # the form knows: it shows exactly what is stored
                    fine = notice is not None and notice["shown"] == kept
                if not fine:
                    wrong.append((case.text, kept, notice))
        assert wrong == []
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        server.stop()
