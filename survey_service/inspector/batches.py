"""What the inspectors' dashboard shows about each questionnaire: its versions, its batches and
(rounded, rule 6) what is waiting."""

from __future__ import annotations

import datetime as dt

import msgspec

from survey_service.export.layout import Layout
from survey_service.questionnaires import Questionnaire, decode_canonical
from survey_service.release import review, service
from survey_service.release.options import ReleaseOptions
from survey_service.store import Store
from survey_service.store.inspector import Batch


class Overview(msgspec.Struct):
    id: str
    title: str
    audience: str
    versions: list[int]
    waiting: service.Waiting
    released: int
    batches: list[Batch]
    # Free-text answers in released batches that no reviewer has read yet (rule 5): their
    # cells are empty in every file until then. Per batch, and in all.
    texts_waiting: int = 0
    texts_waiting_by_batch: dict[int, int] = {}


async def versions_of(store: Store) -> dict[str, list[Questionnaire]]:
    """Every published version (retired ones too), by questionnaire id, oldest first."""
    found: dict[str, list[Questionnaire]] = {}
    for stored in await store.published_versions():
        found.setdefault(stored.questionnaire, []).append(decode_canonical(stored.content))
    for versions in found.values():
        versions.sort(key=lambda q: q.version)
    return found


async def overview(store: Store, options: ReleaseOptions, today: dt.date) -> list[Overview]:
    out = []
    for qid, versions in sorted((await versions_of(store)).items()):
        batches = await store.list_batches(qid)
        latest = versions[-1]
        texts = await review.waiting(store, Layout(versions))
        out.append(
            Overview(
                id=qid,
                title=latest.title,
                audience=latest.audience,
                versions=[q.version for q in versions],
                waiting=await service.waiting(store, qid, options, today),
                released=sum(b.count for b in batches),
                batches=batches,
                texts_waiting=sum(texts.values()),
                texts_waiting_by_batch=texts,
            )
        )
    return out
