"""Rule 5's review before release: released free text reaches a file only as a reviewer
approved it. Which texts wait, a reviewer's decision on one (audited: who, when, how many
redactions; never the text), quotes for the report, and the step every file applies.

A text is named by its random handle (store/reviews.py), never by its response: the review
and quotes pages show a question and a text, nothing of the row it came from."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Literal

import msgspec

from survey_service.confidentiality import redaction, screening
from survey_service.export.layout import Layout
from survey_service.export.writers import Protect
from survey_service.inspector import audit
from survey_service.questionnaires import Questionnaire
from survey_service.responses import FieldError
from survey_service.store import Store
from survey_service.store.inspector import ReleasedRow
from survey_service.store.reviews import Quote, Review, TextCounts

PAGE_SIZE = 20  # texts on the review page at a time, chosen at random among those waiting
PHRASE_MAX = 500
_decode = msgspec.json.Decoder(dict[str, str]).decode
_shuffle = random.SystemRandom().shuffle


def free_text(layout: Layout) -> list[str]:
    """The questions whose answers wait for review: every free-text question ever published."""
    return [qid for qid, info in layout.info.items() if info.question.is_free_text]


class Texts(msgspec.Struct, frozen=True):
    """A questionnaire's free text as files and pages report it."""

    counts: TextCounts = {}
    quotes: list[Quote] = []

    def count(self, state: str, batches: Iterable[int] | None = None) -> int:
        chosen = self.counts if batches is None else {b: self.counts.get(b, {}) for b in batches}
        return sum(states.get(state, 0) for states in chosen.values())

    def quotes_in(self, batches: Iterable[int]) -> list[Quote]:
        wanted = set(batches)
        return [q for q in self.quotes if q.batch in wanted]


async def texts(store: Store, layout: Layout) -> Texts:
    """What is reviewed, waits or may be quoted, with every released batch in the queue first
    (a batch joins it the first time anyone looks after its release)."""
    questionnaire = layout.latest.id
    await store.queue_texts(questionnaire, free_text(layout))
    return Texts(await store.text_counts(questionnaire), await store.quotes(questionnaire))


def protector(layout: Layout, then: Protect) -> Protect:
    """The step every file applies to each row before the release's own (`then`): a free-text
    answer shows as a reviewer approved it, and one that waits or was withheld not at all,
    so its cell is as empty as an unanswered one."""
    questions = free_text(layout)

    def protect(row: ReleasedRow, answers: dict[str, Any]) -> str:
        approved = _decode(row.reviewed) if row.reviewed else {}
        for qid in questions:
            if qid in answers:
                shown = approved.get(qid)
                if shown is None:
                    del answers[qid]
                else:
                    answers[qid] = shown
        return then(row, answers)

    return protect


# -- the review page ---------------------------------------------------------------------------


class Item(msgspec.Struct, frozen=True):
    """One text on the review page: its question and its words, nothing else of its row."""

    handle: str
    question: str
    question_text: str
    reading: redaction.Reading
    ticked: frozenset[int]  # words ticked to be redacted: what screening is sure of, at first
    error: str = ""  # what was wrong with the form sent for it


class Again(msgspec.Struct, frozen=True):
    """A text shown again at the top of the page, with the words the reviewer ticked (and
    typed) and what was wrong, if anything."""

    handle: str
    ticked: frozenset[int]
    error: str = ""


Reader = Callable[[Sequence[tuple[str, frozenset[str]]]], Awaitable[list[redaction.Reading]]]


async def _read_here(items: Sequence[tuple[str, frozenset[str]]]) -> list[redaction.Reading]:
    return [redaction.read(text, keep) for text, keep in items]


async def to_review(
    store: Store,
    versions: Sequence[Questionnaire],
    again: Again | None = None,
    read: Reader = _read_here,
) -> list[Item]:
    """Texts that wait, chosen and shuffled at random; `again` first, when it still waits.
    `read` flags each text's words: the app passes its screening pool's, which keeps long
    texts off the event loop, as at intake."""
    layout = Layout(versions)
    questionnaire = layout.latest.id
    await store.queue_texts(questionnaire, free_text(layout))
    found = await store.texts_to_review(questionnaire, PAGE_SIZE)
    if again is not None:
        first = await store.text_to_review(questionnaire, again.handle)
        if first is not None and first.state == "waiting":
            found = [first, *(t for t in found if t.handle != again.handle)][:PAGE_SIZE]
    keep = _keep_numbers(versions)
    readings = await read([(t.text, keep) for t in found])
    items = []
    for t, reading in zip(found, readings, strict=True):
        ticked = frozenset(w.index for w in reading.words if w.sure)
        error = ""
        if again is not None and t.handle == again.handle:
            ticked, error = again.ticked, again.error
        items.append(
            Item(t.handle, t.question, question_text(layout, t.question), reading, ticked, error)
        )
    return items


async def waiting(store: Store, layout: Layout) -> dict[int, int]:
    """Per released batch, how many of its free-text answers wait for review."""
    questionnaire = layout.latest.id
    await store.queue_texts(questionnaire, free_text(layout))
    counts = await store.text_counts(questionnaire)
    return {batch: states.get("waiting", 0) for batch, states in counts.items()}


def _keep_numbers(versions: Sequence[Questionnaire]) -> frozenset[str]:
    # The numbers screening keeps for this questionnaire (its support contacts, every version).
    return screening.keep_numbers(s.phone for q in versions for s in q.support if s.phone)


def question_text(layout: Layout, qid: str) -> str:
    info = layout.info.get(qid)
    return info.question.text if info is not None else qid


Choice = Literal["approve", "withhold", "mark"]  # mark: tick the typed words, decide later


class Decision(msgspec.Struct, frozen=True):
    handle: str
    choice: Choice
    redact: frozenset[int] = frozenset()
    phrase: str = ""  # words the reviewer typed to redact wherever they appear
    quotable: bool = False


def decision(
    handle: str, choice: str, redact: Sequence[str], phrase: str, quotable: bool
) -> Decision | list[FieldError]:
    """A review form as submitted, checked; each mistake names its field."""
    errors = []
    if choice not in ("approve", "withhold", "mark"):
        errors.append(FieldError("decision", "choose Approve or Withhold"))
    if not all(r.isdigit() and len(r) <= 5 for r in redact):
        errors.append(FieldError("redact", "must be the numbers of words in this answer"))
    if len(phrase) > PHRASE_MAX:
        errors.append(FieldError("phrase", f"must be at most {PHRASE_MAX} characters"))
    if errors:
        return errors
    chosen = frozenset(int(r) for r in redact)
    return Decision(handle, choice, chosen, phrase.strip(), quotable)  # type: ignore[arg-type]


class Saved(msgspec.Struct, frozen=True):
    """A decision written: what the page says next (rebuilt from the address it redirects
    to, so it holds numbers and flags only, never words from the answer)."""

    state: Literal["approved", "withheld"]
    markers: int = 0
    quotable: bool = False

    @property
    def what(self) -> str:
        if self.state == "withheld":
            return "withheld"
        counted = f"{self.markers} redaction{'s' if self.markers != 1 else ''}"
        return f"approved with {counted}{', marked quotable' if self.quotable else ''}"

    @property
    def message(self) -> str:
        if self.state == "withheld":
            return "Withheld: that answer will not appear in any file."
        return f"{self.what.capitalize()}."


class Marked(msgspec.Struct, frozen=True):
    """Nothing decided yet: the words to tick on the page, typed ones included."""

    ticked: frozenset[int]


class Refused(msgspec.Struct, frozen=True):
    status: int  # 404: no such text; 409: decided already; 422: a field is wrong
    errors: list[FieldError]


NOT_IN_ANSWER = "These words are not in the answer: type them as the answer spells them"


async def decide(
    store: Store, questionnaire: str, chosen: Decision, actor: str
) -> Saved | Marked | Refused:
    """Apply a reviewer's decision to one waiting text: approved (with redactions) or
    withheld. Written once, with its audit entry, whatever other reviewers do at once."""
    found = await store.text_to_review(questionnaire, chosen.handle)
    if found is None:
        return Refused(404, [FieldError("handle", "no such answer to review")])
    if found.state != "waiting":
        return Refused(409, [FieldError("handle", "this answer was reviewed already")])
    if chosen.choice == "withhold":
        review = Review("withheld", None)
        saved = Saved("withheld")
        detail = f"{questionnaire}: a free-text answer withheld (it appears in no file)"
    else:
        words = set(chosen.redact)
        if chosen.phrase:
            typed = redaction.find(found.text, chosen.phrase)
            if not typed:
                return Refused(422, [FieldError("phrase", NOT_IN_ANSWER)])
            words |= typed
        if chosen.choice == "mark":
            return Marked(frozenset(words))
        text, markers = redaction.redact(found.text, words)
        review = Review("approved", text, chosen.quotable)
        saved = Saved("approved", markers, chosen.quotable)
        detail = f"{questionnaire}: a free-text answer {saved.what}"
    entry = audit.entry(actor, "text reviewed", detail)
    if not await store.save_review(questionnaire, chosen.handle, review, entry):
        return Refused(409, [FieldError("handle", "this answer was reviewed already")])
    return saved


# -- quotes ------------------------------------------------------------------------------------


class QuoteGroup(msgspec.Struct, frozen=True):
    question: str
    question_text: str
    quotes: list[Quote]


def by_question(layout: Layout, quotes: Iterable[Quote]) -> list[QuoteGroup]:
    """Quotes per question, in the questionnaire's order, each list shuffled: the question and
    the text, never anything else of the answer's row."""
    grouped: dict[str, list[Quote]] = {}
    for quote in quotes:
        grouped.setdefault(quote.question, []).append(quote)
    for group in grouped.values():
        _shuffle(group)
    order = [q for q in layout.info if q in grouped] + sorted(set(grouped) - set(layout.info))
    return [QuoteGroup(q, question_text(layout, q), grouped[q]) for q in order]


def quote_rows(layout: Layout, quotes: Iterable[Quote]) -> list[tuple[str, str, str]]:
    """(question id, question, quote) for a file's quotes sheet or list: shuffled."""
    rows = [(q.question, question_text(layout, q.question), q.text) for q in quotes]
    _shuffle(rows)
    return rows


async def mark_quote(
    store: Store, questionnaire: str, handle: str, quotable: bool, actor: str
) -> bool:
    action = "marked quotable" if quotable else "no longer quotable"
    entry = audit.entry(actor, "quote changed", f"{questionnaire}: an approved answer {action}")
    return await store.set_quotable(questionnaire, handle, quotable, entry)


async def is_reviewer(store: Store, name: str) -> bool:
    account = await store.get_inspector(name)
    return account is not None and account.reviewer and not account.disabled
