"""XLSForm import: every feature that maps onto the format, as an author's workbook gives it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from survey_service.questionnaires import parse
from survey_service.registry import LOAD_CHECKS
from survey_service.xlsform import read_xlsform
from tests.support.questionnaires import questions_by_id
from tests.support.xlsforms import Form, multilingual_form, young_people_form


def imported(form: Form, tmp_path: Path):
    return read_xlsform(form.save(tmp_path / "form.xlsx")).questionnaire


def staff_form() -> Form:
    form = young_people_form()
    form.settings |= {"audience": "staff", "form_id": "practice"}
    return form


def test_the_example_form_maps_onto_the_format(tmp_path: Path):
    q = imported(young_people_form(), tmp_path)
    assert (q.id, q.version, q.audience, q.title) == ("check-in", 1, "young_people", "Check-in")
    assert q.intro == "Anonymous. Skip anything."
    assert [s.title for s in q.sections] == ["Your worker", "Your words"]
    assert [s.name for s in q.support] == ["Childline"]
    assert q.support[0].phone == "0800 1111"
    assert q.support[0].text == "Free, any time."
    has_worker, trust, anything = q.questions()
    assert has_worker.type == "single_choice"
    assert [(c.code, c.label) for c in has_worker.choices or ()] == [
        ("yes", "Yes"),
        ("no", "No"),
        ("prefer_not", "Prefer not to say"),
    ]
    assert (trust.type, trust.min, trust.max) == ("scale", 1, 5)
    assert (trust.min_label, trust.max_label) == ("Not at all", "Completely")
    assert trust.show_if is not None
    assert (trust.show_if.question, trust.show_if.codes) == ("has_worker", ["yes"])
    assert anything.type == "short_text"


def test_the_written_file_is_the_same_questionnaire_and_passes_the_checks(tmp_path: Path):
    result = read_xlsform(young_people_form().save(tmp_path / "form.xlsx"))
    assert parse(result.toml, "written.toml", LOAD_CHECKS) == result.questionnaire
    assert result.toml.startswith("# Written by `survey-service import-xlsform` from form.xlsx")


def test_a_workbook_in_memory_is_read_and_nothing_is_written(tmp_path: Path):
    data = young_people_form().save(tmp_path / "form.xlsx").read_bytes()
    (tmp_path / "form.xlsx").unlink()
    result = read_xlsform(io.BytesIO(data), "upload.xlsx")
    assert result.questionnaire.id == "check-in"
    assert list(tmp_path.iterdir()) == []


def test_select_multiple_and_a_shared_list(tmp_path: Path):
    form = young_people_form()
    form.survey.insert(
        3, {"type": "select_multiple yes_no", "name": "both", "label": "Which apply?"}
    )
    q = imported(form, tmp_path)
    both = questions_by_id(q)["both"]
    assert both.type == "multiple_choice"
    assert both.codes() == questions_by_id(q)["has_worker"].codes()


def test_an_exclusive_choice_is_a_column_of_the_choices_sheet(tmp_path: Path):
    form = young_people_form()
    form.survey.insert(
        3, {"type": "select_multiple helpers", "name": "helpers", "label": "Who helped?"}
    )
    form.choices += [
        {"list_name": "helpers", "name": "friend", "label": "A friend"},
        {"list_name": "helpers", "name": "teacher", "label": "A teacher"},
        {"list_name": "helpers", "name": "no_one", "label": "No one", "exclusive": "yes"},
    ]
    helpers = questions_by_id(imported(form, tmp_path))["helpers"]
    assert [c.code for c in helpers.choices or () if c.exclusive] == ["no_one"]
    assert helpers.exclusive_codes() == {"no_one"}


@pytest.mark.parametrize(
    ("constraint", "bounds"),
    [
        (". >= 0 and . <= 31", (0, 31)),
        (".<=10 and .>=-2", (-2, 10)),
        (". > 0 and . < 21", (1, 20)),
    ],
)
def test_integer_bounds_come_from_the_constraint(tmp_path: Path, constraint, bounds):
    form = young_people_form()
    form.survey.insert(
        3,
        {
            "type": "integer",
            "name": "visits",
            "label": "How many visits this month?",
            "constraint": constraint,
        },
    )
    visits = questions_by_id(imported(form, tmp_path))["visits"]
    assert (visits.type, visits.min, visits.max) == ("number", *bounds)


def test_long_text_is_text_with_appearance_multiline(tmp_path: Path):
    form = young_people_form()
    form.question("anything_else")["appearance"] = "multiline"
    assert questions_by_id(imported(form, tmp_path))["anything_else"].type == "long_text"


def test_a_note_just_before_a_question_is_its_hint(tmp_path: Path):
    form = young_people_form()
    form.survey.insert(6, {"type": "note", "name": "careful", "label": "Please don't write names."})
    q = imported(form, tmp_path)
    assert questions_by_id(q)["anything_else"].hint == "Please don't write names."


def test_hints_and_group_spellings(tmp_path: Path):
    form = young_people_form()
    form.question("has_worker")["hint"] = "A social worker or a youth worker."
    form.survey[1]["type"] = "begin group"
    form.survey[4]["type"] = "end group"
    form.survey[1]["appearance"] = "field-list"
    q = imported(form, tmp_path)
    assert questions_by_id(q)["has_worker"].hint == "A social worker or a youth worker."
    assert len(q.sections) == 2


@pytest.mark.parametrize(
    ("relevant", "codes"),
    [
        ("${has_worker} = 'yes'", ["yes"]),
        ('${has_worker}="no"', ["no"]),
        ("selected(${has_worker}, 'yes')", ["yes"]),
        ("${has_worker} = 'yes' or selected(${has_worker}, 'no')", ["yes", "no"]),
        ("(${has_worker} = 'yes') or (${has_worker} = 'no')", ["yes", "no"]),
    ],
)
def test_relevant_becomes_show_if(tmp_path: Path, relevant, codes):
    form = young_people_form()
    form.question("trust")["relevant"] = relevant
    show_if = questions_by_id(imported(form, tmp_path))["trust"].show_if
    assert show_if is not None
    assert (show_if.question, show_if.codes) == ("has_worker", codes)


def test_selected_on_a_select_multiple(tmp_path: Path):
    form = young_people_form()
    form.question("has_worker")["type"] = "select_multiple yes_no"
    form.question("trust")["relevant"] = (
        "selected(${has_worker}, 'yes') or selected(${has_worker}, 'no')"
    )
    show_if = questions_by_id(imported(form, tmp_path))["trust"].show_if
    assert show_if is not None
    assert show_if.codes == ["yes", "no"]


def test_required_and_quasi_identifier_on_a_staff_form(tmp_path: Path):
    form = staff_form()
    form.question("has_worker")["required"] = "yes"
    form.question("has_worker")["quasi_identifier"] = True  # an Excel TRUE cell
    question = questions_by_id(imported(form, tmp_path))["has_worker"]
    assert question.required
    assert question.quasi_identifier
    assert not questions_by_id(imported(staff_form(), tmp_path))["has_worker"].required


def test_required_no_is_the_same_as_no_required(tmp_path: Path):
    form = young_people_form()
    form.question("has_worker")["required"] = "no"
    assert not questions_by_id(imported(form, tmp_path))["has_worker"].required


def test_version_written_as_text_and_a_text_phone(tmp_path: Path):
    form = young_people_form()
    form.settings["version"] = "3"
    form.support.append({"name": "In danger now", "phone": "999"})
    q = imported(form, tmp_path)
    assert q.version == 3
    assert [s.phone for s in q.support] == ["0800 1111", "999"]


def test_texts_keep_their_line_breaks_and_numbers_become_codes(tmp_path: Path):
    form = young_people_form()
    form.survey[0]["label"] = "Thank you.\n\nThis is anonymous.\n"
    form.choices.append({"list_name": "times", "name": 1, "label": 1})
    form.choices.append({"list_name": "times", "name": 2, "label": "2 or more"})
    form.survey.insert(3, {"type": "select_one times", "name": "times", "label": "How often?"})
    q = imported(form, tmp_path)
    assert q.intro == "Thank you.\n\nThis is anonymous.\n"
    assert [(c.code, c.label) for c in questions_by_id(q)["times"].choices or ()] == [
        ("1", "1"),
        ("2", "2 or more"),
    ]


def test_empty_columns_and_empty_sheets_are_fine(tmp_path: Path):
    form = young_people_form()
    form.survey[0]["constraint_message"] = None  # a header with nothing under it
    form.extra["Sheet2"] = []
    assert imported(form, tmp_path).id == "check-in"


def test_languages_from_the_label_columns(tmp_path: Path):
    q = imported(multilingual_form(), tmp_path)
    assert q.languages == ["en", "pl"]
    assert q.title == "Check-in"
    assert q.translations["pl"]["title"] == "Ankieta"
    assert q.translations["pl"]["intro"] == "Anonimowo. Pomiń, co chcesz."
    assert q.translations["pl"]["section.0.title"] == "Twój opiekun"
    assert q.translations["pl"]["q.has_worker.text"] == "Czy masz opiekuna?"
    assert q.translations["pl"]["q.has_worker.choice.yes"] == "Tak"
    assert q.translations["pl"]["q.trust.min_label"] == "Wcale"
    assert q.translations["pl"]["support.0.text"] == "Bezpłatnie, zawsze."


def test_default_language_comes_first(tmp_path: Path):
    form = multilingual_form()
    form.settings["default_language"] = "Polish (pl)"
    form.settings["form_title"] = "Ankieta"
    form.settings.pop("translated_title::Polish (pl)")
    form.settings["translated_title::English (en)"] = "Check-in"
    q = imported(form, tmp_path)
    assert q.languages == ["pl", "en"]
    assert q.title == "Ankieta"
    assert q.translations["en"]["title"] == "Check-in"
    assert questions_by_id(q)["has_worker"].text == "Czy masz opiekuna?"


def test_without_default_language_the_first_label_column_is_the_default(tmp_path: Path):
    form = multilingual_form()
    form.settings.pop("default_language")
    assert imported(form, tmp_path).languages == ["en", "pl"]


def test_curly_quotes_in_relevant_are_read_as_quotes(tmp_path: Path):
    form = young_people_form()
    form.question("trust")["relevant"] = "${has_worker} = ‘yes’ or ${has_worker} = “no”"
    show_if = questions_by_id(imported(form, tmp_path))["trust"].show_if
    assert show_if is not None
    assert show_if.codes == ["yes", "no"]
