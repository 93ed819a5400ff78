"""Rule 5's review step: what in a stored answer (screened already) may still identify someone,
the words a reviewer can redact, and the text with them redacted; pure.

Screening replaced what it was sure of before the answer was stored. What it could not be
sure of is found again here, only to be highlighted for a reviewer and never stored: what
today's screening would replace (it may have learnt more since the answer arrived) and what
the form's "maybe" hints match in screening_patterns.json (a capitalised word that is not a
common one, a long number, a lower-case word where a name often is, an @ or a web address).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from functools import cache

import msgspec

from survey_service.confidentiality import screening, screening_rules
from survey_service.confidentiality.screening_rules import Span

REDACTED = "[redacted]"
# A word a reviewer can redact: letters and digits, joined by an apostrophe, hyphen or full
# stop inside it (O'Neil, Jean-Paul, 07700.900123). A marker ([name], [redacted]) is not one:
# there is nothing left in it to hide.
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*|\[[a-z_]+\]")
_SPACE = re.compile(r"\s*")
# What a reviewer is told a highlighted word may be.
LABELS = {
    "email": "an email address",
    "url": "a web address",
    "handle": "a social media name",
    "nhs_number": "an NHS number",
    "ni_number": "a National Insurance number",
    "phone": "a phone number",
    "postcode": "a postcode",
    "date": "a date",
    "address": "an address",
    "school": "a school",
    "name": "a name",
    "maybe_number": "maybe a number that identifies someone",
    "maybe_name": "maybe a name",
    "maybe_contact": "maybe contact details",
}


class Word(msgspec.Struct, frozen=True):
    """One word of an answer as the review page shows it: the text before it (spaces,
    punctuation, markers), the word, and what it may be (a key of LABELS), if anything."""

    index: int
    before: str
    text: str
    suspect: str | None = None
    # Today's screening would replace it: the form ticks it to be redacted from the start.
    sure: bool = False

    @property
    def label(self) -> str:
        return LABELS.get(self.suspect or "", "")


class Reading(msgspec.Struct, frozen=True):
    words: list[Word]
    after: str  # the text after the last word


def words(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word a reviewer can redact, in order."""
    return [m.span() for m in _WORD.finditer(text) if not m.group().startswith("[")]


def read(text: str, keep: Collection[str] = screening.keep_numbers()) -> Reading:
    """The answer as words, each with what it may be: the review page's view of it."""
    found = suspects(text, keep)
    out, last = [], 0
    for index, (start, end) in enumerate(words(text)):
        kind, sure = _suspect_at(found, start, end)
        out.append(Word(index, text[last:start], text[start:end], kind, sure))
        last = end
    return Reading(out, text[last:])


def suspects(text: str, keep: Collection[str] = screening.keep_numbers()) -> list[Span]:
    """Where the answer may still identify someone: (start, end, kind), kinds as in LABELS;
    what screening is sure of first, then the hints' "maybe" (kind prefixed with maybe_)."""
    sure = screening.spans(text, keep)
    maybe = [span for finder in _hints() for span in finder(text, keep)]
    return sure + maybe


def redact(text: str, chosen: Collection[int]) -> tuple[str, int]:
    """The text with the chosen words (by index) replaced by [redacted], and how many markers
    that made. Chosen words with only spaces between them become one marker, so a redacted
    name does not say how many words it had."""
    out, last, markers, open_run = [], 0, 0, False
    for index, (start, end) in enumerate(words(text)):
        gap = text[last:start]
        if index in chosen:
            if open_run and _SPACE.fullmatch(gap):
                last = end
                continue
            out.append(gap)
            out.append(REDACTED)
            markers += 1
            open_run = True
        else:
            out.append(gap + text[start:end])
            open_run = False
        last = end
    out.append(text[last:])
    return "".join(out), markers


def find(text: str, phrase: str) -> set[int]:
    """The indexes of every run of words in the text that reads as the phrase (letter case
    and the spaces or punctuation between words aside): words a reviewer typed to redact."""
    wanted = [phrase[s:e].casefold() for s, e in words(phrase)]
    have = [text[s:e].casefold() for s, e in words(text)]
    if not wanted:
        return set()
    found: set[int] = set()
    for at in range(len(have) - len(wanted) + 1):
        if have[at : at + len(wanted)] == wanted:
            found.update(range(at, at + len(wanted)))
    return found


def _suspect_at(found: list[Span], start: int, end: int) -> tuple[str | None, bool]:
    """What a word may be: the first span overlapping it (screening's before the hints')."""
    for s, e, kind in found:
        if s < end and start < e:
            return kind, not kind.startswith("maybe_")
    return None, False


Finder = Callable[[str, Collection[str]], Iterator[Span]]


@cache
def _hints() -> tuple[Finder, ...]:
    """The form's "maybe" hints, compiled as screening_rules compiles the patterns."""
    doc = screening_rules.raw()
    return tuple(
        _finder(
            hint["suggests"],
            re.compile(
                screening_rules.to_python(screening_rules.expand(hint["pattern"], doc["lists"])),
                re.ASCII,
            ),
        )
        for hint in doc.get("app_hints", [])
    )


def _finder(suggests: str, regex: re.Pattern[str]) -> Finder:
    def find_in(text: str, keep: Collection[str]) -> Iterator[Span]:
        for match in regex.finditer(text):
            start, end = match.span()
            if suggests == "name":
                # "me and jess": the name is the last word, not the word that points at it.
                start += match.group().rstrip().rfind(" ") + 1
            elif suggests == "number":
                digits = screening_rules.digits_of(match.group())
                if screening_rules.national(digits) in keep:
                    continue  # a helpline the questionnaire lists identifies nobody
            else:  # an @ or a web address: the whole run of characters it sits in
                while start > 0 and not text[start - 1].isspace():
                    start -= 1
                while end < len(text) and not text[end].isspace():
                    end += 1
            yield start, end, f"maybe_{suggests}"

    return find_in
