"""What the readers of every sheet share: the problems found so far, the form's languages,
and how a row's texts and expressions are read; pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from survey_service.xlsform import expressions
from survey_service.xlsform.locate import Places
from survey_service.xlsform.sheets import CellProblem, Problem, Row, Sheet

T = TypeVar("T")
Text = str | dict[str, str]


@dataclass
class Reading:
    sheets: dict[str, Sheet]
    source: str
    problems: list[Problem] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    places: Places = field(default_factory=Places)
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def rows(self, sheet: Sheet, handle: Callable[[Row], None]) -> None:
        """Each row through `handle`: a row's first problem is kept; a row read without one
        then has its unused cells reported."""
        for row in sheet.rows:
            try:
                handle(row)
            except CellProblem as exc:
                self.problems.append(Problem(exc.place, exc.message))
            else:
                self.problems.extend(row.leftovers())

    def attempt(self, row: Row, handle: Callable[[Row], T]) -> T | None:
        try:
            return handle(row)
        except CellProblem as exc:
            self.problems.append(Problem(exc.place, exc.message))
            return None

    def texts(self, row: Row, base: str, *, required: bool = False) -> Text | None:
        """One text, or a table of it by language when the form has languages."""
        if not self.languages:
            value = row.text(base)
            if value is None and required:
                raise CellProblem(row.at(base), f"{base} is empty")
            return value
        texts = {tag: row.text(base, tag) for tag in self.languages}
        given = [tag for tag, text in texts.items() if text is not None]
        if not given:
            if required:
                raise CellProblem(row.at(base, self.languages[0]), f"{base} is empty")
            return None
        for tag, text in texts.items():
            if text is None:
                raise _missing_language(row, base, tag, given[0])
        return {tag: text for tag, text in texts.items() if text is not None}

    def expression(self, row: Row, base: str, parser: Callable[[str], T]) -> T | None:
        text = row.word(base)
        if text is None:
            return None
        try:
            return parser(text)
        except expressions.ExpressionError as exc:
            raise CellProblem(row.at(base), str(exc)) from None


def _missing_language(row: Row, base: str, tag: str, given: str) -> CellProblem:
    column = row.sheet.find(base, tag)
    if column is None:
        return CellProblem(
            row.place(),
            f"has a {base} in '{given}' but the sheet has no {base} column for '{tag}': add "
            f"{base}::… ({tag}); every text needs every language",
        )
    return CellProblem(
        row.place(column),
        f"is empty, but this row's {base} has a '{given}' text: every text needs every language",
    )


def needed(row: Row, base: str, what: str) -> str:
    """A name, code or setting that must be there."""
    value = row.word(base)
    if not value:
        raise CellProblem(row.at(base), f"{base} is empty: give {what}")
    return value
