"""Rule 7 (k-anonymity): no combination of quasi-identifiers is shared by fewer than k rows.

Follows the ICO's anonymisation code of practice ("k-anonymity" and local suppression) and
Sweeney's k-anonymity: a row whose combination of quasi-identifier answers (age band, gender,
ethnicity…) is rarer than k has cells blanked to "[c]", the rarest value first, until its
combination is shared by k rows or every one of its quasi-identifiers is blanked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import msgspec

BLANK = "[c]"  # the same symbol the DfE uses for a suppressed figure

Value = str | None  # None (not answered) is a value like any other: "didn't say" can be rare
Row = Mapping[str, Value]


class KAnonReport(msgspec.Struct, frozen=True):
    """What anonymise did, for the export log and the inspector's download notes."""

    k: int
    cells_blanked: int
    rows_affected: int
    blanked_by_column: dict[str, int]


Combination = tuple[Value, ...]


def anonymise(
    rows: Sequence[Row], quasi_identifiers: Sequence[str], k: int = 5
) -> tuple[list[dict[str, Value]], KAnonReport]:
    """Copies of the rows, in order, with rare quasi-identifier cells blanked to "[c]"."""
    qis = list(quasi_identifiers)
    counts = Counter(combination(row, qis) for row in rows)
    decided, report = plan(counts, qis, k)
    out = []
    for row in rows:
        copy = dict(row)
        copy.update(zip(qis, decided[combination(row, qis)], strict=True))
        out.append(copy)
    return out, report


def plan(
    counts: Mapping[Combination, int], quasi_identifiers: Sequence[str], k: int = 5
) -> tuple[dict[Combination, Combination], KAnonReport]:
    """What each combination of quasi-identifier values becomes, decided from counts alone.

    Every row of a combination is treated alike, so the counts are all the algorithm needs:
    exports stream millions of rows and keep only this small table in memory.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    qis = list(quasi_identifiers)
    # current combination -> (original combinations it holds); weights are row counts
    current: dict[Combination, list[Combination]] = {}
    for combo in counts:
        current.setdefault(combo, []).append(combo)
    weight = Counter({combo: counts[combo] for combo in counts})
    blanked: Counter[str] = Counter()
    touched: set[Combination] = set()
    while failing := [c for c in current if weight[c] < k and any(v != BLANK for v in c)]:
        # Rarity is judged once per round, over the data as the round starts, so every failing
        # row is treated alike whatever its position.
        column_counts = _column_counts(weight, qis)
        for combo in failing:
            column = _rarest_column(combo, qis, column_counts)
            index = qis.index(column)
            blanked[column] += weight[combo]
            merged = (*combo[:index], BLANK, *combo[index + 1 :])
            current.setdefault(merged, []).extend(current.pop(combo))
            weight[merged] += weight.pop(combo)
            touched.update(current[merged])
    decided = {original: now for now, originals in current.items() for original in originals}
    report = KAnonReport(
        k=k,
        cells_blanked=sum(blanked.values()),
        rows_affected=sum(counts[c] for c in touched if decided[c] != c),
        blanked_by_column={c: blanked[c] for c in qis},
    )
    return decided, report


def combination(row: Row, quasi_identifiers: Sequence[str]) -> Combination:
    return tuple(row.get(c) for c in quasi_identifiers)


def _column_counts(weight: Mapping[Combination, int], qis: Sequence[str]) -> list[Counter[Value]]:
    counts: list[Counter[Value]] = [Counter() for _ in qis]
    for combo, n in weight.items():
        for i, value in enumerate(combo):
            counts[i][value] += n
    return counts


def _rarest_column(combo: Combination, qis: Sequence[str], counts: Sequence[Counter[Value]]) -> str:
    # The rarest value is the one that singles the row out most; ties go to the earlier column.
    open_columns = [i for i, v in enumerate(combo) if v != BLANK]
    best = min(open_columns, key=lambda i: (counts[i][combo[i]], i))
    return qis[best]
