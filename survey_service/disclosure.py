"""The confidentiality engine (rules 7 and 8) as exports and summaries call it: a thin adapter.

Exports stream, so k-anonymity is decided per quasi-identifier combination from counts made in a
first pass, then applied row by row. The engine treats every row of a combination alike, so it is
given the quasi-identifier columns only, one row per response, and its answer for the first row
of each combination is the answer for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from survey_service.confidentiality import kanonymity, suppression

Combo = tuple[str | None, ...]
BLANK = kanonymity.BLANK


def k_anonymous(
    counts: Mapping[Combo, int], quasi_identifiers: Sequence[str], k: int
) -> tuple[dict[Combo, Combo], int]:
    """For each combination, what the rows holding it show; and how many rows changed."""
    combos = list(counts)
    rows = [
        dict(zip(quasi_identifiers, combo, strict=True))
        for combo in combos
        for _ in range(counts[combo])
    ]
    out, report = kanonymity.anonymise(rows, list(quasi_identifiers), k=k)
    decided: dict[Combo, Combo] = {}
    position = 0
    for combo in combos:
        decided[combo] = tuple(out[position].get(q) for q in quasi_identifiers)
        position += counts[combo]
    return decided, report.rows_affected


def suppress_one_way(
    counts: Sequence[int], policy: str, keys: Sequence[str] | None = None
) -> tuple[list[Any], list[Any], str]:
    """(shown counts, shown percentages, note) for one column of counts."""
    names = list(keys) if keys is not None else [str(i) for i in range(len(counts))]
    table = suppression.one_way(dict(zip(names, counts, strict=True)), policy)
    shown = [cell.value for cell in table.cells]
    percents = [0 if cell.percent is None else cell.percent for cell in table.cells]
    return shown, percents, table.note
