"""Rule 4 (safe questions): a young people's questionnaire asks nothing that names a child.

Follows the ICO's "Anonymisation: managing data protection risk" (direct identifiers are never
collected) and the ONS harmonised standards (ages in bands, "Prefer not to say" on every
quasi-identifier). Loading a questionnaire runs `check`; each problem names rule 4.

Identifying questions are found with the word lists below, matched as whole words against a
question's id (``first_name`` reads as "first name") and its text, never its hint: a hint is
where an author writes "please don't put your name". The lists lean towards flagging: a false
alarm costs an author a rewording ("Can you name…" -> "Which…"), a miss can cost a child.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from survey_service.questionnaires import PREFER_NOT, Question, Questionnaire

# What each kind of direct identifier is called in a question. Order matters: the first kind
# that matches is the one reported, so the specific ("email address") beats the general.
IDENTIFYING_WORDS: Mapping[str, tuple[str, ...]] = {
    # "your email", not "email": "Did someone contact you by email?" is a fair question.
    "an email address": ("email address", "e-mail address", "your email", "your e-mail"),
    "a phone number": (
        "phone number",
        "mobile number",
        "telephone number",
        "contact number",
        "phone no",
        "whatsapp number",
    ),
    "a social media handle": (
        "username",
        "user name",
        "your handle",
        "social media handle",
        "gamertag",
        "gamer tag",
        "screen name",
        "account name",
        "profile name",
        "snapchat name",
        "insta name",
        "social media account",
    ),
    "a date of birth": ("date of birth", "birth date", "birthdate", "dob", "birthday", "born"),
    "a postcode": ("postcode", "post code", "postal code", "zip code"),
    "an address": ("address", "home address", "street address", "house number", "flat number"),
    "a school": (
        "which school",
        "what school",
        "school name",
        "school do you go to",
        "school you go to",
        "school do you attend",
        "school you attend",
        "which college",
        "what college",
        "college do you go to",
        "which academy",
    ),
    "a name": (
        "name",
        "names",
        "surname",
        "first name",
        "last name",
        "full name",
        "nickname",
        "what are you called",
        "what do people call you",
    ),
}

# Words that make a number question an exact age; ages must come as bands (a choice question).
AGE_WORDS: tuple[str, ...] = ("age", "ages", "aged", "how old", "years old", "age in years")

# Question types whose answer is one exact number.
EXACT_NUMBER_TYPES = frozenset({"number", "scale"})


def _pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    # Whole words only ("unnamed" is not "name"); any run of spaces, '-' or '_' between words.
    alternatives = (r"[\s_-]+".join(map(re.escape, p.split())) for p in phrases)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])", re.I)


_IDENTIFYING = {kind: _pattern(words) for kind, words in IDENTIFYING_WORDS.items()}
_AGE = _pattern(AGE_WORDS)


def check(q: Questionnaire) -> Iterator[tuple[str | None, str]]:
    """A `Check` for questionnaires.parse: yields (question id, reason) for each rule 4 problem."""
    if q.audience != "young_people":
        return
    for question in q.questions():
        for reason in _problems(question):
            yield question.id, reason


def identifying_kind(text: str) -> tuple[str, str] | None:
    """(kind, matched words) for the first direct identifier the text asks for, else None."""
    for kind, pattern in _IDENTIFYING.items():
        match = pattern.search(text)
        if match:
            return kind, match.group(0).lower()
    return None


def _problems(question: Question) -> Iterator[str]:
    if question.required:
        yield "rule 4: is required; young people's questions must all be optional"
    if question.quasi_identifier and PREFER_NOT not in question.codes():
        yield (
            f"rule 4: is a quasi-identifier without a '{PREFER_NOT}' choice; "
            "young people must be able to say 'Prefer not to say'"
        )
    for where, text in (("id", question.id.replace("_", " ")), ("text", question.text)):
        found = identifying_kind(text)
        if found:
            kind, words = found
            yield (
                f"rule 4: asks for {kind} ('{words}' in the {where}); "
                "young people's questionnaires must not"
            )
            return
    if question.type in EXACT_NUMBER_TYPES:
        age = _AGE.search(question.id.replace("_", " ")) or _AGE.search(question.text)
        if age:
            yield (
                f"rule 4: asks for an exact age ('{age.group(0).lower()}' in a {question.type} "
                "question); ask in age bands with a single_choice quasi-identifier instead"
            )
