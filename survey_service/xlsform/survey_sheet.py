"""The survey sheet, row by row: groups become sections, a note before the first group the
introduction and a note just before a question its hint; pure."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from survey_service.xlsform import expressions
from survey_service.xlsform.reading import Reading, Text, needed
from survey_service.xlsform.sheets import CellProblem, Place, Problem, Row, Sheet

SUPPORTED = "select_one, select_multiple, integer, range, text, note, begin_group, end_group"
QUESTION_TYPES = {"integer": "number", "range": "scale"}
_SELECT = re.compile(r"select[_ ](?P<how>one|multiple) (?P<list>\S+)", re.IGNORECASE)
# ODK's metadata rows record the phone, the person or the time: rule 1 keeps all of them out.
METADATA = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "imei",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-audio",
        "background-geopoint",
    }
)


@dataclass
class Survey:
    reading: Reading
    sheet: Sheet
    intro: Text | None = None
    sections: list[dict[str, Any]] = field(default_factory=list)
    group: dict[str, Any] | None = None
    group_row: Row | None = None
    note: tuple[Row, Text] | None = None
    types: dict[str, str] = field(default_factory=dict)

    def read(self) -> tuple[Text | None, list[dict[str, Any]]]:
        self.reading.rows(self.sheet, self._row)
        self._close()
        return self.intro, self.sections

    def _close(self) -> None:
        problems = self.reading.problems
        if self.note is not None:
            dangling = _dangling_note(self.note[0])
            problems.append(Problem(dangling.place, dangling.message))
        if self.group_row is not None:
            problems.append(
                Problem(
                    self.group_row.at("type"),
                    "this group has no end_group: add a row of type end_group after its last "
                    "question",
                )
            )
        if self.intro is None:
            problems.append(
                Problem(
                    Place(self.sheet.name),
                    "the form has no introduction: add a row of type note before the first "
                    "group; its label is the text people read first",
                )
            )
        if not self.sections and self.group_row is None:
            problems.append(
                Problem(
                    Place(self.sheet.name),
                    "has no groups: put the questions between begin_group and end_group rows "
                    "(each group is one screen of the form)",
                )
            )

    def _row(self, row: Row) -> None:
        kind, text = _row_type(row)
        handlers: dict[str, Callable[[Row], None]] = {
            "begin": self._begin,
            "end": self._end,
            "note": self._note,
        }
        if kind in handlers:
            handlers[kind](row)
        else:
            self._question(row, text)

    def _begin(self, row: Row) -> None:
        if self.group_row is not None:
            raise CellProblem(
                row.at("type"),
                f"a group inside a group: end the group of row {self.group_row.number} first "
                "(each group is one screen; groups cannot nest)",
            )
        # Opened before its cells are checked: a mistake in them is one problem, not one
        # more for each question of the group.
        self.group, self.group_row = {"title": None, "questions": []}, row
        self.reading.places.section_rows.append(row.at("label"))
        row.word("name")  # ODK needs a group name; the format numbers its sections instead
        appearance = row.word("appearance")
        if appearance not in (None, "field-list"):
            raise CellProblem(
                row.at("appearance"),
                f"a group's appearance can only be field-list (one screen), not '{appearance}'",
            )
        if row.has("relevant"):
            raise CellProblem(
                row.at("relevant"),
                "a group cannot be shown or hidden: give the relevant to each question in it",
            )
        self.group["title"] = self.reading.texts(row, "label", required=True)

    def _end(self, row: Row) -> None:
        if self.group is None:
            raise CellProblem(row.at("type"), "end_group without a begin_group above it")
        row.word("name")
        self.sections.append(self.group)
        self.group, self.group_row = None, None
        self._no_waiting_note()

    def _note(self, row: Row) -> None:
        row.word("name")  # ODK needs a name for a note; the format has no place for one
        if row.has("relevant"):
            raise CellProblem(
                row.at("relevant"),
                "a note cannot be shown or hidden here: delete the relevant",
            )
        text = self.reading.texts(row, "label", required=True)
        assert text is not None
        if self.group is not None:
            self._no_waiting_note()
            self.note = (row, text)
        elif self.intro is None and not self.sections:
            self.intro = text
        else:
            raise CellProblem(
                row.at("type"),
                "a note outside a group is the introduction, and only one note before the "
                "first group can be: put all of the introduction in one note (a new line is "
                "Alt+Enter), or move this note into a group just before a question (it becomes "
                "that question's hint)",
            )

    def _no_waiting_note(self) -> None:
        if self.note is not None:
            row, self.note = self.note[0], None
            raise _dangling_note(row)

    def _question(self, row: Row, type_text: str) -> None:
        kind, list_name = _question_kind(row, type_text)
        question_id = needed(row, "name", "the question's id in the data")
        if question_id in self.types:
            first = self.reading.places.questions[question_id].row.number
            raise CellProblem(
                row.at("name"), f"row {first} has this name too: each question needs its own"
            )
        if self.group is None:
            raise CellProblem(
                row.at("type"),
                "a question outside a group: every question goes between a begin_group and an "
                "end_group (each group is one screen of the form)",
            )
        question: dict[str, Any] = {"id": question_id, "type": kind}
        question["text"] = self.reading.texts(row, "label", required=True)
        hint = self._hint(row)
        if hint is not None:
            question["hint"] = hint
        for flag in ("required", "quasi_identifier"):
            if self.reading.expression(row, flag, expressions.parse_yes_no):
                question[flag] = True
        question.update(_Shape(self.reading, row, kind, list_name).read())
        show_if = self.reading.expression(
            row, "relevant", lambda text: expressions.parse_relevant(text, self.types)
        )
        if show_if is not None:
            question["show_if"] = show_if
        self.types[question_id] = kind
        self.reading.places.add_question(question_id, row, kind, list_name)
        self.group["questions"].append(question)

    def _hint(self, row: Row) -> Text | None:
        """The hint column, or the note just above the question."""
        hint = self.reading.texts(row, "hint")
        if self.note is None:
            return hint
        note_row, note_text = self.note
        self.note = None
        if hint is not None:
            raise CellProblem(
                note_row.at("type"),
                f"this note would be the hint of the question in row {row.number}, which has a "
                "hint already: put both texts in that question's hint",
            )
        return note_text


def _dangling_note(row: Row) -> CellProblem:
    return CellProblem(
        row.at("type"),
        "a note in a group must come just before a question (it becomes that question's "
        "hint): move it, or put its text in a question's hint",
    )


@dataclass
class _Shape:
    """What a question's type needs: choices, bounds or scale labels."""

    reading: Reading
    row: Row
    kind: str
    list_name: str | None

    def read(self) -> dict[str, Any]:
        if self.kind in ("single_choice", "multiple_choice"):
            return self._choices()
        if self.kind == "number":
            return self._bounds("constraint", expressions.parse_constraint, ". >= 0 and . <= 20")
        if self.kind == "scale":
            found = self._bounds("parameters", expressions.parse_parameters, "start=1 end=5")
            for base in ("min_label", "max_label"):
                text = self.reading.texts(self.row, base)
                if text is not None:
                    found[base] = text
            return found
        return {}

    def _choices(self) -> dict[str, Any]:
        list_name = self.list_name or ""
        choices = self.reading.lists.get(list_name)
        if choices is None:
            has_sheet = "choices" in self.reading.sheets
            raise CellProblem(
                self.row.at("type"),
                f"there is no list '{list_name}' in {'the' if has_sheet else 'a'} choices "
                f"sheet: add its choices there (list_name {list_name}, then a name and a label "
                "for each)",
            )
        return {"choices": [dict(choice) for choice in choices]}

    def _bounds(
        self, base: str, parser: Callable[[str], tuple[int, int]], example: str
    ) -> dict[str, Any]:
        bounds = self.reading.expression(self.row, base, parser)
        if bounds is None:
            kind = "integer" if self.kind == "number" else "range"
            raise CellProblem(
                self.row.at(base),
                f"an {kind} question needs its lowest and highest answers in {base}, like "
                f"{example}",
            )
        return {"min": bounds[0], "max": bounds[1]}


def _row_type(row: Row) -> tuple[str, str]:
    """("begin" | "end" | "note" | "question", the type cell with single spaces)."""
    value = row.word("type")
    if not value:
        raise CellProblem(row.at("type"), f"type is empty: every row needs one ({SUPPORTED})")
    text = " ".join(value.split())
    keyword = text.lower().replace(" ", "_")
    if keyword in ("begin_group", "end_group", "note"):
        return keyword.split("_")[0], text
    return "question", text


def _question_kind(row: Row, type_text: str) -> tuple[str, str | None]:
    """The format's type and, for a choice question, the name of its list."""
    place = row.at("type")
    select = _SELECT.fullmatch(type_text)
    if select:
        kind = "single_choice" if select["how"].lower() == "one" else "multiple_choice"
        return kind, select["list"]
    keyword = type_text.lower()
    if keyword.startswith("select"):
        raise CellProblem(
            place,
            f"'{type_text}': write select_one or select_multiple, a space, then the name of a "
            "list in the choices sheet (or_other, files and choice filters are not supported)",
        )
    if keyword in QUESTION_TYPES:
        return QUESTION_TYPES[keyword], None
    if keyword == "text":
        return _text_kind(row), None
    if keyword in METADATA:
        raise CellProblem(
            place,
            f"'{keyword}' records something about the phone, the person or the time; this "
            "service keeps no identifiers and no times (rule 1): delete the row",
        )
    raise CellProblem(place, f"type '{type_text}' is not supported: use one of {SUPPORTED}")


def _text_kind(row: Row) -> str:
    appearance = row.word("appearance")
    if appearance is None:
        return "short_text"
    if appearance == "multiline":
        return "long_text"
    raise CellProblem(
        row.at("appearance"),
        f"a text question's appearance can only be multiline (a long answer), not '{appearance}'",
    )
