"""Rule 5 (free-text screening): UK personal data in an answer becomes a typed marker.

Follows the ICO's guidance on what identifies a person (contact details, online identifiers,
dates) and NHS Digital's NHS number format (modulus 11) and HMRC's National Insurance number
rules (NIM39110). `screen` runs at ingest, before anything is stored.

What is replaced, and by what:
  [email]       name@example.com
  [url]         https://…, www.…, and bare domains with a known ending (example.co.uk/path)
  [handle]      @name, as on Instagram, Snapchat, TikTok or X (never part of an email)
  [nhs-number]  10 digits, 3-3-4 or run together, that pass the modulus 11 check
  [ni-number]   AB 12 34 56 C, with HMRC's prefix rules (so HMRC's specimen "QQ…" is left)
  [phone]       any UK number as people write it (07700 900123, +44 7700 900123, 0044…,
                (020) 7946 0018, 07700-900-123), found by Google's libphonenumber
  [postcode]    full UK postcodes in any case (SW1A 1AA, m1 1ae); not a district alone ("M1")
  [date]        a day: 12/03/2009, 12-3-09, 2009-03-12, 3rd March 2009, March 3, 2009, 3 March

Left alone on purpose: ages ("I'm 15"), school years ("year 10"), counts, ranges ("aged 12-17"),
scores ("10/10", "24/7"), percentages, a month or year alone ("since 2019", "in March 2019"),
and public helplines (HELPLINES): a young person naming Childline or 999 identifies nobody and
tells the inspectors where help was sought.

Where matches overlap, the longest wins, then the kind listed first in KINDS. The function
never logs and never raises on text, so an answer cannot leak through an error message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import phonenumbers

# The marker kinds, strongest claim first: this order breaks ties between equal-length matches.
KINDS: tuple[str, ...] = (
    "email",
    "url",
    "handle",
    "nhs-number",
    "ni-number",
    "phone",
    "postcode",
    "date",
)

# Public helplines, by their digits: kept, since naming one identifies nobody.
HELPLINES: dict[str, str] = {
    "08001111": "Childline",
    "116123": "Samaritans",
    "08088005000": "NSPCC",
    "999": "Emergency services",
    "112": "Emergency services",
    "111": "NHS 111",
    "101": "Police non-emergency",
}

Span = tuple[int, int, str]  # start, end, kind

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.I)
# Domain endings people in the UK actually type; a closed list keeps "e.g." and "end.Then" out.
_TLD = (
    r"(?:co\.uk|org\.uk|ac\.uk|gov\.uk|nhs\.uk|police\.uk|sch\.uk|me\.uk|ltd\.uk|net\.uk|uk|"
    r"com|org|net|info|biz|io|co|me|tv|gg|ly|app|dev|xyz|online|site|live|link|page|ie|eu)"
)
_URL = re.compile(
    r"\bhttps?://[^\s<>\"]+"
    r"|\bwww\.[^\s<>\"]+"
    r"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+" + _TLD + r"(?![\w-])(?:/[^\s<>\"]*)?",
    re.I,
)
_HANDLE = re.compile(r"(?<![\w@.])@([a-z0-9_](?:[a-z0-9_.]{0,28}[a-z0-9_])?)(?![\w@])", re.I)
_DIGIT = re.compile(r"\d")
_TIME = re.compile(r"\d{1,2}(?:[:.]\d\d)?(?:am|pm)?", re.I)  # "@5pm" is a time, not a handle
_NHS = re.compile(r"(?<![\w/.-])(\d{3})([ -]?)(\d{3})\2(\d{4})(?![\w/-])")
_NI = re.compile(
    r"(?<![a-z0-9])([a-z]{2})\s?(\d{2})\s?(\d{2})\s?(\d{2})\s?([a-d])(?![a-z0-9])", re.I
)
# HMRC: first letter never D F I Q U V; second never D F I O Q U V; these pairs never issued.
_NI_FIRST_NOT, _NI_SECOND_NOT = set("DFIQUV"), set("DFIOQUV")
_NI_NEVER = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
_POSTCODE = re.compile(
    r"(?<![a-z0-9])(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})(?![a-z0-9])",
    re.I,
)
_MONTH = (
    # "may" only as "May": "I may 2…" is not a date
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|(?-i:May|MAY)|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_ORD = r"(?:st|nd|rd|th)?"
_DATE = re.compile(
    r"(?<![\w/.-])(?:"
    # 12/03/2009, 12-3-09, 12.03.2009: day first, as written in the UK; one separator throughout
    + _DAY
    + r"([/.-])(?:1[0-2]|0?[1-9])\1(?:\d{4}|\d{2})"
    # 2009-03-12 and 2009/03/12
    + r"|\d{4}([/.-])(?:1[0-2]|0?[1-9])\2"
    + _DAY
    + r")(?![\w/-]|\.\d)"
    # 3rd March 2009, 3 March, 3rd of March
    + r"|\b"
    + _DAY
    + _ORD
    + r"\s+(?:of\s+)?"
    + _MONTH
    + r"\b(?:,?\s+\d{4}\b)?"
    # March 3, 2009, March 3rd
    + r"|\b"
    + _MONTH
    + r"\.?\s+"
    + _DAY
    + _ORD
    + r"\b(?:,?\s+\d{4}\b)?",
    re.I,
)


def screen(text: str) -> str:
    """The text with each piece of personal data replaced by its marker, such as [phone]."""
    # A marker can bring two leftovers together ("a@b.co@x" -> "[email]@x", now a handle), so
    # screen until nothing changes. Every pass that changes the text turns at least one
    # character that is not a marker into one, so this ends, and screen(screen(x)) == screen(x).
    for _ in range(len(text) + 1):
        screened = _screen_once(text)
        if screened == text:
            break
        text = screened
    return text


def _screen_once(text: str) -> str:
    spans = _choose(_find_all(text))
    out, last = [], 0
    for start, end, kind in spans:
        out.append(text[last:start])
        out.append(f"[{kind}]")
        last = end
    out.append(text[last:])
    return "".join(out)


def looks_personal(text: str) -> list[str]:
    """The kinds of personal data in the text, in KINDS order, for a warning before sending."""
    # Counted, not just looked for: a respondent may have typed "[phone]" themselves.
    screened = screen(text)
    return [kind for kind in KINDS if screened.count(f"[{kind}]") > text.count(f"[{kind}]")]


def _find_all(text: str) -> list[Span]:
    spans: list[Span] = []
    for kind in _possible(text):
        spans.extend((start, end, kind) for start, end in _FINDERS[kind](text))
    return spans


def _possible(text: str) -> list[str]:
    """The kinds that could match at all: every finder needs an @, a dot or colon, or a digit
    (any script's: the patterns' \\d and libphonenumber read them all). Most answers have no
    digit, and this skips the phone matcher, the costliest finder, for them."""
    kinds = []
    if "@" in text:
        kinds += ["email", "handle"]
    if "." in text or ":" in text:
        kinds.append("url")
    if _DIGIT.search(text):
        kinds += ["nhs-number", "ni-number", "phone", "postcode", "date"]
    return kinds


def _choose(spans: list[Span]) -> list[Span]:
    # Longest first, then the stronger kind; a span that overlaps a chosen one is dropped.
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (s[0] - s[1], KINDS.index(s[2]), s[0])):
        if all(span[1] <= c[0] or c[1] <= span[0] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def _regex(pattern: re.Pattern[str]) -> Callable[[str], Iterator[tuple[int, int]]]:
    def find(text: str) -> Iterator[tuple[int, int]]:
        for match in pattern.finditer(text):
            yield match.start(), match.end()

    return find


def _urls(text: str) -> Iterator[tuple[int, int]]:
    for match in _URL.finditer(text):
        # A sentence's full stop or a closing bracket is not part of the address.
        yield match.start(), match.start() + len(match.group(0).rstrip(".,;:!?)]}'\""))


def _handles(text: str) -> Iterator[tuple[int, int]]:
    for match in _HANDLE.finditer(text):
        if not _TIME.fullmatch(match.group(1)):
            yield match.start(), match.end()


def is_nhs_number(digits: str) -> bool:
    """NHS Digital's modulus 11 check on 10 digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return check != 10 and (0 if check == 11 else check) == int(digits[9])


def _nhs_numbers(text: str) -> Iterator[tuple[int, int]]:
    for match in _NHS.finditer(text):
        if is_nhs_number(match.group(1) + match.group(3) + match.group(4)):
            yield match.start(), match.end()


def is_ni_prefix(prefix: str) -> bool:
    """Whether HMRC issues National Insurance numbers starting with these two letters."""
    if len(prefix) != 2:
        return False
    first, second = prefix.upper()[0], prefix.upper()[1]
    return (
        first not in _NI_FIRST_NOT
        and second not in _NI_SECOND_NOT
        and prefix.upper() not in _NI_NEVER
    )


def _ni_numbers(text: str) -> Iterator[tuple[int, int]]:
    for match in _NI.finditer(text):
        if is_ni_prefix(match.group(1)):
            yield match.start(), match.end()


def _phones(text: str) -> Iterator[tuple[int, int]]:
    # POSSIBLE, not VALID: Ofcom's drama ranges (07700 900xxx) and new ranges must count too.
    # Then only what is written like a dialled number: a trunk 0 or a + / 00 country code and
    # at least 10 digits, or a number the metadata knows is real. This keeps "aged 12-17" out.
    matcher = phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        raw = match.raw_string.lstrip("(")
        digits = "".join(ch for ch in raw if ch.isdigit())
        dialled = raw[:1] in ("0", "+") and len(digits) >= 10
        if not (dialled or phonenumbers.is_valid_number(match.number)):
            continue
        if phonenumbers.national_significant_number(match.number) in _HELPLINE_NSN:
            continue
        yield match.start, match.end


_HELPLINE_NSN = {digits.lstrip("0") for digits in HELPLINES}

_FINDERS: dict[str, Callable[[str], Iterator[tuple[int, int]]]] = {
    "email": _regex(_EMAIL),
    "url": _urls,
    "handle": _handles,
    "nhs-number": _nhs_numbers,
    "ni-number": _ni_numbers,
    "phone": _phones,
    "postcode": _regex(_POSTCODE),
    "date": _regex(_DATE),
}
