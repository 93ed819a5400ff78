"""Rule 12: responses older than the retention period are purged, daily and on request (ICO
storage limitation principle: keep personal data no longer than needed)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from survey_service import audit
from survey_service.store import Store

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 60 * 60


def cutoff(today: dt.date, retention_days: int) -> dt.date:
    """Responses received before this date are past retention."""
    return today - dt.timedelta(days=retention_days)


async def purge(store: Store, today: dt.date, retention_days: int) -> int:
    removed = await store.purge_responses(cutoff(today, retention_days))
    log.info("retention purge removed %d responses older than %d days", removed, retention_days)
    if removed:  # rule 9: purges appear in the inspectors' audit log
        await audit.record(
            store, "(retention)", "purge", f"{removed} responses older than {retention_days} days"
        )
    return removed


async def purge_daily(store: Store, retention_days: int) -> None:
    """Run once at start-up, then every 24 hours, for as long as the service runs."""
    while True:
        try:
            await purge(store, dt.datetime.now(dt.UTC).date(), retention_days)
        except Exception as exc:  # a failed purge is retried tomorrow, never crashes the service
            log.error("retention purge failed: %s", type(exc).__name__)
        await asyncio.sleep(DAY_SECONDS)
