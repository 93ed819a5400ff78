"""Summaries over released batches (rule 8): counts and percentages per question, optionally
split by a quasi-identifier, with small-number suppression; and the SVG bar charts drawn from
them on the server. Pure: it gets released rows, never the database."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import msgspec

from survey_service import disclosure
from survey_service.export import Layout
from survey_service.questionnaires import Question, Questionnaire
from survey_service.store.inspectors import ReleasedRow

POLICIES = ("dfe", "ons", "nhs")
_decode = msgspec.json.Decoder(dict[str, Any]).decode
Shown = int | float | str


class Cell(msgspec.Struct):
    code: str
    label: str
    count: Shown
    percent: Shown


class Group(msgspec.Struct):
    code: str
    label: str
    rows: list[Cell]


class QuestionSummary(msgspec.Struct):
    id: str
    text: str
    type: str
    rows: list[Cell] = []
    groups: list[Group] = []
    texts: list[str] = []


class Summary(msgspec.Struct):
    questionnaire: str
    title: str
    policy: str
    note: str
    by: str | None
    batches: list[int]
    responses: int
    questions: list[QuestionSummary]


def categories(question: Question, labels: dict[str, str]) -> list[tuple[str, str]]:
    """(code, label) for each bar of a question."""
    if question.choices is not None:
        return list(labels.items())
    assert question.min is not None and question.max is not None
    if question.type == "scale":
        ends = {question.min: question.min_label, question.max: question.max_label}
        return [
            (str(v), f"{v} ({ends[v]})" if ends.get(v) else str(v))
            for v in range(question.min, question.max + 1)
        ]
    return [(code, code) for code in _bins(question.min, question.max)]


def _bins(low: int, high: int) -> list[str]:
    if high - low <= 20:
        return [str(v) for v in range(low, high + 1)]
    width = -(-(high - low + 1) // 10)
    return [f"{start}-{min(start + width - 1, high)}" for start in range(low, high + 1, width)]


def _category(question: Question, value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if question.type == "number":
        assert question.min is not None and question.max is not None
        for label in _bins(question.min, question.max):
            start, _, end = label.partition("-")
            if int(start) <= value <= int(end or start):
                return [label]
    return [str(value)]


def summarise(
    versions: Sequence[Questionnaire],
    rows: Iterable[ReleasedRow],
    batches: Sequence[int],
    policy: str,
    by: str | None = None,
    rng: random.Random | None = None,
) -> Summary:
    layout = Layout(versions)
    if by is not None and by not in layout.quasi_identifiers:
        raise ValueError(f"'{by}' is not a quasi-identifier question of this questionnaire")
    overall: dict[str, Counter[str]] = {qid: Counter() for qid in layout.info}
    split: dict[str, dict[str, Counter[str]]] = {qid: {} for qid in layout.info}
    texts: dict[str, list[str]] = {qid: [] for qid in layout.info}
    total = 0
    for row in rows:
        total += 1
        answers = _decode(row.answers)
        group = answers.get(by) if by else None
        for qid, value in answers.items():
            info = layout.info.get(qid)
            if info is None:
                continue
            if info.question.is_free_text:
                texts[qid].append(value)
                continue
            cats = _category(info.question, value)
            overall[qid].update(cats)
            if by is not None:
                split[qid].setdefault(group or disclosure.NOT_ANSWERED, Counter()).update(cats)
    note = ""
    out = []
    for qid, info in layout.info.items():
        q = info.question
        summary = QuestionSummary(qid, q.text, q.type)
        if q.is_free_text:
            summary.texts = texts[qid]
            (rng or random.Random()).shuffle(summary.texts)
        else:
            bars = categories(q, info.labels)
            if by is None:
                summary.rows, note = _table(bars, overall[qid], policy)
            else:
                note = _split_table(summary, bars, split[qid], layout.info[by].labels, policy)
        out.append(summary)
    latest = layout.latest
    return Summary(latest.id, latest.title, policy, note, by, list(batches), total, out)


def _table(
    cats: list[tuple[str, str]], counts: Counter[str], policy: str
) -> tuple[list[Cell], str]:
    raw = [counts.get(code, 0) for code, _ in cats]
    shown, percents, note = disclosure.suppress_one_way(raw, policy, [c for c, _ in cats])
    return _cells(cats, shown, percents), note


def _split_table(
    summary: QuestionSummary,
    bars: list[tuple[str, str]],
    counts: dict[str, Counter[str]],
    group_labels: dict[str, str],
    policy: str,
) -> str:
    groups = [*group_labels.items(), (disclosure.NOT_ANSWERED, "Not answered")]
    matrix = [[counts.get(g, Counter()).get(code, 0) for code, _ in bars] for g, _ in groups]
    (overall, overall_pct), per_group, note = disclosure.suppress_split(
        matrix, policy, [g for g, _ in groups], [c for c, _ in bars]
    )
    summary.rows = _cells(bars, overall, overall_pct)
    for (gcode, glabel), row, (shown, pct) in zip(groups, matrix, per_group, strict=True):
        if gcode == disclosure.NOT_ANSWERED and not any(row):
            continue  # everyone answered the split question: no empty column to show
        summary.groups.append(Group(gcode, glabel, _cells(bars, shown, pct)))
    return note


def _cells(bars: list[tuple[str, str]], shown: list[Any], percents: list[Any]) -> list[Cell]:
    return [
        Cell(code, label, count, pct)
        for (code, label), count, pct in zip(bars, shown, percents, strict=True)
    ]


# -- charts ------------------------------------------------------------------------------------

BAR_HEIGHT = 26
GAP = 8
LABEL_WIDTH = 260
BAR_AREA = 360
VALUE_WIDTH = 110


def chart_svg(summary: QuestionSummary, chart_id: str) -> str:
    """A horizontal bar chart of percentages, with a title and a description that say in words
    what the bars show; hidden numbers are drawn as an outline and named."""
    rows = summary.rows
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    described = "; ".join(f"{c.label}: {_words(c)}" for c in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}"'
        f' role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(summary.text)}</title>',
        f'<desc id="{chart_id}-d">{escape(described)}</desc>',
    ]
    for index, cell in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end"'
            f' dominant-baseline="middle">{escape(_short(cell.label))}</text>'
        )
        if isinstance(cell.percent, int | float):
            bar = max(BAR_AREA * float(cell.percent) / 100, 0 if cell.percent == 0 else 2)
            parts.append(
                f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" width="{bar:.1f}"'
                f' height="{BAR_HEIGHT}"/>'
            )
            value_x = LABEL_WIDTH + bar + 6
        else:
            parts.append(
                f'<rect class="chart-hidden" x="{LABEL_WIDTH}" y="{y}" width="{BAR_AREA}"'
                f' height="{BAR_HEIGHT}"/>'
            )
            value_x = LABEL_WIDTH + 6
        parts.append(
            f'<text class="chart-value" x="{value_x:.1f}" y="{middle}"'
            f' dominant-baseline="middle">{escape(_value(cell))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _value(cell: Cell) -> str:
    if isinstance(cell.percent, str):
        return f"{cell.percent} hidden"
    return f"{cell.percent}% ({cell.count})"


def _words(cell: Cell) -> str:
    if isinstance(cell.percent, str):
        return "hidden because the number is small"
    return f"{cell.percent} percent, {cell.count} people"


def _short(label: str, limit: int = 36) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
