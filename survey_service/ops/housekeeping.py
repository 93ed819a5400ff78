"""Scheduled upkeep while the service runs: compaction in key order (rule 3), and sweeps of
what must not linger (export temp files, expired sessions and tokens, restore safety copies).
The retention purge (rule 12) has its own loop in retention.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path

from survey_service.inspector.audit import now_utc, stamp
from survey_service.ops import file_modes
from survey_service.settings import Settings
from survey_service.store import Store

log = logging.getLogger(__name__)

COMPACTION = "compaction"
RETRY_SECONDS = 3600.0  # after a failed compaction
SWEEP_SECONDS = 15 * 60
# An export writes its temporary files as it goes (xlsxwriter's sheet files, then the
# workbook, which is open while it streams; deleting an open file harms no reader here), so
# one untouched for this long belongs to no running export: a crash left it.
STALE_EXPORT_SECONDS = 15 * 60
SAFETY_COPY_MARK = ".before-restore-"


def seconds_until_due(last_done: str | None, hours: float, now: dt.datetime) -> float:
    if last_done is None:
        return 0.0
    done = dt.datetime.strptime(last_done, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return max(0.0, (done + dt.timedelta(hours=hours) - now).total_seconds())


async def compact_on_schedule(store: Store, settings: Settings) -> None:
    """Compact every SURVEY_COMPACTION_HOURS, counted from the last compaction that finished
    (recorded in the database, so a restart neither skips nor repeats one)."""
    hours = settings.compaction_hours
    if hours <= 0:
        return
    while True:
        try:
            last = await store.maintenance_done(COMPACTION)
            await asyncio.sleep(seconds_until_due(last, hours, dt.datetime.now(dt.UTC)))
            started = time.monotonic()
            emptied = await store.compact()
            await store.note_maintenance(COMPACTION, stamp(now_utc()))
            took = time.monotonic() - started
            if emptied:
                log.info("compacted the database in key order in %.1f s", took)
            else:  # the pages are in key order; the log empties at the next checkpoint
                log.warning("compacted in %.1f s, but a long read kept the log from emptying", took)
        except Exception as exc:  # tried again later; never crashes the service
            log.error("compaction failed: %s", type(exc).__name__)
            await asyncio.sleep(RETRY_SECONDS)


async def sweep_on_schedule(store: Store, settings: Settings) -> None:
    """At start, then every SWEEP_SECONDS."""
    while True:
        try:
            sweep_export_tmp(settings.data_dir / "export-tmp")
            delete_old_safety_copies(settings.database_path, settings.safety_copy_days)
            await forget_expired(store)
        except Exception as exc:
            log.error("housekeeping failed: %s", type(exc).__name__)
        await asyncio.sleep(SWEEP_SECONDS)


def sweep_export_tmp(folder: Path, stale_after: float = STALE_EXPORT_SECONDS) -> int:
    """Delete export temporary files no export is writing (a crash left them): they hold
    released answers that would otherwise escape retention."""
    if not folder.is_dir():
        return 0
    file_modes.private_folder(folder)
    cutoff = time.time() - stale_after
    removed = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # an export finished and removed it meanwhile
            continue
    if removed:
        log.info("removed %d export temporary files left by an earlier run", removed)
    return removed


def delete_old_safety_copies(
    database: Path, days: int, now: dt.datetime | None = None
) -> list[Path]:
    """Delete the copies `restore` keeps of a replaced database once they are `days` old:
    they hold every response of their time and would outlive the retention purge."""
    now = now or dt.datetime.now(dt.UTC)
    gone = []
    for path in database.parent.glob(database.name + SAFETY_COPY_MARK + "*"):
        made = _made(path)
        if made is not None and now - made >= dt.timedelta(days=days):
            path.unlink(missing_ok=True)
            gone.append(path)
            log.info("deleted the restore safety copy %s (older than %d days)", path.name, days)
    return gone


def _made(path: Path) -> dt.datetime | None:
    try:
        when = path.name.rsplit(SAFETY_COPY_MARK, 1)[1][:16]
        return dt.datetime.strptime(when, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except (IndexError, ValueError):
        return None


async def forget_expired(store: Store) -> int:
    """Expired sessions and tokens are deleted, not merely refused."""
    return await store.delete_expired_credentials(stamp(now_utc()))
