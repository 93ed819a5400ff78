"""Backups: a consistent copy of the live database, and checked restores of one."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

from survey_service.ops import file_modes

REQUIRED_TABLES = {"schema_migrations", "questionnaire_versions", "responses"}


class BackupError(RuntimeError):
    pass


def backup(database: Path, target: Path) -> int:
    """Copy `database` to `target` with VACUUM INTO: one consistent snapshot even while the
    service writes, never a torn file, and written in key order (the online backup API
    copied pages as they lay, in the order responses arrived: rule 3). The file is 0600
    whatever the umask. Returns the response count."""
    if not database.exists():
        raise BackupError(f"{database} does not exist: nothing to back up")
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # VACUUM INTO writes into an empty file that exists, keeping its mode.
    file_modes.private_file(partial)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, isolation_level=None)
    try:
        source.execute("VACUUM INTO ?", (str(partial),))  # a rollback-journal file, one piece
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed: {exc}") from None
    finally:
        source.close()
    count = check(partial)
    partial.rename(target)
    return count


def check(path: Path) -> int:
    """Raise BackupError unless `path` is an intact survey database; return its response count."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened: {exc}") from None
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"{path} fails SQLite's integrity check: {result}")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = REQUIRED_TABLES - tables
        if missing:
            raise BackupError(f"{path} is not a survey database (no {', '.join(sorted(missing))})")
        return int(conn.execute("SELECT count(*) FROM responses").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from None
    finally:
        conn.close()


def in_use(database: Path) -> bool:
    """True if another process has the database open, even idle: a running service keeps its
    connections, and in WAL mode they share the -shm file, so an exclusive lock cannot be had."""
    if not database.exists():
        return False
    conn = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def restore(source: Path, database: Path, *, force: bool = False) -> tuple[int, Path | None]:
    """Check `source`, keep a safety copy of the current database, then put `source` in its
    place. Stop the service first: a running service keeps its open connection to the old file.
    Returns (responses restored, where the previous database was kept)."""
    count = check(source)
    if not force and in_use(database):
        raise BackupError(
            f"{database} is in use (is the service running?): stop it first, or pass --force"
        )
    kept: Path | None = None
    file_modes.private_folder(database.parent)
    if database.exists():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = database.with_name(f"{database.name}.before-restore-{stamp}")
        backup(database, kept)
    incoming = database.with_name(database.name + ".incoming")
    incoming.unlink(missing_ok=True)
    file_modes.private_file(incoming)
    shutil.copyfile(source, incoming)  # into the private file: its mode stays
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    incoming.replace(database)  # atomic on one filesystem
    return count, kept
