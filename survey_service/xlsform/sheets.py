"""An XLSForm workbook as rows of cells that know their sheet, row and column; pure.

Every cell a form gives must be used by the import (`Row.take`) or reported: nothing in an
author's spreadsheet is dropped without a word (`Row.leftovers`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import openpyxl
from openpyxl.utils import get_column_letter

from survey_service.languages import TextProblem, check_languages

# A questionnaire is tens of rows; these bound the work an uploaded workbook can cause.
MAX_ROWS = 2000
MAX_COLUMNS = 100

# "label::Polish (pl)": the language's name, then its tag in brackets (the tag is what counts).
_LANGUAGE = re.compile(r"^(?P<name>.*?)\s*\((?P<tag>[^()]*)\)\s*$")
# pyxform accepts these spellings of a header too.
_HEADER_ALIASES = {"list name": "list_name"}


@dataclass(frozen=True)
class Place:
    """Where a problem is, in the words Excel shows: sheet, row number, column letter."""

    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    letter: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"{self.sheet} sheet")
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(
                f"column {self.letter} ({self.column})" if self.letter else f"column {self.column}"
            )
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    place: Place
    message: str

    def __str__(self) -> str:
        where = str(self.place)
        return f"{where}: {self.message}" if where else self.message


class XLSFormError(ValueError):
    """Everything wrong with one workbook, each problem with its sheet, row and column."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source, self.problems = source, problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


class CellProblem(ValueError):
    """One cell that cannot be read; the row's reader turns it into a Problem."""

    def __init__(self, place: Place, message: str):
        self.place, self.message = place, message
        super().__init__(message)


class Formula(str):
    """A cell holding a formula: the import reads typed values only."""


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    base: str
    language: str | None  # the tag of a "base::Name (tag)" header

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass
class Sheet:
    name: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)

    def place(self, row: int | None = None, column: Column | None = None) -> Place:
        if column is None:
            return Place(self.name, row)
        return Place(self.name, row, column.header, column.letter)

    def find(self, base: str, language: str | None = None) -> Column | None:
        for column in self.columns:
            if column.base == base and column.language == language:
                return column
        return None

    def languages(self, base: str) -> list[str]:
        return [c.language for c in self.columns if c.base == base and c.language]


@dataclass
class Row:
    sheet: Sheet
    number: int
    values: dict[int, Any]
    taken: set[int] = field(default_factory=set)

    def place(self, column: Column | None = None) -> Place:
        return self.sheet.place(self.number, column)

    def at(self, base: str, language: str | None = None) -> Place:
        """This row's cell in a column, named even when the sheet lacks the column."""
        column = self.sheet.find(base, language)
        if column is None:
            header = f"{base}::… ({language})" if language else base
            return Place(self.sheet.name, self.number, header)
        return self.place(column)

    def has(self, base: str) -> bool:
        return any(c.base == base and c.index in self.values for c in self.sheet.columns)

    def raw(self, base: str, language: str | None = None) -> tuple[Any, Column] | None:
        """The cell's value, marked as used; None when the column or the cell is empty."""
        column = self.sheet.find(base, language)
        if column is None:
            return None
        self.taken.add(column.index)
        if column.index not in self.values:
            return None
        value = self.values[column.index]
        if isinstance(value, Formula):
            raise CellProblem(self.place(column), "holds a formula: type the value itself")
        if isinstance(value, dt.datetime | dt.date | dt.time):
            raise CellProblem(
                self.place(column),
                "Excel has turned this cell into a date or time: format the column as Text "
                "and type it again",
            )
        return value, column

    def word(self, base: str) -> str | None:
        """A name, code or keyword: a number becomes its digits; spaces around are dropped."""
        found = self.raw(base)
        if found is None:
            return None
        value, _ = found
        return _as_text(value).strip()

    def text(self, base: str, language: str | None = None) -> str | None:
        """Text a respondent reads, exactly as typed (line breaks and all)."""
        found = self.raw(base, language)
        return None if found is None else _as_text(found[0])

    def leftovers(self) -> Iterator[Problem]:
        for column in self.sheet.columns:
            if column.index in self.values and column.index not in self.taken:
                yield Problem(
                    self.place(column),
                    f"'{column.header}' has no meaning for this row here: delete it "
                    "(the form would not use it)",
                )


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load(source: Path | IO[bytes], name: str) -> dict[str, Sheet]:
    """The workbook's sheets by lower-case name (survey, choices, settings, support)."""
    if not isinstance(source, Path):
        return _load(source, name)
    try:
        handle = source.open("rb")
    except OSError as exc:
        raise XLSFormError(name, [Problem(Place(), f"cannot be read: {exc.strerror}")]) from None
    # Our own handle: openpyxl leaves its file open when a workbook fails to load.
    with handle:
        return _load(handle, name)


def _load(source: IO[bytes], name: str) -> dict[str, Sheet]:
    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a file that is not a workbook
        raise XLSFormError(
            name, [Problem(Place(), f"is not an Excel workbook (.xlsx): {exc}")]
        ) from None
    problems: list[Problem] = []
    sheets: dict[str, Sheet] = {}
    try:
        for worksheet in book.worksheets:
            sheet = _read_sheet(worksheet, problems)
            if sheet is None:
                continue
            key = sheet.name.strip().lower()
            if key in sheets:
                problems.append(Problem(Place(sheet.name), f"a second '{key}' sheet"))
            sheets[key] = sheet
    finally:
        book.close()
    if problems:
        raise XLSFormError(name, problems)
    return sheets


def _read_sheet(worksheet: Any, problems: list[Problem]) -> Sheet | None:
    """None for a sheet with nothing in it (Excel's spare Sheet2 and the like)."""
    rows: list[tuple[int, dict[int, Any]]] = []
    for number, row in enumerate(worksheet.iter_rows(max_col=MAX_COLUMNS), 1):
        values = {i: v for i, c in enumerate(row) if (v := _value(c)) is not None}
        if values and number > MAX_ROWS:
            problems.append(
                Problem(
                    Place(worksheet.title), f"has more than {MAX_ROWS} rows: too big for a form"
                )
            )
            return None
        if values:
            rows.append((number, values))
    if not rows:
        return None
    first, header_values = rows[0]
    sheet = Sheet(worksheet.title, [])
    if first != 1:
        problems.append(Problem(sheet.place(1), "the first row must hold the column headers"))
        return None
    sheet.columns = _columns(sheet, header_values, problems)
    named = {c.index for c in sheet.columns}
    for number, values in rows[1:]:
        for index in values.keys() - named:
            letter = get_column_letter(index + 1)
            problems.append(
                Problem(
                    Place(sheet.name, number, "no header", letter),
                    "this cell has no column header in row 1: add one or delete the cell",
                )
            )
        sheet.rows.append(Row(sheet, number, {i: v for i, v in values.items() if i in named}))
    return sheet


def _value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if getattr(cell, "data_type", None) == "f":
        return Formula(value)
    return value


def _columns(sheet: Sheet, headers: dict[int, Any], problems: list[Problem]) -> list[Column]:
    columns: list[Column] = []
    seen: dict[tuple[str, str | None], Column] = {}
    for index, value in sorted(headers.items()):
        header = _as_text(value).strip()
        place = Place(sheet.name, 1, header, get_column_letter(index + 1))
        base, sep, language = header.partition("::")
        base = _HEADER_ALIASES.get(base.strip().lower(), base.strip().lower())
        tag: str | None = None
        if sep:
            try:
                tag = language_tag(language)
            except TextProblem as exc:
                problems.append(Problem(place, exc.reason))
                continue
        column = Column(index, header, base, tag)
        if (base, tag) in seen:
            problems.append(Problem(place, f"the same column as {seen[base, tag].letter}"))
            continue
        seen[base, tag] = column
        columns.append(column)
    return columns


def language_tag(text: str) -> str:
    """The tag of "Polish (pl)", or a bare tag such as "pl", checked like a file's languages."""
    match = _LANGUAGE.match(text.strip())
    if match:
        tag = match["tag"].strip()
        check_languages([tag])
        return tag
    try:
        return check_languages([text.strip()])[0]
    except TextProblem:
        raise TextProblem(
            "write the language as its name and its tag in brackets, like 'English (en)', "
            f"not '{text.strip()}'"
        ) from None
