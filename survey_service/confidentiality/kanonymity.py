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


def anonymise(
    rows: Sequence[Row], quasi_identifiers: Sequence[str], k: int = 5
) -> tuple[list[dict[str, Value]], KAnonReport]:
    """Copies of the rows, in order, with rare quasi-identifier cells blanked to "[c]"."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    out = [dict(row) for row in rows]
    blanked: Counter[str] = Counter()
    touched: set[int] = set()
    while failing := _failing_rows(out, quasi_identifiers, k):
        # Rarity is judged once per round, over the data as the round starts, so every failing
        # row is treated alike whatever its position.
        counts = {c: Counter(row.get(c) for row in out) for c in quasi_identifiers}
        for i in failing:
            column = _rarest_column(out[i], quasi_identifiers, counts)
            out[i][column] = BLANK
            blanked[column] += 1
            touched.add(i)
    report = KAnonReport(
        k=k,
        cells_blanked=sum(blanked.values()),
        rows_affected=len(touched),
        blanked_by_column={c: blanked[c] for c in quasi_identifiers},
    )
    return out, report


def combination(row: Row, quasi_identifiers: Sequence[str]) -> tuple[Value, ...]:
    return tuple(row.get(c) for c in quasi_identifiers)


def _failing_rows(rows: list[dict[str, Value]], qis: Sequence[str], k: int) -> list[int]:
    groups = Counter(combination(row, qis) for row in rows)
    return [
        i
        for i, row in enumerate(rows)
        if groups[combination(row, qis)] < k and any(row.get(c) != BLANK for c in qis)
    ]


def _rarest_column(
    row: Mapping[str, Value], qis: Sequence[str], counts: Mapping[str, Counter[Value]]
) -> str:
    # The rarest value is the one that singles the row out most; ties go to the earlier column.
    open_columns = [c for c in qis if row.get(c) != BLANK]
    return min(open_columns, key=lambda c: (counts[c][row.get(c)], qis.index(c)))
