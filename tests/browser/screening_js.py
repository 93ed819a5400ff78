"""Runs the shared table of screening cases through static/screening.js in a real Chromium page
served by the real service: used by test_screening_browser.py and by `make bench`."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from survey_service.confidentiality import screening_table

# Loads the module the way the form will (a same-origin script under the page's CSP), then
# screens every case with its questionnaire's support numbers.
RUN = """async (cases) => {
  const screener = await SurveyScreening.load();
  return {
    failed: screener.failed,
    results: cases.map(([text, support]) => screener.check(text, support)),
  };
}"""


def run_table(page: Page, base_url: str, form_path: str) -> tuple[list[str], list[dict[str, Any]]]:
    page.goto(base_url + form_path)
    page.add_script_tag(url="/app/screening.js")
    cases = [[case.text, list(case.support)] for case in screening_table.cases()]
    answer = page.evaluate(RUN, cases)
    return answer["failed"], answer["results"]
