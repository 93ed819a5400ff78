"""The form app's ES modules in Chromium (issue 18, item 7): the files in static/ run as they
are, with no build step, and the page the server joins them into needs no other request."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.support.waiting import on_page, wait_until

from .conftest import Server
from .test_webapp_browser import fill_little, open_form, send, status

pytestmark = pytest.mark.browser

INLINE_APP = re.compile(r'<script type="module">.*?</script>', re.S)


def test_the_modules_run_as_they_are_with_no_build_step(page: Page, server: Server):
    """The page with the app's own files in place of the server's joined copy still works:
    what the server joins is what a browser runs."""
    loaded: list[str] = []
    page.on(
        "request", lambda r: "/app/" in r.url and r.url.endswith(".js") and loaded.append(r.url)
    )

    def from_files(route: Route) -> None:
        response = route.fetch()
        body, count = INLINE_APP.subn(
            '<script type="module" src="/app/app.js"></script>', response.text()
        )
        assert count == 1
        route.fulfill(response=response, body=body)  # its CSP allows scripts from 'self'

    page.route(server.form_url(), from_files)
    open_form(page, server)
    assert {u.rsplit("/", 1)[1] for u in loaded} >= {"app.js", "form.js", "outbox.js", "sync.js"}
    fill_little(page)
    send(page)
    expect(status(page)).to_have_text("All sent")
    wait_until(lambda: server.stored() == 1)
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_form_needs_no_request_but_its_page(
    page: Page, context: BrowserContext, server: Server
):
    """Everything the form needs comes in its page: with every other request refused (the
    worker, icons, scripts, words), it opens, and its answers are sent."""
    refused: list[str] = []

    def only_the_page(route: Route) -> None:
        url = route.request.url
        if url in (server.form_url(), f"{server.url}/api/responses/batch"):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context.route(f"{server.url}/**", only_the_page)
    open_form(page, server)
    assert not [u for u in refused if u.endswith(".js") and "/app/" in u]
    fill_little(page)
    send(page)
    # With the page: the route above runs only while Playwright waits on the browser.
    wait_until(lambda: server.stored() == 1, pause=on_page(page))
    assert page.errors == []  # type: ignore[attr-defined]
