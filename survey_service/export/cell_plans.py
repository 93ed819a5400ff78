"""How one response becomes its row of cells: a plan worked out once per questionnaire version,
so that a row costs a template copy and one step per answer given (a function call per cell
would eat most of an export's time; bench/ measures it).

Two renderings share the plans: cell values (XLSX, JSON, `Layout.cells`) and CSV text, quoted
here as csv.writer quotes, so the CSV export joins rows itself at a fraction of its cost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

import msgspec

from survey_service.questionnaires import Question

Cell = str | int | None
# "values": cells as they are; "safe values": the same with free text defused for Excel;
# "csv": defused, quoted CSV text ("" for an empty cell).
Style = Literal["values", "safe values", "csv"]
# A cell starting with one of these runs as a formula in a spreadsheet: respondents' text
# must never do that on an inspector's laptop.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What makes csv.writer (excel dialect, QUOTE_MINIMAL, "\r\n" line ends) quote a field.
_QUOTE_WHEN = re.compile('[,"\r\n]')

CHOICE, MULTI, PLAIN, RENDERED = range(4)
_MAX_PRERENDERED = 1000


class QuestionColumns(Protocol):
    """What a plan reads of a question's columns (layout.QuestionInfo)."""

    @property
    def question(self) -> Question: ...
    @property
    def labels(self) -> dict[str, str]: ...


class Layout(Protocol):
    """What a plan reads of a layout. layout.Layout makes plans, so this module names only
    what it needs and never imports layout.py: no import cycle."""

    @property
    def names(self) -> Sequence[str]: ...
    @property
    def info(self) -> Mapping[str, QuestionColumns]: ...
    def version_questions(self, version: int) -> frozenset[str]: ...
    def version_codes(self, version: int, qid: str) -> frozenset[str]: ...


def defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(value: Any) -> str:
    """A cell as csv.writer writes it: None empty, numbers by str(), quoted when needed."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if _QUOTE_WHEN.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def _safe_csv_text(value: Any) -> str:
    return csv_text(defuse(value))


class Labels(dict[Any, Any]):
    """Code -> label cell; a value with no label (a "[c]" k-anonymity blank, a code no
    version defines) is rendered as it is. Indexing stays in C on a hit."""

    def __init__(self, labels: dict[Any, Any], render: Callable[[Any], Any] | None):
        super().__init__(labels)
        self.render = render

    def __missing__(self, value: Any) -> Any:
        return value if self.render is None else self.render(value)


class Rendered(dict[Any, str]):
    """Values rendered as CSV text once each: for cells taking few values (dates, batches)."""

    def __missing__(self, value: Any) -> str:
        text = self[value] = csv_text(value)
        return text


class CellPlan(msgspec.Struct, frozen=True):
    template: list[Any]  # a row of blanks, with the meta columns to overwrite
    steps: dict[str, tuple[int, Any, Any]]  # question id -> (kind, where, what)
    one: Any  # a ticked multiple-choice column
    version: Any  # the questionnaire_version cell


def make_plan(layout: Layout, version: int, codes: bool, style: Style) -> CellPlan:
    text = style == "csv"
    index = {name: i for i, name in enumerate(layout.names)}
    steps = {
        qid: _step(layout, version, qid, index, codes, style)
        for qid in layout.version_questions(version)
    }
    template = ["" if text else None] * len(layout.names)
    return CellPlan(template, steps, "1" if text else 1, str(version) if text else version)


def _step(
    layout: Layout, version: int, qid: str, index: dict[str, int], codes: bool, style: Style
) -> tuple[int, Any, Any]:
    text = style == "csv"
    # Every text cell of a spreadsheet file is defused, choice labels too (an author's "-1 or
    # less" or "@home" starts a formula as surely as a respondent's text does).
    render = _safe_csv_text if text else (defuse if style == "safe values" else None)
    info = layout.info[qid]
    question = info.question
    if question.type == "multiple_choice":
        return _multi_step(layout, version, qid, index, text)
    if question.choices is not None:
        return (CHOICE, index[qid], _labels(info.labels, codes, render))
    if question.type in ("scale", "number") and text:
        return (CHOICE, index[qid], Labels(_numbers(question), csv_text))
    if question.is_free_text and style != "values":
        return (RENDERED, index[qid], _safe_csv_text if text else defuse)
    if text:
        return (RENDERED, index[qid], csv_text)
    return (PLAIN, index[qid], None)


def _labels(labels: dict[str, str], codes: bool, render: Callable[[Any], Any] | None) -> Labels:
    shown = {code: code for code in labels} if codes else labels
    if render is not None:
        shown = {code: render(label) for code, label in shown.items()}
    return Labels(shown, render)


def _numbers(question: Question) -> dict[int, str]:
    """A scale's (or a short number range's) cells pre-rendered; intake only takes whole
    numbers within the range, so every answer is a hit; anything else is rendered as met."""
    low, high = question.min, question.max
    if low is None or high is None or high - low > _MAX_PRERENDERED:
        return {}
    return {n: str(n) for n in range(low, high + 1)}


def _multi_step(
    layout: Layout, version: int, qid: str, index: dict[str, int], text: bool
) -> tuple[int, Any, Any]:
    """A multiple-choice question's columns sit side by side: one slice assignment blanks
    them all, 0 for each choice this version offered; then a 1 for each ticked."""
    offered = layout.version_codes(version, qid)
    where = [index[f"{qid}.{code}"] for code in layout.info[qid].labels]
    start = min(where)
    zero: Cell = "0" if text else 0
    cleared: list[Cell] = ["" if text else None] * len(where)
    spots: dict[str, int] = {}
    for code in offered:
        spots[code] = index[f"{qid}.{code}"]
        cleared[spots[code] - start] = zero
    return (MULTI, slice(start, start + len(where)), (cleared, spots))


def fill(plan: CellPlan, batch: Any, received: Any, answers: dict[str, Any]) -> list[Any]:
    """The row's cells in column order, its batch and date cells as given (rendered already);
    the language cell, when there is one, is the caller's."""
    out = plan.template.copy()
    out[0], out[1], out[2] = batch, plan.version, received
    steps = plan.steps
    for qid, value in answers.items():
        step = steps.get(qid)
        if step is None:
            continue
        kind, where, what = step
        if kind == CHOICE:
            out[where] = what[value]
        elif kind == MULTI:
            cleared, spots = what
            out[where] = cleared
            for code in value:
                spot = spots.get(code)
                if spot is not None:
                    out[spot] = plan.one
        elif kind == PLAIN:
            out[where] = value
        else:
            out[where] = what(value)
    return out
