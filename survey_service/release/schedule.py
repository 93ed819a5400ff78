"""Scheduled releases (SURVEY_RELEASE_SCHEDULE): the service releases every ready response
itself, once a day, week or month, so the moment of a release is nobody's choice (rule 6)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from survey_service.inspector import audit, batches
from survey_service.release import service
from survey_service.release.options import ReleaseOptions
from survey_service.store import Store

log = logging.getLogger(__name__)

ACTOR = "(schedule)"
TICK_SECONDS = 3600  # how often the service looks whether this period's release has run


def period(today: dt.date, schedule: str) -> str | None:
    """The period a release on `today` belongs to; each period has one scheduled release."""
    if schedule == "daily":
        return f"daily {today.isoformat()}"
    if schedule == "weekly":
        year, week, _ = today.isocalendar()
        return f"weekly {year}-W{week:02d}"
    if schedule == "monthly":
        return f"monthly {today.year}-{today.month:02d}"
    return None


async def run_due(store: Store, options: ReleaseOptions, today: dt.date) -> list[str]:
    """This period's releases, if no instance has run them yet: what each questionnaire got."""
    due = period(today, options.schedule)
    if due is None or not await store.claim_scheduled_release(due, audit.stamp(audit.now_utc())):
        return []
    outcomes = []
    for qid, versions in sorted((await batches.versions_of(store)).items()):
        result = await service.release(store, versions, options, ACTOR, today, scheduled=True)
        if isinstance(result, service.Refusal):
            await audit.record(
                store, ACTOR, "scheduled release skipped", f"{qid}: {result.message}"
            )
            outcomes.append(f"{qid}: skipped")
        else:
            outcomes.append(f"{qid}: batch {result.number}")
    return outcomes


async def run_forever(store: Store, options: ReleaseOptions, today: Callable[[], dt.date]) -> None:
    while True:
        try:
            await run_due(store, options, today())
        except Exception as exc:  # a failed release is tried again next period, never a crash
            log.error("scheduled release failed: %s", type(exc).__name__)
        await asyncio.sleep(TICK_SECONDS)
