"""Issue 15, items 4 and 5: released free text reaches no file until a reviewer has read it in
the portal; the reviewer redacts, approves or withholds; every file shows the same; quotes."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from survey_service.inspector import auth
from tests.support.inspectors import (
    add_account,
    make_app,
    make_settings,
    on_store,
    page_csrf,
    seed,
    sign_in,
)
from tests.support.inspectors import token_for as token_of

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
REVIEW = "/inspect/questionnaires/every-type/review"
QUOTES = "/inspect/questionnaires/every-type/quotes"
ALL = "/api/inspect/questionnaires/every-type/batches/all"
# Twelve answers told apart by `times`; the first three wrote something.
WRITTEN = {0: "Wibbleton was scary", 1: "It was fine", 2: "Nobody listened to me"}


def answers() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n in range(12):
        given: dict[str, Any] = {"fits": "no", "times": n, "age_band": "14_15"}
        if n in WRITTEN:
            given["why_not"] = WRITTEN[n]
        out.append(given)
    out[3]["one_word"] = "kind"
    return out


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(make_app(make_settings(tmp_path))) as test_client:
        await add_account(test_client, "amira")
        await add_account(test_client, "bo")
        await on_store(test_client, lambda s: auth.set_reviewer(s, "amira", True, "manager"))
        await seed(test_client, answers())
        headers = await token_of(test_client, "bo")
        test_client.headers.update(headers)
        reply = await test_client.post("/api/inspect/questionnaires/every-type/batches")
        assert reply.status_code == 201
        yield test_client


async def csv_rows(client: AsyncTestClient[Any], url: str = ALL + ".csv") -> dict[str, dict]:
    text = (await client.get(url)).content.decode("utf-8-sig")
    return {r["times"]: r for r in csv.DictReader(io.StringIO(text))}


async def json_file(client: AsyncTestClient[Any], url: str = ALL + ".json") -> dict[str, Any]:
    reply = await client.get(url)
    assert reply.status_code == 200
    return dict(json.loads(reply.content))


async def xlsx_file(client: AsyncTestClient[Any], url: str = ALL + ".xlsx") -> Any:
    return openpyxl.load_workbook(io.BytesIO((await client.get(url)).content))


def sheet_rows(book: Any, name: str) -> list[dict[str, Any]]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def items(page: str) -> dict[str, str]:
    """The review page's texts, each to the handle its form sends."""
    found = {}
    for part in page.split('<section class="card review-item"')[1:]:
        handle = re.search(r'name="handle" value="([0-9a-f]{32})"', part)
        words = re.findall(
            r'<input type="checkbox" name="redact" value="\d+"[^>]*><span>(.*?)</span></label>',
            part,
        )
        assert handle
        text = " ".join(re.sub(r"<[^>]+>|\(highlighted: [^)]*\)", "", w).strip() for w in words)
        found[text] = handle[1]
    return found


async def review_page(client: AsyncTestClient[Any]) -> tuple[str, dict[str, str]]:
    reply = await client.get(REVIEW)
    assert reply.status_code == 200, reply.text
    return page_csrf(reply.text), items(reply.text)


async def decide(client: AsyncTestClient[Any], handle: str, **form: Any) -> Any:
    csrf, _ = await review_page(client)
    return await client.post(
        REVIEW, data={"csrf": csrf, "handle": handle, **form}, follow_redirects=False
    )


async def test_free_text_is_withheld_from_every_file_until_a_reviewer_has_read_it(client):
    # Before any review: no text in any file, and every file says how many wait.
    rows = await csv_rows(client)
    assert len(rows) == 12
    assert {r["why_not"] for r in rows.values()} == {""}
    assert {r["one_word"] for r in rows.values()} == {""}
    body = await json_file(client)
    assert {r["why_not"] for r in body["rows"]} == {None}
    assert "4 free-text answers in this file wait for review" in body["notes"]["free text"]
    notes = {r["note"]: r["value"] for r in sheet_rows(await xlsx_file(client), "notes")}
    assert "4 free-text answers in this file wait for review" in notes["free text"]
    overview = (await client.get("/api/inspect/questionnaires")).json()
    assert [q["texts_waiting"] for q in overview if q["id"] == "every-type"] == [4]

    await sign_in(client, "amira")
    dashboard = (await client.get("/inspect/")).text
    assert "Written answers waiting for review</dt><dd>4</dd>" in dashboard
    assert "Review free text" in dashboard
    _, texts = await review_page(client)
    assert sorted(texts) == ["It was fine", "Nobody listened to me", "Wibbleton was scary", "kind"]
    page = (await client.get(REVIEW)).text
    assert "<mark>Wibbleton</mark>" in page
    assert "(highlighted: maybe a name)" in page
    # The page names texts by random handles: no response id, no batch, no other answer.
    listed = page.split("<main", 1)[1].split("</main>")[0]
    assert not UUID.search(page)
    assert "batch" not in listed.lower()
    assert "14 to 15" not in page
    assert "Does this description fit" not in page

    approved = await decide(
        client, texts["Wibbleton was scary"], decision="approve", redact=["0"], quotable="1"
    )
    assert approved.status_code == 303
    shown = await client.get(approved.headers["location"])
    assert "Approved with 1 redaction, marked quotable." in shown.text
    withheld = await decide(client, texts["It was fine"], decision="withhold", redact=["1"])
    assert withheld.status_code == 303
    assert "Withheld" in (await client.get(withheld.headers["location"])).text

    # Every file that holds the response shows the same: the batch's and all batches', in
    # every format. The withheld and the waiting show nothing.
    for url in (ALL, "/api/inspect/batches/1"):
        rows = await csv_rows(client, url + ".csv")
        assert rows["0"]["why_not"] == "[redacted] was scary"
        assert rows["1"]["why_not"] == ""
        assert rows["2"]["why_not"] == ""
        by_times = {r["times"]: r for r in (await json_file(client, url + ".json"))["rows"]}
        assert by_times[0]["why_not"] == "[redacted] was scary"
        assert by_times[1]["why_not"] is None
        assert by_times[2]["why_not"] is None
        book = await xlsx_file(client, url + ".xlsx")
        sheet = {r["times"]: r for r in sheet_rows(book, "responses")}
        assert sheet[0]["why_not"] == "[redacted] was scary"
        assert sheet[1]["why_not"] is None
        notes = {r["note"]: r["value"] for r in sheet_rows(book, "notes")}
        assert "2 free-text answers in this file wait for review" in notes["free text"]

    # Audited: who, when, how many redactions; never the text.
    entries = await on_store(client, lambda s: s.audit_entries())
    reviewed = [e for e in entries if e.action == "text reviewed"]
    assert [(e.actor, e.detail) for e in reversed(reviewed)] == [
        ("amira", "every-type: a free-text answer approved with 1 redaction, marked quotable"),
        ("amira", "every-type: a free-text answer withheld (it appears in no file)"),
    ]
    assert all(e.at.endswith("Z") for e in reviewed)
    logged = repr(entries)
    assert all(w not in logged for w in ("Wibbleton", "scary", "fine", texts["It was fine"]))
    _, left = await review_page(client)
    assert sorted(left) == ["Nobody listened to me", "kind"]
    dashboard = (await client.get("/inspect/")).text
    assert "Written answers waiting for review</dt><dd>2</dd>" in dashboard


async def test_only_reviewers_review_and_a_text_is_decided_once(client):
    await sign_in(client, "amira")
    _, texts = await review_page(client)
    handle = texts["Nobody listened to me"]
    client.cookies.clear()
    await sign_in(client, "bo")
    refused = await client.get(REVIEW)
    assert refused.status_code == 403
    assert "inspectors reviewer" in refused.text
    assert "Review free text" not in (await client.get("/inspect/")).text
    csrf = page_csrf((await client.get("/inspect/")).text)
    form = {"csrf": csrf, "handle": handle, "decision": "approve"}
    assert (await client.post(REVIEW, data=form)).status_code == 403
    client.cookies.clear()
    await sign_in(client, "amira")
    assert (await decide(client, handle, decision="approve")).status_code == 303
    again = await decide(client, handle, decision="withhold")
    assert again.status_code == 409
    assert "reviewed already" in again.text
    assert (await csv_rows(client))["2"]["why_not"] == "Nobody listened to me"
    missing = await decide(client, "0" * 32, decision="approve")
    assert missing.status_code == 404
    # Taking the role away closes the page at once.
    await on_store(client, lambda s: auth.set_reviewer(s, "amira", False, "manager"))
    assert (await client.get(REVIEW)).status_code == 403


async def test_a_mistake_in_the_form_names_the_field_and_keeps_the_answer_waiting(client):
    await sign_in(client, "amira")
    _, texts = await review_page(client)
    handle = texts["Wibbleton was scary"]
    bad = await decide(client, handle, decision="publish")
    assert bad.status_code == 422
    assert "decision" in bad.text
    bad = await decide(client, handle, decision="approve", redact=["x1"])
    assert bad.status_code == 422
    assert "redact" in bad.text
    # Typed words that are not in the answer: the page comes back with that answer first.
    typo = await decide(client, handle, decision="approve", phrase="Wibbletown")
    assert typo.status_code == 422
    assert "These words are not in the answer" in typo.text
    assert "Wibbletown" not in typo.text  # what was typed is not echoed
    assert next(iter(items(typo.text).values())) == handle
    assert 'aria-invalid="true"' in typo.text
    # "Tick these words" ticks them wherever they appear; nothing is decided yet.
    marked = await decide(client, handle, decision="mark", phrase="wibbleton", redact=["2"])
    assert marked.status_code == 200
    assert next(iter(items(marked.text).values())) == handle
    first = marked.text.split('<section class="card review-item"')[1]
    assert re.findall(r'name="redact" value="(\d+)" checked', first) == ["0", "2"]
    assert (await csv_rows(client))["0"]["why_not"] == ""
    saved = await decide(client, handle, decision="approve", phrase="WIBBLETON")
    assert saved.status_code == 303
    assert (await csv_rows(client))["0"]["why_not"] == "[redacted] was scary"


async def test_a_long_answer_with_every_word_ticked_fits_the_review_form(tmp_path: Path):
    long_text = " ".join(["so"] * 1600)  # 1,600 words in 4,799 characters (5,000 at most)
    async with AsyncTestClient(make_app(make_settings(tmp_path))) as client:
        await add_account(client, "amira")
        await on_store(client, lambda s: auth.set_reviewer(s, "amira", True, "manager"))
        await seed(client, [{"fits": "no", "why_not": long_text}] + [{"fits": "yes"}] * 9)
        client.headers.update(await token_of(client, "amira"))
        await client.post("/api/inspect/questionnaires/every-type/batches")
        await sign_in(client, "amira")
        (handle,) = (await review_page(client))[1].values()
        every = [str(n) for n in range(1600)]
        reply = await decide(client, handle, decision="approve", redact=every)
        assert reply.status_code == 303  # 18 KB of form, past the portal's 8 KiB: taken
        body = await json_file(client)
        assert [r["why_not"] for r in body["rows"] if r["why_not"]] == ["[redacted]"]


async def test_quotes_are_listed_per_question_and_exported_on_their_own(client):
    await sign_in(client, "amira")
    _, texts = await review_page(client)
    await decide(client, texts["Wibbleton was scary"], decision="approve", redact=["0"])
    await decide(client, texts["kind"], decision="approve", quotable="1")
    page = (await client.get(QUOTES)).text
    assert "<blockquote><p>kind</p></blockquote>" in page
    assert "One word for the service" in page
    assert "[redacted] was scary" in page  # approved, offered to be marked
    # Mark the approved answer as a quote afterwards.
    handle = texts["Wibbleton was scary"]
    form = {"csrf": page_csrf(page), "handle": handle, "quotable": "1"}
    marked = await client.post(QUOTES, data=form, follow_redirects=False)
    assert marked.status_code == 303
    page = (await client.get(marked.headers["location"])).text
    assert "Marked quotable" in page
    assert "<blockquote><p>[redacted] was scary</p></blockquote>" in page
    section = page.split('id="g-why_not"')[1].split("</section>")[0]
    assert "What is different for you?" in section
    assert not UUID.search(page)

    book = await xlsx_file(client)
    assert book.sheetnames == ["responses", "codebook", "notes", "quotes"]
    quotes = sheet_rows(book, "quotes")
    assert sorted((q["question"], q["quote"]) for q in quotes) == [
        ("one_word", "kind"),
        ("why_not", "[redacted] was scary"),
    ]
    assert set(quotes[0]) == {"question", "question text", "quote"}  # nothing else of the row
    listed = (await json_file(client))["quotes"]
    assert sorted((q["question"], q["text"]) for q in listed) == [
        ("one_word", "kind"),
        ("why_not", "[redacted] was scary"),
    ]
    assert set(listed[0]) == {"question", "question_text", "text"}
    csv_text = (await client.get(ALL + ".csv")).content.decode("utf-8-sig")
    assert "quote" not in csv_text.splitlines()[0]  # a CSV file holds the one table

    # A quote can be taken back; only approved answers can be quotes.
    form = {"csrf": page_csrf(page), "handle": texts["kind"], "quotable": "0"}
    assert (await client.post(QUOTES, data=form, follow_redirects=False)).status_code == 303
    form = {"csrf": page_csrf(page), "handle": texts["It was fine"], "quotable": "1"}
    assert (await client.post(QUOTES, data=form)).status_code == 409
    assert [q["text"] for q in (await json_file(client))["quotes"]] == ["[redacted] was scary"]
    # Everyone signed in reads the quotes; only reviewers change them.
    client.cookies.clear()
    await sign_in(client, "bo")
    page = (await client.get(QUOTES)).text
    assert "[redacted] was scary" in page
    assert "Not quotable" not in page
    form = {"csrf": page_csrf(page), "handle": handle, "quotable": "0"}
    assert (await client.post(QUOTES, data=form)).status_code == 403


def test_the_reviewer_role_is_given_and_taken_from_the_command_line(
    tmp_path: Path, monkeypatch, capsys
):
    import asyncio

    from survey_service import cli, settings
    from survey_service.store import open_store

    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SURVEY_PASSWORD", "correct horse battery")
    assert cli.main(["inspectors", "add", "amira"]) == 0
    assert cli.main(["inspectors", "reviewer", "amira"]) == 0
    assert "amira is a reviewer" in capsys.readouterr().out
    assert cli.main(["inspectors", "list"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("\treviewer")
    assert cli.main(["inspectors", "reviewer", "amira", "--undo"]) == 0
    assert cli.main(["inspectors", "reviewer", "nobody"]) == 1
    assert "no account named nobody" in capsys.readouterr().err
    assert cli.main(["inspectors", "list"]) == 0
    assert "reviewer" not in capsys.readouterr().out

    async def entries() -> list[tuple[str, str, str]]:
        store = open_store(settings.from_env())
        await store.open()
        try:
            return [(e.actor, e.action, e.detail) for e in await store.audit_entries()]
        finally:
            await store.close()

    assert asyncio.run(entries())[:2] == [
        ("(command line)", "reviewer role taken", "amira"),
        ("(command line)", "reviewer role given", "amira"),
    ]


async def test_the_api_schema_says_free_text_appears_only_after_review(tmp_path: Path):
    async with AsyncTestClient(make_app(make_settings(tmp_path))) as client:
        doc = (await client.get("/schema/openapi.json")).json()
    post = doc["paths"]["/api/responses"]["post"]["requestBody"]["content"]["application/json"]
    said = json.dumps(post) + json.dumps(doc.get("components", {}))
    assert "become markers such as [name] or [phone]" in said
    assert "Inspectors see a free-text answer only after a reviewer has read it" in said


async def test_long_texts_are_read_for_the_review_page_in_a_worker_process():
    # The review page runs the screening finders again to flag words: a long text of phone
    # numbers costs what it costs at intake, so it goes to the pool, off the event loop.
    from survey_service.confidentiality import redaction
    from survey_service.respondent.screener import INLINE_CHARS, Screener

    long_text = ("call Zorblax on 0114 496 0999, " * 100)[: INLINE_CHARS * 2]
    short = "Wibbleton was scary"
    screener = Screener(workers=1, budget_seconds=30)
    try:
        read = await screener.read_all([(short, frozenset())])
        assert read == [redaction.read(short)]
        assert screener._pool is None  # short: in place
        read = await screener.read_all([(long_text, frozenset())])
        assert screener._pool is not None
        assert read == [redaction.read(long_text, frozenset())]
        assert {w.suspect for w in read[0].words} >= {"phone", "maybe_name"}
    finally:
        screener.close()
