"""Rule 5's shared patterns: screening_patterns.json, compiled for Python as static/screening.js
compiles them for the browser, so the form and the server find the same things.

The file holds portable regular expressions (JavaScript's syntax with the d flag, Python's re
with re.ASCII so that \\b, \\w and \\s mean the same on both sides). Two small translations make
that possible: `(?<name>…)` and `\\k<name>` become Python's `(?P<name>…)` and `(?P=name)`, and
`{{LIST}}` / `{{~LIST}}` become an alternation of a word list, the second in any letter case
(JavaScript has no inline `(?i:…)` in older phones' browsers, so case is spelled out).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

Span = tuple[int, int, str]  # start, end, kind
Check = Callable[[str, Collection[str]], bool]  # (matched text, numbers to keep) -> replace?

_LIST = re.compile(r"\{\{(~?)([A-Z_]+)\}\}")
_SPECIAL = re.compile(r"[.*+?^${}()|\[\]\\]")


@dataclass(frozen=True)
class Pattern:
    kind: str
    regex: re.Pattern[str]
    check: Check | None

    def find(self, text: str, keep: Collection[str]) -> Iterator[Span]:
        has_span = "span" in self.regex.groupindex
        for match in self.regex.finditer(text):
            start, end = match.span("span") if has_span else match.span()
            if start == end:
                continue
            if self.check is None or self.check(text[start:end], keep):
                yield start, end, self.kind


@dataclass(frozen=True)
class Rules:
    patterns: tuple[Pattern, ...]


def raw() -> dict[str, Any]:
    """The shared file as it stands: the same bytes the browser is sent."""
    return dict(json.loads(raw_bytes()))


@cache
def raw_bytes() -> bytes:
    return (resources.files(__package__) / "screening_patterns.json").read_bytes()


@cache
def for_browser() -> bytes:
    """The file as the form downloads it: the same patterns, without the notes and spaces
    that are there for people (a third less to send to a phone)."""
    doc = raw()
    doc.pop("about", None)
    for entry in [*doc["patterns"], *doc.get("app_hints", [])]:
        entry.pop("note", None)
        entry.pop("suggests", None)  # for the review page only
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


@cache
def rules() -> Rules:
    doc = raw()
    lists: dict[str, list[str]] = doc["lists"]
    patterns = tuple(
        Pattern(
            kind=p["kind"],
            regex=re.compile(
                to_python(expand(p["pattern"], lists)),
                re.ASCII | (re.IGNORECASE if "i" in p.get("flags", "") else 0),
            ),
            check=CHECKS[p["check"]] if "check" in p else None,
        )
        for p in doc["patterns"]
    )
    return Rules(patterns)


def expand(pattern: str, lists: dict[str, list[str]]) -> str:
    """{{LIST}}: the list's items as regex fragments; {{~LIST}}: its items as literal words in
    any letter case. Longest first, so "social worker" is tried before "worker"."""

    def alternation(match: re.Match[str]) -> str:
        any_case, name = match.group(1) == "~", match.group(2)
        items = sorted(lists[name], key=len, reverse=True)
        return "(?:" + "|".join(_any_case(i) if any_case else i for i in items) + ")"

    return _LIST.sub(alternation, pattern)


def _any_case(word: str) -> str:
    out = []
    for ch in word:
        if ch.isascii() and ch.isalpha():
            out.append(f"[{ch.lower()}{ch.upper()}]")
        elif _SPECIAL.fullmatch(ch):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def to_python(pattern: str) -> str:
    return re.sub(r"\\k<(\w+)>", r"(?P=\1)", re.sub(r"\(\?<(\w+)>", r"(?P<\1>", pattern))


def digits_of(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def national(digits: str) -> str:
    """A UK number's digits as dialled at home: +44 / 0044 / 44 become the trunk 0."""
    for prefix in ("0044", "44"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 9:
            rest = digits[len(prefix) :]
            return rest if rest.startswith("0") else "0" + rest
    if len(digits) == 10 and digits.startswith("7"):
        return "0" + digits
    return digits


def is_nhs_number(digits: str) -> bool:
    """NHS Digital's modulus 11 check on 10 digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return check != 10 and (0 if check == 11 else check) == int(digits[9])


def _nhs_modulus_11(matched: str, _keep: Collection[str]) -> bool:
    return is_nhs_number(digits_of(matched))


def _not_kept(matched: str, keep: Collection[str]) -> bool:
    return national(digits_of(matched)) not in keep


CHECKS: dict[str, Check] = {"nhs_modulus_11": _nhs_modulus_11, "not_kept": _not_kept}
