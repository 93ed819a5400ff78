"""Questionnaire to XLSForm: survey, choices, settings and support sheets that Excel opens and
ODK's tools convert; importing the workbook gives back the same questionnaire; pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import langcodes
import xlsxwriter

from survey_service.questionnaires import Question, Questionnaire
from survey_service.xlsform import expressions

Cells = dict[str, str]
# Excel keeps at most this many characters in a cell; a longer text would be cut.
EXCEL_CELL_LIMIT = 32_767
SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "appearance",
    "parameters",
    "min_label",
    "max_label",
    "quasi_identifier",
)
# The columns a respondent reads, one per language, by sheet.
TRANSLATED = {
    "survey": frozenset({"label", "hint", "min_label", "max_label"}),
    "choices": frozenset({"label"}),
    "support": frozenset({"name", "text"}),
}


@dataclass
class Table:
    """One sheet: its column headers, and its rows as {header: text}."""

    columns: list[str]
    rows: list[Cells] = field(default_factory=list)


def write_xlsform(q: Questionnaire, target: Path | IO[bytes]) -> None:
    _save(tables(q), target)


def tables(q: Questionnaire) -> dict[str, Table]:
    """The four sheets of the questionnaire's XLSForm."""
    texts = _Texts(q)
    taken = {question.id for question in q.questions()}
    types = {question.id: question.type for question in q.questions()}
    survey = Table(texts.columns("survey", SURVEY_COLUMNS))
    survey.rows.append(
        {"type": "note", "name": _fresh("intro", taken), **texts("label", "intro", q.intro)}
    )
    choices = Table(texts.columns("choices", ("list_name", "name", "label", "exclusive")))
    for number, section in enumerate(q.sections):
        group = _fresh(f"section_{number + 1}", taken)
        title = texts("label", f"section.{number}.title", section.title)
        survey.rows.append(
            {"type": "begin_group", "name": group, **title, "appearance": "field-list"}
        )
        for question in section.questions:
            survey.rows.append(_question(question, texts, types))
            for choice in question.choices or ():
                label = texts("label", f"q.{question.id}.choice.{choice.code}", choice.label)
                row = {"list_name": question.id, "name": choice.code, **label}
                if choice.exclusive:
                    row["exclusive"] = "yes"
                choices.rows.append(row)
        survey.rows.append({"type": "end_group", "name": group})
    return {"survey": survey, "choices": choices, "settings": _settings(q), "support": _support(q)}


class _Texts:
    """A text's cells: one column, or one per language named like label::Polish (pl)."""

    def __init__(self, q: Questionnaire):
        self.q = q
        # XLSForm names a language, then gives its tag in brackets.
        self.names = {
            tag: f"{langcodes.Language.get(tag).display_name()} ({tag})" for tag in q.languages
        }

    def columns(self, sheet: str, bases: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for base in bases:
            if base in TRANSLATED[sheet] and self.names:
                out += [f"{base}::{name}" for name in self.names.values()]
            else:
                out.append(base)
        return out

    def __call__(self, base: str, key: str, default: str | None) -> Cells:
        if default is None:
            return {}
        if not self.names:
            return {base: default}
        cells = {f"{base}::{self.names[self.q.languages[0]]}": default}
        for lang in self.q.languages[1:]:
            cells[f"{base}::{self.names[lang]}"] = self.q.translations[lang][key]
        return cells


def _question(question: Question, texts: _Texts, types: Mapping[str, str]) -> Cells:
    key = f"q.{question.id}."
    row: Cells = {"type": _type(question), "name": question.id}
    row |= texts("label", key + "text", question.text)
    row |= texts("hint", key + "hint", question.hint)
    if question.required:
        row["required"] = "yes"
    if question.quasi_identifier:
        row["quasi_identifier"] = "yes"
    if question.type == "long_text":
        row["appearance"] = "multiline"
    if question.min is not None and question.max is not None:
        if question.type == "scale":
            row["parameters"] = expressions.format_parameters(question.min, question.max)
        else:
            row["constraint"] = expressions.format_constraint(question.min, question.max)
    row |= texts("min_label", key + "min_label", question.min_label)
    row |= texts("max_label", key + "max_label", question.max_label)
    if question.show_if is not None:
        target = question.show_if.question
        row["relevant"] = expressions.format_relevant(
            target, question.show_if.codes, types.get(target, "single_choice")
        )
    return row


def _type(question: Question) -> str:
    return {
        "single_choice": f"select_one {question.id}",
        "multiple_choice": f"select_multiple {question.id}",
        "scale": "range",
        "number": "integer",
    }.get(question.type, "text")


def _settings(q: Questionnaire) -> Table:
    """form_title is what ODK's tools show; the other languages' titles go beside it, in
    columns those tools ignore (they cannot read a form_title with a language)."""
    texts = _Texts(q)
    row: Cells = {"form_title": q.title}
    for lang in q.languages[1:]:
        row[f"translated_title::{texts.names[lang]}"] = q.translations[lang]["title"]
    row |= {"form_id": q.id, "version": str(q.version)}
    if q.languages:
        row["default_language"] = texts.names[q.languages[0]]
    row["audience"] = q.audience
    return Table(list(row), [row])


def _support(q: Questionnaire) -> Table:
    texts = _Texts(q)
    table = Table(texts.columns("support", ("name", "phone", "url", "text")))
    for number, contact in enumerate(q.support):
        row = texts("name", f"support.{number}.name", contact.name)
        if contact.phone:
            row["phone"] = contact.phone
        if contact.url:
            row["url"] = contact.url
        row |= texts("text", f"support.{number}.text", contact.text)
        table.rows.append(row)
    return table


def _fresh(name: str, taken: set[str]) -> str:
    """A name for a group or note that no question has (ODK refers to items by name)."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}_{number}"
    taken.add(candidate)
    return candidate


def _save(sheets: dict[str, Table], target: Path | IO[bytes]) -> None:
    workbook = xlsxwriter.Workbook(
        str(target) if isinstance(target, Path) else target,
        {
            "in_memory": True,
            # Every cell is text as typed: '=…' never becomes a formula, nor '1' a number.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "bottom": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    top = workbook.add_format({"valign": "top"})
    for name, table in sheets.items():
        worksheet = workbook.add_worksheet(name)
        worksheet.freeze_panes(1, 0)
        for index, header in enumerate(table.columns):
            wide = header.split("::")[0] in TRANSLATED.get(name, ())
            worksheet.set_column(index, index, 48 if wide else 22, wrap if wide else top)
            worksheet.write_string(0, index, header, bold)
        for number, row in enumerate(table.rows, 1):
            for header, text in row.items():
                if len(text) > EXCEL_CELL_LIMIT:
                    raise ValueError(
                        f"{name} sheet, row {number + 1}, {header}: longer than the "
                        f"{EXCEL_CELL_LIMIT:,} characters Excel keeps in a cell"
                    )
                worksheet.write_string(number, table.columns.index(header), text)
    workbook.close()
