"""XLSForm export: a questionnaire as a workbook that Excel opens and ODK's converter reads,
and that imports back to the same content (the same content hash)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from survey_service.questionnaires import Questionnaire, content_hash, load_file, parse
from survey_service.xlsform import read_xlsform
from survey_service.xlsform.writer import write_xlsform
from tests.conftest import FIXTURE_QUESTIONNAIRES

ROOT = Path(__file__).parent.parent
BUNDLED = sorted((ROOT / "questionnaires").glob("*.toml"))
OTHERS = [
    *sorted(FIXTURE_QUESTIONNAIRES.glob("*.toml")),
    *sorted((ROOT / "tests" / "browser" / "questionnaires").glob("*.toml")),
]


def exported(q: Questionnaire, tmp_path: Path) -> Path:
    path = tmp_path / f"{q.id}.xlsx"
    write_xlsform(q, path)
    return path


@pytest.mark.parametrize("path", BUNDLED + OTHERS, ids=lambda p: p.name)
def test_export_then_import_gives_the_same_content_hash(tmp_path: Path, path: Path):
    q = load_file(path)
    again = read_xlsform(exported(q, tmp_path)).questionnaire
    assert again == q
    assert content_hash(again) == content_hash(q)


def test_the_bundled_questionnaires_are_both_covered():
    assert {p.name for p in BUNDLED} == {
        "staff-v1.toml",
        "young-people-v1.toml",
        "young-people-v2.toml",
    }


@pytest.mark.parametrize("path", BUNDLED + OTHERS, ids=lambda p: p.name)
def test_odk_converter_reads_the_export_without_a_warning(tmp_path: Path, path: Path):
    result = convert(xlsform=str(exported(load_file(path), tmp_path)), validate=False)
    assert result.warnings == []
    assert "<h:html" in result.xform


def test_odk_reads_each_feature_as_the_service_means_it(tmp_path: Path):
    xform = convert(
        xlsform=str(exported(load_file(FIXTURE_QUESTIONNAIRES / "every-type-v1.toml"), tmp_path)),
        validate=False,
    ).xform
    assert 'appearance="field-list"' in xform  # a section is one screen
    assert 'start="1" end="5" step="1"' in xform  # the scale
    assert 'constraint=". &gt;= 0 and . &lt;= 31"' in xform  # the number's bounds
    assert 'appearance="multiline"' in xform  # long text
    assert "/fits  = 'no' or  /data/section_1/fits  = 'not_sure'" in xform  # show_if
    assert '<select ref="/data/section_1/helped"' in xform  # multiple choice


def test_every_cell_is_text_in_sheets_excel_opens(tmp_path: Path):
    q = load_file(ROOT / "questionnaires" / "staff-v1.toml")
    book = openpyxl.load_workbook(exported(q, tmp_path))
    assert book.sheetnames == ["survey", "choices", "settings", "support"]
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert cells
    assert {c.data_type for c in cells} == {"s"}  # no numbers, dates or formulas
    settings = {h.value: v.value for h, v in zip(*book["settings"].iter_rows(), strict=True)}
    assert settings == {
        "form_title": "Social work practice survey",
        "form_id": "staff-survey",
        "version": "1",
        "audience": "staff",
    }
    support = [[c.value for c in row] for row in book["support"].iter_rows()]
    assert support[0] == ["name", "phone", "url", "text"]
    assert support[3][:2] == ["In danger now", "999"]


def test_languages_are_label_columns_named_for_odk(tmp_path: Path):
    q = load_file(ROOT / "tests" / "browser" / "questionnaires" / "multilingual.toml")
    book = openpyxl.load_workbook(exported(q, tmp_path))
    survey_headers = [c.value for c in next(book["survey"].iter_rows())]
    assert "label::English (en)" in survey_headers
    assert "label::Polish (pl)" in survey_headers
    assert "hint::Arabic (ar)" in survey_headers
    settings = {h.value: v.value for h, v in zip(*book["settings"].iter_rows(), strict=True)}
    assert settings["form_title"] == "Your check-in"
    assert settings["translated_title::Polish (pl)"] == "Twoja ankieta"
    assert settings["default_language"] == "English (en)"


ODD = """
id = "odd"
version = 2
audience = "staff"
title = "=1+1"
intro = "  Leading spaces, a trailing line break\\n"
[[support]]
name = "Desk"
phone = "0114 000 0000"
[[sections]]
title = "One"
[[sections.questions]]
id = "intro"
type = "single_choice"
text = "+44 is a prefix, not a formula"
required = true
choices = [{code = "1", label = "007"}, {code = "2", label = "@home"}]
[[sections.questions]]
id = "section_1"
type = "short_text"
text = "-3 degrees?"
show_if = {question = "intro", codes = ["1"]}
"""


def test_texts_that_look_like_formulas_or_numbers_survive(tmp_path: Path):
    q = parse(ODD, "odd.toml")
    path = exported(q, tmp_path)
    assert read_xlsform(path).questionnaire == q
    names = [row[1].value for row in openpyxl.load_workbook(path)["survey"].iter_rows(min_row=2)]
    # The intro note and the groups get names no question has: ODK refers to items by name.
    assert names == ["intro_2", "section_1_2", "intro", "section_1", "section_1_2"]
    assert convert(xlsform=str(path), validate=False).warnings == []


def test_export_to_a_stream():
    q = load_file(ROOT / "questionnaires" / "young-people-v1.toml")
    buffer = io.BytesIO()
    write_xlsform(q, buffer)
    assert read_xlsform(io.BytesIO(buffer.getvalue()), "have-your-say.xlsx").questionnaire == q
