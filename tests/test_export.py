"""Exports: stable columns across versions, labels and codes, CSV for Excel, the XLSX sheets,
shuffled rows without ids, k-anonymity on quasi-identifiers."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from survey_service.export import writers
from survey_service.export.layout import Layout
from survey_service.questionnaires import load_file
from survey_service.store.inspector import ReleasedRow
from tests.support.inspectors import FIXTURES, add_account, make_app, make_settings, seed, token_for
from tests.support.questionnaires import questions_by_id

V1 = load_file(FIXTURES / "questionnaires" / "every-type-v1.toml")
V2 = load_file(FIXTURES / "inspect" / "every-type-v2.toml")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def row(version: int, batch: int = 1, **answers: Any) -> ReleasedRow:
    return ReleasedRow(version, "2026-11-20", batch, msgspec.json.encode(answers))


def test_columns_follow_the_newest_version_and_keep_removed_questions():
    layout = Layout([V1, V2])
    assert layout.names == [
        "batch",
        "questionnaire_version",
        "received",
        "fits",
        "why_not",
        "helped.social_worker",
        "helped.mentor",
        "helped.gp",
        "helped.youth_worker",
        "felt_safe",
        "trust",
        "times",
        "age_band",
        "one_word",  # removed in version 2, kept
    ]
    # The same columns whichever versions the released rows came from.
    assert Layout([V2, V1]).names == layout.names


def test_cells_use_labels_flags_and_blanks_for_questions_a_version_lacks():
    layout = Layout([V1, V2])
    old = layout.cells(
        row(1),
        {"fits": "no", "helped": ["gp"], "one_word": "kind", "age_band": "14_15"},
        codes=False,
        excel_safe=True,
    )
    new = layout.cells(
        row(2),
        {"fits": "yes", "helped": ["youth_worker"], "felt_safe": "no"},
        codes=True,
        excel_safe=True,
    )
    named_old = dict(zip(layout.names, old, strict=True))
    named_new = dict(zip(layout.names, new, strict=True))
    assert named_old["fits"] == "No"
    assert named_old["age_band"] == "14 to 15"
    assert [named_old[f"helped.{c}"] for c in ("social_worker", "mentor", "gp")] == [0, 0, 1]
    assert named_old["helped.youth_worker"] is None  # not a choice in version 1
    assert named_old["felt_safe"] is None
    assert named_old["one_word"] == "kind"
    assert named_new["fits"] == "yes"
    assert named_new["helped.youth_worker"] == 1
    assert named_new["one_word"] is None
    assert named_new["trust"] is None


def test_csv_has_a_bom_labels_and_defused_formulas():
    layout = Layout([V1])
    rows = [row(1, fits="not_sure", why_not='=HYPERLINK("x")', trust=4)]
    data = b"".join(writers.csv_chunks(layout, rows, writers.Options()))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed[0]["fits"] == "Not sure"
    assert parsed[0]["trust"] == "4"
    assert parsed[0]["why_not"].startswith("'=")  # never runs as a formula in Excel
    codes = b"".join(writers.csv_chunks(layout, rows, writers.Options(codes=True))).decode(
        "utf-8-sig"
    )
    assert next(iter(csv.DictReader(io.StringIO(codes))))["fits"] == "not_sure"


def test_xlsx_has_responses_codebook_notes_and_quotes(tmp_path):
    layout = Layout([V1, V2])
    rows = [
        row(1, fits="yes", helped=["mentor"], one_word="Café"),
        row(2, fits="no", why_not="=1+1", felt_safe="yes"),
    ]
    path = tmp_path / "out.xlsx"
    quotes = [("why_not", "What is different for you?", "=it was [redacted]")]
    notes = [("k-anonymity", "k = 5")]
    count = writers.write_xlsx(path, layout, rows, writers.Options(), notes, quotes=quotes)
    assert count == 2
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["responses", "codebook", "notes", "quotes"]
    # A quote is its question and its words, defused like every text cell.
    assert [[c.value for c in r] for r in book["quotes"].iter_rows()] == [
        ["question", "question text", "quote"],
        ["why_not", "What is different for you?", "'=it was [redacted]"],
    ]
    sheet = book["responses"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(layout.names))}3"
    header = [c.value for c in sheet[1]]
    assert header == layout.names
    first = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert first["fits"] == "Yes"
    assert first["helped.mentor"] == 1
    assert first["one_word"] == "Café"
    second = dict(zip(header, [c.value for c in sheet[3]], strict=True))
    assert second["why_not"] == "=1+1"
    assert sheet["E3"].data_type != "f"  # text, not a formula
    assert sheet.column_dimensions["D"].width > 8
    codebook = [[c.value for c in r] for r in book["codebook"].iter_rows(min_row=2)]
    assert [
        "fits",
        questions_by_id(V1)["fits"].text,
        "single_choice",
        "1–2",
        "not_sure",
        "Not sure",
    ] in codebook
    assert any(r[0] == "one_word" and r[3] == "1" for r in codebook)
    assert any(r[0] == "helped.youth_worker" and r[3] == "2" for r in codebook)
    assert any(r[0] == "felt_safe" and r[3] == "2" for r in codebook)
    notes = {r[0].value: r[1].value for r in book["notes"].iter_rows(min_row=2)}
    assert notes["k-anonymity"] == "k = 5"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(make_app(make_settings(tmp_path))) as test_client:
        await add_account(test_client)
        yield test_client


async def test_exports_are_shuffled_carry_no_ids_and_apply_k_anonymity(client):
    headers = await token_for(client)
    many = [{"fits": "yes", "times": n % 31, "age_band": "14_15"} for n in range(60)]
    few = [{"fits": "no", "times": 3, "age_band": "16_17"}] * 3  # only 3 share this age band
    await seed(client, many + few)
    await seed(
        client, [{"fits": "yes", "felt_safe": "no", "helped": ["youth_worker"]}] * 10, version=2
    )
    assert (
        await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
    ).status_code == 201
    url = "/api/inspect/questionnaires/every-type/batches/all.csv"
    first = (await client.get(url, headers=headers)).content.decode("utf-8-sig")
    second = (await client.get(url, headers=headers)).content.decode("utf-8-sig")
    assert not UUID.search(first)
    rows = list(csv.DictReader(io.StringIO(first)))
    assert len(rows) == 73
    assert set(rows[0]) == set(Layout([V1, V2]).names)
    order = [r["times"] for r in rows]
    assert order != [r["times"] for r in csv.DictReader(io.StringIO(second))]
    assert order != sorted(order)
    assert order != [str(m["times"]) for m in many] + ["3"] * 3
    ages = [r["age_band"] for r in rows]
    # Three 16-17s are too few to show; fewer than k hidden rows would single them out, so the
    # smallest shown group (the ten who were not asked their age) is hidden with them.
    assert ages.count("14 to 15") == 60
    assert ages.count("[c]") == 13
    assert "16 to 17" not in ages
    assert {r["received"] for r in rows if r["age_band"] == "[c]"} == {"[c]"}
    assert {r["received"] for r in rows if r["age_band"] != "[c]"} == {"2026-W45"}
    # Version 2 rows: new question filled, removed question empty.
    v2 = [r for r in rows if r["questionnaire_version"] == "2"]
    assert len(v2) == 10
    assert all(r["felt_safe"] == "No" and r["one_word"] == "" for r in v2)
    assert {r["age_band"] for r in v2} == {"[c]"}
    assert all(r["helped.youth_worker"] == "1" for r in v2)

    book = (await client.get("/api/inspect/batches/1.xlsx", headers=headers)).content
    sheet = openpyxl.load_workbook(io.BytesIO(book))["responses"]
    header = [c.value for c in sheet[1]]
    column = header.index("age_band")
    values = [r[column].value for r in sheet.iter_rows(min_row=2)]
    assert values.count("[c]") == 13
    assert len(values) == 73
    notes = {
        r[0].value: r[1].value
        for r in openpyxl.load_workbook(io.BytesIO(book))["notes"].iter_rows(min_row=2)
    }
    assert "k = 5" in notes["k-anonymity"]
    assert "13 rows in this file" in notes["k-anonymity"]
    assert notes["batch 1 received"] == "2026-W45"

    body = json.loads(
        (await client.get("/api/inspect/batches/1.json?codes=1", headers=headers)).content
    )
    assert len(body["rows"]) == 73
    assert body["columns"] == header
    assert {r["age_band"] for r in body["rows"]} == {"14_15", "[c]"}
