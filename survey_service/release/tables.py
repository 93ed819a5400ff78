"""Summaries (rule 8): every figure an inspector sees, made from the release's protected counts
by one step, the cell key method, and then the chosen small-number policy; pure.

A figure is a set of released rows (as they are shown, "[c]" and all): its count and the sum
of its record keys go through `cellkey.perturb`, so the same set of people shows the same
figure in every table, split or not. Percentages are of the people who answered the question
(for multiple choice too), worked out from the published figures, so they add nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from survey_service.confidentiality import cellkey, suppression
from survey_service.confidentiality.suppression import Policy, Shown
from survey_service.export.layout import Layout
from survey_service.release.categories import categories
from survey_service.release.columns import BLANK
from survey_service.release.protect import ANSWERED, ROWS

HIDDEN_LABEL = "Hidden to protect people ([c])"
NOT_ANSWERED_LABEL = "Not answered"


class StoredCell(msgspec.Struct, array_like=True, frozen=True):
    """One of the release's protected counts, as the store holds it."""

    groups: dict[str, Any]  # the shown quasi-identifier answers of the rows it counts
    question: str
    category: str
    count: int
    keysum: int


class Cell(msgspec.Struct):
    code: str
    label: str
    count: Shown
    percent: float | str | None  # of the people who answered; None when nobody did


class Group(msgspec.Struct):
    code: str | None  # None: the people who did not answer the question split by
    label: str
    n: Shown  # people in this group who answered the question
    rows: list[Cell]


class QuestionTable(msgspec.Struct):
    id: str
    text: str
    type: str
    # People who answered: the base of every percentage. How many did not is not published:
    # with the exact number of released rows it would pin down a count of 1 or 2 whenever
    # both figures' noise pointed the same way (the intruder found this).
    n: Shown
    rows: list[Cell] = []
    groups: list[Group] = []


class Summary(msgspec.Struct):
    questionnaire: str
    title: str
    policy: str
    note: str
    by: str | None
    batches: list[int]
    responses: int  # released rows, exactly: every file has this many
    questions: list[QuestionTable]


Total = list[int]  # [count, keysum]
EVERYONE = "*"  # the group of every released row (no question id or answer code is "*")


class _Sums:
    """The stored counts added up over every group, or over one group of the split."""

    def __init__(self, cells: Iterable[StoredCell], by: str | None):
        self.sums: dict[tuple[Any, str, str], Total] = {}
        for c in cells:
            self._add((EVERYONE, c.question, c.category), c)
            if by is not None:  # None here is a group too: the people who did not answer
                self._add((c.groups.get(by), c.question, c.category), c)

    def _add(self, where: tuple[Any, str, str], cell: StoredCell) -> None:
        found = self.sums.setdefault(where, [0, 0])
        found[0] += cell.count
        found[1] += cell.keysum

    def get(self, group: Any, question: str, category: str) -> Total:
        return self.sums.get((group, question, category), [0, 0])


def summarise(
    layout: Layout,
    cells: Sequence[StoredCell],
    policy: Policy,
    batches: Sequence[int],
    by: str | None = None,
) -> Summary:
    qis = [q for q in layout.quasi_identifiers if q in layout.info]
    if by is not None and by not in qis:
        raise ValueError(f"'{by}' is not a quasi-identifier question of this questionnaire")
    sums = _Sums(cells, by)
    figure = _Figures(policy)
    tables = []
    for qid, info in layout.info.items():
        bars = [] if info.question.is_free_text else categories(info.question, info.labels)
        if qid in qis:
            bars.append((BLANK, HIDDEN_LABEL))
        n, rows = _one(sums, EVERYONE, qid, bars, figure)
        table = QuestionTable(qid, info.question.text, info.question.type, n, rows)
        if by is not None:
            for code, label in _groups(layout, by):
                gn, grows = _one(sums, code, qid, bars, figure)
                table.groups.append(Group(code, label, gn, grows))
        tables.append(table)
    responses = sum(c.count for c in cells if c.question == ROWS)
    latest = layout.latest
    return Summary(
        latest.id, latest.title, policy.name, policy.note, by, list(batches), responses, tables
    )


def _groups(layout: Layout, by: str) -> list[tuple[str | None, str]]:
    """Every group a split shows, whatever the data: which groups appear says nothing."""
    return [
        *layout.info[by].labels.items(),
        (BLANK, HIDDEN_LABEL),
        (None, NOT_ANSWERED_LABEL),
    ]


class _Figures:
    def __init__(self, policy: Policy):
        self.policy = policy

    def __call__(self, total: Total) -> Shown:
        return suppression.show(cellkey.perturb(total[0], total[1]), self.policy)

    def percent(self, count: Shown, base: Shown) -> float | str | None:
        if isinstance(count, str) or isinstance(base, str):
            return self.policy.symbol
        return round(100 * count / base, 1) if base else None


def _one(
    sums: _Sums,
    group: Any,
    qid: str,
    bars: Sequence[tuple[str, str]],
    figure: _Figures,
) -> tuple[Shown, list[Cell]]:
    n = figure(sums.get(group, qid, ANSWERED))
    rows = []
    for code, label in bars:
        count = figure(sums.get(group, qid, code))
        rows.append(Cell(code, label, count, figure.percent(count, n)))
    return n, rows


def cells_from(rows: Iterable[tuple[bytes, str, str, int, int]]) -> list[StoredCell]:
    """Stored rows (groups as JSON) as cells."""
    decode = msgspec.json.Decoder(dict[str, Any]).decode
    return [StoredCell(decode(g), q, c, n, s) for g, q, c, n, s in rows]
