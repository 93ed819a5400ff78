"""SQLite backend: WAL, synchronous=FULL, one writer task that group-commits, readers beside it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import msgspec

from survey_service.ops import file_modes
from survey_service.store import NewResponse, Outcome, StoredVersion, StoreUnavailable, migrations
from survey_service.store.group_commit import GroupCommitter, OnThread
from survey_service.store.inspector_sqlite import InspectorSQLMixin
from survey_service.store.review_sqlite import ReviewSQLMixin

log = logging.getLogger(__name__)

READERS = 2
WRITER_CACHE_KIB = 64 * 1024
# Pages the WAL may hold before a commit copies them into the database file. SQLite's 1000
# (4 MiB) meant a checkpoint every few groups under load, each rewriting pages the next
# groups dirtied again (ids are random, so inserts touch pages all over the table). 4000
# (16 MiB) copies each page once for several commits: faster batch ingest with no worse
# single-response latency (see bench/).
WAL_CHECKPOINT_PAGES = 4000
_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit
_RELEASES_STALE = "UPDATE release_state SET generation = generation + 1, basis = ''"

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # FULL: a commit is on disk (WAL fsynced) before we acknowledge; a 201 survives a crash.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    # Deleted rows (retention) are overwritten, not left readable in free pages.
    "PRAGMA secure_delete=ON",
)


class _Job:
    """Any other write: runs alone in its own transaction, in queue order."""

    __slots__ = ("fn", "future", "transaction")

    def __init__(self, fn: WriteFn[Any], future: asyncio.Future[Any], transaction: bool):
        self.fn, self.future, self.transaction = fn, future, transaction


T = TypeVar("T")
WriteFn = Callable[[aiosqlite.Connection], Awaitable[T]]


class SQLiteStore(InspectorSQLMixin, ReviewSQLMixin):
    def __init__(self, path: str | Path, busy_timeout_ms: int = 5000):
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._writer: aiosqlite.Connection | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._next_reader = itertools.cycle(range(READERS))
        on_thread = OnThread(self._on_writer_thread, _commit_group, self._commit_failed)
        self._writes = GroupCommitter("sqlite-writer", on_thread, self._run_job)

    # -- lifecycle ---------------------------------------------------------------------------

    async def open(self) -> None:
        # aiosqlite's debug log prints each call with its parameters, i.e. respondents'
        # answers: it must never be on, whatever level the rest of the service logs at.
        logging.getLogger("aiosqlite").setLevel(logging.WARNING)
        # Every response, the password hashes and the audit log: the owner's eyes only.
        file_modes.private_folder(self.path.parent)
        file_modes.private_file(self.path)
        for suffix in ("-wal", "-shm"):
            file_modes.tighten_if_present(self.path.with_name(self.path.name + suffix))
        try:
            self._writer = await _connect(self.path, self.busy_timeout_ms)
            for _ in range(READERS):
                self._readers.append(await _connect(self.path, self.busy_timeout_ms, readonly=True))
        except BaseException:
            # Each connection runs a thread that keeps the process alive: a failed start
            # must close the ones it opened, or the service hangs instead of exiting.
            for conn in [*self._readers, self._writer]:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            self._readers, self._writer = [], None
            raise
        self._writes.start()

    async def close(self) -> None:
        """Commit what is queued, answer its callers, then close."""
        await self._writes.stop()
        for conn in [*self._readers, self._writer]:
            if conn is not None:
                await conn.close()
        self._readers, self._writer = [], None

    # -- questionnaire versions --------------------------------------------------------------

    async def published_versions(self) -> list[StoredVersion]:
        rows = await self._read(
            "SELECT questionnaire, version, content, content_hash, retired"
            " FROM questionnaire_versions ORDER BY questionnaire, version"
        )
        return [StoredVersion(r[0], r[1], bytes(r[2]), r[3], bool(r[4])) for r in rows]

    async def publish_version(self, version: StoredVersion) -> StoredVersion:
        async def run(conn: aiosqlite.Connection) -> StoredVersion:
            await conn.execute(
                "INSERT INTO questionnaire_versions"
                " (questionnaire, version, content, content_hash)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (version.questionnaire, version.version, version.content, version.content_hash),
            )
            # The record as stored, whoever stored it first: the caller compares against it.
            async with conn.execute(
                "SELECT questionnaire, version, content, content_hash, retired"
                " FROM questionnaire_versions WHERE questionnaire = ? AND version = ?",
                (version.questionnaire, version.version),
            ) as cursor:
                r = await cursor.fetchone()
            assert r is not None
            return StoredVersion(r[0], r[1], bytes(r[2]), r[3], bool(r[4]))

        return await self.write(run)

    async def set_retired(self, questionnaire: str, version: int, retired: bool) -> bool:
        changed = await self._execute_write(
            "UPDATE questionnaire_versions SET retired = ? WHERE questionnaire = ? AND version = ?",
            (int(retired), questionnaire, version),
        )
        return changed > 0

    async def purge_responses(self, received_before: dt.date) -> int:
        day = received_before.isoformat()
        year, week, _ = received_before.isocalendar()

        async def run(conn: aiosqlite.Connection) -> int:
            async with conn.execute(
                # Labels are 'YYYY-MM-DD' or 'YYYY-Www' (SURVEY_DATE_PRECISION); each sorts as
                # text.
                "DELETE FROM responses WHERE (received GLOB '[0-9][0-9][0-9][0-9]-[0-9]*' AND"
                " received < ?) OR (received GLOB '*-W*' AND received < ?)",
                (day, f"{year}-W{week:02d}"),
            ) as cursor:
                deleted = cursor.rowcount
            if deleted:
                # The release's decisions and counts still describe the purged rows: mark every
                # release stale (a release in flight is refused), to be worked out again.
                await conn.execute(_RELEASES_STALE)
            return deleted

        deleted = await self.write(run)
        # secure_delete zeroes the freed pages in the log; flush_log (retention.purge calls
        # it) copies them over the old ones in the main file and empties the log.
        return deleted

    async def flush_log(self, patience: float = 60.0) -> bool:
        deadline = time.monotonic() + patience
        pause = 0.05
        while True:
            busy, frames, copied = await self.write(_try_checkpoint, transaction=False)
            if not busy and frames <= 0:  # TRUNCATE answers (0, 0, 0) once the log is empty
                return True
            # A reader's snapshot still needs pages the log would overwrite: wait off the
            # writer (responses keep being stored meanwhile) and try again.
            if time.monotonic() + pause > deadline:
                log.warning("the log could not be emptied: %d of %d frames copied", copied, frames)
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)

    async def compact(self, patience: float = 60.0) -> bool:
        await self.write(_vacuum, transaction=False)
        return await self.flush_log(patience)

    async def retired_versions(self) -> set[tuple[str, int]]:
        rows = await self._read(
            "SELECT questionnaire, version FROM questionnaire_versions WHERE retired = 1"
        )
        return {(r[0], r[1]) for r in rows}

    # -- responses ---------------------------------------------------------------------------

    async def response_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        try:
            return await _hashes_on(self._readers[next(self._next_reader)], list(ids))
        except sqlite3.Error as exc:
            raise _unavailable(exc) from exc

    async def add_responses(self, rows: Sequence[NewResponse]) -> list[Outcome]:
        return await self._writes.add(rows)

    async def count_responses(self, questionnaire: str | None = None) -> int:
        if questionnaire is None:
            rows = await self._read("SELECT count(*) FROM responses")
        else:
            rows = await self._read(
                "SELECT count(*) FROM responses WHERE questionnaire = ?", (questionnaire,)
            )
        return int(rows[0][0])

    # -- the writer --------------------------------------------------------------------------

    async def _run_job(self, job: _Job) -> None:
        try:
            conn = await self._writer_connection()
            if job.transaction:
                await conn.execute("BEGIN IMMEDIATE")
            result = await job.fn(conn)
            if job.transaction:
                await conn.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            log.error("a write failed: %s", _error_name(exc))
            await self._recover(exc)
            if not job.future.done():
                job.future.set_exception(_unavailable(exc))
            return
        except Exception as exc:  # a bug in the job, or a connection gone: report, keep writing
            log.error("a write failed: %s", _error_name(exc))
            await self._recover(exc)
            if not job.future.done():
                job.future.set_exception(exc)
            return
        if not job.future.done():
            job.future.set_result(result)

    async def _commit_failed(self, exc: Exception) -> Exception:
        """After a group failed: nobody in it hears "accepted"; the writer is made fit again."""
        log.error("storing responses failed: %s", _error_name(exc))
        await self._recover(exc)
        return _unavailable(exc)

    async def _recover(self, exc: BaseException) -> None:
        """Leave the writer ready for the next write: roll back whatever the failed transaction
        left, and if the connection itself is suspect (read-only, I/O error, a rollback that did
        not take), drop it so the next write reconnects. Locked and full need no reconnect: the
        next group simply tries again."""
        conn = self._writer
        if conn is None:
            return
        with contextlib.suppress(Exception):
            await conn.execute("ROLLBACK")
        transient = getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_FULL")
        if transient and not conn.in_transaction:
            return
        self._writer = None
        with contextlib.suppress(Exception):
            await conn.close()

    async def _writer_connection(self) -> aiosqlite.Connection:
        if self._writer is None:
            self._writer = await _connect(self.path, self.busy_timeout_ms)
        return self._writer

    async def _on_writer_thread(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = await self._writer_connection()
        # On the connection's own thread (aiosqlite's _execute runs a function there): the
        # group committer's trip goes from commit to commit without a hop back to the loop.
        # aiosqlite leaves its private _execute unannotated; fn fixes what it returns.
        result: T = await conn._execute(fn, conn._conn)  # type: ignore[no-untyped-call]
        return result

    async def write(self, fn: WriteFn[T], transaction: bool = True) -> T:
        """Run fn(connection) on the single writer, in queue order, in its own transaction
        (or none, for statements such as checkpoints that cannot run inside one)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._writes.put_job(_Job(fn, future, transaction))
        return await future

    async def _execute_write(self, sql: str, params: Sequence[object]) -> int:
        async def run(conn: aiosqlite.Connection) -> int:
            # Closed here, not whenever the cursor is collected: an open statement on the
            # writer makes a later checkpoint fail with "database table is locked".
            async with conn.execute(sql, params) as cursor:
                return cursor.rowcount

        return await self.write(run)

    async def _read(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        conn = self._readers[next(self._next_reader)] if self._readers else self._require_writer()
        try:
            async with conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.Error as exc:
            raise _unavailable(exc) from exc

    def _require_writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise StoreUnavailable("the store is not open")
        return self._writer


async def _try_checkpoint(conn: aiosqlite.Connection) -> tuple[int, int, int]:
    """One TRUNCATE checkpoint that does not wait for readers (the writer must not sit in a
    busy handler while responses queue): (busy, frames in the log, frames copied)."""
    async with conn.execute("PRAGMA busy_timeout") as cursor:
        (waits,) = await cursor.fetchone() or (5000,)
    try:
        async with conn.execute("PRAGMA busy_timeout=0") as cursor:
            await cursor.fetchall()
        # Read its result row and close: a statement left unfinished on the writer makes
        # every later COMMIT fail with "SQL statements in progress".
        async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
    finally:
        async with conn.execute(f"PRAGMA busy_timeout={int(waits)}") as cursor:
            await cursor.fetchall()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


async def _vacuum(conn: aiosqlite.Connection) -> None:
    """VACUUM copies each table into a new file in key order (measured: a WITHOUT ROWID
    table's overflow pages then ascend with the random ids), writing through the log."""
    async with conn.execute("VACUUM") as cursor:
        await cursor.fetchall()


def _unavailable(exc: BaseException) -> StoreUnavailable:
    # The type says what went wrong (full, locked, read-only) without any of the data.
    return StoreUnavailable(f"{type(exc).__name__}: {exc}"[:200])


def _error_name(exc: BaseException) -> str:
    # The SQLite code (SQLITE_FULL, SQLITE_BUSY, ...) says what happened without any data.
    return getattr(exc, "sqlite_errorname", None) or type(exc).__name__


async def _connect(
    path: Path, busy_timeout_ms: int = 5000, readonly: bool = False
) -> aiosqlite.Connection:
    """A reader, or the writer: migrated, with its temporary table and trigger (after the
    migrations, which create the table the trigger watches)."""
    # isolation_level=None: no implicit transactions; a group is one statement, a job says
    # BEGIN and COMMIT itself.
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in (
            *_PRAGMAS,
            *_role_pragmas(readonly),
            f"PRAGMA busy_timeout={int(busy_timeout_ms)}",
        ):
            async with conn.execute(pragma) as cursor:  # finished and closed, as above
                await cursor.fetchall()
        if not readonly:
            await _migrate(conn)
            await _set_up_writer(conn)
    except BaseException:
        await conn.close()  # its thread would keep the process alive
        raise
    return conn


async def _set_up_writer(conn: aiosqlite.Connection) -> None:
    """The writer's temporary table and trigger (see _insert_group)."""
    for sql in _WRITER_SETUP:
        async with conn.execute(sql) as cursor:  # finished and closed, as in _connect
            await cursor.fetchall()


def _role_pragmas(readonly: bool) -> tuple[str, ...]:
    if readonly:
        return ("PRAGMA query_only=ON",)
    # Responses are keyed by random ids, so each insert lands on a random page: with
    # SQLite's default 2 MiB cache most of them are read back in first. 64 MiB keeps a few
    # hundred thousand responses' pages in memory (faster inserts at that size; see bench/).
    # temp_store: the ids _insert_group notes in its temporary table stay in memory.
    return (
        f"PRAGMA cache_size=-{WRITER_CACHE_KIB}",
        "PRAGMA temp_store=MEMORY",
        f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}",
    )


def _commit_group(conn: sqlite3.Connection, rows: list[NewResponse]) -> list[Outcome]:
    return _insert_group(conn, rows)  # looked up at each call, so a test can wrap it


_INSERT = (
    "INSERT INTO responses (id, questionnaire, version, received, answers, content_hash,"
    " eligible, record_key, language)"
    " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, CAST(value ->> 4 AS BLOB),"
    " value ->> 5, value ->> 6, value ->> 7, value ->> 8 FROM json_each(?) WHERE true"
    " ON CONFLICT (id) DO NOTHING"
)
# On the writer only: while an INSERT skips ids already stored, a temporary trigger notes
# each one with its stored hash, so the group's outcomes need no lookup of their own.
_WRITER_SETUP = (
    "CREATE TEMP TABLE IF NOT EXISTS already_stored"
    " (id TEXT PRIMARY KEY, content_hash TEXT NOT NULL)",
    "CREATE TEMP TRIGGER IF NOT EXISTS note_already_stored BEFORE INSERT ON main.responses"
    " BEGIN INSERT OR IGNORE INTO already_stored"
    " SELECT id, content_hash FROM main.responses WHERE id = NEW.id; END",
)
_TAKE_ALREADY_STORED = "DELETE FROM already_stored RETURNING id, content_hash"
_encode = msgspec.json.Encoder().encode


def _insert_group(conn: sqlite3.Connection, rows: list[NewResponse]) -> list[Outcome]:
    """On the writer's thread: the group in one INSERT, which is its own transaction and has
    committed when it returns.

    Why one statement: the sqlite3 module lets go of the GIL around each call into SQLite
    and must then wait for the event loop's thread to give it back. A BEGIN, a lookup, an
    INSERT per row and a COMMIT waited for it about 20 times per group, and the writer spent
    more time waiting than writing (measured under 64 connections).
    """
    first: dict[str, int] = {}  # each id's first place in the group
    for i, row in enumerate(rows):
        first.setdefault(row.id, i)
    fresh = [
        (r.id, r.questionnaire, r.version, r.received, r.answers.decode(), r.content_hash,
         r.eligible, r.record_key, r.language)
        for r in (rows[i] for i in first.values())
    ]  # fmt: skip
    cursor = conn.execute(_INSERT, (_encode(fresh),))
    stored: dict[str, str] = {}
    if cursor.rowcount != len(fresh):  # some ids were here before this group
        stored = dict(conn.execute(_TAKE_ALREADY_STORED).fetchall())
    cursor.close()
    outcomes: list[Outcome] = []
    for i, row in enumerate(rows):
        earlier = stored.get(row.id)
        if earlier is None and first[row.id] != i:  # repeated within this group
            earlier = rows[first[row.id]].content_hash
        if earlier is None:
            outcomes.append("accepted")
        else:
            outcomes.append("duplicate" if earlier == row.content_hash else "conflict")
    return outcomes


async def _hashes_on(conn: aiosqlite.Connection, ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(
            f"SELECT id, content_hash FROM responses WHERE id IN ({marks})", chunk
        ) as cursor:
            found.update((r[0], r[1]) for r in await cursor.fetchall())
    return found


async def _migrate(conn: aiosqlite.Connection) -> None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_on TEXT NOT NULL)"
    )
    async with conn.execute("SELECT number FROM schema_migrations") as cursor:
        done = {r[0] async for r in cursor}
    for number, name, sql in migrations.load("sqlite"):
        if number in done:
            continue
        log.info("applying migration %s", name)
        # One script, one transaction: a migration is applied whole or not at all.
        await conn.executescript(
            f"BEGIN IMMEDIATE;\n{sql}\n"
            f"INSERT INTO schema_migrations VALUES ({number}, '{name}', date('now'));\nCOMMIT;"
        )


def maintenance_readonly(path: Path) -> dict[str, str]:
    """task -> when it last finished, read without opening a store (which would migrate the
    file and change its mode): for `survey-service doctor`."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0]: r[1] for r in conn.execute("SELECT task, last_done FROM maintenance")}
    except sqlite3.OperationalError:  # a database from before migration 0005
        return {}
    finally:
        conn.close()
