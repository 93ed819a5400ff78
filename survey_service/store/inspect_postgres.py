"""PostgreSQL side of the inspectors' store: accounts, credentials, batches, audit, released rows.

Several instances share these tables, so every read-modify-write is one transaction that
locks what it decides on; batch releases are serialised per questionnaire across instances.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterator, Sequence
from typing import Any, TypeVar

import asyncpg

from survey_service.store.inspectors import (
    AuditEntry,
    Batch,
    Credential,
    CredentialKind,
    Inspector,
    ReleasedRow,
)

T = TypeVar("T")

# Advisory lock space for batch releases: (this, hash of the questionnaire id).
BATCH_LOCK = 0x42617463  # "Batc"

_AUDIT_INSERT = "INSERT INTO audit (at, actor, action, detail) VALUES ($1, $2, $3, $4)"
_CHUNK = 2000


def _audit_args(entry: AuditEntry) -> tuple[str, str, str, str]:
    return (entry.at, entry.actor, entry.action, entry.detail)


class InspectorPostgresMixin:
    """Mixed into PostgresStore, which provides the pool, its URL and the error mapping."""

    url: str

    def _require_pool(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        raise NotImplementedError

    def _guard(self, what: str) -> Any:
        raise NotImplementedError

    # -- accounts ----------------------------------------------------------------------------

    async def add_inspector(self, inspector: Inspector, audit: AuditEntry) -> bool:
        with self._guard("adding an inspector"):
            async with self._require_pool().acquire() as conn, conn.transaction():
                added = await conn.fetchval(
                    "INSERT INTO inspectors (name, password_hash, disabled, created)"
                    " VALUES ($1, $2, FALSE, $3) ON CONFLICT DO NOTHING RETURNING TRUE",
                    inspector.name,
                    inspector.password_hash,
                    inspector.created,
                )
                if not added:
                    return False
                await conn.execute(_AUDIT_INSERT, *_audit_args(audit))
        return True

    async def get_inspector(self, name: str) -> Inspector | None:
        rows = await self._fetch(
            "SELECT name, password_hash, disabled, created FROM inspectors WHERE name = $1", name
        )
        return Inspector(*rows[0]) if rows else None

    async def list_inspectors(self) -> list[Inspector]:
        rows = await self._fetch(
            "SELECT name, password_hash, disabled, created FROM inspectors ORDER BY name"
        )
        return [Inspector(*r) for r in rows]

    async def set_inspector_disabled(self, name: str, disabled: bool, audit: AuditEntry) -> bool:
        with self._guard("changing an inspector"):
            async with self._require_pool().acquire() as conn, conn.transaction():
                status = await conn.execute(
                    "UPDATE inspectors SET disabled = $1 WHERE name = $2", disabled, name
                )
                if status == "UPDATE 0":
                    return False
                if disabled:
                    await conn.execute("DELETE FROM credentials WHERE inspector = $1", name)
                await conn.execute(_AUDIT_INSERT, *_audit_args(audit))
        return True

    # -- credentials -------------------------------------------------------------------------

    async def add_credential(
        self, secret_hash: str, inspector: str, kind: CredentialKind, expires: str | None
    ) -> None:
        with self._guard("adding a credential"):
            await self._require_pool().execute(
                "INSERT INTO credentials (secret_hash, inspector, kind, expires)"
                " VALUES ($1, $2, $3, $4)",
                secret_hash,
                inspector,
                kind,
                expires,
            )

    async def get_credential(self, secret_hash: str, now: str) -> Credential | None:
        rows = await self._fetch(
            "SELECT c.inspector, c.kind, c.expires FROM credentials c"
            " JOIN inspectors i ON i.name = c.inspector"
            " WHERE c.secret_hash = $1 AND NOT i.disabled"
            " AND (c.expires IS NULL OR c.expires > $2)",
            secret_hash,
            now,
        )
        return Credential(rows[0][0], rows[0][1], rows[0][2]) if rows else None

    async def delete_credential(self, secret_hash: str) -> None:
        with self._guard("deleting a credential"):
            await self._require_pool().execute(
                "DELETE FROM credentials WHERE secret_hash = $1", secret_hash
            )

    # -- login throttling --------------------------------------------------------------------

    async def login_failures(self, name_hash: str) -> tuple[int, str | None]:
        rows = await self._fetch(
            "SELECT failures, locked_until FROM login_failures WHERE name_hash = $1", name_hash
        )
        return (int(rows[0][0]), rows[0][1]) if rows else (0, None)

    async def record_login_failure(
        self, name_hash: str, max_failures: int, locked_until: str
    ) -> tuple[int, str | None]:
        # One statement: failures on different instances at once each count (the row lock
        # of ON CONFLICT DO UPDATE orders them).
        with self._guard("recording a failed login"):
            row = await self._require_pool().fetchrow(
                "INSERT INTO login_failures AS f (name_hash, failures, locked_until)"
                " VALUES ($1, 1, CASE WHEN 1 >= $2 THEN $3 END)"
                " ON CONFLICT (name_hash) DO UPDATE SET failures = f.failures + 1,"
                " locked_until = CASE WHEN f.failures + 1 >= $2 THEN $3 ELSE f.locked_until END"
                " RETURNING failures, locked_until",
                name_hash,
                max_failures,
                locked_until,
            )
        assert row is not None
        return int(row[0]), row[1]

    async def clear_login_failures(self, name_hash: str) -> None:
        with self._guard("clearing failed logins"):
            await self._require_pool().execute(
                "DELETE FROM login_failures WHERE name_hash = $1", name_hash
            )

    # -- batches -----------------------------------------------------------------------------

    async def release_batch(
        self, questionnaire: str, min_batch: int, released: str, audit: AuditEntry
    ) -> Batch | int:
        with self._guard("releasing a batch"):
            async with self._require_pool().acquire() as conn, conn.transaction():
                # Releases of one questionnaire queue here, whichever instance they reach: the
                # second sees the first one's batch committed, so nothing overlaps and it finds
                # too few waiting rather than cutting an empty batch.
                await conn.execute(
                    "SELECT pg_advisory_xact_lock($1, hashtext($2))", BATCH_LOCK, questionnaire
                )
                # Exactly these rows, locked against a concurrent purge: responses arriving
                # meanwhile wait for the next batch and the count stays true.
                ids = [
                    r[0]
                    for r in await conn.fetch(
                        "SELECT id FROM responses WHERE questionnaire = $1 AND batch IS NULL"
                        " FOR UPDATE",
                        questionnaire,
                    )
                ]
                if len(ids) < min_batch:
                    return len(ids)
                number = await conn.fetchval(
                    "INSERT INTO batches (questionnaire, count, released) VALUES ($1, $2, $3)"
                    " RETURNING number",
                    questionnaire,
                    len(ids),
                    released,
                )
                await conn.execute(
                    "UPDATE responses SET batch = $1 WHERE id = ANY($2::text[])", number, ids
                )
                detail = audit.detail or f"batch {number}: {len(ids)} responses"
                await conn.execute(_AUDIT_INSERT, audit.at, audit.actor, audit.action, detail)
        return Batch(number, questionnaire, len(ids), released)

    async def list_batches(self, questionnaire: str | None = None) -> list[Batch]:
        sql = "SELECT number, questionnaire, count, released FROM batches"
        if questionnaire is None:
            rows = await self._fetch(sql + " ORDER BY number")
        else:
            rows = await self._fetch(
                sql + " WHERE questionnaire = $1 ORDER BY number", questionnaire
            )
        return [Batch(*r) for r in rows]

    async def get_batch(self, number: int) -> Batch | None:
        rows = await self._fetch(
            "SELECT number, questionnaire, count, released FROM batches WHERE number = $1", number
        )
        return Batch(*rows[0]) if rows else None

    async def waiting_count(self, questionnaire: str) -> int:
        rows = await self._fetch(
            "SELECT count(*) FROM responses WHERE questionnaire = $1 AND batch IS NULL",
            questionnaire,
        )
        return int(rows[0][0])

    # -- audit -------------------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> None:
        with self._guard("writing the audit log"):
            await self._require_pool().execute(_AUDIT_INSERT, *_audit_args(entry))

    async def audit_entries(self, limit: int = 200, before: int | None = None) -> list[AuditEntry]:
        rows = await self._fetch(
            "SELECT id, at, actor, action, detail FROM audit WHERE id < $1"
            " ORDER BY id DESC LIMIT $2",
            before if before is not None else 2**62,
            limit,
        )
        return [AuditEntry(r[1], r[2], r[3], r[4], r[0]) for r in rows]

    # -- released rows (blocking, for worker threads) ----------------------------------------

    def iter_released(
        self, questionnaire: str, batches: Sequence[int], shuffle: bool = True
    ) -> Iterator[ReleasedRow]:
        if not batches:
            return
        # Callers iterate in a worker thread, or in the CLI with no event loop at all: asyncpg
        # gets a private loop on its own thread and a connection of its own, and this thread
        # waits on each step. A server-side cursor keeps memory flat; ORDER BY random() sorts
        # on the server (spilling to disk when large) so the order says nothing of arrival.
        order = " ORDER BY random()" if shuffle else ""
        sql = (
            "SELECT version, received, batch, answers, language FROM responses"
            f" WHERE questionnaire = $1 AND batch = ANY($2::int[]){order}"
        )
        with _LoopThread() as loop, self._guard("reading released rows"):
            conn = loop.run(asyncpg.connect(self.url))
            try:
                loop.run(conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                cursor = loop.run(_cursor(conn, sql, questionnaire, list(batches)))
                while chunk := loop.run(cursor.fetch(_CHUNK)):
                    for version, received, batch, answers, language in chunk:
                        yield ReleasedRow(version, received, batch, bytes(answers), language)
            finally:
                loop.run(conn.close())


async def _cursor(conn: asyncpg.Connection, sql: str, *args: object) -> Any:
    return await conn.cursor(sql, *args)


class _LoopThread:
    """An event loop running on a daemon thread, driven from a blocking caller."""

    def __enter__(self) -> _LoopThread:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        return self

    def run(self, step: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await step

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result()

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()
