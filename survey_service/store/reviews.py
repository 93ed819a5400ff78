"""The storage interface for reviewing free text (rule 5): records and the methods a backend adds.

A text under review is named by its `handle`, a random value made when it joined the queue;
the response it belongs to is never named outside the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import msgspec

from survey_service.store.inspector import AuditEntry

ReviewState = Literal["waiting", "approved", "withheld"]


class TextToReview(msgspec.Struct, frozen=True):
    """One released free-text answer as the review page shows it: the question and the text
    alone, never its response's other answers, its batch or its date."""

    handle: str
    question: str
    text: str
    state: ReviewState = "waiting"
    reviewed: str | None = None  # the text as approved (redactions applied)
    quotable: bool = False


class Quote(msgspec.Struct, frozen=True):
    """An approved answer marked quotable: its question and its reviewed text."""

    handle: str
    question: str
    text: str
    batch: int  # for choosing a file's quotes; never shown beside the quote


class Review(msgspec.Struct, frozen=True):
    """A reviewer's decision on one waiting text."""

    state: Literal["approved", "withheld"]
    text: str | None  # the reviewed text when approved; None when withheld
    quotable: bool = False


# Counts of a questionnaire's texts: batch -> state -> how many.
TextCounts = dict[int, dict[str, int]]


class ReviewStore(Protocol):
    async def set_reviewer(self, name: str, reviewer: bool, audit: AuditEntry) -> bool:
        """Give or take the reviewer role; False when there is no such account."""
        ...

    async def queue_texts(self, questionnaire: str, questions: Sequence[str]) -> int:
        """Put every non-empty answer to these questions in the questionnaire's batches that
        have not been queued yet into the review queue, each under a new random handle, and
        mark those batches queued; in one transaction, once per batch whatever runs at once.
        Returns how many texts joined."""
        ...

    async def text_counts(self, questionnaire: str) -> TextCounts: ...

    async def texts_to_review(
        self, questionnaire: str, limit: int, state: ReviewState = "waiting"
    ) -> list[TextToReview]:
        """Up to `limit` texts in that state, chosen and ordered at random (approved: those
        not marked quotable, which a reviewer may still mark)."""
        ...

    async def text_to_review(self, questionnaire: str, handle: str) -> TextToReview | None: ...

    async def save_review(
        self, questionnaire: str, handle: str, review: Review, audit: AuditEntry
    ) -> bool:
        """Record a decision on a text that still waits, with its audit entry; False (nothing
        written) when it is not waiting any more."""
        ...

    async def set_quotable(
        self, questionnaire: str, handle: str, quotable: bool, audit: AuditEntry
    ) -> bool:
        """Mark an approved text quotable or not; False when it is not approved."""
        ...

    async def quotes(self, questionnaire: str) -> list[Quote]:
        """Every quotable text of the questionnaire, in a random order."""
        ...
