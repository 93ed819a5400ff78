"""Rule 12: responses older than the retention period are purged, daily and on request (ICO
storage limitation principle: keep personal data no longer than needed)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import msgspec

from survey_service import audit
from survey_service.store import Store

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
    store: Store, today: dt.date, retention_days: int, patience: float | None = None
) -> PurgeReport:
    removed = await store.purge_responses(cutoff(today, retention_days))
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


async def purge_daily(store: Store, retention_days: int) -> None:
    """Run once at start-up, then every 24 hours, for as long as the service runs; an hour
    after a purge whose pages could not be overwritten yet."""
    while True:
        wait: float = DAY_SECONDS
        try:
            report = await purge(store, dt.datetime.now(dt.UTC).date(), retention_days)
            wait = DAY_SECONDS if report.clean else RETRY_SECONDS
        except Exception as exc:  # a failed purge is retried tomorrow, never crashes the service
            log.error("retention purge failed: %s", type(exc).__name__)
        await asyncio.sleep(wait)
