"""XLSForm to questionnaire: maps the sheets onto the format, then checks the result exactly as
`survey-service check` would, naming the sheet, row and column of every problem; pure."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import msgspec

from survey_service.languages import TextProblem, split_texts
from survey_service.questionnaires import Questionnaire, QuestionnaireError, parse, validate
from survey_service.registry import LOAD_CHECKS
from survey_service.xlsform import form_sheets
from survey_service.xlsform.reading import Reading
from survey_service.xlsform.sheets import Place, Problem, Sheet, XLSFormError, load
from survey_service.xlsform.survey_sheet import Survey
from survey_service.xlsform.toml_file import to_toml

FILE_ORDER = ("id", "version", "audience", "languages", "title", "intro", "support", "sections")
SHEETS = {
    "survey": "the questions, one row each",
    "settings": "form_title, form_id, version and audience in row 2",
    "support": "the support contacts shown on every screen: name, phone, url, text",
}


@dataclass(frozen=True)
class Imported:
    """A questionnaire read from a workbook, and the text of the TOML file that defines it."""

    questionnaire: Questionnaire
    toml: str


def read_xlsform(source: Path | IO[bytes], name: str | None = None) -> Imported:
    """Read an XLSForm and check it; raises XLSFormError listing every problem. Writes
    nothing, so a preview can show a draft straight from an upload."""
    label = name or (source.name if isinstance(source, Path) else "form.xlsx")
    reading = Reading(load(source, label), label)
    raw = _build(reading)
    text = to_toml(raw, label)
    return Imported(_check(reading, text), text)


def _build(reading: Reading) -> dict[str, Any]:
    """The file's content (texts as tables by language, as a file writes them)."""
    found = {name: _sheet(reading, name) for name in SHEETS}
    for name, sheet in reading.sheets.items():
        if name not in form_sheets.TRANSLATED:
            reading.problems.append(
                Problem(
                    Place(sheet.name),
                    "is not a sheet this service reads (survey, choices, settings, support): "
                    "delete it, or move what it holds into those sheets",
                )
            )
    survey, settings, support = found["survey"], found["settings"], found["support"]
    if survey is None or settings is None or support is None:
        raise XLSFormError(reading.source, reading.problems)
    reading.languages = form_sheets.languages(reading, survey, settings)
    reading.places.default_language = reading.languages[0] if reading.languages else None
    reading.places.settings_row = settings.rows[0] if settings.rows else None
    form_sheets.check_language_columns(reading)
    raw: dict[str, Any] = form_sheets.settings(reading, settings)
    if reading.languages:
        raw["languages"] = reading.languages
    form_sheets.choice_lists(reading)
    raw["intro"], raw["sections"] = Survey(reading, survey).read()
    raw["support"] = form_sheets.support(reading, support)
    if reading.problems:
        raise XLSFormError(reading.source, reading.problems)
    return {key: raw[key] for key in FILE_ORDER if key in raw}


def _sheet(reading: Reading, name: str) -> Sheet | None:
    sheet = reading.sheets.get(name)
    if sheet is None:
        reading.problems.append(
            Problem(Place(name), f"is missing: add a sheet named {name} ({SHEETS[name]})")
        )
    return sheet


def _check(reading: Reading, text: str) -> Questionnaire:
    """The checks of `survey-service check`, rule 4 included, every problem at once (the
    file's own loader stops at the first), each placed in the workbook."""
    raw = tomllib.loads(text)
    try:
        split_texts(raw)
        questionnaire = msgspec.convert(raw, Questionnaire)
    except TextProblem as exc:
        found = [(exc.question, exc.reason)]
    except msgspec.ValidationError as exc:
        found = [(None, str(exc))]
    else:
        found = [*validate(questionnaire), *(p for c in LOAD_CHECKS for p in c(questionnaire))]
    if found:
        located: dict[Place, Problem] = {}
        for question, reason in found:
            problem = reading.places.locate(question, reason)
            located.setdefault(problem.place, problem)
        raise XLSFormError(reading.source, list(located.values()))
    try:
        return parse(text, reading.source, LOAD_CHECKS)
    except QuestionnaireError as exc:  # not expected: the checks above are parse's own
        raise XLSFormError(reading.source, [Problem(Place(), exc.reason)]) from None
