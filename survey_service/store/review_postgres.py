"""PostgreSQL side of reviewing free text: the reviewer role, the review queue, decisions, quotes.

Several instances share these tables: a batch is claimed for the queue by inserting its
number (the primary key makes a second claimant wait, then find it taken), and a decision
updates a text only while it still waits, so two reviewers at once never both decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from survey_service.store.inspector import AuditEntry
from survey_service.store.reviews import Quote, Review, ReviewState, TextCounts, TextToReview

_AUDIT_INSERT = "INSERT INTO audit (at, actor, action, detail) VALUES ($1, $2, $3, $4)"
# The answer a review is about, read from its response: the text as screened at intake.
_TEXTS = (
    "SELECT t.handle, t.question, convert_from(r.answers, 'UTF8')::jsonb ->> t.question,"
    " t.state, t.text, t.quotable"
    " FROM text_reviews t JOIN responses r ON r.id = t.response_id"
)


def _audit(entry: AuditEntry) -> tuple[str, str, str, str]:
    return (entry.at, entry.actor, entry.action, entry.detail)


class ReviewPostgresMixin:
    """Mixed into PostgresStore, which provides the pool and the error mapping."""

    def _require_pool(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        raise NotImplementedError

    def _guard(self, what: str) -> Any:
        raise NotImplementedError

    async def _update_with_audit(self, what: str, sql: str, audit: AuditEntry, *args: Any) -> bool:
        with self._guard(what):
            async with self._require_pool().acquire() as conn, conn.transaction():
                status = await conn.execute(sql, *args)
                if status == "UPDATE 0":
                    return False
                await conn.execute(_AUDIT_INSERT, *_audit(audit))
        return True

    async def set_reviewer(self, name: str, reviewer: bool, audit: AuditEntry) -> bool:
        return await self._update_with_audit(
            "changing a reviewer",
            "UPDATE inspectors SET reviewer = $1 WHERE name = $2",
            audit,
            reviewer,
            name,
        )

    async def queue_texts(self, questionnaire: str, questions: Sequence[str]) -> int:
        unqueued = (
            "SELECT number FROM batches WHERE questionnaire = $1"
            " AND number NOT IN (SELECT batch FROM text_review_batches)"
        )
        if not await self._fetch(unqueued, questionnaire):
            return 0  # the usual case: a read, and no write
        with self._guard("queueing texts for review"):
            async with self._require_pool().acquire() as conn, conn.transaction():
                claimed = [
                    r[0]
                    for r in await conn.fetch(
                        "INSERT INTO text_review_batches (batch) "
                        + unqueued
                        + " ON CONFLICT DO NOTHING RETURNING batch",
                        questionnaire,
                    )
                ]
                if not claimed:
                    return 0
                # gen_random_uuid: the server's strong randomness; rows go in handle order, so
                # the table's pages do not follow the responses' order either.
                status = await conn.execute(
                    "INSERT INTO text_reviews"
                    " (handle, response_id, question, questionnaire, batch)"
                    " SELECT replace(gen_random_uuid()::text, '-', '') AS h, r.id, q,"
                    " r.questionnaire, r.batch"
                    " FROM responses r, unnest($3::text[]) q"
                    " WHERE r.questionnaire = $1 AND r.batch = ANY($2::int[])"
                    " AND jsonb_typeof(convert_from(r.answers, 'UTF8')::jsonb -> q) = 'string'"
                    " AND convert_from(r.answers, 'UTF8')::jsonb ->> q <> ''"
                    " ORDER BY h ON CONFLICT DO NOTHING",
                    questionnaire,
                    claimed,
                    list(questions),
                )
        return int(status.split()[-1])

    async def text_counts(self, questionnaire: str) -> TextCounts:
        rows = await self._fetch(
            "SELECT batch, state, count(*) FROM text_reviews WHERE questionnaire = $1"
            " GROUP BY batch, state",
            questionnaire,
        )
        counts: TextCounts = {}
        for batch, state, n in rows:
            counts.setdefault(batch, {})[state] = n
        return counts

    async def texts_to_review(
        self, questionnaire: str, limit: int, state: ReviewState = "waiting"
    ) -> list[TextToReview]:
        rows = await self._fetch(
            _TEXTS + " WHERE t.questionnaire = $1 AND t.state = $2 AND NOT t.quotable"
            " ORDER BY random() LIMIT $3",
            questionnaire,
            state,
            limit,
        )
        return [TextToReview(*r) for r in rows]

    async def text_to_review(self, questionnaire: str, handle: str) -> TextToReview | None:
        rows = await self._fetch(
            _TEXTS + " WHERE t.questionnaire = $1 AND t.handle = $2", questionnaire, handle
        )
        return TextToReview(*rows[0]) if rows else None

    async def save_review(
        self, questionnaire: str, handle: str, review: Review, audit: AuditEntry
    ) -> bool:
        return await self._update_with_audit(
            "saving a review",
            "UPDATE text_reviews SET state = $1, text = $2, quotable = $3"
            " WHERE questionnaire = $4 AND handle = $5 AND state = 'waiting'",
            audit,
            review.state,
            review.text,
            review.quotable,
            questionnaire,
            handle,
        )

    async def set_quotable(
        self, questionnaire: str, handle: str, quotable: bool, audit: AuditEntry
    ) -> bool:
        return await self._update_with_audit(
            "marking a quote",
            "UPDATE text_reviews SET quotable = $1"
            " WHERE questionnaire = $2 AND handle = $3 AND state = 'approved'",
            audit,
            quotable,
            questionnaire,
            handle,
        )

    async def quotes(self, questionnaire: str) -> list[Quote]:
        rows = await self._fetch(
            "SELECT handle, question, text, batch FROM text_reviews"
            " WHERE questionnaire = $1 AND quotable ORDER BY random()",
            questionnaire,
        )
        return [Quote(*r) for r in rows]
