"""XLSForms for tests, built cell by cell with openpyxl as an author's Excel would save them."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

Rows = list[dict[str, Any]]


@dataclass
class Form:
    """Sheets as rows of {header: value}; the headers are the keys in first-seen order."""

    survey: Rows
    choices: Rows
    settings: dict[str, Any]
    support: Rows
    extra: dict[str, list[list[Any]]] = field(default_factory=dict)
    leave_out: set[str] = field(default_factory=set)

    def sheets(self) -> dict[str, Rows]:
        found = {
            "survey": self.survey,
            "choices": self.choices,
            "settings": [self.settings],
            "support": self.support,
        }
        return {name: rows for name, rows in found.items() if name not in self.leave_out}

    def save(self, path: Path) -> Path:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for name, rows in self.sheets().items():
            sheet = book.create_sheet(name)
            headers = _headers(rows)
            sheet.append(headers)
            for row in rows:
                sheet.append([row.get(h) for h in headers])
        for name, cells in self.extra.items():
            sheet = book.create_sheet(name)
            for line in cells:
                sheet.append(line)
        book.save(path)
        return path

    def place(self, sheet: str, row: int, header: str | None = None) -> str:
        """How the import names a cell: 'survey sheet, row 4, column C (label)'."""
        where = f"{sheet} sheet, row {row}"
        if header is None:
            return where
        rows = [self.settings] if sheet == "settings" else getattr(self, sheet)
        letter = get_column_letter(_headers(rows).index(header) + 1)
        return f"{where}, column {letter} ({header})"

    def row_of(self, name: str) -> int:
        """The spreadsheet row of the survey row with this name (the header is row 1)."""
        return next(i for i, row in enumerate(self.survey, 2) if row.get("name") == name)

    def question(self, name: str) -> dict[str, Any]:
        return self.survey[self.row_of(name) - 2]


def _headers(rows: Rows) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


YES_NO = [
    {"list_name": "yes_no", "name": "yes", "label": "Yes"},
    {"list_name": "yes_no", "name": "no", "label": "No"},
    {"list_name": "yes_no", "name": "prefer_not", "label": "Prefer not to say"},
]


def young_people_form() -> Form:
    """A valid young people's form: intro, two groups, a choice question, a scale."""
    return copy.deepcopy(
        Form(
            survey=[
                {"type": "note", "name": "intro", "label": "Anonymous. Skip anything."},
                {"type": "begin_group", "name": "s1", "label": "Your worker"},
                {
                    "type": "select_one yes_no",
                    "name": "has_worker",
                    "label": "Do you have a worker you see?",
                },
                {
                    "type": "range",
                    "name": "trust",
                    "label": "How much do you trust them?",
                    "parameters": "start=1 end=5 step=1",
                    "min_label": "Not at all",
                    "max_label": "Completely",
                    "relevant": "${has_worker} = 'yes'",
                },
                {"type": "end_group", "name": "s1"},
                {"type": "begin_group", "name": "s2", "label": "Your words"},
                {"type": "text", "name": "anything_else", "label": "Anything else?"},
                {"type": "end_group", "name": "s2"},
            ],
            choices=list(YES_NO),
            settings={
                "form_title": "Check-in",
                "form_id": "check-in",
                "version": 1,
                "audience": "young_people",
            },
            support=[{"name": "Childline", "phone": "0800 1111", "text": "Free, any time."}],
        )
    )


def multilingual_form() -> Form:
    """The young people's form in English and Polish (test wording, not reviewed)."""
    form = young_people_form()
    en, pl = "English (en)", "Polish (pl)"
    texts = {
        "Anonymous. Skip anything.": "Anonimowo. Pomiń, co chcesz.",
        "Your worker": "Twój opiekun",
        "Do you have a worker you see?": "Czy masz opiekuna?",
        "How much do you trust them?": "Na ile mu ufasz?",
        "Your words": "Twoimi słowami",
        "Anything else?": "Coś jeszcze?",
        "Not at all": "Wcale",
        "Completely": "Całkowicie",
        "Yes": "Tak",
        "No": "Nie",
        "Prefer not to say": "Wolę nie mówić",
        "Childline": "Childline",
        "Free, any time.": "Bezpłatnie, zawsze.",
    }
    for rows, bases in (
        (form.survey, ("label", "min_label", "max_label")),
        (form.choices, ("label",)),
        (form.support, ("name", "text")),
    ):
        for row in rows:
            for base in bases:
                if base in row:
                    text = row.pop(base)
                    row[f"{base}::{en}"] = text
                    row[f"{base}::{pl}"] = texts[text]
    form.settings["translated_title::Polish (pl)"] = "Ankieta"
    form.settings["default_language"] = en
    return form
