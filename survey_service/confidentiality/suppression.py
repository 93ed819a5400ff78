"""Rule 8 (small-number suppression): no published count singles someone out or can be
worked back from the others.

Follows the DfE's statistical disclosure control ("[c]" for 1 to 5, zeros shown), the ONS
disclosure control policy for tables (counts under 10) and NHS Digital's HES rule ("*" for
1 to 7, everything else rounded to the nearest 5). Every policy adds secondary suppression.

How a table is protected:
1. Primary: every count from 1 to the policy's threshold is hidden, totals included (a row
   total of 3 is as small a number as a cell of 3). Zeros are shown under all three policies:
   the DfE and NHS Digital show them, and we do the same for ONS, whose guidance allows it;
   a zero names nobody.
2. Secondary: while any hidden figure can still be worked out exactly from what is shown
   (a row or column with one hidden cell is the common case), the smallest shown figure in
   the same row or column is hidden too, preferring one that frees it there and then: cells
   before totals, non-zero cells before zeros, the grand total only as a last resort.
   "Worked out exactly" is decided by `_fixed`, which is exact for what a reader knows: the
   shown figures and totals, and that counts are never negative. The tests check it against
   a linear programme on random tables.
3. Shown figures: under nhs every shown count and total is rounded to the nearest 5. Hidden
   figures are chosen as if the reader saw the exact counts; rounding only adds tables that
   fit what is shown, never removes one, so every hidden figure keeps at least the range the
   exact-count check found.
4. Percentages: of the true (unsuppressed) total of the table (one-way) or row (two-way), to
   one decimal place, hidden with their cell and for a whole row whose total is hidden. Under
   nhs they are of the rounded figures, since a percentage of exact counts would undo the
   rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import msgspec


class Policy(msgspec.Struct, frozen=True):
    name: str
    symbol: str  # what a hidden figure shows
    threshold: int  # counts from 1 to this are hidden
    rounding: int  # shown counts are rounded to the nearest multiple of this (1: exact)
    note: str  # a footer for the summary


POLICIES: Mapping[str, Policy] = {
    "dfe": Policy(
        "dfe",
        "[c]",
        5,
        1,
        "[c]: a count from 1 to 5, or a figure hidden so that one cannot be worked out "
        "(DfE practice). Zeros are shown.",
    ),
    "ons": Policy(
        "ons",
        "[c]",
        9,
        1,
        "[c]: a count under 10, or a figure hidden so that one cannot be worked out "
        "(ONS practice). Zeros are shown.",
    ),
    "nhs": Policy(
        "nhs",
        "*",
        7,
        5,
        "*: a count from 1 to 7, or a figure hidden so that one cannot be worked out. Other "
        "counts are rounded to the nearest 5, so totals may not add up (NHS Digital practice).",
    ),
}

Shown = int | str  # a count as published: a number, or the policy's symbol


class Cell(msgspec.Struct, frozen=True):
    value: Shown
    percent: float | str | None  # one decimal place; the symbol when hidden; None of nothing
    hidden: bool


class OneWay(msgspec.Struct, frozen=True):
    policy: str
    labels: list[str]
    cells: list[Cell]
    total: Shown
    note: str


class TwoWay(msgspec.Struct, frozen=True):
    policy: str
    rows: list[str]
    columns: list[str]
    cells: list[list[Cell]]
    row_totals: list[Shown]
    column_totals: list[Shown]
    total: Shown
    note: str


def one_way(counts: Mapping[str, int], policy: str = "dfe") -> OneWay:
    """A frequency table (label -> count) as published under the policy, with its total."""
    p = _policy(policy)
    values = [*counts.values()]
    _check_counts(values)
    n = len(values)
    # One line: the cells add up to the total; the total is the last entry of the line.
    entries = {
        (0, j): _Entry(("line", 0), _FREE, v, -1 if j == n else 1, 2 if j == n else 0)
        for j, v in enumerate([*values, sum(values)])
    }
    hidden = _suppress(entries, p.threshold)
    shown = {key: _display(e.value, key in hidden, p) for key, e in entries.items()}
    total_key = (0, n)
    cells = [_cell(shown[(0, j)], values[j], sum(values), shown[total_key], p) for j in range(n)]
    return OneWay(p.name, [*counts.keys()], cells, shown[total_key], p.note)


def two_way(
    counts: Sequence[Sequence[int]],
    rows: Sequence[str],
    columns: Sequence[str],
    policy: str = "dfe",
) -> TwoWay:
    """A cross-tabulation as published under the policy, with row, column and grand totals;
    percentages are of each row's total."""
    p = _policy(policy)
    m, n = len(rows), len(columns)
    if len(counts) != m or any(len(row) != n for row in counts):
        raise ValueError(f"counts must be {m} rows of {n} columns, as rows and columns name")
    _check_counts(v for row in counts for v in row)
    grid = _with_totals(counts)
    # Each entry sits on its row line and its column line; totals are the lines' last entries.
    entries = {
        (i, j): _Entry(("row", i), ("column", j), grid[i][j], *_sign_rank(i == m, j == n))
        for i in range(m + 1)
        for j in range(n + 1)
    }
    hidden = _suppress(entries, p.threshold)
    shown = {key: _display(e.value, key in hidden, p) for key, e in entries.items()}
    cells = [
        [_cell(shown[(i, j)], grid[i][j], grid[i][n], shown[(i, n)], p) for j in range(n)]
        for i in range(m)
    ]
    return TwoWay(
        policy=p.name,
        rows=list(rows),
        columns=list(columns),
        cells=cells,
        row_totals=[shown[(i, n)] for i in range(m)],
        column_totals=[shown[(m, j)] for j in range(n)],
        total=shown[(m, n)],
        note=p.note,
    )


# --- the table as a graph -------------------------------------------------------------------
# Every figure (cell or total) is an entry on two lines: its row and its column (a one-way
# table has one line, and its entries' other end is _FREE, which adds nothing up). Each line
# says: its cells add up to its total. Write totals with a minus sign (`sign`) and every line
# adds up to zero; a reader who sees all but the hidden entries can change them only along a
# cycle of hidden entries, +t, -t, +t… as it goes row, column, row… A hidden entry is fixed
# unless some such cycle through it keeps every count non-negative for a small t.

Key = tuple[int, int]
Node = tuple[str, int]
_FREE: Node = ("free", 0)


@dataclass(frozen=True)
class _Entry:
    row: Node
    column: Node
    value: int
    sign: int  # -1 for a row or column total, +1 for a cell or the grand total
    rank: int  # which to hide first: 0 a cell, 1 a row or column total, 2 the grand total


def _sign_rank(total_row: bool, total_column: bool) -> tuple[int, int]:
    if total_row and total_column:
        return 1, 2  # the grand total: the sum of the row totals, so signed twice
    if total_row or total_column:
        return -1, 1
    return 1, 0


def _suppress(entries: Mapping[Key, _Entry], threshold: int) -> set[Key]:
    hidden = {key for key, e in entries.items() if 1 <= e.value <= threshold}
    while fixed := _fixed(entries, hidden):
        companion = _companion(entries, hidden, fixed[0])
        if companion is None:  # everything is hidden already
            break
        hidden.add(companion)
    return hidden


def _fixed(entries: Mapping[Key, _Entry], hidden: set[Key]) -> list[Key]:
    """The hidden entries whose value a reader can work out exactly, in table order."""
    return [key for key in sorted(hidden) if not _can_move(entries, hidden, key)]


def _can_move(entries: Mapping[Key, _Entry], hidden: set[Key], key: Key) -> bool:
    e = entries[key]
    others = [entries[k] for k in hidden if k != key]
    # Up (+1 in signed terms) along row -> column, then back from column to row through others.
    up = (e.sign > 0 or e.value > 0) and _reaches(others, e.column, e.row)
    down = (e.sign < 0 or e.value > 0) and _reaches(others, e.row, e.column)
    return up or down


def _reaches(entries: Iterable[_Entry], start: Node, goal: Node) -> bool:
    # Row -> column adds to an entry, column -> row takes away; taking from a count of 0 is
    # impossible. A total's sign turns "adds" into "takes" for the count it stands for.
    arcs: dict[Node, list[Node]] = {}
    for f in entries:
        if f.sign > 0 or f.value > 0:
            arcs.setdefault(f.row, []).append(f.column)
        if f.sign < 0 or f.value > 0:
            arcs.setdefault(f.column, []).append(f.row)
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in arcs.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _companion(entries: Mapping[Key, _Entry], hidden: set[Key], key: Key) -> Key | None:
    """What to hide next to protect `key`. Where it is the only hidden figure on its row or
    column, look there first (the usual case); take the cheapest figure that frees it, on its
    lines if one will, else anywhere; if no single figure frees it, the cheapest on its lines,
    and the loop in _suppress goes on from there. The grand total goes only when nothing else
    is left: it is the number of responses, which a summary states anyway."""
    e = entries[key]
    lines = [n for n in (e.row, e.column) if n != _FREE]
    alone = [n for n in lines if _hidden_on(entries, hidden, n) == 1]
    shown = sorted((k for k in entries if k not in hidden), key=lambda k: _cost(entries[k], k))
    shown, grand = (
        [k for k in shown if entries[k].rank < 2],
        [k for k in shown if entries[k].rank == 2],
    )
    near = [k for k in shown if {entries[k].row, entries[k].column} & set(alone or lines)]
    for k in (*near, *shown):
        if _can_move(entries, hidden | {k}, key):
            return k
    fallback = near or shown or grand
    return fallback[0] if fallback else None


def _hidden_on(entries: Mapping[Key, _Entry], hidden: set[Key], node: Node) -> int:
    return sum(1 for k in hidden if node in (entries[k].row, entries[k].column))


def _cost(e: _Entry, key: Key) -> tuple[int, bool, int, Key]:
    # Cells before totals, the grand total last; non-zero before zero (a hidden zero protects
    # little); then the smallest, then the first in the table.
    return (e.rank, e.value == 0, e.value, key)


# --- showing ---------------------------------------------------------------------------------


def _display(value: int, hidden: bool, p: Policy) -> Shown:
    if hidden:
        return p.symbol
    return p.rounding * ((value + p.rounding // 2) // p.rounding)


def _cell(shown: Shown, value: int, total: int, shown_total: Shown, p: Policy) -> Cell:
    if isinstance(shown, str) or isinstance(shown_total, str):
        return Cell(shown, p.symbol, isinstance(shown, str))
    if p.rounding > 1:
        value, total = shown, shown_total  # rounded: exact percentages would undo the rounding
    percent = round(100 * value / total, 1) if total else None
    return Cell(shown, percent, False)


def _with_totals(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in counts]
    return [*rows, [sum(column) for column in zip(*rows, strict=True)]]


def _check_counts(values: Iterable[int]) -> None:
    if any(not isinstance(v, int) or v < 0 for v in values):
        raise ValueError("counts must be whole numbers from 0")


def _policy(name: str) -> Policy:
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown policy '{name}': one of {', '.join(POLICIES)}") from None
