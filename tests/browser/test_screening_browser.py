"""static/screening.js in Chromium: the shared table of cases through the form's own screener.

The server stays the authority (it also has libphonenumber and the name lists); the app may
miss what a case's app_misses says, and nothing else, and where the server would replace
something the app always says at least "maybe"."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from survey_service.confidentiality import screening, screening_table
from tests.browser.conftest import FORM, Server
from tests.browser.screening_js import run_table

pytestmark = pytest.mark.browser


@pytest.fixture
def table(page: Page, server: Server) -> list[dict[str, Any]]:
    failed, results = run_table(page, server.url, f"/q/{FORM}")
    assert failed == []  # every shared pattern compiles in Chromium
    assert page.errors == []  # type: ignore[attr-defined]
    return results


def test_the_app_screens_the_shared_table_as_the_cases_say(table: list[dict[str, Any]]):
    wrong = []
    for case, result in zip(screening_table.cases(), table, strict=True):
        should_match = not (case.app_misses or case.server_misses)
        if (result["text"] == case.expected) != should_match:
            wrong.append((case.text, result["text"], case.expected))
    assert wrong == []


def test_the_app_is_never_quieter_than_maybe_where_the_server_replaces(
    table: list[dict[str, Any]],
):
    quiet = []
    for case, result in zip(screening_table.cases(), table, strict=True):
        server = screening.screen(case.text, screening.keep_numbers(case.support))
        if server != case.text and not (result["kinds"] or result["maybe"]):
            quiet.append(case.text)
    assert quiet == []


def test_the_app_names_the_kinds_found_in_a_fixed_order(page: Page, server: Server):
    page.goto(server.form_url())
    page.add_script_tag(url="/app/screening.js")
    result = page.evaluate(
        """async () => (await SurveyScreening.load()).check(
            "My name is Jessica Smith, I go to St Mary's Academy, ring 07700 900123 "
            + "or Childline 0800 1111", ["0800 1111"])"""
    )
    assert result == {
        "text": "My name is [name], I go to [school], ring [phone] or Childline 0800 1111",
        "kinds": ["phone", "school", "name"],
        "maybe": False,
    }


def test_the_app_screens_offline(page: Page, server: Server):
    # The worker keeps the script and the patterns with the app: no network, same answer.
    page.goto(server.form_url())
    page.wait_for_selector("html[data-offline=ready]", state="attached")
    server.stop()
    page.context.set_offline(True)
    page.add_script_tag(url="/app/screening.js")
    result = page.evaluate(
        "async () => (await SurveyScreening.load()).check('snap me at jess_x99', [])"
    )
    assert result == {"text": "snap me at [handle]", "kinds": ["handle"], "maybe": False}
