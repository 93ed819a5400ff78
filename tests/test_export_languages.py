"""Exports of a multilingual questionnaire stay one dataset (issue 9): codes and the default
language's labels, each language's wording in the codebook, and a language column that shows a
language only when at least k released responses share it."""

from __future__ import annotations

import csv
import io
import shutil
import uuid
from collections import Counter
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
from tests.support.inspectors import add_account, make_app, make_settings, token_for

MULTILINGUAL = Path(__file__).parent / "browser" / "questionnaires" / "multilingual.toml"
Q = load_file(MULTILINGUAL)


def row(language: str | None, **answers: Any) -> ReleasedRow:
    return ReleasedRow(1, "2026-11-20", 1, msgspec.json.encode(answers), language)


def test_a_multilingual_layout_has_a_language_column_and_default_labels():
    layout = Layout([Q])
    assert layout.names[:4] == ["batch", "questionnaire_version", "received", "language"]
    answers = layout.answers_of(row("ar", age_band="14_15", safe_places=["home"]))
    labels = dict(zip(layout.names, layout.cells(row("ar"), answers, False, True), strict=True))
    assert labels["age_band"] == "14 to 15"  # the default language's label, whatever was shown
    assert labels["safe_places.home"] == 1
    assert labels["language"] == "ar"
    codes = dict(zip(layout.names, layout.cells(row("ar"), answers, True, True), strict=True))
    assert codes["age_band"] == "14_15"


def test_the_codebook_lists_each_languages_wording(tmp_path):
    layout = Layout([Q])
    path = tmp_path / "out.xlsx"
    writers.write_xlsx(path, layout, [row("pl", age_band="16_17")], writers.Options(), [])
    sheet = openpyxl.load_workbook(path)["codebook"]
    header = [c.value for c in sheet[1]]
    assert header[6:] == ["question (pl)", "label (pl)", "question (ar)", "label (ar)"]
    lines = [[c.value or "" for c in r] for r in sheet.iter_rows(min_row=2)]
    assert [
        "age_band",
        "How old are you?",
        "single_choice",
        "1",
        "14_15",
        "14 to 15",
        "Ile masz lat?",
        "14–15 lat",
        "كم عمرك؟",
        "من 14 إلى 15",
    ] in lines
    home = next(line for line in lines if line[0] == "safe_places.home")
    assert home[6:] == [
        "Gdzie czujesz się bezpiecznie?",
        "W domu",
        "أين تشعر بالأمان؟",
        "في المنزل",
    ]
    scale = next(line for line in lines if line[0] == "worker_help")
    assert scale[7] == "1 = Wcale, 5 = Bardzo"
    assert {line[4] for line in lines if line[0] == "language"} == {"en", "pl", "ar", "[c]"}


def test_a_single_language_export_has_no_language_column():
    layout = Layout(
        [load_file(Path(__file__).parent / "fixtures/questionnaires/every-type-v1.toml")]
    )
    assert "language" not in layout.names


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = make_settings(tmp_path)
    shutil.copy(MULTILINGUAL, settings.questionnaires_dir / "multilingual.toml")
    async with AsyncTestClient(make_app(settings)) as test_client:
        await add_account(test_client)
        yield test_client


async def test_a_language_shows_only_when_k_released_responses_share_it(client):
    headers = await token_for(client)
    languages = ["en"] * 6 + ["pl"] * 5 + ["ar"] * 2 + [None] * 5
    items = [
        {
            "id": str(uuid.uuid4()),
            "questionnaire": "multilingual",
            "version": 1,
            "answers": {"age_band": "14_15", "has_worker": "yes"},
            **({"language": lang} if lang else {}),
        }
        for lang in languages
    ]
    reply = await client.post("/api/responses/batch", json={"responses": items})
    assert [r["status"] for r in reply.json()["results"]] == ["accepted"] * len(items)
    client.app.state.today.advance()  # the day after: every answer is ready
    release = "/api/inspect/questionnaires/multilingual/batches"
    assert (await client.post(release, headers=headers)).status_code == 201
    url = "/api/inspect/questionnaires/multilingual/batches/all.csv"
    rows = list(csv.DictReader(io.StringIO((await client.get(url, headers=headers)).text)))
    # Two Arabic answers would single two people out, so their rows show no language, age or
    # week; and since two hidden rows are fewer than k, the smallest shown group (the five
    # Polish answers) is hidden with them.
    assert Counter(r["language"] for r in rows) == {"en": 6, "[c]": 7, "": 5}
    assert Counter(r["age_band"] for r in rows) == {"14 to 15": 11, "[c]": 7}
    assert {r["has_worker"] for r in rows} == {"Yes"}  # default language labels throughout
