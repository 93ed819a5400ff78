"""The confidentiality engine (rules 7 and 8) as exports and summaries call it: a thin adapter.

Exports stream, so k-anonymity is decided per quasi-identifier combination from counts made in a
first pass (the engine's `plan` needs nothing else), then applied row by row.
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
    decided, report = kanonymity.plan(counts, quasi_identifiers, k)
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


NOT_ANSWERED = ""  # the group of responses that did not answer the split question


def suppress_split(
    matrix: Sequence[Sequence[int]], policy: str, groups: Sequence[str], keys: Sequence[str]
) -> tuple[tuple[list[Any], list[Any]], list[tuple[list[Any], list[Any]]], str]:
    """A question split by a quasi-identifier, suppressed as ONE two-way table so the overall
    counts (its column totals) and the groups' counts cannot be combined to undo a hidden one.

    Returns ((overall shown, overall percent), [(group shown, group percent)], note).
    """
    table = suppression.two_way(matrix, list(groups), list(keys), policy)
    grand = table.total
    symbol = suppression.POLICIES[policy].symbol
    overall_pct = [
        round(100 * t / grand, 1)
        if isinstance(t, int) and isinstance(grand, int) and grand
        else (symbol if isinstance(t, str) else 0)
        for t in table.column_totals
    ]
    per_group = [
        ([c.value for c in row], [0 if c.percent is None else c.percent for c in row])
        for row in table.cells
    ]
    return (list(table.column_totals), overall_pct), per_group, table.note
