"""XLSForm import refusals: whatever cannot be mapped, or fails the format's checks (rule 4
included), is an error naming the sheet, row and column; nothing is dropped in silence."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from survey_service.xlsform import XLSFormError, read_xlsform
from tests.support.xlsforms import Form, multilingual_form, young_people_form


def problems(form: Form, tmp_path: Path) -> list[str]:
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(form.save(tmp_path / "form.xlsx"))
    assert str(caught.value).startswith("form.xlsx: ")
    return [str(p) for p in caught.value.problems]


def refused(form: Form, tmp_path: Path, place: str, words: str) -> None:
    found = problems(form, tmp_path)
    assert any(p.startswith(place) and words in p for p in found), found


# (what the author did, the change, (sheet, row or name, column), words in the message)
Case = tuple[str, Callable[[Form], object], tuple[str, int | str, str | None], str]


def _q(question: str, /, **cells) -> Callable[[Form], object]:
    return lambda form: form.question(question).update(cells)


def _insert(index: int, **cells) -> Callable[[Form], object]:
    return lambda form: form.survey.insert(index, cells)


CASES: list[Case] = [
    # Question types the format has no place for.
    (
        "a date question",
        _q("anything_else", type="date"),
        ("survey", "anything_else", "type"),
        "not supported",
    ),
    (
        "a repeat",
        _insert(5, type="begin_repeat", name="r"),
        ("survey", "r", "type"),
        "not supported",
    ),
    (
        "select with or_other",
        _q("has_worker", type="select_one yes_no or_other"),
        ("survey", "has_worker", "type"),
        "or_other",
    ),
    (
        "select from a file",
        _q("has_worker", type="select_one_from_file a.csv"),
        ("survey", "has_worker", "type"),
        "not supported",
    ),
    (
        "ODK metadata",
        _insert(1, type="deviceid", name="device"),
        ("survey", "device", "type"),
        "keeps no identifiers and no times (rule 1)",
    ),
    ("a start time", _insert(1, type="start", name="start"), ("survey", "start", "type"), "rule 1"),
    (
        "a row with no type",
        _insert(2, name="lost", label="Lost?"),
        ("survey", "lost", "type"),
        "type is empty",
    ),
    # Expressions beyond the mapped forms.
    (
        "relevant with !=",
        _q("trust", relevant="${has_worker} != 'no'"),
        ("survey", "trust", "relevant"),
        "can become show_if",
    ),
    (
        "relevant with and",
        _q("trust", relevant="${has_worker} = 'yes' and ${has_worker} = 'no'"),
        ("survey", "trust", "relevant"),
        "can become show_if",
    ),
    (
        "relevant on two questions",
        _q("anything_else", relevant="${has_worker} = 'yes' or selected(${trust}, '1')"),
        ("survey", "anything_else", "relevant"),
        "one question only",
    ),
    (
        "= on a select_multiple",
        _q("has_worker", type="select_multiple yes_no"),
        ("survey", "trust", "relevant"),
        "selected(${has_worker}, 'yes')",
    ),
    (
        "relevant on a later question",
        _q("has_worker", relevant="${trust} = '1'"),
        ("survey", "has_worker", "relevant"),
        "not an earlier choice question",
    ),
    (
        "show_if code that is not a choice",
        _q("trust", relevant="${has_worker} = 'maybe'"),
        ("survey", "trust", "relevant"),
        "are not choices of 'has_worker'",
    ),
    (
        "an integer with no constraint",
        _insert(3, type="integer", name="n", label="How many?"),
        ("survey", "n", None),
        "row 5, column constraint: an integer question needs its lowest",
    ),
    (
        "an empty constraint",
        _insert(3, type="integer", name="n", label="?", constraint=None),
        ("survey", "n", "constraint"),
        "needs its lowest and highest",
    ),
    (
        "an integer with a regex",
        _insert(3, type="integer", name="n", label="How many?", constraint="regex(., '[0-9]+')"),
        ("survey", "n", "constraint"),
        "bounds like",
    ),
    (
        "an integer with one bound",
        _insert(3, type="integer", name="n", label="How many?", constraint=". >= 0"),
        ("survey", "n", "constraint"),
        "a lowest and a highest",
    ),
    (
        "min above max",
        _insert(3, type="integer", name="n", label="How many?", constraint=". >= 9 and . <= 2"),
        ("survey", "n", "constraint"),
        "must be below max",
    ),
    (
        "a range with no parameters",
        _q("trust", parameters=None),
        ("survey", "trust", "parameters"),
        "needs its lowest and highest",
    ),
    (
        "a range with step 2",
        _q("trust", parameters="start=1 end=9 step=2"),
        ("survey", "trust", "parameters"),
        "step must be 1",
    ),
    (
        "a range of 20 points",
        _q("trust", parameters="start=1 end=20"),
        ("survey", "trust", "parameters"),
        "at most 11 points",
    ),
    (
        "a range with no end label",
        _q("trust", max_label=None),
        ("survey", "trust", "min_label"),
        "min_label and max_label",
    ),
    (
        "a text appearance",
        _q("anything_else", appearance="numbers"),
        ("survey", "anything_else", "appearance"),
        "only be multiline",
    ),
    (
        "a select appearance",
        _q("has_worker", appearance="minimal"),
        ("survey", "has_worker", "appearance"),
        "has no meaning for this row",
    ),
    (
        "a yes/no cell that is neither",
        _q("has_worker", quasi_identifier="maybe"),
        ("survey", "has_worker", "quasi_identifier"),
        "write yes or no",
    ),
    # Columns the format has no place for.
    (
        "a constraint message",
        _q("trust", constraint_message="1 to 5"),
        ("survey", "trust", "constraint_message"),
        "has no meaning",
    ),
    (
        "a default",
        _q("has_worker", default="yes"),
        ("survey", "has_worker", "default"),
        "has no meaning",
    ),
    (
        "a constraint on a text",
        _q("anything_else", constraint="string-length(.) < 9"),
        ("survey", "anything_else", "constraint"),
        "has no meaning",
    ),
    (
        "a relevant on a group",
        lambda f: f.survey[1].update(relevant="${x} = 'y'"),
        ("survey", 3, "relevant"),
        "a group cannot be shown or hidden",
    ),
    (
        "a relevant on a note",
        lambda f: f.survey[0].update(relevant="${x} = 'y'"),
        ("survey", 2, "relevant"),
        "a note cannot be shown",
    ),
    (
        "a group appearance",
        lambda f: f.survey[1].update(appearance="table-list"),
        ("survey", 3, "appearance"),
        "only be field-list",
    ),
    # Structure.
    (
        "a question outside a group",
        _insert(1, type="text", name="loose", label="Loose?"),
        ("survey", "loose", "type"),
        "a question outside a group",
    ),
    (
        "a group in a group",
        _insert(3, type="begin_group", name="inner", label="Inner"),
        ("survey", "inner", "type"),
        "a group inside a group",
    ),
    ("no end_group", lambda f: f.survey.pop(), ("survey", 7, "type"), "has no end_group"),
    (
        "an end_group too many",
        _insert(5, type="end_group"),
        ("survey", 7, "type"),
        "without a begin_group",
    ),
    (
        "a note at the end of a group",
        _insert(4, type="note", name="n", label="Done."),
        ("survey", "n", "type"),
        "just before a question",
    ),
    (
        "a second intro",
        _insert(1, type="note", name="n", label="More intro."),
        ("survey", "n", "type"),
        "only one note before the first group",
    ),
    (
        "a note and a hint for one question",
        lambda f: (
            f.question("has_worker").update(hint="A hint."),
            f.survey.insert(2, {"type": "note", "name": "n", "label": "A note."}),
        ),
        ("survey", "n", "type"),
        "has a hint already",
    ),
    ("no introduction", lambda f: f.survey.pop(0), ("survey", None, None), "no introduction"),
    ("no question name", _q("has_worker", name=None), ("survey", 4, "name"), "name is empty"),
    (
        "no question label",
        _q("has_worker", label=None),
        ("survey", "has_worker", "label"),
        "label is empty",
    ),
    (
        "a group with no questions",
        lambda f: f.survey.__setitem__(
            slice(5, 5),
            [{"type": "begin_group", "name": "empty", "label": "Empty"}, {"type": "end_group"}],
        ),
        ("survey", "empty", "label"),
        "has no questions",
    ),
    (
        "a duplicate question name",
        _q("anything_else", name="has_worker"),
        ("survey", 8, "name"),
        "row 4 has this name too",
    ),
    (
        "a question name with capitals",
        _q("anything_else", name="Anything"),
        ("survey", "Anything", "name"),
        "must start with a letter",
    ),
    # Choices.
    (
        "a list that is not there",
        _q("has_worker", type="select_one yes_no_maybe"),
        ("survey", "has_worker", "type"),
        "no list 'yes_no_maybe'",
    ),
    (
        "a code twice in a list",
        lambda f: f.choices.append({"list_name": "yes_no", "name": "yes", "label": "Yes!"}),
        ("choices", 5, "name"),
        "twice",
    ),
    (
        "a code with capitals",
        lambda f: f.choices[0].update(name="Yes"),
        ("choices", 2, "name"),
        "must be lower-case",
    ),
    (
        "a choice without a label",
        lambda f: f.choices[1].update(label=None),
        ("choices", 3, "label"),
        "label is empty",
    ),
    (
        "a choice filter column",
        lambda f: f.choices[1].update(region="north"),
        ("choices", 3, "region"),
        "has no meaning",
    ),
    (
        "no choices sheet",
        lambda f: f.leave_out.add("choices"),
        ("survey", "has_worker", "type"),
        "no list 'yes_no' in a choices sheet",
    ),
    # Settings.
    (
        "no audience",
        lambda f: f.settings.pop("audience"),
        ("settings", 2, None),
        "column audience: audience is empty",
    ),
    (
        "a wrong audience",
        lambda f: f.settings.update(audience="children"),
        ("settings", 2, "audience"),
        "young_people or staff",
    ),
    (
        "a version that is not a number",
        lambda f: f.settings.update(version="2024-06"),
        ("settings", 2, "version"),
        "whole number",
    ),
    (
        "version 0",
        lambda f: f.settings.update(version=0),
        ("settings", 2, "version"),
        "whole number from 1",
    ),
    (
        "a form_id with spaces",
        lambda f: f.settings.update(form_id="check in"),
        ("settings", 2, "form_id"),
        "lower-case letters",
    ),
    (
        "no title",
        lambda f: f.settings.update(form_title=None),
        ("settings", 2, "form_title"),
        "form_title is empty",
    ),
    (
        "an instance_name",
        lambda f: f.settings.update(instance_name="concat(${x})"),
        ("settings", 2, "instance_name"),
        "has no meaning",
    ),
    (
        "default_language with one language",
        lambda f: f.settings.update(default_language="English (en)"),
        ("settings", 2, "default_language"),
        "one language",
    ),
    # Support.
    (
        "a phone number Excel made a number",
        lambda f: f.support[0].update(phone=8001111),
        ("support", 2, "phone"),
        "loses a leading 0",
    ),
    (
        "a contact with no way to reach it",
        lambda f: f.support.append({"name": "Mum"}),
        ("support", 3, None),
        "needs a phone, url or text",
    ),
    (
        "no support contacts",
        lambda f: f.support.__setitem__(slice(None), [{"url": None}]),
        ("support", None, None),
        "names no support contacts",
    ),
    # Rule 4: a young people's form that could identify a child.
    (
        "asking a child's name",
        _q("anything_else", label="What is your name?"),
        ("survey", "anything_else", "label"),
        "rule 4: asks for a name",
    ),
    (
        "a name in the question id",
        _q("anything_else", name="first_name"),
        ("survey", "first_name", "name"),
        "rule 4: asks for a name ('first name' in the id)",
    ),
    (
        "asking for a postcode",
        _q("anything_else", label="Your postcode?"),
        ("survey", "anything_else", "label"),
        "rule 4: asks for a postcode",
    ),
    (
        "an exact age",
        _insert(
            3,
            type="integer",
            name="age",
            label="How old are you?",
            constraint=". >= 10 and . <= 20",
        ),
        ("survey", "age", "type"),
        "rule 4: asks for an exact age",
    ),
    (
        "a required question for young people",
        _q("has_worker", required="yes"),
        ("survey", "has_worker", "required"),
        "staff questionnaires only",
    ),
    (
        "a quasi-identifier without prefer_not",
        lambda f: (f.question("has_worker").update(quasi_identifier="yes"), f.choices.pop()),
        ("survey", "has_worker", "quasi_identifier"),
        "without a 'prefer_not' choice",
    ),
    (
        "a quasi-identifier that is a scale",
        _q("trust", quasi_identifier="yes"),
        ("survey", "trust", "quasi_identifier"),
        "must be single_choice",
    ),
    # Sheets and cells.
    ("no survey sheet", lambda f: f.leave_out.add("survey"), ("survey", None, None), "is missing"),
    (
        "no settings sheet",
        lambda f: f.leave_out.add("settings"),
        ("settings", None, None),
        "is missing",
    ),
    (
        "no support sheet",
        lambda f: f.leave_out.add("support"),
        ("support", None, None),
        "is missing",
    ),
    (
        "another sheet",
        lambda f: f.extra.update(external_choices=[["list_name"], ["x"]]),
        ("external_choices", None, None),
        "is not a sheet this service reads",
    ),
]


@pytest.mark.parametrize(
    ("change", "where", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_refused_with_sheet_row_and_column(tmp_path: Path, change, where, words):
    form = young_people_form()
    change(form)
    sheet, row, column = where
    if isinstance(row, str):
        row = form.row_of(row)
    place = f"{sheet} sheet" if row is None else form.place(sheet, row, column)
    refused(form, tmp_path, place, words)


def _rename(rows: list[dict], old: str, new: str) -> None:
    for row in rows:
        if old in row:
            row[new] = row.pop(old)


EN, PL = "English (en)", "Polish (pl)"
LANGUAGE_CASES: list[Case] = [
    (
        "a Polish label left empty",
        lambda f: f.question("has_worker").update({f"label::{PL}": None}),
        ("survey", "has_worker", f"label::{PL}"),
        "every language",
    ),
    (
        "a hint in English only",
        lambda f: f.question("has_worker").update({f"hint::{EN}": "A hint."}),
        ("survey", "has_worker", None),
        "no hint column for 'pl'",
    ),
    (
        "a plain label beside language labels",
        lambda f: f.survey[1].update(label="Worker"),
        ("survey", 1, "label"),
        "give this column one too",
    ),
    (
        "a language with no tag",
        lambda f: _rename(f.choices, f"label::{PL}", "label::Polish"),
        ("choices", 1, None),
        "like 'English (en)', not 'Polish'",
    ),
    (
        "a tag in the wrong case",
        lambda f: _rename(f.choices, f"label::{PL}", "label::Polish (PL)"),
        ("choices", 1, None),
        "not a language tag",
    ),
    (
        "a language the labels do not have",
        lambda f: f.question("has_worker").update({"hint::French (fr)": "Un indice."}),
        ("survey", 1, "hint::French (fr)"),
        "not one of the form's languages",
    ),
    (
        "a translated form_title",
        lambda f: f.settings.update({"form_title::Polish (pl)": "A"}),
        ("settings", 1, "form_title::Polish (pl)"),
        "translated_title",
    ),
    (
        "no Polish title",
        lambda f: f.settings.pop("translated_title::Polish (pl)"),
        ("settings", 2, None),
        "the form's title in 'pl' is missing",
    ),
    (
        "a default-language translated_title",
        lambda f: f.settings.update({"translated_title::English (en)": "Check-in"}),
        ("settings", 2, "translated_title::English (en)"),
        "goes in form_title",
    ),
    (
        "a default_language that is not a label language",
        lambda f: f.settings.update(default_language="Welsh (cy)"),
        ("settings", 2, "default_language"),
        "not one of",
    ),
    (
        "a type column with a language",
        lambda f: _rename(f.survey, "type", "type::English (en)"),
        ("survey", 1, None),
        "the same in every language",
    ),
]


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [c[1:] for c in LANGUAGE_CASES],
    ids=[c[0] for c in LANGUAGE_CASES],
)
def test_languages_refused_with_sheet_row_and_column(tmp_path: Path, change, where, words):
    form = multilingual_form()
    change(form)
    sheet, row, column = where
    if isinstance(row, str):
        row = form.row_of(row)
    refused(form, tmp_path, form.place(sheet, row, column), words)


def test_every_problem_is_listed_at_once(tmp_path: Path):
    form = young_people_form()
    form.question("has_worker")["type"] = "geopoint"
    form.question("anything_else")["constraint_message"] = "Too long"
    form.settings["audience"] = "everyone"
    found = problems(form, tmp_path)
    assert len(found) == 3, found


def test_rule_4_problems_are_all_listed(tmp_path: Path):
    form = young_people_form()
    form.question("has_worker")["label"] = "What is your full name?"
    form.question("anything_else")["label"] = "What is your email address?"
    found = problems(form, tmp_path)
    assert [p.split(":")[0] for p in found] == [
        form.place("survey", 4, "label"),
        form.place("survey", 8, "label"),
    ]


def _edit_saved(form: Form, tmp_path: Path, sheet: str, cell: str, value) -> Path:
    path = form.save(tmp_path / "form.xlsx")
    book = openpyxl.load_workbook(path)
    book[sheet][cell] = value
    book.save(path)
    return path


def _refused_file(path: Path) -> list[str]:
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(path)
    return [str(p) for p in caught.value.problems]


def test_a_formula_is_refused(tmp_path: Path):
    form = young_people_form()
    path = _edit_saved(form, tmp_path, "survey", "C8", '=CONCAT("Any", "thing?")')
    found = _refused_file(path)
    assert found == [f"{form.place('survey', 8, 'label')}: holds a formula: type the value itself"]


def test_a_cell_excel_made_a_date_is_refused(tmp_path: Path):
    form = young_people_form()
    path = _edit_saved(form, tmp_path, "choices", "C2", dt.datetime(2024, 12, 13))
    found = _refused_file(path)
    assert found[0].startswith(form.place("choices", 2, "label") + ": Excel has turned")


def test_a_cell_with_no_header_is_refused(tmp_path: Path):
    form = young_people_form()
    path = _edit_saved(form, tmp_path, "survey", "Z4", "stray")
    assert _refused_file(path) == [
        "survey sheet, row 4, column Z (no header): this cell has no column header in row 1: "
        "add one or delete the cell"
    ]


def test_a_second_row_of_settings_is_refused(tmp_path: Path):
    form = young_people_form()
    path = _edit_saved(form, tmp_path, "settings", "A3", "Another title")
    assert _refused_file(path) == ["settings sheet, row 3: settings take one row (row 2) only"]


def test_a_repeated_header_is_refused(tmp_path: Path):
    form = young_people_form()
    path = _edit_saved(form, tmp_path, "survey", "Z1", "Label")
    assert _refused_file(path) == ["survey sheet, row 1, column Z (Label): the same column as C"]


def test_a_file_that_is_not_a_workbook(tmp_path: Path):
    path = tmp_path / "form.xlsx"
    path.write_text("type,name,label\n", encoding="utf-8")
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(path)
    assert str(caught.value).startswith("form.xlsx: is not an Excel workbook (.xlsx)")


def test_a_sheet_past_2000_rows_is_refused(tmp_path: Path):
    form = young_people_form()
    path = _edit_saved(form, tmp_path, "survey", "A5000", "note")
    assert _refused_file(path) == ["survey sheet: has more than 2000 rows: too big for a form"]


def test_a_workbook_whose_xml_declares_entities_is_refused(tmp_path: Path):
    """Entities are how XML bombs and external-entity reads work: a workbook never needs
    them, so openpyxl must parse with defusedxml and refuse them."""
    path = young_people_form().save(tmp_path / "form.xlsx")
    tampered = tmp_path / "tampered.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY a "Anything">]><worksheet', 1
                )
            target.writestr(item, data)
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(tampered)
    assert str(caught.value).startswith("tampered.xlsx: is not an Excel workbook (.xlsx)")


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.survey[1].update(appearance="table-list"),
        lambda f: f.survey[1].update(relevant="${x} = 'y'"),
        lambda f: f.survey.insert(4, {"type": "note", "name": "n", "label": "End."}),
    ],
    ids=["group appearance", "group relevant", "note at the end of a group"],
)
def test_one_mistake_is_one_problem(tmp_path: Path, change):
    form = young_people_form()
    change(form)
    assert len(problems(form, tmp_path)) == 1
