"""PostgreSQL backend (asyncpg): a pooled store shared by several app instances, group commit."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator, Sequence

import asyncpg

from survey_service.store import NewResponse, Outcome, StoredVersion, StoreUnavailable, migrations
from survey_service.store.group_commit import GroupCommitter
from survey_service.store.inspector_postgres import InspectorPostgresMixin
from survey_service.store.review_postgres import ReviewPostgresMixin

log = logging.getLogger(__name__)

# Any instance that starts takes this lock before it looks at the schema, so two instances
# starting together apply each migration once. The number is arbitrary but fixed ("Surv").
MIGRATION_LOCK = 0x53757276

COMPACT_LOCK = 0x436F6D70  # "Comp": one instance compacts at a time
COMMAND_TIMEOUT = 30.0  # seconds for any one statement
VACUUM_TIMEOUT = 3600.0  # the daily purge's VACUUM may take long on a large table

# What "the database cannot serve us right now" looks like: server errors (including a
# constraint a whole group trips over), a closed or broken connection, a refused or timed-out
# connect. All of it reaches callers as StoreUnavailable, so the app answers 503 + Retry-After.
_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)

_INSERT = """
INSERT INTO responses (id, questionnaire, version, received, answers, content_hash, eligible,
    record_key, language)
SELECT * FROM unnest(
    $1::text[], $2::text[], $3::int[], $4::text[], $5::bytea[], $6::text[], $7::text[],
    $8::int[], $9::text[]
)
ORDER BY 1
ON CONFLICT (id) DO NOTHING
RETURNING id
"""


@contextlib.contextmanager
def _unavailable(what: str) -> Iterator[None]:
    try:
        yield
    except _FAILURES as exc:
        # The type only: server messages can quote the values of the row that failed.
        log.error("%s failed: %s", what, type(exc).__name__)
        raise StoreUnavailable(type(exc).__name__) from exc


class PostgresStore(InspectorPostgresMixin, ReviewPostgresMixin):
    def __init__(self, url: str, pool_size: int = 10):
        self.url, self.pool_size = url, pool_size
        self._pool: asyncpg.Pool | None = None
        self._writes = GroupCommitter("postgres-writer", self._commit_rows)

    # -- lifecycle ---------------------------------------------------------------------------

    async def open(self) -> None:
        with _unavailable("connecting to PostgreSQL"):
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                # A stuck server becomes a 503 the phone retries, not a request that hangs.
                command_timeout=COMMAND_TIMEOUT,
                # A 201 means committed and flushed, whatever the server's default says.
                server_settings={"synchronous_commit": "on", "application_name": "survey_service"},
            )
            try:
                await _migrate(self._pool)
            except BaseException:
                await self._pool.close()
                self._pool = None
                raise
        self._writes.start()

    async def close(self) -> None:
        """Commit what is queued, answer its callers, then close the pool."""
        await self._writes.stop()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # -- questionnaire versions --------------------------------------------------------------

    async def published_versions(self) -> list[StoredVersion]:
        rows = await self._fetch(
            "SELECT questionnaire, version, content, content_hash, retired"
            " FROM questionnaire_versions ORDER BY questionnaire, version"
        )
        return [StoredVersion(r[0], r[1], bytes(r[2]), r[3], r[4]) for r in rows]

    async def publish_version(self, version: StoredVersion) -> StoredVersion:
        with _unavailable("publishing a version"):
            async with self._require_pool().acquire() as conn, conn.transaction():
                await conn.execute(
                    "INSERT INTO questionnaire_versions"
                    " (questionnaire, version, content, content_hash) VALUES ($1, $2, $3, $4)"
                    " ON CONFLICT DO NOTHING",
                    version.questionnaire,
                    version.version,
                    version.content,
                    version.content_hash,
                )
                # A new statement sees whatever another instance committed first (READ
                # COMMITTED), so the caller compares against the shared record.
                r = await conn.fetchrow(
                    "SELECT questionnaire, version, content, content_hash, retired"
                    " FROM questionnaire_versions WHERE questionnaire = $1 AND version = $2",
                    version.questionnaire,
                    version.version,
                )
        assert r is not None
        return StoredVersion(r[0], r[1], bytes(r[2]), r[3], r[4])

    async def set_retired(self, questionnaire: str, version: int, retired: bool) -> bool:
        with _unavailable("retiring a version"):
            status = await self._require_pool().execute(
                "UPDATE questionnaire_versions SET retired = $1"
                " WHERE questionnaire = $2 AND version = $3",
                retired,
                questionnaire,
                version,
            )
        return status != "UPDATE 0"

    async def retired_versions(self) -> set[tuple[str, int]]:
        rows = await self._fetch(
            "SELECT questionnaire, version FROM questionnaire_versions WHERE retired"
        )
        return {(r[0], r[1]) for r in rows}

    # -- responses ---------------------------------------------------------------------------

    async def response_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = await self._fetch(
            "SELECT id, content_hash FROM responses WHERE id = ANY($1::text[])", list(ids)
        )
        return {r[0]: r[1] for r in rows}

    async def add_responses(self, rows: Sequence[NewResponse]) -> list[Outcome]:
        return await self._writes.add(rows)

    async def count_responses(self, questionnaire: str | None = None) -> int:
        if questionnaire is None:
            rows = await self._fetch("SELECT count(*) FROM responses")
        else:
            rows = await self._fetch(
                "SELECT count(*) FROM responses WHERE questionnaire = $1", questionnaire
            )
        return int(rows[0][0])

    async def purge_responses(self, received_before: dt.date) -> int:
        year, week, _ = received_before.isocalendar()
        with _unavailable("purging responses"):
            pool = self._require_pool()
            async with pool.acquire() as conn, conn.transaction():
                status = await conn.execute(
                    # Labels are 'YYYY-MM-DD' or 'YYYY-Www' (SURVEY_DATE_PRECISION); each sorts
                    # as text in the C collation, whatever the database's own collation is.
                    "DELETE FROM responses WHERE"
                    " (received ~ '^[0-9]{4}-[0-9]' AND received < $1 COLLATE \"C\")"
                    " OR (received ~ '^[0-9]{4}-W' AND received < $2 COLLATE \"C\")",
                    received_before.isoformat(),
                    f"{year}-W{week:02d}",
                )
                if int(status.split()[-1]):
                    # As in SQLite: every release is stale until worked out again.
                    await conn.execute(
                        "UPDATE release_state SET generation = generation + 1, basis = ''"
                    )
            # Dead rows stay readable in the table's pages until vacuumed; VACUUM (not FULL,
            # which would lock out ingest on every instance) frees them for reuse now.
            await pool.execute("VACUUM responses", timeout=VACUUM_TIMEOUT)
            # Their reviewed texts went with them (ON DELETE CASCADE): free those pages too.
            await pool.execute("VACUUM text_reviews", timeout=VACUUM_TIMEOUT)
        return int(status.split()[-1])

    async def flush_log(self, patience: float = 60.0) -> bool:  # noqa: ARG002 (the protocol's)
        # The server's WAL is beyond an application's reach (CHECKPOINT needs a superuser):
        # docs/operations.md says so; nothing to do here, so nothing to wait for.
        return True

    async def compact(self) -> bool:
        """CLUSTER rewrites the table in primary-key order: the heap otherwise keeps rows in
        arrival order. It locks the table while it runs, so one instance does it at a time
        and the others skip (an advisory try-lock)."""
        with _unavailable("compacting"):
            async with self._require_pool().acquire() as conn:
                if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", COMPACT_LOCK):
                    return True
                try:
                    await conn.execute(
                        "CLUSTER responses USING responses_pkey", timeout=VACUUM_TIMEOUT
                    )
                finally:
                    await conn.execute("SELECT pg_advisory_unlock($1)", COMPACT_LOCK)
        return True

    # -- the writer --------------------------------------------------------------------------

    async def _commit_rows(self, rows: list[NewResponse]) -> list[Outcome]:
        with _unavailable(f"storing {len(rows)} responses"):
            return await self._insert(rows)

    async def _insert(self, rows: list[NewResponse]) -> list[Outcome]:
        first: dict[str, NewResponse] = {}
        for row in rows:
            first.setdefault(row.id, row)
        # Sorted by id: two instances inserting overlapping groups take the unique-index
        # locks in the same order, so they wait for each other instead of deadlocking.
        fresh = sorted(first.values(), key=lambda r: r.id)
        async with self._require_pool().acquire() as conn, conn.transaction():
            inserted = {
                r[0]
                for r in await conn.fetch(
                    _INSERT,
                    [r.id for r in fresh],
                    [r.questionnaire for r in fresh],
                    [r.version for r in fresh],
                    [r.received for r in fresh],
                    [r.answers for r in fresh],
                    [r.content_hash for r in fresh],
                    [r.eligible for r in fresh],
                    [r.record_key for r in fresh],
                    [r.language for r in fresh],
                )
            }
            # ON CONFLICT waited for any other transaction holding the same id to finish, and
            # this new statement sees what it committed: compare against that.
            others = [i for i in first if i not in inserted]
            stored: dict[str, str] = {}
            if others:
                found = await conn.fetch(
                    "SELECT id, content_hash FROM responses WHERE id = ANY($1::text[])", others
                )
                stored = {r[0]: r[1] for r in found}
            if len(stored) != len(others):
                # Purged between the two statements: rare; the client's retry settles it.
                raise asyncpg.InterfaceError("a conflicting response vanished; retry")
        outcomes: list[Outcome] = []
        for row in rows:
            if row.id in inserted:
                inserted.discard(row.id)  # accepted once; later copies compare below
                outcomes.append("accepted")
                continue
            known = stored.get(row.id) or first[row.id].content_hash
            outcomes.append("duplicate" if known == row.content_hash else "conflict")
        return outcomes

    # -- reads -------------------------------------------------------------------------------

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        with _unavailable("reading"):
            return list(await self._require_pool().fetch(sql, *args))

    def _guard(self, what: str) -> contextlib.AbstractContextManager[None]:
        return _unavailable(what)

    def _require_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreUnavailable("the store is not open")
        return self._pool


async def _migrate(pool: asyncpg.Pool) -> None:
    """Apply missing migrations in one transaction, under an advisory lock held until commit."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_on TEXT NOT NULL)"
        )
        done = {r[0] for r in await conn.fetch("SELECT number FROM schema_migrations")}
        for number, name, sql in migrations.load("postgresql"):
            if number in done:
                continue
            log.info("applying migration %s", name)
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO schema_migrations VALUES ($1, $2, CURRENT_DATE::text)", number, name
            )
