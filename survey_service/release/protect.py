"""A release's disclosure control, worked out once over all released data; pure.

Two passes over the rows (released ones and the ones the new batch takes):
1. `decide`: how many rows hold each key (batch, period, language, quasi-identifiers), then
   k-anonymity over all of them, starting from what earlier releases decided so nothing
   hidden before is ever shown again (rule 7).
2. `count_cells` (counting.py): with every row as it is shown, the counts and record-key
   sums that every table is made from (rule 8).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import msgspec

from survey_service.confidentiality import kanonymity
from survey_service.export.layout import Layout
from survey_service.release.columns import BLANK, Columns, Key
from survey_service.release.counting import ANSWERED, ROWS, CellKey, count_cells, tally
from survey_service.store.inspector import ReleaseInput


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
    return decide_counts(columns, counts, k, previous)


def decide_counts(
    columns: Columns, counts: Mapping[Key, int], k: int, previous: Previous = NO_PREVIOUS
) -> Decided:
    """k-anonymity over how many rows hold each key, starting from what was hidden before."""
    before = frozenset(key for key in counts if previous.was_hidden(columns, key))
    shown, report = kanonymity.plan(counts, k, columns.domains, before)
    newly: Counter[int] = Counter()
    for key, n in counts.items():
        if shown[key] != key and previous.was_shown(columns, key):
            newly[key[0]] += n
    return Decided(dict(counts), shown, dict(newly), report)


def passes(
    layout: Layout,
    columns: Columns,
    rows: Callable[[], Iterable[ReleaseInput]],  # called once
    k: int,
    previous: Previous = NO_PREVIOUS,
) -> tuple[Decided, dict[CellKey, list[int]]]:
    """Both steps, from one read of the rows: count them by key, decide, then the cells."""
    counted = tally(layout, columns, rows())
    decided = decide_counts(columns, counted.rows_per_key(), k, previous)
    return decided, counted.cells(columns, decided.shown)


__all__ = ["ANSWERED", "BLANK", "ROWS", "CellKey", "ReleaseInput", "count_cells", "decide"]
