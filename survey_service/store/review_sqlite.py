"""SQLite side of reviewing free text: the reviewer role, the review queue, decisions, quotes."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import aiosqlite
import msgspec

from survey_service.store.inspector import AuditEntry
from survey_service.store.reviews import Quote, Review, ReviewState, TextCounts, TextToReview

T = TypeVar("T")
_AUDIT_INSERT = "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)"
_encode = msgspec.json.encode

# The answer a review is about, read from its response: the text as screened at intake.
_TEXT = "json_extract(CAST(r.answers AS TEXT), '$.' || t.question)"
_TEXTS = (
    f"SELECT t.handle, t.question, {_TEXT}, t.state, t.text, t.quotable"
    " FROM text_reviews t JOIN responses r ON r.id = t.response_id"
)


def _audit(entry: AuditEntry) -> tuple[str, str, str, str]:
    return (entry.at, entry.actor, entry.action, entry.detail)


def _text(row: Sequence[Any]) -> TextToReview:
    return TextToReview(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


class ReviewSQLMixin:
    """Mixed into SQLiteStore: writes through its single writer, reads through its readers."""

    async def _read(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    async def write(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def set_reviewer(self, name: str, reviewer: bool, audit: AuditEntry) -> bool:
        async def run(conn: aiosqlite.Connection) -> bool:
            cursor = await conn.execute(
                "UPDATE inspectors SET reviewer = ? WHERE name = ?", (int(reviewer), name)
            )
            if cursor.rowcount == 0:
                return False
            await conn.execute(_AUDIT_INSERT, _audit(audit))
            return True

        return await self.write(run)

    async def queue_texts(self, questionnaire: str, questions: Sequence[str]) -> int:
        unqueued = (
            "SELECT number FROM batches WHERE questionnaire = ?"
            " AND number NOT IN (SELECT batch FROM text_review_batches)"
        )
        if not await self._read(unqueued, (questionnaire,)):
            return 0  # the usual case: a read, and no write

        async def run(conn: aiosqlite.Connection) -> int:
            # On the single writer: two callers at once queue a batch once.
            async with conn.execute(unqueued, (questionnaire,)) as cursor:
                batches = [r[0] for r in await cursor.fetchall()]
            if not batches:
                return 0
            marks = ",".join("?" * len(batches))
            # Handles from SQLite's randomness (ChaCha20, seeded by the OS); inserted in handle
            # order, so neither the rows nor their pages follow the responses' order.
            cursor = await conn.execute(
                "INSERT INTO text_reviews (handle, response_id, question, questionnaire, batch)"
                " SELECT lower(hex(randomblob(16))) AS h, r.id, q.value, r.questionnaire, r.batch"
                " FROM responses r JOIN json_each(?) q"
                f" WHERE r.questionnaire = ? AND r.batch IN ({marks})"
                " AND json_type(CAST(r.answers AS TEXT), '$.' || q.value) = 'text'"
                " AND json_extract(CAST(r.answers AS TEXT), '$.' || q.value) <> ''"
                " ORDER BY h ON CONFLICT DO NOTHING",
                (_encode(list(questions)).decode(), questionnaire, *batches),
            )
            added = cursor.rowcount
            await conn.executemany(
                "INSERT INTO text_review_batches (batch) VALUES (?)", [(b,) for b in batches]
            )
            return added

        return await self.write(run)

    async def text_counts(self, questionnaire: str) -> TextCounts:
        rows = await self._read(
            "SELECT batch, state, count(*) FROM text_reviews WHERE questionnaire = ?"
            " GROUP BY batch, state",
            (questionnaire,),
        )
        counts: TextCounts = {}
        for batch, state, n in rows:
            counts.setdefault(batch, {})[state] = n
        return counts

    async def texts_to_review(
        self, questionnaire: str, limit: int, state: ReviewState = "waiting"
    ) -> list[TextToReview]:
        rows = await self._read(
            _TEXTS + " WHERE t.questionnaire = ? AND t.state = ? AND t.quotable = 0"
            " ORDER BY random() LIMIT ?",
            (questionnaire, state, limit),
        )
        return [_text(r) for r in rows]

    async def text_to_review(self, questionnaire: str, handle: str) -> TextToReview | None:
        rows = await self._read(
            _TEXTS + " WHERE t.questionnaire = ? AND t.handle = ?", (questionnaire, handle)
        )
        return _text(rows[0]) if rows else None

    async def save_review(
        self, questionnaire: str, handle: str, review: Review, audit: AuditEntry
    ) -> bool:
        async def run(conn: aiosqlite.Connection) -> bool:
            cursor = await conn.execute(
                "UPDATE text_reviews SET state = ?, text = ?, quotable = ?"
                " WHERE questionnaire = ? AND handle = ? AND state = 'waiting'",
                (review.state, review.text, int(review.quotable), questionnaire, handle),
            )
            if cursor.rowcount == 0:
                return False
            await conn.execute(_AUDIT_INSERT, _audit(audit))
            return True

        return await self.write(run)

    async def set_quotable(
        self, questionnaire: str, handle: str, quotable: bool, audit: AuditEntry
    ) -> bool:
        async def run(conn: aiosqlite.Connection) -> bool:
            cursor = await conn.execute(
                "UPDATE text_reviews SET quotable = ?"
                " WHERE questionnaire = ? AND handle = ? AND state = 'approved'",
                (int(quotable), questionnaire, handle),
            )
            if cursor.rowcount == 0:
                return False
            await conn.execute(_AUDIT_INSERT, _audit(audit))
            return True

        return await self.write(run)

    async def quotes(self, questionnaire: str) -> list[Quote]:
        rows = await self._read(
            "SELECT handle, question, text, batch FROM text_reviews"
            " WHERE questionnaire = ? AND quotable = 1 ORDER BY random()",
            (questionnaire,),
        )
        return [Quote(*r) for r in rows]
