"""Taking responses in: idempotency first, then checks and screening, then the durable store."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any, Literal, NamedTuple

import msgspec

from survey_service import draws, periods, responses
from survey_service.registry import Registry
from survey_service.respondent.screener import Screener
from survey_service.responses import FieldError, Rules, Screen, Submission
from survey_service.store import NewResponse, Store

# Items checked between two chances for other requests to run (a short slice of work).
_YIELD_EVERY = 100

Status = Literal["accepted", "duplicate", "conflict", "rejected"]


class Result(msgspec.Struct, omit_defaults=True):
    id: str | None
    status: Status
    errors: list[FieldError] = []


RECORD_KEYS = 256  # a record key is 0..255, as in the ONS cell key method (rule 8)


def eligible_on(received: str, delay_days: int, draw: Callable[[int], int]) -> str:
    """The first day a batch may take a response (rule 6): the day after its date label ends,
    plus a random 0 to `delay_days` days. Drawn once, at intake, and stored as a date: no one
    (an intruder who planted answers included) can tell which release will hold an answer,
    and nothing received today is ever released today."""
    days = eligible_days(received, delay_days)
    return days[draw(len(days))]


@functools.lru_cache(maxsize=8)
def eligible_days(received: str, delay_days: int) -> tuple[str, ...]:
    """Every day eligible_on can draw for a response received at `received`, earliest first
    (worked out once a day, not once per response: the label changes once a day)."""
    after = periods.last_day(received)
    return tuple((after + dt.timedelta(days=1 + d)).isoformat() for d in range(delay_days + 1))


class Arrival(NamedTuple):
    """Today's date label and the days a response received today may be drawn to be
    eligible on: worked out once per request, not once per response."""

    received: str
    eligible: tuple[str, ...]


class Screened:
    """Texts screened ahead of the checks, looked up as check_answers meets them."""

    def __init__(self, done: dict[tuple[str, frozenset[str]], str]):
        self.done = done

    def by(self, rules: Rules) -> Screen:
        keep = rules.keep_numbers
        return lambda text: self.done[(text, keep)]


class Intake:
    def __init__(
        self,
        registry: Registry,
        store: Store,
        screener: Screener,
        date_precision: str = "day",
        today: Callable[[], dt.date] = periods.utc_today,
        release_delay_days: int = 0,
        draw: Callable[[int], int] | None = None,
    ):
        self.registry, self.store, self.screener = registry, store, screener
        self.date_precision, self.today = date_precision, today
        self.release_delay_days = release_delay_days
        self.draw = draw or draws.SecretDraws()

    async def submit(self, items: Sequence[Any]) -> list[Result]:
        """Each item on its own: one bad item never spoils the others. Error fields are paths
        within the item (`answers.q3`), since each result carries its own id.

        Every free text of the request is screened first, off the event loop; if that cannot
        finish, ScreeningUnavailable is raised before anything is stored."""
        results: list[Result | None] = [None] * len(items)
        decoded: list[tuple[int, Submission]] = []
        for i, raw in enumerate(items):
            submission, errors = responses.decode_submission(raw)
            if submission is None:
                results[i] = Result(_raw_id(raw), "rejected", errors)
            else:
                decoded.append((i, submission))
        screened = await self._screen([s for _, s in decoded])
        received = periods.label(self.today(), self.date_precision)
        arrival = Arrival(received, eligible_days(received, self.release_delay_days))
        to_store: list[tuple[int, NewResponse]] = []
        refused: list[tuple[int, Submission, list[FieldError]]] = []
        for n, (i, submission) in enumerate(decoded, 1):
            if n % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let other requests in between: a batch is 500 items
            row, errors = self._prepare(submission, screened, arrival)
            if row is None:
                refused.append((i, submission, errors))
            else:
                to_store.append((i, row))
        # Idempotency first: an id already stored answers duplicate or conflict even when its
        # content would now be refused (say, its version was retired since). A valid item's id
        # is checked by the writer inside the transaction that stores it, so only refused
        # items need this read: the common path makes no extra trip to the database.
        stored = await self.store.response_hashes([s.id for _, s, _ in refused])
        for i, submission, errors in refused:
            if submission.id in stored:
                results[i] = self._replay(submission, stored[submission.id], screened)
            else:
                results[i] = Result(submission.id, "rejected", errors)
        outcomes = await self.store.add_responses([row for _, row in to_store])
        for (i, row), outcome in zip(to_store, outcomes, strict=True):
            results[i] = Result(row.id, outcome, _conflict_errors(outcome))
        return [r for r in results if r is not None]

    async def _screen(self, submissions: Sequence[Submission]) -> Screened:
        """Every free text of these submissions, screened in one go off the event loop."""
        wanted: dict[tuple[str, frozenset[str]], None] = {}  # in order, each once
        for s in submissions:
            rules = self.registry.rules(s.questionnaire, s.version)
            if rules is not None:
                for text in responses.free_texts(rules, s.answers):
                    wanted[(text, rules.keep_numbers)] = None
        keys = list(wanted)
        return Screened(dict(zip(keys, await self.screener.screen_all(keys), strict=True)))

    def _replay(self, submission: Submission, stored_hash: str, screened: Screened) -> Result:
        """An id we hold already: the same content is a duplicate, anything else a conflict,
        even when its version was retired since. The stored response is kept either way."""
        rules = self.registry.rules(submission.questionnaire, submission.version)
        if rules is not None:
            q = rules.questionnaire
            answers, errors = responses.check_answers(rules, submission.answers, screened.by(rules))
            digest = responses.content_hash(q.id, q.version, answers, submission.language)
            if not errors and digest == stored_hash:
                return Result(submission.id, "duplicate")
        return Result(submission.id, "conflict", _conflict_errors("conflict"))

    def _prepare(
        self, s: Submission, screened: Screened, arrival: Arrival
    ) -> tuple[NewResponse | None, list[FieldError]]:
        rules = self.registry.rules(s.questionnaire, s.version)
        if rules is None:
            if not self.registry.knows(s.questionnaire):
                return None, [FieldError("questionnaire", "is not a known questionnaire")]
            return None, [FieldError("version", "is not a published version")]
        q = rules.questionnaire
        if self.registry.is_retired(q.id, q.version):
            return None, [FieldError("version", "is retired and takes no new answers")]
        answers, errors = responses.check_answers(rules, s.answers, screened.by(rules))
        errors = responses.check_language(q, s.language) + errors
        if errors:
            return None, errors
        row = NewResponse(
            id=s.id,
            questionnaire=q.id,
            version=q.version,
            received=arrival.received,
            answers=msgspec.json.encode(answers),
            content_hash=responses.content_hash(q.id, q.version, answers, s.language),
            eligible=arrival.eligible[self.draw(len(arrival.eligible))],
            record_key=self.draw(RECORD_KEYS),
            language=s.language,
        )
        return row, []


def _conflict_errors(outcome: str) -> list[FieldError]:
    if outcome != "conflict":
        return []
    return [FieldError("id", "a different response was already received with this id")]


def _raw_id(raw: Any) -> str | None:
    value: Any = raw.id if isinstance(raw, Submission) else None
    if isinstance(raw, dict):
        value = raw.get("id")
    return value if isinstance(value, str) and len(value) <= 64 else None
