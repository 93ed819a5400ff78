"""Rule 12: responses older than the retention period are purged, daily and on request (ICO
storage limitation principle: keep personal data no longer than needed)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from survey_service import audit, batches, periods
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


async def purge(
    store: Store, today: dt.date, retention_days: int, release: ReleaseOptions | None = None
) -> int:
    removed = await store.purge_responses(cutoff(today, retention_days))
    log.info("retention purge removed %d responses older than %d days", removed, retention_days)
    if removed:  # rule 9: purges appear in the inspectors' audit log
        await audit.record(
            store, "(retention)", "purge", f"{removed} responses older than {retention_days} days"
        )
        if release is not None:
            await _reprotect(store, release, today)
    return removed


async def _reprotect(store: Store, release: ReleaseOptions, today: dt.date) -> None:
    """The release still holds decisions and counts made with the purged rows: work it out
    again now, so nothing of them outlives the purge (and a class that shrank below k is
    hidden further)."""
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
    """Run once at start-up, then every 24 hours, for as long as the service runs."""
    while True:
        try:
            await purge(store, today(), settings.retention_days, settings.release)
        except Exception as exc:  # a failed purge is retried tomorrow, never crashes the service
            log.error("retention purge failed: %s", type(exc).__name__)
        await asyncio.sleep(DAY_SECONDS)
