"""The storage engine's own ceiling for batch ingest (issue 17, item 13): the rows the service
stored in the same `make bench` run, inserted again straight into SQLite, with the service's
schema, pragmas and INSERT statement, one statement per transaction as its group commit
does, on one thread, with no HTTP, no checking and no event loop. The batch endpoint's rate is
reported as a ratio to this.

The service's group sizes vary (it merges whatever batches wait); the ceiling is the best of
several transaction sizes, so the ratio can only be understated, never flattered.

Two other layouts are measured beside it, for the record of why the layout is what it is
(rule 3: no arrival order in any column; compaction clears it from the pages later)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from pathlib import Path

import msgspec

from survey_service.store import sqlite as service_sqlite

GROUP_SIZES = (500, 1000, 2000)
# The columns _INSERT takes: id, questionnaire, version, received, answers, content_hash,
# eligible, record_key, language.
Stored = tuple[str, str, int, str, str, str, str, int, str | None]


def stored_rows(database: Path) -> list[Stored]:
    """What the service stored, in a random order: its ids are random, so the keys come in
    the same kind of order as they came to the service."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return [
            (r[0], r[1], r[2], r[3], bytes(r[4]).decode(), r[5], r[6], r[7], r[8])
            for r in conn.execute(
                "SELECT id, questionnaire, version, received, answers, content_hash, eligible,"
                " record_key, language FROM responses ORDER BY random()"
            )
        ]
    finally:
        conn.close()


class Commits:
    """How many times other processes commit to a database while this is open: a thread
    reads `PRAGMA data_version` (it changes whenever another connection commits) every
    millisecond. The service's groups commit tens of milliseconds apart; two commits within
    one look count as one, and a checkpoint is not a commit, so the count can only be low
    (and the mean transaction size worked out from it only high: a higher ceiling)."""

    def __init__(self, database: Path, every: float = 0.001):
        self.database, self.every, self.count = database, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> Commits:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        try:
            last = conn.execute("PRAGMA data_version").fetchone()[0]
            while not self._stop.wait(self.every):
                now = conn.execute("PRAGMA data_version").fetchone()[0]
                if now != last:
                    self.count, last = self.count + 1, now
        finally:
            conn.close()


def count(database: Path) -> int:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM responses").fetchone()[0])
    finally:
        conn.close()


def _fresh(folder: Path, versions: list[tuple[str, int, bytes, str]]) -> Path:
    """A new database made by the service's own store: the same migrations, the same file."""
    path = folder / "survey.sqlite3"

    async def make() -> None:
        store = service_sqlite.SQLiteStore(path)
        await store.open()
        await store.close()

    asyncio.run(make())
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO questionnaire_versions (questionnaire, version, content, content_hash)"
            " VALUES (?, ?, ?, ?)",
            versions,
        )
    return path


def _writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (*service_sqlite._PRAGMAS, *service_sqlite._role_pragmas(False)):
        conn.execute(pragma).fetchall()
    return conn


def versions_of(database: Path) -> list[tuple[str, int, bytes, str]]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return list(
            conn.execute(
                "SELECT questionnaire, version, content, content_hash FROM questionnaire_versions"
            )
        )
    finally:
        conn.close()


def ceiling(rows: list[Stored], folder: Path, group: int, versions: list) -> float:
    """Rows/s inserting `rows` in transactions of `group`, exactly as the writer does."""
    folder.mkdir(parents=True)
    conn = _writer(_fresh(folder, versions))
    encode = msgspec.json.Encoder().encode
    chunks = [encode(rows[i : i + group]) for i in range(0, len(rows), group)]
    os.sync()  # what earlier runs left for the disk is written now, not during this one
    try:
        started = time.perf_counter()
        for chunk in chunks:
            conn.execute(service_sqlite._INSERT, (chunk,)).close()
        took = time.perf_counter() - started
    finally:
        conn.close()
    return len(rows) / took


# -- layouts the service does not use, measured for comparison ---------------------------------

_ROWID_TABLE = """
CREATE TABLE responses (
    rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, questionnaire TEXT NOT NULL,
    version INTEGER NOT NULL, received TEXT NOT NULL, answers BLOB NOT NULL,
    content_hash TEXT NOT NULL, batch INTEGER, eligible TEXT NOT NULL,
    record_key INTEGER NOT NULL, language TEXT
)
"""


def other_layout(rows: list[Stored], folder: Path, group: int, random_rowid: bool) -> float:
    """A rowid table with a unique index on the id: rowids given in arrival order (what
    SQLite does by itself: an order in a column, until a compaction renumbers them) or drawn
    at random (no order, but two b-trees written at random places per row)."""
    folder.mkdir(parents=True)
    path = folder / "layout.sqlite3"
    conn = _writer(path)
    conn.execute(_ROWID_TABLE)
    rowid = "abs(random())" if random_rowid else "NULL"
    insert = (
        "INSERT INTO responses (rid, id, questionnaire, version, received, answers,"
        f" content_hash, eligible, record_key, language) SELECT {rowid}, value ->> 0,"
        " value ->> 1, value ->> 2, value ->> 3, CAST(value ->> 4 AS BLOB), value ->> 5,"
        " value ->> 6, value ->> 7, value ->> 8 FROM json_each(?) WHERE true"
        " ON CONFLICT DO NOTHING"
    )
    encode = msgspec.json.Encoder().encode
    chunks = [encode(rows[i : i + group]) for i in range(0, len(rows), group)]
    try:
        started = time.perf_counter()
        for chunk in chunks:
            conn.execute(insert, (chunk,)).close()
        took = time.perf_counter() - started
    finally:
        conn.close()
    return len(rows) / took
