"""Rule 7 (k-anonymity): no mix of the values that can single someone out is shared by fewer
than k rows of a batch.

The values are a row's received period, its language and its quasi-identifier answers (age
band, gender…), within its batch (each batch's file says which batch it is). A row whose mix is
shared by fewer than k rows of its batch shows none of them: every one is "[c]" (the ICO's
anonymisation code calls this suppression of the record's identifiers).

Hiding all of them, rather than the rarest one, matters. Which value a rarest-first rule hides
depends on the hidden values themselves, so an intruder who knows the rule can often work them
back ("had it been a girl, her row would have been shown"). Here whether a row is hidden
depends only on the size of its mix, and two more rules close what is left, both decided from
what the files show (so they tell nobody anything new):

1. If fewer than k rows of a batch are hidden, more are hidden (the smallest shown mixes first)
   until k are: a hidden row is always one of at least k.
2. For each column, the mixes not shown must hold at least two different values (for the
   period: unless the batch spans one period). Otherwise every hidden row would have to hold
   the one value left ("everyone else of 14-15 is shown, so the hidden ones are 18+"); the
   smallest shown mix with another value is hidden too.

So for every hidden value there is another, equally possible truth: swap it with another hidden
row's, or move the row to a mix nobody has. `tests/intruder.py` checks exactly that.

Decisions start from earlier ones (`start`): a row hidden once stays hidden.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence

import msgspec

BLANK = "[c]"  # the same symbol the DfE uses for a suppressed figure

Value = str | int | None  # None (not answered) is a value like any other: "didn't say" can be rare
Combination = tuple[Value, ...]  # (batch, then the values that can be hidden)
# For a batch's combinations: the values each hideable column can take.
Domains = Callable[[Sequence[Combination]], Sequence[Sequence[Value]]]


class KAnonReport(msgspec.Struct, frozen=True):
    """What a plan did, for the release notes and the audit log."""

    k: int
    rows_hidden: int  # rows whose values are all "[c]"
    rows_padded: int  # of them, rows hidden only by rules 1 and 2 above


def plan(
    counts: Mapping[Combination, int],
    k: int,
    domains: Domains,
    start: frozenset[Combination] = frozenset(),
) -> tuple[dict[Combination, Combination], KAnonReport]:
    """What each combination shows: itself, or its batch and "[c]" for everything else.
    `start`: combinations hidden by an earlier release (they stay hidden)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    by_batch: dict[Value, dict[Combination, int]] = defaultdict(dict)
    for combo, n in counts.items():
        by_batch[combo[0]][combo] = n
    hidden: set[Combination] = set()
    padded = 0
    for combos in by_batch.values():
        small = {c for c, n in combos.items() if n < k or c in start}
        extra = _pad(combos, small, k, domains(list(combos)))
        hidden |= small | extra
        padded += sum(combos[c] for c in extra)
    decided = {c: (c[0], *(BLANK for _ in c[1:])) if c in hidden else c for c in counts}
    rows = sum(counts[c] for c in hidden)
    return decided, KAnonReport(k, rows, padded)


def _pad(
    combos: Mapping[Combination, int],
    small: set[Combination],
    k: int,
    domains: Sequence[Sequence[Value]],
) -> set[Combination]:
    """Rules 1 and 2: the shown combinations to hide as well, chosen from what is shown."""
    extra: set[Combination] = set()
    while True:
        hidden = small | extra
        shown = {c: n for c, n in combos.items() if c not in hidden}
        hidden_rows = sum(combos[c] for c in hidden)
        if not hidden_rows or not shown:
            return extra
        if hidden_rows < k:
            extra.add(_smallest(shown))
            continue
        lone = _lone_value(shown, domains)
        if lone is None:
            return extra
        column, value = lone
        others = {c: n for c, n in shown.items() if c[column + 1] != value}
        if not others:
            return extra
        extra.add(_smallest(others))


def _lone_value(
    shown: Mapping[Combination, int], domains: Sequence[Sequence[Value]]
) -> tuple[int, Value] | None:
    """A column whose combinations not shown all hold one value (the first found), or None.

    A value appears among the combinations not shown unless every combination holding it is
    shown, and there are as many of those as the other columns' domains multiply to."""
    sizes = [len(d) for d in domains]
    for i, domain in enumerate(domains):
        if len(domain) < 2:
            continue  # one possible value (a batch within one period): nothing to hide
        with_value = _product(sizes[:i] + sizes[i + 1 :])
        shown_with = Counter(c[i + 1] for c in shown)
        left = [v for v in domain if shown_with[v] < with_value]
        if len(left) == 1:
            return i, left[0]
    return None


def _smallest(combos: Mapping[Combination, int]) -> Combination:
    # The fewest rows first; ties broken by the values written out, so the choice never
    # depends on the order rows arrived in.
    return min(combos, key=lambda c: (combos[c], repr(c)))


def _product(numbers: Sequence[int]) -> int:
    out = 1
    for n in numbers:
        out *= n
    return out


def anonymise(
    rows: Sequence[Mapping[str, Value]], columns: Sequence[str], k: int = 5
) -> tuple[list[dict[str, Value]], KAnonReport]:
    """Copies of the rows, in order, with rows of rare mixes hidden (one batch; each column's
    domain: the values the rows hold, and None): the whole algorithm on a list of rows, for
    tests and small data."""
    cols = list(columns)
    counts = Counter((None, *combination(row, cols)) for row in rows)
    values = [sorted({row.get(c) for row in rows} | {None}, key=repr) for c in cols]
    decided, summary = plan(counts, k, lambda _: values)
    out = []
    for row in rows:
        copy = dict(row)
        copy.update(zip(cols, decided[(None, *combination(row, cols))][1:], strict=True))
        out.append(copy)
    return out, summary


def combination(row: Mapping[str, Value], columns: Sequence[str]) -> Combination:
    return tuple(row.get(c) for c in columns)
