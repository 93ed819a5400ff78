"""Rule 8, second layer: named small-number policies applied to figures the cell key method has
already perturbed.

The old policies (the DfE's "[c]" for 1 to 5, the ONS's under 10, NHS Digital's 1 to 7 and
rounding to 5) hid true counts and then had to hide more figures so that no hidden one could
be worked out from a row or column total. Across many linked views that never held: split
tables and their totals gave the hidden numbers back (issue 14). On perturbed figures they are
safe on their own: a perturbed figure is not the sum of the others, so hiding one needs no
second, and hiding or rounding can only widen what a reader may infer, never narrow it. So a
policy here is a threshold and a rounding, applied figure by figure.

The operator's policy is a floor: a request may ask only for one at least as strict, one that
hides at least as much and rounds at least as coarsely.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec


class Policy(msgspec.Struct, frozen=True):
    name: str
    symbol: str  # what a hidden figure shows
    threshold: int  # perturbed figures from 1 to this are hidden (zeros are shown)
    rounding: int  # shown figures are rounded to the nearest multiple of this
    label: str  # for the portal's menu
    note: str  # for a summary's footer


_PERTURBED = (
    "Every number has had a small random amount added or taken away (at most 3), the same "
    "way each time it appears, so totals may not add up exactly; no number is ever 1 or 2, "
    "and a 0 can stand for up to 3 people."
)

POLICIES: Mapping[str, Policy] = {
    "cellkey": Policy(
        "cellkey", "[c]", 0, 1, "Cell key method only (ONS, Census 2021)", _PERTURBED
    ),
    "dfe": Policy(
        "dfe",
        "[c]",
        5,
        1,
        "Cell key, and numbers up to 5 hidden (DfE practice)",
        _PERTURBED + " [c]: a small number (up to about 5), hidden (DfE practice).",
    ),
    "nhs": Policy(
        "nhs",
        "*",
        7,
        5,
        "Cell key, numbers up to 7 hidden, others rounded to 5 (NHS Digital practice)",
        _PERTURBED + " *: a small number (up to about 7), hidden; other numbers are rounded "
        "to the nearest 5 (NHS Digital practice).",
    ),
    "ons": Policy(
        "ons",
        "[c]",
        9,
        1,
        "Cell key, and numbers under 10 hidden (ONS practice)",
        _PERTURBED + " [c]: a small number (up to about 9), hidden (ONS practice).",
    ),
}

Shown = int | str


def policy(name: str) -> Policy:
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown policy '{name}': one of {', '.join(POLICIES)}") from None


def at_least_as_strict(wanted: Policy, floor: Policy) -> bool:
    """Whether `wanted` hides and rounds at least as much as `floor`."""
    return (
        wanted.threshold >= floor.threshold
        and wanted.rounding >= floor.rounding
        and wanted.rounding % floor.rounding == 0
    )


def allowed(floor: str) -> list[str]:
    """The policies a request may ask for when the operator set `floor`."""
    base = policy(floor)
    return [name for name, p in POLICIES.items() if at_least_as_strict(p, base)]


def show(perturbed: int, p: Policy) -> Shown:
    """A perturbed figure as the policy publishes it."""
    if 1 <= perturbed <= p.threshold:
        return p.symbol
    return p.rounding * ((perturbed + p.rounding // 2) // p.rounding)
