"""The questionnaire format: definition structs, loading TOML files, validation; pure."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal, get_args

import msgspec

from survey_service.languages import TextProblem, split_texts

Audience = Literal["young_people", "staff"]
QuestionType = Literal[
    "single_choice", "multiple_choice", "scale", "number", "short_text", "long_text"
]
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
TEXT_TYPES = frozenset({"short_text", "long_text"})
TEXT_LIMITS = {"short_text": 500, "long_text": 5000}
PREFER_NOT = "prefer_not"

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")


class Choice(msgspec.Struct, forbid_unknown_fields=True, frozen=True, omit_defaults=True):
    code: str
    label: str
    # In a multiple_choice question, an answer like "No one" that rules out every other
    # choice. Omitted when false, so files written before the flag keep their hashes.
    exclusive: bool = False


class ShowIf(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    question: str
    codes: list[str]


class Question(msgspec.Struct, forbid_unknown_fields=True, frozen=True, omit_defaults=True):
    id: str
    type: QuestionType
    text: str
    hint: str | None = None
    choices: list[Choice] | None = None
    min: int | None = None
    max: int | None = None
    min_label: str | None = None
    max_label: str | None = None
    required: bool = False
    quasi_identifier: bool = False
    show_if: ShowIf | None = None

    @property
    def is_free_text(self) -> bool:
        return self.type in TEXT_TYPES

    def codes(self) -> list[str]:
        return [c.code for c in self.choices or ()]

    def exclusive_codes(self) -> frozenset[str]:
        """Codes that must be chosen alone; "Prefer not to say" always is."""
        return frozenset(c.code for c in self.choices or () if c.exclusive or c.code == PREFER_NOT)


class Section(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    title: str
    questions: list[Question]


class Support(msgspec.Struct, forbid_unknown_fields=True, frozen=True, omit_defaults=True):
    name: str
    phone: str | None = None
    url: str | None = None
    text: str | None = None


class Questionnaire(msgspec.Struct, forbid_unknown_fields=True, frozen=True, omit_defaults=True):
    """One published version, exactly as its file defines it."""

    id: str
    version: int
    audience: Audience
    title: str
    intro: str
    # Defaults so that a missing list gets the friendlier message from validate().
    support: list[Support] = []
    sections: list[Section] = []
    # Multilingual files only (see languages.py): the declared languages, default first, and
    # the texts of the others by flat key. Empty defaults are omitted from the canonical form,
    # so a single-language file hashes exactly as it did before languages existed.
    languages: list[str] = []
    translations: dict[str, dict[str, str]] = {}

    def questions(self) -> Iterable[Question]:
        for section in self.sections:
            yield from section.questions


class QuestionnaireError(ValueError):
    """A definition problem, naming the file, the question (when there is one) and the reason."""

    def __init__(self, source: str, reason: str, question: str | None = None):
        self.source, self.reason, self.question = source, reason, question
        where = f"{source}: question '{question}'" if question else source
        super().__init__(f"{where}: {reason}")


# Extra checks (for example the confidentiality rules for young people's questionnaires) plug in
# here: each gets a questionnaire and yields (question id or None, reason).
Check = Callable[[Questionnaire], Iterable[tuple[str | None, str]]]


def canonical_bytes(q: Questionnaire) -> bytes:
    """The content that makes a version: parsed, so comments and layout don't count. Structs
    omit defaults, so a new optional field added to the format leaves old hashes unchanged."""
    return msgspec.json.encode(q, order="deterministic")


def content_hash(q: Questionnaire) -> str:
    return hashlib.sha256(canonical_bytes(q)).hexdigest()


def decode_canonical(data: bytes) -> Questionnaire:
    return msgspec.json.decode(data, type=Questionnaire)


def parse(text: str, source: str, checks: Iterable[Check] = ()) -> Questionnaire:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireError(source, f"not valid TOML: {exc}") from None
    try:
        split_texts(raw)
    except TextProblem as exc:
        raise QuestionnaireError(source, exc.reason, exc.question) from None
    try:
        q = msgspec.convert(raw, Questionnaire)
    except msgspec.ValidationError as exc:
        raise QuestionnaireError(source, _describe(exc, raw)) from None
    problems = list(validate(q))
    for check in checks:
        problems.extend(check(q))
    if problems:
        question, reason = problems[0]
        raise QuestionnaireError(source, reason, question)
    return q


def load_file(path: Path, checks: Iterable[Check] = ()) -> Questionnaire:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionnaireError(str(path), f"cannot be read: {exc}") from None
    return parse(text, str(path), checks)


def load_dir(
    folder: Path, checks: Iterable[Check] = ()
) -> dict[tuple[str, int], tuple[Path, Questionnaire]]:
    """Every *.toml file in the folder, whatever its name, keyed by (id, version)."""
    if not folder.is_dir():
        raise QuestionnaireError(str(folder), "is not a folder")
    found: dict[tuple[str, int], tuple[Path, Questionnaire]] = {}
    for path in sorted(folder.glob("*.toml")):
        q = load_file(path, checks)
        key = (q.id, q.version)
        if key in found:
            other = found[key][0]
            raise QuestionnaireError(
                str(path), f"defines {q.id} version {q.version}, which {other} defines already"
            )
        found[key] = (path, q)
    return found


def _describe(exc: msgspec.ValidationError, raw: object) -> str:
    """Turn msgspec's 'Invalid enum value 'x' - at `$.sections[0].questions[2].type`' into
    "question 'q3': type: invalid value 'x' (one of: ...)"."""
    message, _, path = str(exc).partition(" - at `$")
    path = path.rstrip("`").lstrip(".")
    message = message.replace("Invalid enum value", "invalid value")
    key = path.rsplit(".", 1)[-1] if path else ""
    if key in _ALLOWED:
        message += f" (one of: {', '.join(_ALLOWED[key])})"
    match = re.match(r"sections\[(\d+)\]\.questions\[(\d+)\]\.?(.*)", path)
    if match and isinstance(raw, dict):
        try:
            qid = raw["sections"][int(match[1])]["questions"][int(match[2])].get("id", "?")
            return f"question '{qid}': {match[3] + ': ' if match[3] else ''}{message}"
        except (KeyError, IndexError, TypeError, AttributeError):
            pass
    return f"{path}: {message}" if path else message


_ALLOWED = {"type": get_args(QuestionType), "audience": get_args(Audience)}


def validate(q: Questionnaire) -> Iterable[tuple[str | None, str]]:
    """Structural rules of the format; yields (question id or None, reason)."""
    if not _ID.match(q.id):
        yield None, f"id '{q.id}' must be lower-case letters, digits, '-' or '_' (at most 64)"
    if q.version < 1:
        yield None, "version must be a whole number from 1"
    if not q.title.strip():
        yield None, "title is empty"
    if not q.support:
        yield None, "names no support contacts: add at least one [[support]] entry"
    for s in q.support:
        if not (s.phone or s.url or s.text):
            yield None, f"support contact '{s.name}' needs a phone, url or text"
    if not q.sections:
        yield None, "has no sections"
    seen: dict[str, Question] = {}
    for number, section in enumerate(q.sections, 1):
        if not section.title.strip():
            yield None, f"section {number} has no title"
        if not section.questions:
            yield None, f"section {number} ('{section.title}') has no questions"
        for question in section.questions:
            if question.id in seen:
                yield question.id, "duplicate question id"
            yield from ((question.id, r) for r in _question_problems(q, question, seen))
            seen[question.id] = question


def _question_problems(
    q: Questionnaire, question: Question, earlier: dict[str, Question]
) -> Iterable[str]:
    if not _QUESTION_ID.match(question.id):
        yield "id must start with a letter and hold only a-z, 0-9 and '_' (at most 64)"
    if not question.text.strip():
        yield "text is empty"
    if question.required and q.audience != "staff":
        yield "required is allowed in staff questionnaires only"
    yield from _shape_problems(question)
    if question.quasi_identifier and question.type != "single_choice":
        yield "quasi_identifier questions must be single_choice (for example age bands)"
    if question.show_if is not None:
        yield from _show_if_problems(question.show_if, earlier)


def _shape_problems(question: Question) -> Iterable[str]:
    is_choice = question.type in CHOICE_TYPES
    if is_choice:
        if not question.choices:
            yield "choices are empty"
        codes = question.codes()
        if len(set(codes)) != len(codes):
            yield "choice codes repeat"
        for choice in question.choices or ():
            if not _CODE.match(choice.code):
                yield f"choice code '{choice.code}' must be lower-case letters, digits or '_'"
            if not choice.label.strip():
                yield f"choice '{choice.code}' has an empty label"
        yield from _exclusive_problems(question)
    elif question.choices is not None:
        yield f"choices are only for choice questions, not {question.type}"
    if question.type in ("scale", "number"):
        if question.min is None or question.max is None:
            yield f"{question.type} needs min and max"
        elif question.min >= question.max:
            yield f"min ({question.min}) must be below max ({question.max})"
        elif question.type == "scale" and question.max - question.min > 10:
            yield "a scale may have at most 11 points"
    elif question.min is not None or question.max is not None:
        yield f"min and max are only for scale and number, not {question.type}"
    if question.type == "scale" and not (question.min_label and question.max_label):
        yield "scale needs min_label and max_label"
    if question.type != "scale" and (question.min_label or question.max_label):
        yield "min_label and max_label are only for scale"


def _exclusive_problems(question: Question) -> Iterable[str]:
    flagged = [c.code for c in question.choices or () if c.exclusive]
    if flagged and question.type != "multiple_choice":
        yield f"exclusive is only for multiple_choice choices (on '{flagged[0]}')"
    elif flagged and len(flagged) == len(question.choices or ()):
        yield "every choice is exclusive: make it single_choice"


def _show_if_problems(show_if: ShowIf, earlier: dict[str, Question]) -> Iterable[str]:
    target = earlier.get(show_if.question)
    if target is None or target.type not in CHOICE_TYPES:
        yield f"show_if names '{show_if.question}', which is not an earlier choice question"
        return
    if not show_if.codes:
        yield "show_if lists no codes"
    unknown = [c for c in show_if.codes if c not in target.codes()]
    if unknown:
        yield f"show_if codes {unknown} are not choices of '{show_if.question}'"
