"""Check a response against its questionnaire version and make its canonical form; pure."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec

from survey_service.confidentiality import screening
from survey_service.questionnaires import TEXT_LIMITS, Question, Questionnaire

Screen = Callable[[str], str]
Answer = str | int | list[str]


class Submission(msgspec.Struct, forbid_unknown_fields=True):
    """The wire form of one response. Unknown top-level fields are refused (rule 1)."""

    id: str
    questionnaire: str
    version: int
    answers: dict[str, Any]
    # The questionnaire language the answers were given in; only for multilingual versions.
    language: str | None = None


class _WellFormed(Submission, forbid_unknown_fields=True):
    """A submission whose answers already have the shapes answers take."""

    answers: dict[str, str | int | list[str] | None]


class _WellFormedBatch(msgspec.Struct, forbid_unknown_fields=True):
    responses: list[_WellFormed]


# The deepest a well-formed body nests: {"answers": {"q": ["code"]}}, and in a batch
# {"responses": [{"answers": {"q": ["code"]}}]}.
WELL_FORMED_DEPTH = {False: 3, True: 5}
_decode_one = msgspec.json.Decoder(_WellFormed).decode
_decode_batch = msgspec.json.Decoder(_WellFormedBatch).decode


def decode_well_formed(body: bytes, batch: bool) -> Sequence[Submission] | None:
    """The common case in one typed decode, with no generic pass and no depth scan (the type
    bounds the nesting). None when anything is unusual; the caller then takes the careful
    path, which names each problem."""
    try:
        return _decode_batch(body).responses if batch else [_decode_one(body)]
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        return None


class FieldError(msgspec.Struct):
    field: str
    message: str


def _identity(text: str) -> str:
    return text


# A random UUID (version 4, RFC 4122 variant) as the app sends it: the version digit is 4 and
# the variant digit 8, 9, a or b.
_CANONICAL_UUID4 = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)
# Rule 3: versions 1, 6 and 7 hold the moment they were made (version 1 the machine's MAC
# address too), 3 and 5 a hash of a name; only version 4 is nothing but randomness.
NOT_RANDOM = "must be a random UUID (version 4); this one carries a time, a name or nothing"


def decode_submission(raw: Any) -> tuple[Submission | None, list[FieldError]]:
    """Turn decoded JSON (or a well-formed Submission) into a Submission with a canonical
    id, or errors naming each bad field."""
    if isinstance(raw, Submission):
        submission = raw
    elif not isinstance(raw, dict):
        return None, [FieldError("body", "must be a JSON object")]
    else:
        try:
            submission = msgspec.convert(raw, Submission)
        except msgspec.ValidationError as exc:
            return None, [_field_error(exc)]
    if _CANONICAL_UUID4.fullmatch(submission.id) is None:  # as the app sends it: nothing to do
        try:
            parsed = uuid.UUID(submission.id)
        except (ValueError, TypeError):
            return None, [FieldError("id", "must be a UUID")]
        if parsed.version != 4:  # None unless the RFC 4122 variant
            return None, [FieldError("id", NOT_RANDOM)]
        submission.id = str(parsed)  # canonical lower-case form
    return submission, []


class Rules:
    """One version's answer rules worked out once (the Registry keeps one per version), so
    checking a response is dictionary lookups, not a walk over the definition."""

    __slots__ = (
        "codes",
        "exclusive",
        "keep_numbers",
        "ordered_codes",
        "questionnaire",
        "questions",
        "required",
        "show_if",
    )

    def __init__(self, questionnaire: Questionnaire):
        self.questionnaire = questionnaire
        self.questions: dict[str, Question] = {q.id: q for q in questionnaire.questions()}
        self.ordered_codes = {qid: tuple(q.codes()) for qid, q in self.questions.items()}
        self.codes = {qid: frozenset(codes) for qid, codes in self.ordered_codes.items()}
        self.exclusive = {qid: q.exclusive_codes() for qid, q in self.questions.items()}
        self.required = tuple(q for q in self.questions.values() if q.required)
        self.show_if = tuple(q for q in self.questions.values() if q.show_if is not None)
        # Screening keeps the helplines and this questionnaire's own support numbers.
        self.keep_numbers = screening.keep_numbers(
            s.phone for s in questionnaire.support if s.phone
        )


def free_texts(rules: Rules, answers: Mapping[str, Any]) -> list[str]:
    """The text answers that screening will see, as check_answers will hand them to it."""
    texts = []
    for qid, value in answers.items():
        question = rules.questions.get(qid)
        if question is not None and question.type in TEXT_LIMITS:
            text, problem = _clean_text(question.type, value)
            if text and not problem:
                texts.append(text)
    return texts


def check_answers(
    questionnaire: Questionnaire | Rules, answers: Mapping[str, Any], screen: Screen = _identity
) -> tuple[dict[str, Answer], list[FieldError]]:
    """The canonical answers (question order, unanswered and hidden ones dropped) or errors."""
    rules = questionnaire if isinstance(questionnaire, Rules) else Rules(questionnaire)
    questions = rules.questions
    errors = [
        FieldError(_answer_field(key), "is not a question of this questionnaire")
        for key in answers
        if key not in questions
    ]
    clean: dict[str, Answer] = {}
    for qid, question in questions.items():
        if qid not in answers:
            continue
        value, problem = _check_value(rules, question, answers[qid], screen)
        if problem:
            errors.append(FieldError(_answer_field(qid), problem))
        elif value is not None:
            clean[qid] = value
    _drop_hidden(rules, clean)
    errors.extend(
        FieldError(_answer_field(q.id), "is required")
        for q in rules.required
        if q.id not in clean and is_shown(q, clean)
    )
    if not clean and not errors:
        errors.append(FieldError("answers", "holds no answers: answer at least one question"))
    return clean, capped(errors)


# The most problems listed for one response: a body of thousands of unknown keys must not come
# back as an answer several times its size (a batch of them was a 9.6 MB reply to 2 MB).
MAX_LISTED_ERRORS = 10


def capped(errors: list[FieldError]) -> list[FieldError]:
    if len(errors) <= MAX_LISTED_ERRORS:
        return errors
    more = len(errors) - MAX_LISTED_ERRORS
    return [*errors[:MAX_LISTED_ERRORS], FieldError("answers", f"and {more} more problems")]


def check_language(questionnaire: Questionnaire, language: str | None) -> list[FieldError]:
    """A response names its language only when the version has more than one to choose from,
    and then only one of them (it is stored, and exported only when enough share it)."""
    if language is None or language in questionnaire.languages:
        return []
    if not questionnaire.languages:
        return [FieldError("language", "is not taken: this questionnaire has one language")]
    listed = ", ".join(questionnaire.languages)
    return [FieldError("language", f"must be one of this questionnaire's languages: {listed}")]


def is_shown(question: Question, answers: Mapping[str, Answer]) -> bool:
    if question.show_if is None:
        return True
    given = answers.get(question.show_if.question)
    if isinstance(given, str):
        return given in question.show_if.codes
    if isinstance(given, list):
        return any(code in question.show_if.codes for code in given)
    return False


def content_hash(
    questionnaire: str, version: int, answers: Mapping[str, Answer], language: str | None = None
) -> str:
    """Equal for the same content whatever the key order (choice order is canonical already).
    The language counts only when given, so hashes stored before languages existed still match."""
    content: dict[str, Any] = {
        "questionnaire": questionnaire,
        "version": version,
        "answers": answers,
    }
    if language is not None:
        content["language"] = language
    canonical = msgspec.json.encode(content, order="deterministic")
    return hashlib.sha256(canonical).hexdigest()


def _drop_hidden(rules: Rules, clean: dict[str, Answer]) -> None:
    # In order, so a question hidden by a hidden question is hidden too.
    for question in rules.show_if:
        if question.id in clean and not is_shown(question, clean):
            del clean[question.id]


def _check_value(
    rules: Rules, question: Question, value: Any, screen: Screen
) -> tuple[Answer | None, str]:
    """(canonical value or None when not answered, problem or '')."""
    if value is None:
        return None, ""
    kind = question.type
    if kind == "single_choice":
        if not isinstance(value, str) or value not in rules.codes[question.id]:
            return None, "must be the code of one of the choices"
        return value, ""
    if kind == "multiple_choice":
        return _check_multiple(rules, question.id, value)
    if kind in ("scale", "number"):
        # bool is an int subclass and 3.0 is a float: both are refused, as is "3".
        if type(value) is not int:
            return None, "must be a whole number"
        assert question.min is not None
        assert question.max is not None
        if not question.min <= value <= question.max:
            return None, f"must be from {question.min} to {question.max}"
        return value, ""
    return _check_text(kind, value, screen)


def _check_multiple(rules: Rules, qid: str, value: Any) -> tuple[Answer | None, str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None, "must be a list of choice codes"
    codes = rules.codes[qid]
    if any(v not in codes for v in value):
        return None, "holds a code that is not one of the choices"
    if len(set(value)) != len(value):
        return None, "lists a choice more than once"
    if not value:
        return None, ""
    chosen = set(value)
    if len(chosen) > 1 and not chosen.isdisjoint(rules.exclusive[qid]):
        return None, "holds a choice that cannot be chosen with others"
    return [c for c in rules.ordered_codes[qid] if c in chosen], ""


def _check_text(kind: str, value: Any, screen: Screen) -> tuple[Answer | None, str]:
    text, problem = _clean_text(kind, value)
    return (screen(text) if text else None), problem


def _clean_text(kind: str, value: Any) -> tuple[str | None, str]:
    if not isinstance(value, str):
        return None, "must be text"
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        return None, ""
    limit = TEXT_LIMITS[kind]
    if len(text) > limit:
        return None, f"is longer than {limit} characters"
    if "\x00" in text:
        return None, "contains a NUL character"
    return text, ""


def _answer_field(key: str) -> str:
    # Keys are echoed in the error path, so keep a hostile one short.
    return "answers." + (key if len(key) <= 64 else key[:61] + "...")


def _field_error(exc: msgspec.ValidationError) -> FieldError:
    """msgspec says 'Expected `int`, got `str` - at `$.version`'; name the field plainly."""
    message = str(exc)
    field = ""
    if " - at `$" in message:
        message, _, path = message.rpartition(" - at `$")
        field = path.rstrip("`").lstrip(".")
    if message.startswith("Object contains unknown field"):
        unknown = message.split("`")[1] if "`" in message else ""
        field = f"{field}.{unknown}" if field else unknown
        message = "is not a known field"
    elif message.startswith("Object missing required field"):
        missing = message.split("`")[1] if "`" in message else ""
        field = f"{field}.{missing}" if field else missing
        message = "is required"
    return FieldError(field[:100] or "body", message)
