"""The confidentiality engine (rules 7 and 8) as exports and summaries call it: a thin adapter.

Exports stream, so k-anonymity is decided per quasi-identifier combination from counts made in a
first pass, then applied row by row; the rule itself lives in `confidentiality`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

Combo = tuple[str | None, ...]
BLANK = "[c]"


def _engine(name: str) -> Any:
    try:  # the engine lands from its own branch; until then the stand-ins below apply
        return importlib.import_module(f"survey_service.confidentiality.{name}")
    except ImportError:  # pragma: no cover
        return None


_kanonymity = _engine("kanonymity")
_suppression = _engine("suppression")


def k_anonymous(
    counts: Mapping[Combo, int], quasi_identifiers: Sequence[str], k: int
) -> tuple[dict[Combo, Combo], int]:
    """For each combination, what the rows holding it show; and how many rows were blanked.
    The engine sees each combination min(count, k) times: enough to decide, never the data."""
    decided: dict[Combo, Combo] = {}
    blanked = 0
    for combo, count in counts.items():
        row = {q: v for q, v in zip(quasi_identifiers, combo, strict=True) if v is not None}
        rows = [dict(row) for _ in range(min(count, k))]
        out, _report = _anonymise(rows, list(quasi_identifiers), k)
        shown = tuple(out[0].get(q) if out else None for q in quasi_identifiers)
        decided[combo] = shown
        if shown != combo:
            blanked += count
    return decided, blanked


def _anonymise(rows: list[dict[str, Any]], qids: list[str], k: int) -> tuple[list[Any], Any]:
    if _kanonymity is not None:
        return _kanonymity.anonymise(rows, qids, k=k)
    # Temporary stand-in until the engine lands: blank a combination shared by fewer than k.
    if len(rows) >= k:
        return rows, None
    return [{q: BLANK if q in r else None for q in qids} for r in rows], None


def suppress_one_way(counts: Sequence[int], policy: str) -> tuple[list[Any], list[Any], str]:
    """(shown counts, shown percentages, note) for one column of counts."""
    if _suppression is not None:
        return _engine_one_way(counts, policy)
    # Temporary stand-in until the engine lands, deliberately blunt: with no secondary
    # suppression to protect a hidden cell, one hidden cell hides every other non-zero cell.
    hidden = any(0 < c <= 5 for c in counts)
    shown: list[Any] = [BLANK if hidden and c > 0 else c for c in counts]
    total = sum(counts)
    percents: list[Any] = [
        BLANK if isinstance(s, str) else (round(100 * c / total) if total else 0)
        for s, c in zip(shown, counts, strict=True)
    ]
    return shown, percents, f"{policy}: a count from 1 to 5 hides the whole table as {BLANK}"


def _engine_one_way(counts: Sequence[int], policy: str) -> tuple[list[Any], list[Any], str]:
    raise NotImplementedError  # filled in when the engine's API is merged
