"""Rule 12: responses older than the retention period are purged, daily and on request (ICO
storage limitation principle: keep personal data no longer than needed)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from survey_service import periods
from survey_service.inspector import audit, batches
from survey_service.release import service
from survey_service.release.options import ReleaseOptions
from survey_service.store import Store

if TYPE_CHECKING:
    from survey_service.settings import Settings

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 60 * 60


def cutoff(today: dt.date, retention_days: int) -> dt.date:
    """Responses received before this date are past retention."""
    return today - dt.timedelta(days=retention_days)


# How long a purge waits for long reads (an export) to let the log be flushed.
CHECKPOINT_PATIENCE = 120.0
RETRY_SECONDS = 3600.0


class PurgeReport(msgspec.Struct, frozen=True):
    removed: int
    clean: bool  # False: old pages may still hold purged answers until the next flush


async def purge(
    store: Store,
    today: dt.date,
    retention_days: int,
    release: ReleaseOptions | None = None,
    patience: float | None = None,
) -> PurgeReport:
    removed = await store.purge_responses(cutoff(today, retention_days))
    if removed and release is not None:
        await _reprotect(store, release, today)
    wait = CHECKPOINT_PATIENCE if patience is None else patience
    # Checked, not assumed: a reader's snapshot keeps the log from being copied over the
    # purged pages, and until then they stay readable in the database file.
    clean = await store.flush_log(wait)
    log.info("retention purge removed %d responses older than %d days", removed, retention_days)
    if not clean:
        log.warning("purged pages could not be overwritten yet: a long read held them")
    if removed or not clean:  # rule 9: purges appear in the inspectors' audit log
        detail = f"{removed} responses older than {retention_days} days"
        if not clean:
            detail += "; their old pages could not be overwritten yet (a long read), retried"
        await audit.record(store, "(retention)", "purge", detail)
    return PurgeReport(removed, clean)


async def _reprotect(store: Store, release: ReleaseOptions, today: dt.date) -> None:
    """The release still holds decisions and counts made with the purged rows: work it out
    again now (before the log is flushed, so their old pages go too), and a mix that shrank
    below k is hidden."""
    released = {b.questionnaire for b in await store.list_batches()}
    if not released:
        return
    for qid, versions in (await batches.versions_of(store)).items():
        if qid in released:
            await service.reprotect(
                store, versions, release, "old responses were purged (retention)", today
            )


async def purge_daily(
    store: Store, settings: Settings, today: Callable[[], dt.date] = periods.utc_today
) -> None:
    """Run once at start-up, then every 24 hours, for as long as the service runs; an hour
    after a purge whose pages could not be overwritten yet."""
    while True:
        wait: float = DAY_SECONDS
        try:
            report = await purge(store, today(), settings.retention_days, settings.release)
            wait = DAY_SECONDS if report.clean else RETRY_SECONDS
        except Exception as exc:  # a failed purge is retried tomorrow, never crashes the service
            log.error("retention purge failed: %s", type(exc).__name__)
        await asyncio.sleep(wait)
