"""Where in the workbook a problem that `survey-service check` finds comes from: the
format's checks name a question or a part of the file; an author needs a sheet, row, column."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from survey_service.xlsform.sheets import Place, Problem, Row

# The survey column a question's problem is about, by words in the reason; first match wins.
_QUESTION_COLUMNS = (
    ("exact age", "type"),
    ("show_if", "relevant"),
    ("quasi", "quasi_identifier"),
    ("required", "required"),
    ("min_label", "min_label"),
    ("max_label", "max_label"),
    ("in the id", "name"),
    ("id must", "name"),
    ("duplicate question id", "name"),
    ("text", "label"),
    ("min", "bounds"),
    ("max", "bounds"),
    ("points", "bounds"),
    ("choice", "type"),
)
_SETTINGS = (("id ", "form_id"), ("version", "version"), ("title", "form_title"))
_BOUNDS = {"number": "constraint", "scale": "parameters"}
_CHOICE = re.compile(r"choice (?:code )?'(?P<code>[^']*)'")
_SECTION = re.compile(r"section (?P<number>\d+)")
_SUPPORT = re.compile(r"support contact '(?P<name>[^']*)'")


@dataclass
class _Question:
    row: Row
    kind: str
    list_name: str | None


@dataclass
class Places:
    """Rows recorded while reading, to place the problems found after."""

    questions: dict[str, _Question] = field(default_factory=dict)
    section_rows: list[Place] = field(default_factory=list)
    support_rows: dict[str, Place] = field(default_factory=dict)
    choice_rows: dict[tuple[str, str], Place] = field(default_factory=dict)
    settings_row: Row | None = None
    default_language: str | None = None

    def add_question(self, question: str, row: Row, kind: str, list_name: str | None) -> None:
        self.questions.setdefault(question, _Question(row, kind, list_name))

    def locate(self, question: str | None, reason: str) -> Problem:
        found = self.questions.get(question) if question else None
        if found is not None:
            return Problem(self._in_question(found, reason), f"question '{question}': {reason}")
        return Problem(self._in_file(reason), reason)

    def _in_question(self, question: _Question, reason: str) -> Place:
        match = _CHOICE.search(reason)
        if match and question.list_name and (question.list_name, match["code"]) in self.choice_rows:
            return self.choice_rows[question.list_name, match["code"]]
        for words, base in _QUESTION_COLUMNS:
            if words in reason:
                if base == "bounds":
                    base = _BOUNDS.get(question.kind, "type")
                return self._cell(question.row, base)
        return question.row.place()

    def _in_file(self, reason: str) -> Place:
        section = _SECTION.match(reason)
        if section and 0 < int(section["number"]) <= len(self.section_rows):
            return self.section_rows[int(section["number"]) - 1]
        support = _SUPPORT.search(reason)
        if support and support["name"] in self.support_rows:
            return self.support_rows[support["name"]]
        if self.settings_row is not None:
            for start, base in _SETTINGS:
                if reason.startswith(start):
                    return self._cell(self.settings_row, base)
        return Place()

    def _cell(self, row: Row, base: str) -> Place:
        if row.sheet.find(base) is None and self.default_language:
            return row.at(base, self.default_language)
        return row.at(base)
