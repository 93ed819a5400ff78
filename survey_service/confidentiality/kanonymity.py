"""Rule 7 (k-anonymity): no combination of the values that can single someone out is shared by
fewer than k rows.

Follows the ICO's anonymisation code of practice ("k-anonymity", generalisation and local
suppression) and Sweeney's k-anonymity: a row whose combination (batch, received period,
language, age band, gender…) is rarer than k has its rarest value widened one step at a time
(a date becomes its week, then its month; anything else becomes "[c]") until its combination
is shared by k rows or nothing in it can be widened any more. A column with no step (the batch
number, which each batch's own file states anyway) is never changed.

Decisions can start from earlier ones (`start`): a value hidden once stays hidden, so no two
files ever disagree about one response, and a later release can only hide more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

import msgspec

BLANK = "[c]"  # the same symbol the DfE uses for a suppressed figure

Value = str | int | None  # None (not answered) is a value like any other: "didn't say" can be rare
Combination = tuple[Value, ...]
Row = Mapping[str, Value]
# One step wider for a value, or None when the value cannot be widened any further.
Step = Callable[[Value], Value | None]


def blank(value: Value) -> Value | None:
    """The default step: any value becomes "[c]" in one go."""
    return None if value == BLANK else BLANK


def fixed(_: Value) -> None:
    """A column that is never changed."""
    return None


class KAnonReport(msgspec.Struct, frozen=True):
    """What a plan did, for the release notes and the audit log."""

    k: int
    cells_blanked: int  # values changed from what was stored (widened or blanked)
    rows_affected: int
    blanked_by_column: dict[str, int]


def plan(
    counts: Mapping[Combination, int],
    columns: Sequence[str],
    k: int = 5,
    *,
    start: Mapping[Combination, Combination] | None = None,
    steps: Mapping[str, Step] | None = None,
) -> tuple[dict[Combination, Combination], KAnonReport]:
    """What each combination becomes, decided from counts alone (every row holding a
    combination is treated alike, so exports of millions of rows need only this small table).

    `start` maps a combination to what it showed before (default: itself); `steps` gives a
    column its widening step (default: `blank`)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    cols = list(columns)
    step_of = [(steps or {}).get(c, blank) for c in cols]
    current: dict[Combination, list[Combination]] = {}
    weight: Counter[Combination] = Counter()
    for combo, n in counts.items():
        shown = (start or {}).get(combo, combo)
        current.setdefault(shown, []).append(combo)
        weight[shown] += n

    def open_columns(combo: Combination) -> list[int]:
        return [i for i, v in enumerate(combo) if step_of[i](v) not in (None, v)]

    while failing := [c for c in current if weight[c] < k and open_columns(c)]:
        # Rarity is judged once per round, over the data as the round starts, so every failing
        # combination is treated alike whatever its position.
        column_counts = _column_counts(weight, len(cols))
        for combo in failing:
            i = min(open_columns(combo), key=lambda j: (column_counts[j][combo[j]], j))
            wider = (*combo[:i], step_of[i](combo[i]), *combo[i + 1 :])
            current.setdefault(wider, []).extend(current.pop(combo))
            weight[wider] += weight.pop(combo)
    decided = {original: now for now, originals in current.items() for original in originals}
    return decided, report(counts, decided, cols, k)


def report(
    counts: Mapping[Combination, int],
    decided: Mapping[Combination, Combination],
    columns: Sequence[str],
    k: int,
) -> KAnonReport:
    by_column: Counter[str] = Counter()
    rows = 0
    for combo, n in counts.items():
        changed = [c for c, a, b in zip(columns, combo, decided[combo], strict=True) if a != b]
        by_column.update(dict.fromkeys(changed, n))
        rows += n if changed else 0
    return KAnonReport(
        k=k,
        cells_blanked=sum(by_column.values()),
        rows_affected=rows,
        blanked_by_column={c: by_column[c] for c in columns},
    )


def anonymise(
    rows: Sequence[Row], columns: Sequence[str], k: int = 5
) -> tuple[list[dict[str, Value]], KAnonReport]:
    """Copies of the rows, in order, with rare values blanked to "[c]" (every column widened
    by `blank`): the whole algorithm on a list of rows, for tests and small data."""
    cols = list(columns)
    counts = Counter(combination(row, cols) for row in rows)
    decided, summary = plan(counts, cols, k)
    out = []
    for row in rows:
        copy = dict(row)
        copy.update(zip(cols, decided[combination(row, cols)], strict=True))
        out.append(copy)
    return out, summary


def combination(row: Row, columns: Iterable[str]) -> Combination:
    return tuple(row.get(c) for c in columns)


def _column_counts(weight: Mapping[Combination, int], width: int) -> list[Counter[Value]]:
    counts: list[Counter[Value]] = [Counter() for _ in range(width)]
    for combo, n in weight.items():
        for i, value in enumerate(combo):
            counts[i][value] += n
    return counts
