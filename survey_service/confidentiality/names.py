"""People's names that no signal word points at ("Jessica said", "me and jess"), found with
lists of first names and surnames: server side only, since the lists are too big for the form.

The lists come from Faker's person providers: ONS-based British names, and Irish, New Zealand,
American, Indian, Pakistani, Hausa, Polish, Slovak, Romanian and Czech ones (the communities the
service's areas hold).
Faker is maintained and ships them as plain Python tuples: nothing is downloaded at run time.
(Its large American list is left out: it holds "Baby", "Friend", "Unknown" and "Council".)
A first name that is also an everyday word ("Will", "May", "Grace", "Chase") counts only with a
surname beside it; a lower-case name counts only after a word that points at a person.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from functools import cache

Span = tuple[int, int, str]


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_LOCALES = (
    "en_GB", "en_IE", "en_NZ", "en_US", "en_IN", "en_PK", "ha_NG",
    "pl_PL", "sk_SK", "ro_RO", "cs_CZ",
)  # fmt: skip
# Faker's British list is of adults' names; these are common among teenagers here and missing
# from every list above (Faker's big American list has them, and a thousand words besides).
_ALSO = words(
    """jess bex becca soph liv livvy kaz shaz tash kels mo dom jenson alfie freddie lexi tariq
    muhammad ahmed leighton kacey keeley macy zack"""
)

# First names that are also words people write: Faker's lists checked against an English
# dictionary, then read by a person. Each needs a surname to count.
AMBIGUOUS = words(
    """will may june april august summer autumn winter grace hope faith joy chase mark bill
    billy bob pat sue don dawn rose holly ivy hazel heather iris amber jade ruby crystal
    diamond destiny angel precious lucky sandy dale glen cliff drew lance grant frank guy
    earl king prince major royal hunter mason tanner carter parker baker bailey gene art
    ray jay lee lea robin raven penny misty melody sky star sunny sonny jack max rich rob
    harry victoria chelsea jordan paris india austin devon florence lincoln charlie christian
    eve carol norm mad sad said harsh danish urban sever nail raid loot forum kaiser man mina
    ana ela ion oto tola yug sai veer dev cal conn geta stela hema petre iwo misty brandy
    bonnie tory troy eden jean jan pierce spencer logan rowan ruth sherry shay chad"""
)

# Words just before a lower-case name that say a person is meant.
_BEFORE_A_PERSON = words(
    """with and told tell called named met meet texted messaged by like trust miss saw asked
    ask is was me im i'm am worker friend mate teacher boyfriend girlfriend bf gf cousin
    brother sister mentor carer nurse sw bestie ex uncle auntie aunt"""
)

_WORD = re.compile(r"[A-Za-z\u00C0-\u00FF][a-z\u00DF-\u00FF'’]*(?:-[A-Za-z\u00C0-\u00FF]+)?")


@cache
def first_names() -> frozenset[str]:
    found = _from_faker(("first_names", "first_names_male", "first_names_female"))
    return frozenset(found) | _ALSO | AMBIGUOUS


@cache
def surnames() -> frozenset[str]:
    return frozenset(_from_faker(("last_names",)))


def _from_faker(attributes: tuple[str, ...]) -> Iterator[str]:
    for locale in _LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in attributes:
            for name in getattr(provider, attribute, ()):
                if len(name) >= 3 and name.isalpha():
                    yield name.lower()


def find(text: str, not_names: frozenset[str]) -> Iterator[Span]:
    """Known first names, with the capitalised or known surnames that follow them."""
    words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
    known, family = first_names(), surnames()
    i = 0
    while i < len(words):
        start, end, word = words[i]
        if word[-2:] in ("'s", "’s"):  # Jessica's mum: the name is Jessica
            word, end = word[:-2], end - 2
            words[i] = (start, end, word)
        low = word.lower()
        if low not in known or low in not_names:
            i += 1
            continue
        capital = word[0].isupper()
        last = i
        # A surname follows directly (one space), capitalised, or a known one in lower case.
        while last + 1 < len(words) and last - i < 2:
            nstart, _, nword = words[last + 1]
            if text[words[last][1] : nstart] != " " or nword.lower() in not_names:
                break
            if not (nword[0].isupper() if capital else nword.lower() in family):
                break
            last += 1
        with_surname = last > i
        before = words[i - 1][2].lower() if i and _adjacent(text, words[i - 1], words[i]) else ""
        if low in AMBIGUOUS:
            named = with_surname and capital
        else:
            named = capital or before in _BEFORE_A_PERSON
        if named:
            yield start, words[last][1], "name"
            i = last + 1
        else:
            i += 1


def _adjacent(text: str, left: tuple[int, int, str], right: tuple[int, int, str]) -> bool:
    return text[left[1] : right[0]] in (" ", ", ")
