"""Moving up: copy an SQLite deployment into an empty PostgreSQL database, then check counts."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg

from survey_service.store import migrations
from survey_service.store.postgres import PostgresStore
from survey_service.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)

# Every table that holds the deployment's data, parents before children (foreign keys).
# schema_migrations is not copied: each side records its own dialect's migrations.
TABLES = (
    "questionnaire_versions",
    "responses",
    "inspectors",
    "credentials",
    "login_failures",
    "batches",
    "audit",
    "release_state",
    "release_decisions",
    "release_cells",
    "batch_revisions",
    "scheduled_releases",
    "maintenance",
    "text_review_batches",
    "text_reviews",
)

_CHUNK = 5000  # rows read from SQLite and sent with COPY at a time


class TransferError(RuntimeError):
    pass


async def sqlite_to_postgres(sqlite_path: Path, url: str) -> dict[str, int]:
    """Copy every table in one PostgreSQL transaction; returns the row count per table.
    Refuses a target that holds any data. Stop the SQLite service first."""
    # The migrate command's own loop, which nothing else shares: a stat blocks no one.
    if not sqlite_path.exists():  # noqa: ASYNC240
        raise TransferError(f"{sqlite_path} does not exist: nothing to copy")
    if [n for n, _, _ in migrations.load("sqlite")] != [
        n for n, _, _ in migrations.load("postgresql")
    ]:
        raise TransferError("the PostgreSQL migrations lag behind SQLite's: update the service")
    # Opening each store brings its schema up to the newest migration.
    for store in (SQLiteStore(sqlite_path), PostgresStore(url, pool_size=2)):
        await store.open()
        await store.close()

    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True, isolation_level=None)
    target = await asyncpg.connect(url)
    try:
        source.execute("BEGIN")  # one snapshot of every table
        async with target.transaction():
            # No instance writes while we copy, and the emptiness check below stays true.
            await target.execute(f"LOCK TABLE {', '.join(TABLES)} IN EXCLUSIVE MODE")
            for table in TABLES:
                if await target.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                    raise TransferError(
                        f"the PostgreSQL database already holds {table}: "
                        "migrate copies into an empty database only"
                    )
            counts = {}
            for table in TABLES:
                counts[table] = await _copy_table(source, target, table)
                log.info("copied %d rows of %s", counts[table], table)
            await _advance_identities(target)
    finally:
        source.close()
        await target.close()
    return counts


async def _copy_table(source: sqlite3.Connection, target: asyncpg.Connection, table: str) -> int:
    types = {
        r[0]: r[1]
        for r in await target.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1",
            table,
        )
    }
    columns = [r[1] for r in source.execute(f"PRAGMA table_info({table})")]
    missing = [c for c in columns if c not in types]
    if missing:
        raise TransferError(f"PostgreSQL's {table} has no column {', '.join(missing)}")
    convert = [_CONVERT.get(types[c], _same) for c in columns]
    cursor = source.execute(f"SELECT {', '.join(columns)} FROM {table}")
    copied = 0
    for chunk in _chunks(cursor):
        records = [
            tuple(None if v is None else f(v) for f, v in zip(convert, r, strict=True))
            for r in chunk
        ]
        await target.copy_records_to_table(table, records=records, columns=columns)
        copied += len(records)
    expected = source.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    stored = await target.fetchval(f"SELECT count(*) FROM {table}")
    if not copied == expected == stored:
        raise TransferError(f"{table}: {expected} rows in SQLite but {stored} copied")
    return int(stored)


async def _advance_identities(target: asyncpg.Connection) -> None:
    """Rows came with their numbers (batches, audit entries): the next number follows them."""
    for table, column in await target.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ):
        await target.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
            f" coalesce(max({column}), 0) + 1, false) FROM {table}"
        )


def _chunks(cursor: sqlite3.Cursor) -> Iterator[list[Any]]:
    while chunk := cursor.fetchmany(_CHUNK):
        yield chunk


def _same(value: Any) -> Any:
    return value


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "boolean": bool,  # SQLite keeps flags as 0/1
    "bytea": bytes,
    "integer": int,
    "bigint": int,
    "text": str,
}
