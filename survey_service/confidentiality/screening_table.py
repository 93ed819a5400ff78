"""Rule 5's shared table of cases (screening_cases.json) and how a screener is scored on it:
both test suites run the table, and `make bench` prints the score."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

_MARKER = re.compile(r"\[([a-z_]+)\]")


@dataclass(frozen=True)
class Case:
    text: str
    expected: str
    support: tuple[str, ...] = ()
    server_misses: str = ""
    app_misses: str = ""

    @property
    def identifying(self) -> bool:
        return self.text != self.expected


@dataclass(frozen=True)
class Score:
    cases: int
    identifying: int
    exact: int  # outputs equal to the expected text
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0


@cache
def cases() -> tuple[Case, ...]:
    raw = json.loads((resources.files(__package__) / "screening_cases.json").read_bytes())
    return tuple(
        Case(
            text=c["text"],
            expected=c["expected"],
            support=tuple(c.get("support", ())),
            server_misses=c.get("server_misses", ""),
            app_misses=c.get("app_misses", ""),
        )
        for c in raw["cases"]
    )


def markers(text: str) -> Counter[str]:
    return Counter(_MARKER.findall(text))


def score(table: Iterable[Case], screen: Callable[[Case], str]) -> Score:
    """Markers counted kind by kind: a marker the case expects and the output has is a true
    positive, one the output adds is a false positive, one it lacks a false negative. (A text
    that a respondent typed with a marker in it counts on both sides, so it cancels out.)"""
    n = identifying = exact = tp = fp = fn = 0
    for case in table:
        got = screen(case)
        n += 1
        identifying += case.identifying
        exact += got == case.expected
        want, have = markers(case.expected), markers(got)
        tp += sum((want & have).values())
        fp += sum((have - want).values())
        fn += sum((want - have).values())
    return Score(n, identifying, exact, tp, fp, fn)
