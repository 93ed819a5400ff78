"""PostgreSQL side of the inspectors' store: accounts, credentials, batches, audit, released rows.

Several instances share these tables, so every read-modify-write is one transaction that
locks what it decides on; batch releases are serialised per questionnaire across instances.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

import asyncpg
import msgspec

from survey_service.store.inspector import (
    CONFLICT,
    TOKEN_ID_LENGTH,
    AuditEntry,
    Batch,
    Credential,
    CredentialKind,
    Inspector,
    NewBatch,
    ReleaseBasis,
    ReleaseCommit,
    ReleasedRow,
    ReleaseInput,
    Revision,
    StoredDecision,
    Token,
)

_decode_stamps = msgspec.json.Decoder(list[str]).decode

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # A connection of its own, or one lent by the pool: queries run the same on either.
    Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy

T = TypeVar("T")

# Advisory lock space for batch releases: (this, hash of the questionnaire id).
BATCH_LOCK = 0x42617463  # "Batc"

_INSPECTOR = "SELECT name, password_hash, disabled, created, reviewer FROM inspectors"
# A released row's approved free text, looked up through its id (which stays in here).
_REVIEWED = (
    "SELECT json_object_agg(t.question, t.text)::text FROM text_reviews t"
    " WHERE t.response_id = r.id AND t.state = 'approved'"
)
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
        rows = await self._fetch(_INSPECTOR + " WHERE name = $1", name)
        return Inspector(*rows[0]) if rows else None

    async def list_inspectors(self) -> list[Inspector]:
        return [Inspector(*r) for r in await self._fetch(_INSPECTOR + " ORDER BY name")]

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

    async def set_password(self, name: str, password_hash: str, audit: AuditEntry) -> bool:
        with self._guard("changing a password"):
            async with self._require_pool().acquire() as conn, conn.transaction():
                status = await conn.execute(
                    "UPDATE inspectors SET password_hash = $1 WHERE name = $2", password_hash, name
                )
                if status == "UPDATE 0":
                    return False
                await conn.execute(
                    "DELETE FROM credentials WHERE inspector = $1 AND kind = 'session'", name
                )
                await conn.execute(_AUDIT_INSERT, *_audit_args(audit))
        return True

    # -- credentials -------------------------------------------------------------------------

    async def add_credential(
        self,
        secret_hash: str,
        inspector: str,
        kind: CredentialKind,
        expires: str | None,
        created: str | None = None,
    ) -> None:
        with self._guard("adding a credential"):
            await self._require_pool().execute(
                "INSERT INTO credentials (secret_hash, inspector, kind, expires, created)"
                " VALUES ($1, $2, $3, $4, $5)",
                secret_hash,
                inspector,
                kind,
                expires,
                created,
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

    async def list_tokens(self, inspector: str) -> list[Token]:
        rows = await self._fetch(
            "SELECT left(secret_hash, $1), inspector, created, expires FROM credentials"
            " WHERE inspector = $2 AND kind = 'token' ORDER BY created, secret_hash",
            TOKEN_ID_LENGTH,
            inspector,
        )
        return [Token(*r) for r in rows]

    async def revoke_token(self, inspector: str, token_id: str, audit: AuditEntry) -> bool:
        if len(token_id) != TOKEN_ID_LENGTH:
            return False
        with self._guard("revoking a token"):
            async with self._require_pool().acquire() as conn, conn.transaction():
                found = await conn.fetch(
                    "SELECT secret_hash FROM credentials WHERE inspector = $1"
                    " AND kind = 'token' AND left(secret_hash, $2) = $3 FOR UPDATE",
                    inspector,
                    TOKEN_ID_LENGTH,
                    token_id,
                )
                if len(found) != 1:  # none, or two sharing an id (never seen): name neither
                    return False
                await conn.execute("DELETE FROM credentials WHERE secret_hash = $1", found[0][0])
                await conn.execute(_AUDIT_INSERT, *_audit_args(audit))
        return True

    async def delete_expired_credentials(self, now: str) -> int:
        with self._guard("deleting expired credentials"):
            status = await self._require_pool().execute(
                'DELETE FROM credentials WHERE expires <= $1 COLLATE "C"', now
            )
        return int(status.split()[-1])

    # -- login throttling --------------------------------------------------------------------

    async def count_login_attempt(
        self, name_hash: str, now: str, since: str, limit: int
    ) -> tuple[bool, list[str]]:
        # The name's row is locked (FOR UPDATE) from reading the count to writing it back, so
        # attempts at once on any number of instances are counted one after another.
        with self._guard("counting a sign-in attempt"):
            async with self._require_pool().acquire() as conn, conn.transaction():
                await conn.execute(
                    "INSERT INTO login_failures (name_hash) VALUES ($1) ON CONFLICT DO NOTHING",
                    name_hash,
                )
                recent = await conn.fetchval(
                    "SELECT recent FROM login_failures WHERE name_hash = $1 FOR UPDATE",
                    name_hash,
                )
                earlier = [s for s in _decode_stamps(recent) if s > since]
                allowed = len(earlier) < limit
                kept = [*earlier, now] if allowed else earlier
                await conn.execute(
                    "UPDATE login_failures SET recent = $2 WHERE name_hash = $1",
                    name_hash,
                    msgspec.json.encode(kept).decode(),
                )
        return allowed, earlier

    async def clear_login_failures(self, name_hash: str) -> None:
        with self._guard("clearing failed logins"):
            await self._require_pool().execute(
                "DELETE FROM login_failures WHERE name_hash = $1", name_hash
            )

    # -- scheduled maintenance ---------------------------------------------------------------

    async def maintenance_done(self, task: str) -> str | None:
        rows = await self._fetch("SELECT last_done FROM maintenance WHERE task = $1", task)
        return str(rows[0][0]) if rows else None

    async def note_maintenance(self, task: str, at: str) -> None:
        with self._guard("recording maintenance"):
            await self._require_pool().execute(
                "INSERT INTO maintenance (task, last_done) VALUES ($1, $2)"
                " ON CONFLICT (task) DO UPDATE SET last_done = excluded.last_done",
                task,
                at,
            )

    # -- batches and the release model ------------------------------------------------------

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

    async def waiting_counts(self, questionnaire: str, ready_by: str) -> tuple[int, int]:
        rows = await self._fetch(
            "SELECT count(*), count(*) FILTER (WHERE eligible <= $2) FROM responses"
            " WHERE questionnaire = $1 AND batch IS NULL",
            questionnaire,
            ready_by,
        )
        return int(rows[0][0]), int(rows[0][1])

    async def release_basis(self, questionnaire: str) -> ReleaseBasis:
        state = await self._fetch(
            "SELECT generation, basis FROM release_state WHERE questionnaire = $1", questionnaire
        )
        decisions = await self._fetch(
            "SELECT batch, combo, shown, rows FROM release_decisions WHERE questionnaire = $1",
            questionnaire,
        )
        generation, basis = (state[0][0], state[0][1]) if state else (0, "")
        return ReleaseBasis(
            generation,
            basis.encode(),
            [StoredDecision(r[0], r[1].encode(), r[2].encode(), r[3]) for r in decisions],
        )

    async def commit_release(
        self, questionnaire: str, commit: ReleaseCommit
    ) -> Batch | Literal["conflict"] | None:
        with self._guard("storing a release"):
            async with self._require_pool().acquire() as conn, conn.transaction():
                # Releases of one questionnaire queue here, whichever instance they reach; every
                # check comes before the first write, so a conflict leaves nothing to undo.
                await conn.execute(
                    "SELECT pg_advisory_xact_lock($1, hashtext($2))", BATCH_LOCK, questionnaire
                )
                generation = await conn.fetchval(
                    "SELECT generation FROM release_state WHERE questionnaire = $1", questionnaire
                )
                if (generation or 0) != commit.generation:
                    return CONFLICT
                batch = await _new_batch(conn, questionnaire, commit.new_batch)
                if batch == CONFLICT:
                    return CONFLICT
                assert not isinstance(batch, str)
                await _store_release(conn, questionnaire, commit, batch)
                detail = commit.audit.detail
                if batch is not None:
                    detail = f"batch {batch.number}: {detail}"
                a = commit.audit
                await conn.execute(_AUDIT_INSERT, a.at, a.actor, a.action, detail)
        return batch

    async def release_cells(self, questionnaire: str) -> list[tuple[bytes, str, str, int, int]]:
        rows = await self._fetch(
            "SELECT groups, question, category, count, keysum FROM release_cells"
            " WHERE questionnaire = $1",
            questionnaire,
        )
        return [(r[0].encode(), r[1], r[2], r[3], r[4]) for r in rows]

    async def batch_revisions(self, questionnaire: str) -> list[Revision]:
        rows = await self._fetch(
            "SELECT r.batch, r.revised, r.rows, r.reason FROM batch_revisions r"
            " JOIN batches b ON b.number = r.batch WHERE b.questionnaire = $1"
            " ORDER BY r.revised, r.batch",
            questionnaire,
        )
        return [Revision(*r) for r in rows]

    async def claim_scheduled_release(self, period: str, at: str) -> bool:
        with self._guard("claiming a scheduled release"):
            claimed = await self._require_pool().fetchval(
                "INSERT INTO scheduled_releases (period, at) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING TRUE",
                period,
                at,
            )
        return bool(claimed)

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
            f"SELECT version, received, batch, answers, language, ({_REVIEWED}) FROM responses r"
            f" WHERE questionnaire = $1 AND batch = ANY($2::int[]){order}"
        )
        with _LoopThread() as loop, self._guard("reading released rows"):
            conn = loop.run(asyncpg.connect(self.url))
            try:
                loop.run(conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                cursor = loop.run(_cursor(conn, sql, questionnaire, list(batches)))
                while chunk := loop.run(cursor.fetch(_CHUNK)):
                    for version, received, batch, answers, language, reviewed in chunk:
                        yield ReleasedRow(
                            version, received, batch, bytes(answers), language, reviewed
                        )
            finally:
                loop.run(conn.close())

    def iter_release_inputs(
        self, questionnaire: str, ready_by: str | None
    ) -> Iterator[ReleaseInput]:
        sql = (
            "SELECT batch, version, received, language, answers, record_key FROM responses"
            " WHERE questionnaire = $1 AND (batch IS NOT NULL OR eligible <= $2)"
        )
        with _LoopThread() as loop, self._guard("reading rows for a release"):
            conn = loop.run(asyncpg.connect(self.url))
            try:
                loop.run(conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                cursor = loop.run(_cursor(conn, sql, questionnaire, ready_by or ""))
                while chunk := loop.run(cursor.fetch(_CHUNK)):
                    for batch, version, received, language, answers, key in chunk:
                        yield ReleaseInput(batch, version, received, language, bytes(answers), key)
            finally:
                loop.run(conn.close())


async def _new_batch(
    conn: Conn, questionnaire: str, new: NewBatch | None
) -> Batch | Literal["conflict"] | None:
    """The batch of every waiting row ready by its date, locked against a purge meanwhile;
    CONFLICT (nothing written) when that is not exactly the rows the release worked on."""
    if new is None:
        return None
    ids = [
        r[0]
        for r in await conn.fetch(
            "SELECT id FROM responses WHERE questionnaire = $1 AND batch IS NULL"
            " AND eligible <= $2 FOR UPDATE",
            questionnaire,
            new.ready_by,
        )
    ]
    if len(ids) != new.count:
        return CONFLICT
    number = await conn.fetchval(
        "INSERT INTO batches (questionnaire, count, released) VALUES ($1, $2, $3) RETURNING number",
        questionnaire,
        new.count,
        new.released,
    )
    await conn.execute("UPDATE responses SET batch = $1 WHERE id = ANY($2::text[])", number, ids)
    return Batch(number, questionnaire, new.count, new.released)


async def _store_release(
    conn: Conn, questionnaire: str, commit: ReleaseCommit, batch: Batch | None
) -> None:
    """Replace the questionnaire's decisions and cells, add revisions, move the generation on."""
    number = batch.number if batch else None
    await conn.execute("DELETE FROM release_decisions WHERE questionnaire = $1", questionnaire)
    await conn.copy_records_to_table(
        "release_decisions",
        records=[
            (questionnaire, d.batch or number, d.combo.decode(), d.shown.decode(), d.rows)
            for d in commit.decisions
        ],
        columns=["questionnaire", "batch", "combo", "shown", "rows"],
    )
    await conn.execute("DELETE FROM release_cells WHERE questionnaire = $1", questionnaire)
    await conn.copy_records_to_table(
        "release_cells",
        records=[(questionnaire, g.decode(), q, c, n, k) for g, q, c, n, k in commit.cells],
        columns=["questionnaire", "groups", "question", "category", "count", "keysum"],
    )
    await conn.executemany(
        "INSERT INTO batch_revisions (batch, revised, rows, reason) VALUES ($1, $2, $3, $4)",
        [(r.batch, r.revised, r.rows, r.reason) for r in commit.revisions],
    )
    await conn.execute(
        "INSERT INTO release_state (questionnaire, generation, basis) VALUES ($1, $2, $3)"
        " ON CONFLICT (questionnaire) DO UPDATE SET generation = excluded.generation,"
        " basis = excluded.basis",
        questionnaire,
        commit.generation + 1,
        commit.basis.decode(),
    )


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
