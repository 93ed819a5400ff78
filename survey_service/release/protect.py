"""A release's disclosure control, worked out once over all released data; pure.

Two passes over the rows (released ones and the ones the new batch takes):
1. `decide`: how many rows hold each key (batch, received, language, quasi-identifiers), then
   k-anonymity over all of them, starting from what earlier releases decided so nothing
   hidden before is ever shown again (rule 7).
2. `count_cells`: with every row as it is shown, the counts (and record-key sums) that every
   table is made from (rule 8), by shown quasi-identifier answers, question and category.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any

import msgspec

from survey_service.confidentiality import kanonymity
from survey_service.export import Layout
from survey_service.questionnaires import Question
from survey_service.release.categories import category_of
from survey_service.release.columns import BLANK, Columns, Key
from survey_service.store.inspectors import ReleaseInput


class Previous:
    """Which rows earlier releases hid, stored under the columns of their day: a row hidden
    then stays hidden (a question newly marked as a quasi-identifier changes nothing here)."""

    def __init__(
        self,
        names: Sequence[str],
        decisions: Iterable[tuple[int, Mapping[str, Any], Mapping[str, Any]]],
    ):
        self.names = list(names)
        self._hidden: set[Key] = set()
        self._known: set[Key] = set()
        for batch, combo, shown in decisions:
            key = (batch, *(combo.get(n) for n in self.names))
            self._known.add(key)
            if any(v == BLANK for v in shown.values()):
                self._hidden.add(key)

    def _project(self, columns: Columns, key: Key) -> Key:
        values = columns.as_dict(key)
        return (key[0], *(values.get(n) for n in self.names))

    def was_hidden(self, columns: Columns, key: Key) -> bool:
        return self._project(columns, key) in self._hidden

    def was_shown(self, columns: Columns, key: Key) -> bool:
        """Released before and shown: a row a new decision to hide revises."""
        projected = self._project(columns, key)
        return projected in self._known and projected not in self._hidden


NO_PREVIOUS = Previous([], [])


class Decided(msgspec.Struct):
    counts: dict[Key, int]
    shown: dict[Key, Key]
    # Per earlier batch: rows its files showed before and hide from now on.
    newly_hidden: dict[int, int]
    report: kanonymity.KAnonReport


def decide(
    columns: Columns, rows: Iterable[ReleaseInput], k: int, previous: Previous = NO_PREVIOUS
) -> Decided:
    counts = Counter(columns.key(r.batch, r.received, r.language, r.answers) for r in rows)
    before = frozenset(key for key in counts if previous.was_hidden(columns, key))
    shown, report = kanonymity.plan(counts, k, columns.domains, before)
    newly: Counter[int] = Counter()
    for key, n in counts.items():
        if shown[key] != key and previous.was_shown(columns, key):
            newly[key[0]] += n
    return Decided(dict(counts), shown, dict(newly), report)


CellKey = tuple[tuple[Any, ...], str, str]  # (shown quasi-identifier answers, question, category)
ROWS = ""  # the question of a cell that counts rows (its category: the questionnaire version)
ANSWERED = ""  # the category of a cell that counts the rows that answered a question


def count_cells(
    layout: Layout, columns: Columns, rows: Iterable[ReleaseInput], shown: Mapping[Key, Key]
) -> dict[CellKey, list[int]]:
    """{(groups, question, category): [count, sum of record keys]} over the rows as shown.

    Fast because it runs over every released row at each release: each row's answers are
    decoded into one tuple and counted in C (Counter over zip); record keys are added up once
    per distinct cell and key, which is cheap when the rows come sorted by record key."""
    plan = _CountPlan(layout, columns)
    groups_of = {key: columns.groups(out) for key, out in shown.items()}
    totals: dict[tuple[Any, ...], list[int]] = {}
    counter: Counter[tuple[Any, ...]] = Counter()
    current = -1
    for row in rows:
        if row.record_key != current:
            _flush(counter, current, totals)
            counter, current = Counter(), row.record_key
        values = msgspec.structs.astuple(plan.decode(row.answers))
        key = plan.key(row, values)
        groups = groups_of.get(key) or columns.groups(columns.hidden(key))
        counter.update(zip(repeat(groups), plan.counted, values[plan.counted_at :]))
        counter[(groups, ROWS, row.version)] += 1
        for qid, text in zip(plan.texts, values[plan.texts_at :], strict=True):
            if text and text != b"null":
                counter[(groups, qid, ANSWERED)] += 1
    _flush(counter, current, totals)
    return plan.cells(totals)


def _flush(counter: Counter[tuple[Any, ...]], key: int, totals: dict[Any, list[int]]) -> None:
    for element, n in counter.items():
        found = totals.get(element)
        if found is None:
            totals[element] = [n, n * key]
        else:
            found[0] += n
            found[1] += n * key


class _CountPlan:
    """How count_cells reads a row: one Struct holding the quasi-identifiers, then the counted
    questions (choices, scales, numbers; arrays as tuples, so they can be counted), then the
    free-text ones (only whether they were answered). Other fields are skipped in C."""

    def __init__(self, layout: Layout, columns: Columns):
        self.layout, self.columns = layout, columns
        qis = set(columns.questions)
        self.counted = [
            q for q, i in layout.info.items() if q not in qis and not i.question.is_free_text
        ]
        self.texts = [q for q, i in layout.info.items() if q not in qis and i.question.is_free_text]
        self.counted_at = len(columns.questions)
        self.texts_at = self.counted_at + len(self.counted)
        value = str | int | tuple[str, ...] | None
        fields: list[tuple[str, Any, Any]] = [(f"q{i}", Any, None) for i in range(self.counted_at)]
        fields += [(f"c{i}", value, None) for i in range(len(self.counted))]
        # Free text as Raw: skipped without building the string; empty when absent.
        fields += [(f"t{i}", msgspec.Raw, msgspec.Raw()) for i in range(len(self.texts))]
        names = [*columns.questions, *self.counted, *self.texts]
        rename = {f[0]: name for f, name in zip(fields, names, strict=True)}
        struct = msgspec.defstruct("Answers", fields, rename=rename)
        self.decode = msgspec.json.Decoder(struct).decode

    def key(self, row: ReleaseInput, values: tuple[Any, ...]) -> Key:
        qis = values[: self.counted_at]
        return self.columns.key_from(row.batch, row.received, row.language, qis)

    def cells(self, totals: Mapping[tuple[Any, ...], list[int]]) -> dict[CellKey, list[int]]:
        """The counted elements as cells: versions, answered, categories (a ticked multiple
        choice once per code, a number in its band), and the quasi-identifiers from the rows
        of each group."""
        cells: dict[CellKey, list[int]] = {}

        def add(cell: CellKey, total: list[int]) -> None:
            found = cells.setdefault(cell, [0, 0])
            found[0] += total[0]
            found[1] += total[1]

        questions = {q: i.question for q, i in self.layout.info.items()}
        texts = set(self.texts)
        for (groups, qid, value), total in totals.items():
            if value is None:
                continue  # not answered (or not asked): worked out from the rows per version
            if qid == ROWS:
                add((groups, ROWS, str(value)), total)
                for q, shown in zip(self.columns.questions, groups, strict=True):
                    if shown is not None:
                        add((groups, q, ANSWERED), total)
                        add((groups, q, str(shown)), total)
                continue
            add((groups, qid, ANSWERED), total)
            if qid in texts:
                continue  # free text: answered, and no more
            for category in _categories(questions[qid], value):
                add((groups, qid, category), total)
        return cells


def _categories(question: Question, value: Any) -> list[str]:
    if isinstance(value, tuple | list):
        return [str(v) for v in value]
    return [category_of(question, value)]


def passes(
    layout: Layout,
    columns: Columns,
    rows: Callable[[bool], Iterable[ReleaseInput]],
    k: int,
    previous: Previous = NO_PREVIOUS,
) -> tuple[Decided, dict[CellKey, list[int]]]:
    """Both passes; `rows(by_key)` gives the same rows each time, sorted by record key when
    asked (the second pass is much faster that way)."""
    decided = decide(columns, rows(False), k, previous)
    return decided, count_cells(layout, columns, rows(True), decided.shown)


__all__ = ["BLANK", "ReleaseInput", "count_cells", "decide", "passes"]
