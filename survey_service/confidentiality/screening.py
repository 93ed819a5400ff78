"""Rule 5 (free-text screening): UK personal data in an answer becomes a typed marker.

Follows the ICO's guidance on what identifies a person (names, contact details, online
identifiers, dates, where someone lives or studies), NHS Digital's NHS number format (modulus
11) and HMRC's National Insurance number rules (NIM39110). `screen` runs at ingest, before
anything is stored; the original text is never written.

Most of what is found is found by the shared patterns in screening_patterns.json, which the
form runs too (static/screening.js), so a respondent is told before sending. The server adds
what the browser cannot carry: Google's libphonenumber for numbers in other forms and
countries, and lists of first names and surnames (names.py).

  [email]      name@example.com
  [url]        https://…, www.…, bare domains with a known ending (example.co.uk/path)
  [handle]     @name, and a handle without @ where the text says so ("my snap is jess_x99")
  [nhs_number] 10 digits, 3-3-4 or run together, that pass the modulus 11 check
  [ni_number]  AB 12 34 56 C, with HMRC's prefix rules (so HMRC's specimen "QQ…" is left)
  [phone]      07700 900123, 7700900123, +44 7700 900123, 447700900123, (020) 7946 0018, …
  [postcode]   full UK postcodes in any case (SW1A 1AA, m1 1ae); not a district alone ("M1")
  [date]       a day: 12/03/2009, 2009-03-12, 3rd March 2009, March 3, 3 march
  [address]    14 Acacia Road (and the area after it), Acacia Road, the Wybourn estate, flat 3
  [school]     St Mary's Academy, Oakwood High, "i go to parkwood academy"
  [name]       my name is Jessica Smith, my social worker Karen Jones, Mr Smith, me and jess

Left alone on purpose: ages, school years, counts, ranges and scores; a month or year alone;
"my school nurse", "Mum and Dad", "the police"; and the support numbers a questionnaire lists
(Childline 0800 1111 and the public helplines in HELPLINES): naming where help was sought
identifies nobody and tells the inspectors something worth knowing.

Where matches overlap, the longest wins, then the kind listed first in KINDS. Nothing here
logs or raises on text, so an answer cannot leak through an error message.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from functools import cache

import phonenumbers

from survey_service.confidentiality import names, screening_rules
from survey_service.confidentiality.screening_rules import (
    Span,
    digits_of,
    is_nhs_number,
    national,
)

__all__ = [
    "HELPLINES",
    "KINDS",
    "is_nhs_number",
    "keep_numbers",
    "looks_personal",
    "screen",
    "spans",
]

# The marker kinds, strongest claim first: this order breaks ties between equal-length matches.
# (screening_patterns.json lists the same, for the form; a test holds the two together.)
KINDS: tuple[str, ...] = (
    "email",
    "url",
    "handle",
    "nhs_number",
    "ni_number",
    "phone",
    "postcode",
    "date",
    "address",
    "school",
    "name",
)
# Public helplines, by their digits as dialled in the UK: always kept (and in the patterns file).
HELPLINES: dict[str, str] = {
    "08001111": "Childline",
    "116123": "Samaritans",
    "08088005000": "NSPCC",
    "999": "Emergency services",
    "112": "Emergency services",
    "111": "NHS 111",
    "101": "Police non-emergency",
}
_RANK = {kind: i for i, kind in enumerate(KINDS)}
# A marker can bring two leftovers together ("a@b.co@x" -> "[email]@x"), so screening repeats
# while it changes something; two passes settle every case the property tests find.
_MAX_PASSES = 4
# libphonenumber gives up on a text after this many candidates that are not numbers: a text of
# "1.2.3.4 1.2.3.4 …" costs 0.1 s without it; real answers hold a handful of numbers.
_PHONE_TRIES = 200


def warm() -> None:
    """Compile the patterns and load the name lists now (a third of a second), not in the
    first request that brings text."""
    screen("Jessica 07700 900123")


def keep_numbers(phones: Iterable[str] = ()) -> frozenset[str]:
    """The numbers screening keeps: the helplines and a questionnaire's support numbers."""
    return frozenset(HELPLINES) | {national(digits_of(p)) for p in phones if digits_of(p)}


_DEFAULT_KEEP = keep_numbers()


def screen(text: str, keep: Collection[str] = _DEFAULT_KEEP) -> str:
    """The text with each piece of personal data replaced by its marker, such as [phone]."""
    for _ in range(_MAX_PASSES):
        found = spans(text, keep)
        if not found:
            break
        text = _replace(text, found)
    return text


def looks_personal(text: str, keep: Collection[str] = _DEFAULT_KEEP) -> list[str]:
    """The kinds of personal data in the text, in KINDS order, for a warning before sending."""
    # Counted, not just looked for: a respondent may have typed "[phone]" themselves.
    screened = screen(text, keep)
    return [kind for kind in KINDS if screened.count(f"[{kind}]") > text.count(f"[{kind}]")]


def spans(text: str, keep: Collection[str] = _DEFAULT_KEEP) -> list[Span]:
    """Where the personal data is: (start, end, kind), in order, never overlapping."""
    plain = text.translate(_ascii_digits())  # same length, so spans point into `text`
    found: list[Span] = []
    for pattern in screening_rules.rules().patterns:
        found.extend(pattern.find(plain, keep))
    found.extend(names.find(plain, _not_names()))
    if _may_hold_a_number(plain):  # the costliest finder, and most answers have no digit
        found.extend(_phones(_masked(text, _choose(found)), keep))
    return _choose(found)


def _may_hold_a_number(plain: str) -> bool:
    return any("0" <= ch <= "9" for ch in plain)


def _masked(text: str, found: list[Span]) -> str:
    """The text with what the patterns found blotted out (letters, so no two numbers join):
    libphonenumber then looks only at the rest, and a text full of ordinary UK numbers costs
    it nothing."""
    out, last = [], 0
    for start, end, _ in found:
        out.append(text[last:start])
        out.append("x" * (end - start))
        last = end
    out.append(text[last:])
    return "".join(out)


def _replace(text: str, found: list[Span]) -> str:
    out, last = [], 0
    for start, end, kind in found:
        out.append(text[last:start])
        out.append(f"[{kind}]")
        last = end
    out.append(text[last:])
    return "".join(out)


def _choose(found: list[Span]) -> list[Span]:
    """Longest first, then the stronger kind; a span that overlaps a chosen one is dropped."""
    starts: list[int] = []
    chosen: dict[int, Span] = {}
    for span in sorted(set(found), key=lambda s: (s[0] - s[1], _RANK[s[2]], s[0])):
        at = bisect.bisect_left(starts, span[0])
        if at > 0 and chosen[starts[at - 1]][1] > span[0]:
            continue
        if at < len(starts) and starts[at] < span[1]:
            continue
        starts.insert(at, span[0])
        chosen[span[0]] = span
    return [chosen[s] for s in starts]


@cache
def _ascii_digits() -> dict[int, str]:
    """Every script's decimal digits (Arabic-Indic, fullwidth, …) as ASCII, one for one."""
    return {
        cp: str(unicodedata.decimal(chr(cp)))
        for cp in range(0x80, 0x110000)
        if unicodedata.category(chr(cp)) == "Nd"
    }


@cache
def _not_names() -> frozenset[str]:
    return frozenset(word.lower() for word in screening_rules.raw()["lists"]["NOT_NAME"])


def _phones(text: str, keep: Collection[str]) -> Iterator[Span]:
    # POSSIBLE, not VALID: Ofcom's drama ranges (07700 900xxx) and new ranges must count too.
    # Then only what is written like a dialled number: a trunk 0 or a + / 00 country code and
    # at least 10 digits, or a number the metadata knows is real. This keeps "aged 12-17" out.
    matcher = phonenumbers.PhoneNumberMatcher(
        text, "GB", leniency=phonenumbers.Leniency.POSSIBLE, max_tries=_PHONE_TRIES
    )
    for match in matcher:
        raw = match.raw_string.lstrip("(")
        digits = digits_of(raw)
        dialled = raw[:1] in ("0", "+") and len(digits) >= 10
        if not (dialled or phonenumbers.is_valid_number(match.number)):
            continue
        nsn = phonenumbers.national_significant_number(match.number)
        if nsn in keep or "0" + nsn in keep:
            continue
        yield match.start, match.end, "phone"
