"""SQLite side of the inspectors' store: accounts, credentials, batches, audit, released rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterator, Sequence
from itertools import starmap
from pathlib import Path
from typing import Any, Literal, TypeVar

import aiosqlite
import msgspec

from survey_service.store.inspector import (
    CONFLICT,
    TOKEN_ID_LENGTH,
    AuditEntry,
    Batch,
    Credential,
    CredentialKind,
    Inspector,
    ReleaseBasis,
    ReleaseCommit,
    ReleasedRow,
    ReleaseInput,
    Revision,
    StoredDecision,
    Token,
)

_decode_stamps = msgspec.json.Decoder(list[str]).decode

T = TypeVar("T")
_AUDIT_INSERT = "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)"


def _audit_params(entry: AuditEntry) -> tuple[str, str, str, str]:
    return (entry.at, entry.actor, entry.action, entry.detail)


class InspectorSQLMixin:
    """Mixed into SQLiteStore: writes go through its single writer queue (`write`), each in
    its own transaction; reads through its readers (`_read`)."""

    path: Path

    async def _read(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    async def write(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def _statements(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        async def run(conn: aiosqlite.Connection) -> None:
            for sql, params in statements:
                await conn.execute(sql, params)

        await self.write(run)

    # -- accounts ----------------------------------------------------------------------------

    async def add_inspector(self, inspector: Inspector, audit: AuditEntry) -> bool:
        async def run(conn: aiosqlite.Connection) -> bool:
            async with conn.execute(
                "SELECT 1 FROM inspectors WHERE name = ?", (inspector.name,)
            ) as cursor:
                if await cursor.fetchone():
                    return False
            await conn.execute(
                "INSERT INTO inspectors (name, password_hash, disabled, created)"
                " VALUES (?, ?, 0, ?)",
                (inspector.name, inspector.password_hash, inspector.created),
            )
            await conn.execute(_AUDIT_INSERT, _audit_params(audit))
            return True

        return await self.write(run)

    async def get_inspector(self, name: str) -> Inspector | None:
        rows = await self._read(_INSPECTOR + " WHERE name = ?", (name,))
        return _inspector(rows[0]) if rows else None

    async def list_inspectors(self) -> list[Inspector]:
        return [_inspector(r) for r in await self._read(_INSPECTOR + " ORDER BY name")]

    async def set_inspector_disabled(self, name: str, disabled: bool, audit: AuditEntry) -> bool:
        async def run(conn: aiosqlite.Connection) -> bool:
            cursor = await conn.execute(
                "UPDATE inspectors SET disabled = ? WHERE name = ?", (int(disabled), name)
            )
            if cursor.rowcount == 0:
                return False
            if disabled:
                await conn.execute("DELETE FROM credentials WHERE inspector = ?", (name,))
            await conn.execute(_AUDIT_INSERT, _audit_params(audit))
            return True

        return await self.write(run)

    async def set_password(self, name: str, password_hash: str, audit: AuditEntry) -> bool:
        async def run(conn: aiosqlite.Connection) -> bool:
            cursor = await conn.execute(
                "UPDATE inspectors SET password_hash = ? WHERE name = ?", (password_hash, name)
            )
            if cursor.rowcount == 0:
                return False
            await conn.execute(
                "DELETE FROM credentials WHERE inspector = ? AND kind = 'session'", (name,)
            )
            await conn.execute(_AUDIT_INSERT, _audit_params(audit))
            return True

        return await self.write(run)

    # -- credentials -------------------------------------------------------------------------

    async def add_credential(
        self,
        secret_hash: str,
        inspector: str,
        kind: CredentialKind,
        expires: str | None,
        created: str | None = None,
    ) -> None:
        await self._statements(
            [
                (
                    "INSERT INTO credentials (secret_hash, inspector, kind, expires, created)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (secret_hash, inspector, kind, expires, created),
                )
            ]
        )

    async def get_credential(self, secret_hash: str, now: str) -> Credential | None:
        rows = await self._read(
            "SELECT c.inspector, c.kind, c.expires FROM credentials c"
            " JOIN inspectors i ON i.name = c.inspector"
            " WHERE c.secret_hash = ? AND i.disabled = 0"
            " AND (c.expires IS NULL OR c.expires > ?)",
            (secret_hash, now),
        )
        return Credential(rows[0][0], rows[0][1], rows[0][2]) if rows else None

    async def delete_credential(self, secret_hash: str) -> None:
        await self._statements([("DELETE FROM credentials WHERE secret_hash = ?", (secret_hash,))])

    async def list_tokens(self, inspector: str) -> list[Token]:
        rows = await self._read(
            "SELECT substr(secret_hash, 1, ?), inspector, created, expires FROM credentials"
            " WHERE inspector = ? AND kind = 'token' ORDER BY created, secret_hash",
            (TOKEN_ID_LENGTH, inspector),
        )
        return [Token(*r) for r in rows]

    async def revoke_token(self, inspector: str, token_id: str, audit: AuditEntry) -> bool:
        if len(token_id) != TOKEN_ID_LENGTH:
            return False

        async def run(conn: aiosqlite.Connection) -> bool:
            async with conn.execute(
                "SELECT secret_hash FROM credentials WHERE inspector = ? AND kind = 'token'"
                " AND substr(secret_hash, 1, ?) = ?",
                (inspector, TOKEN_ID_LENGTH, token_id),
            ) as cursor:
                found = list(await cursor.fetchall())
            if len(found) != 1:  # none, or two sharing an id (never seen): name neither
                return False
            await conn.execute("DELETE FROM credentials WHERE secret_hash = ?", (found[0][0],))
            await conn.execute(_AUDIT_INSERT, _audit_params(audit))
            return True

        return await self.write(run)

    async def delete_expired_credentials(self, now: str) -> int:
        async def run(conn: aiosqlite.Connection) -> int:
            async with conn.execute("DELETE FROM credentials WHERE expires <= ?", (now,)) as c:
                return c.rowcount

        return await self.write(run)

    # -- login throttling --------------------------------------------------------------------

    async def count_login_attempt(
        self, name_hash: str, now: str, since: str, limit: int
    ) -> tuple[bool, list[str]]:
        # One transaction on the single writer (BEGIN IMMEDIATE, so another process's count
        # waits for it too): attempts at once are each counted, in turn.
        async def run(conn: aiosqlite.Connection) -> tuple[bool, list[str]]:
            async with conn.execute(
                "SELECT recent FROM login_failures WHERE name_hash = ?", (name_hash,)
            ) as cursor:
                row = await cursor.fetchone()
            earlier = [s for s in _decode_stamps(row[0]) if s > since] if row else []
            allowed = len(earlier) < limit
            kept = [*earlier, now] if allowed else earlier
            await conn.execute(
                "INSERT INTO login_failures (name_hash, recent) VALUES (?, ?)"
                " ON CONFLICT (name_hash) DO UPDATE SET recent = excluded.recent",
                (name_hash, msgspec.json.encode(kept).decode()),
            )
            return allowed, earlier

        return await self.write(run)

    async def clear_login_failures(self, name_hash: str) -> None:
        await self._statements([("DELETE FROM login_failures WHERE name_hash = ?", (name_hash,))])

    # -- scheduled maintenance ---------------------------------------------------------------

    async def maintenance_done(self, task: str) -> str | None:
        rows = await self._read("SELECT last_done FROM maintenance WHERE task = ?", (task,))
        return str(rows[0][0]) if rows else None

    async def note_maintenance(self, task: str, at: str) -> None:
        await self._statements(
            [
                (
                    "INSERT INTO maintenance (task, last_done) VALUES (?, ?)"
                    " ON CONFLICT (task) DO UPDATE SET last_done = excluded.last_done",
                    (task, at),
                )
            ]
        )

    # -- batches and the release model ------------------------------------------------------

    async def list_batches(self, questionnaire: str | None = None) -> list[Batch]:
        sql = "SELECT number, questionnaire, count, released FROM batches"
        params: tuple[object, ...] = ()
        if questionnaire is not None:
            sql += " WHERE questionnaire = ?"
            params = (questionnaire,)
        rows = await self._read(sql + " ORDER BY number", params)
        return [Batch(r[0], r[1], r[2], r[3]) for r in rows]

    async def get_batch(self, number: int) -> Batch | None:
        rows = await self._read(
            "SELECT number, questionnaire, count, released FROM batches WHERE number = ?",
            (number,),
        )
        return Batch(rows[0][0], rows[0][1], rows[0][2], rows[0][3]) if rows else None

    async def waiting_counts(self, questionnaire: str, ready_by: str) -> tuple[int, int]:
        rows = await self._read(
            "SELECT count(*), coalesce(sum(eligible <= ?), 0) FROM responses"
            " WHERE questionnaire = ? AND batch IS NULL",
            (ready_by, questionnaire),
        )
        return int(rows[0][0]), int(rows[0][1])

    async def release_basis(self, questionnaire: str) -> ReleaseBasis:
        state = await self._read(
            "SELECT generation, basis FROM release_state WHERE questionnaire = ?", (questionnaire,)
        )
        decisions = await self._read(
            "SELECT batch, combo, shown, rows FROM release_decisions WHERE questionnaire = ?",
            (questionnaire,),
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
        async def run(conn: aiosqlite.Connection) -> Batch | Literal["conflict"] | None:
            # Every check comes before the first write: a conflict leaves nothing to undo.
            if await _one(conn, _GENERATION, (questionnaire,), 0) != commit.generation:
                return CONFLICT
            new = commit.new_batch
            batch = None
            if new is not None:
                ready = await _one(conn, _READY, (questionnaire, new.ready_by), 0)
                if ready != new.count:
                    return CONFLICT
                cursor = await conn.execute(
                    "INSERT INTO batches (questionnaire, count, released) VALUES (?, ?, ?)",
                    (questionnaire, new.count, new.released),
                )
                assert cursor.lastrowid is not None
                batch = Batch(cursor.lastrowid, questionnaire, new.count, new.released)
                # A slice of the ids at a time: SQLite keeps a journal of each statement (in
                # memory on the writer, temp_store=MEMORY); one UPDATE of a million rows held
                # hundreds of MB. Ids are random, so each slice is a 256th of the batch.
                for low, high in _ID_SLICES:
                    await conn.execute(
                        "UPDATE responses SET batch = ? WHERE id >= ? AND id < ?"
                        " AND questionnaire = ? AND batch IS NULL AND eligible <= ?",
                        (batch.number, low, high, questionnaire, new.ready_by),
                    )
            await _store_release(conn, questionnaire, commit, batch)
            detail = (
                f"batch {batch.number}: {commit.audit.detail}" if batch else commit.audit.detail
            )
            await conn.execute(_AUDIT_INSERT, (*_audit_params(commit.audit)[:3], detail))
            return batch

        return await self.write(run)

    async def release_cells(self, questionnaire: str) -> list[tuple[bytes, str, str, int, int]]:
        rows = await self._read(
            "SELECT groups, question, category, count, keysum FROM release_cells"
            " WHERE questionnaire = ?",
            (questionnaire,),
        )
        return [(r[0].encode(), r[1], r[2], r[3], r[4]) for r in rows]

    async def batch_revisions(self, questionnaire: str) -> list[Revision]:
        rows = await self._read(
            "SELECT r.batch, r.revised, r.rows, r.reason FROM batch_revisions r"
            " JOIN batches b ON b.number = r.batch WHERE b.questionnaire = ?"
            " ORDER BY r.revised, r.batch",
            (questionnaire,),
        )
        return [Revision(*r) for r in rows]

    async def claim_scheduled_release(self, period: str, at: str) -> bool:
        async def run(conn: aiosqlite.Connection) -> bool:
            cursor = await conn.execute(
                "INSERT INTO scheduled_releases (period, at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (period, at),
            )
            return cursor.rowcount == 1

        return await self.write(run)

    # -- audit -------------------------------------------------------------------------------

    async def append_audit(self, entry: AuditEntry) -> None:
        await self._statements([(_AUDIT_INSERT, _audit_params(entry))])

    async def audit_entries(self, limit: int = 200, before: int | None = None) -> list[AuditEntry]:
        rows = await self._read(
            "SELECT id, at, actor, action, detail FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before if before is not None else 2**62, limit),
        )
        return [AuditEntry(r[1], r[2], r[3], r[4], r[0]) for r in rows]

    # -- released rows (blocking, for worker threads) ----------------------------------------

    def iter_released(
        self, questionnaire: str, batches: Sequence[int], shuffle: bool = True
    ) -> Iterator[ReleasedRow]:
        if not batches:
            return
        # Its own read-only connection: this runs in worker threads, one step at a time.
        conn = sqlite3.connect(
            f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            marks = ",".join("?" * len(batches))
            # ORDER BY random(): SQLite's sorter spills to temporary files, so memory stays flat
            # and the order carries nothing about arrival (rule 3).
            order = " ORDER BY random()" if shuffle else ""
            cursor = conn.execute(
                "SELECT version, received, batch, answers, language,"
                f" ({_REVIEWED}) FROM responses r"
                f" WHERE questionnaire = ? AND batch IN ({marks}){order}",
                (questionnaire, *batches),
            )
            # Rows come in column order and BLOBs as bytes: ReleasedRow is built in C.
            while chunk := cursor.fetchmany(2000):
                yield from starmap(ReleasedRow, chunk)
        finally:
            conn.close()

    def iter_release_inputs(
        self, questionnaire: str, ready_by: str | None
    ) -> Iterator[ReleaseInput]:
        conn = sqlite3.connect(
            f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            cursor = conn.execute(
                "SELECT batch, version, received, language, answers, record_key FROM responses"
                " WHERE questionnaire = ? AND (batch IS NOT NULL OR eligible <= ?)",
                (questionnaire, ready_by or ""),
            )
            while chunk := cursor.fetchmany(2000):
                yield from starmap(ReleaseInput, chunk)
        finally:
            conn.close()


_INSPECTOR = "SELECT name, password_hash, disabled, created, reviewer FROM inspectors"
# A released row's approved free text, looked up through its id (which stays in here).
_REVIEWED = (
    "SELECT nullif(json_group_object(t.question, t.text), '{}') FROM text_reviews t"
    " WHERE t.response_id = r.id AND t.state = 'approved'"
)


def _inspector(row: sqlite3.Row) -> Inspector:
    return Inspector(row[0], row[1], bool(row[2]), row[3], bool(row[4]))


_GENERATION = "SELECT generation FROM release_state WHERE questionnaire = ?"
# Ranges of response ids (canonical UUIDs: lower-case hex) by their first two characters.
_PREFIXES = [f"{a}{b}" for a in "0123456789abcdef" for b in "0123456789abcdef"]
_ID_SLICES = list(zip(["", *_PREFIXES[1:]], [*_PREFIXES[1:], "~"], strict=True))
_READY = (
    "SELECT count(*) FROM responses WHERE questionnaire = ? AND batch IS NULL AND eligible <= ?"
)


async def _one(conn: aiosqlite.Connection, sql: str, params: Sequence[Any], default: Any) -> Any:
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else default


async def _store_release(
    conn: aiosqlite.Connection, questionnaire: str, commit: ReleaseCommit, batch: Batch | None
) -> None:
    """Replace the questionnaire's decisions and cells, add revisions, move the generation on."""
    new_number = batch.number if batch else None
    await conn.execute("DELETE FROM release_decisions WHERE questionnaire = ?", (questionnaire,))
    await conn.executemany(
        "INSERT INTO release_decisions (questionnaire, batch, combo, shown, rows)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (questionnaire, d.batch or new_number, d.combo.decode(), d.shown.decode(), d.rows)
            for d in commit.decisions
        ],
    )
    await conn.execute("DELETE FROM release_cells WHERE questionnaire = ?", (questionnaire,))
    await conn.executemany(
        "INSERT INTO release_cells (questionnaire, groups, question, category, count, keysum)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(questionnaire, g.decode(), q, c, n, k) for g, q, c, n, k in commit.cells],
    )
    await conn.executemany(
        "INSERT INTO batch_revisions (batch, revised, rows, reason) VALUES (?, ?, ?, ?)",
        [(r.batch, r.revised, r.rows, r.reason) for r in commit.revisions],
    )
    await conn.execute(
        "INSERT INTO release_state (questionnaire, generation, basis) VALUES (?, ?, ?)"
        " ON CONFLICT (questionnaire) DO UPDATE SET generation = excluded.generation,"
        " basis = excluded.basis",
        (questionnaire, commit.generation + 1, commit.basis.decode()),
    )
