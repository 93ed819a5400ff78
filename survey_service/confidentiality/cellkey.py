"""Rule 8: the cell key method, as the ONS used it for Census 2021.

Every response gets a random record key (0 to 255) when it arrives. A table cell counts a set
of responses; its cell key is the sum of their record keys, modulo 256. The published figure is
the true count plus a small noise that a fixed table (below) gives for that count and that key.
So the same set of people shows the same figure in every table that holds it (no averaging
the noise away by asking again), two different sets get unrelated noise (subtracting one view
from another leaves noise, not a person), a true 0 always shows 0, and no cell ever shows 1 or
2. The table is published (docs/confidentiality.md); the record keys never leave the server.
"""

from __future__ import annotations

from collections.abc import Mapping

KEYS = 256
LAST_ROW = 5  # every count from 5 up uses this row of the table

# true count -> [(noise, how many of the 256 cell keys give it)], keys handed out in this order.
# Each row adds up to 256 and its mean noise is 0 (to within 0.04), so totals are not biased.
PTABLE: Mapping[int, tuple[tuple[int, int], ...]] = {
    0: ((0, 256),),
    1: ((-1, 171), (2, 85)),  # 1 shows as 0 or 3
    2: ((-2, 85), (1, 171)),  # 2 shows as 0 or 3
    3: ((-3, 16), (0, 208), (1, 24), (2, 8)),
    4: ((-1, 24), (0, 208), (1, 24)),
    5: ((-2, 6), (-1, 16), (0, 212), (1, 16), (2, 6)),
}
MAX_NOISE = max(abs(noise) for row in PTABLE.values() for noise, _ in row)


def noise(count: int, keysum: int) -> int:
    """The noise the table gives a cell of `count` responses whose record keys add up to
    `keysum`."""
    if count < 0:
        raise ValueError(f"a count is never negative, not {count}")
    key = keysum % KEYS
    for amount, slots in PTABLE[min(count, LAST_ROW)]:
        if key < slots:
            return amount
        key -= slots
    raise AssertionError("each row of the table covers all 256 keys")


def perturb(count: int, keysum: int) -> int:
    """The figure published for a cell."""
    return count + noise(count, keysum)
