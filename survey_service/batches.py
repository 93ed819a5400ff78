"""Batches (rule 6) and what the inspectors' dashboard shows about each questionnaire."""

from __future__ import annotations

import datetime as dt

import msgspec

from survey_service import auth
from survey_service.questionnaires import Questionnaire, decode_canonical
from survey_service.store import Store
from survey_service.store.inspectors import Batch


class NotEnough(msgspec.Struct, frozen=True):
    waiting: int
    needed: int

    @property
    def message(self) -> str:
        people = "response is" if self.waiting == 1 else "responses are"
        return (
            f"{self.waiting} new {people} waiting; a batch needs at least {self.needed}, so no "
            f"two downloads can differ by one person. Wait for "
            f"{self.needed - self.waiting} more."
        )


class Overview(msgspec.Struct):
    id: str
    title: str
    audience: str
    versions: list[int]
    waiting: int
    released: int
    batches: list[Batch]


async def versions_of(store: Store) -> dict[str, list[Questionnaire]]:
    """Every published version (retired ones too), by questionnaire id, oldest first."""
    found: dict[str, list[Questionnaire]] = {}
    for stored in await store.published_versions():
        found.setdefault(stored.questionnaire, []).append(decode_canonical(stored.content))
    for versions in found.values():
        versions.sort(key=lambda q: q.version)
    return found


async def overview(store: Store) -> list[Overview]:
    out = []
    for qid, versions in sorted((await versions_of(store)).items()):
        batches = await store.list_batches(qid)
        latest = versions[-1]
        out.append(
            Overview(
                id=qid,
                title=latest.title,
                audience=latest.audience,
                versions=[q.version for q in versions],
                waiting=await store.waiting_count(qid),
                released=sum(b.count for b in batches),
                batches=batches,
            )
        )
    return out


async def release(
    store: Store, questionnaire: str, min_batch: int, actor: str
) -> Batch | NotEnough:
    """Release every response not yet in a batch as the next batch, if there are enough."""
    now = auth.now_utc()
    entry = auth.audit(actor, "batch released", "", now)
    result = await store.release_batch(questionnaire, min_batch, _date(now), entry)
    if isinstance(result, int):
        return NotEnough(result, min_batch)
    return result


def _date(moment: dt.datetime) -> str:
    return moment.date().isoformat()
