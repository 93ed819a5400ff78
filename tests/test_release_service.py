"""Releasing (rule 6) through the service on a real SQLite file: what a release holds back and
records, schedules, a release that fails half way, a purge or a raised k that makes the
release be worked out again, and files that say when an earlier batch changed."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest

from survey_service.export import downloads
from survey_service.inspector import batches
from survey_service.ops import retention
from survey_service.questionnaires import canonical_bytes, content_hash
from survey_service.release import schedule, service
from survey_service.release.options import ReleaseOptions
from survey_service.store import NewResponse, StoredVersion, StoreUnavailable
from survey_service.store.sqlite import SQLiteStore
from tests.support.intruder_data import YOUNG

TODAY = dt.date(2026, 11, 30)
OPTIONS = ReleaseOptions(k=5, min_batch=10, delay_days=7)


@pytest.fixture
async def store(tmp_path: Path):
    s = SQLiteStore(tmp_path / "survey.sqlite3")
    await s.open()
    await s.publish_version(
        StoredVersion(YOUNG.id, YOUNG.version, canonical_bytes(YOUNG), content_hash(YOUNG))
    )
    yield s
    await s.close()


def answer(received: str, eligible: str, **answers: Any) -> NewResponse:
    body = msgspec.json.encode(answers or {"age_band": "14_15", "gender": "girl"})
    rid = str(uuid.uuid4())
    return NewResponse(rid, YOUNG.id, 1, received, body, rid, eligible, int(rid[:2], 16))


async def test_a_release_takes_what_is_ready_and_records_what_it_held_back(store):
    ready = [answer("2026-11-20", "2026-11-29") for _ in range(12)]
    later = [answer("2026-11-29", "2026-12-04") for _ in range(3)]
    await store.add_responses(ready + later)
    batch = await service.release(store, [YOUNG], OPTIONS, "amira", TODAY)
    assert not isinstance(batch, service.Refusal)
    assert batch.count == 12
    entry = (await store.audit_entries())[0]
    assert entry.action == "batch released"
    assert entry.actor == "amira"
    assert "12 responses" in entry.detail
    assert "held back (not ready yet): fewer than 10" in entry.detail
    waiting = await service.waiting(store, YOUNG.id, OPTIONS, TODAY)
    assert waiting == service.Waiting(False, "fewer than 10", "none", "manual")
    again = await service.release(store, [YOUNG], OPTIONS, "amira", TODAY)
    assert isinstance(again, service.Refusal)
    assert again.reason == "not ready"


async def test_a_release_that_fails_half_way_leaves_no_batch(store, monkeypatch):
    await store.add_responses([answer("2026-11-20", "2026-11-29") for _ in range(12)])
    real = store.commit_release

    async def broken(questionnaire: str, commit: Any) -> Any:
        # The decisions cannot be stored: the whole transaction must roll back.
        bad = msgspec.structs.replace(commit, decisions=[*commit.decisions, commit.decisions[0]])
        return await real(questionnaire, bad)

    monkeypatch.setattr(store, "commit_release", broken)
    with pytest.raises(StoreUnavailable):
        await service.release(store, [YOUNG], OPTIONS, "amira", TODAY)
    assert await store.list_batches(YOUNG.id) == []
    assert await store.waiting_counts(YOUNG.id, TODAY.isoformat()) == (12, 12)
    assert (await store.release_basis(YOUNG.id)).decisions == []
    monkeypatch.setattr(store, "commit_release", real)
    assert not isinstance(
        await service.release(store, [YOUNG], OPTIONS, "a", TODAY), service.Refusal
    )


async def test_a_scheduled_service_releases_once_a_period_and_inspectors_cannot(store, tmp_path):
    weekly = msgspec.structs.replace(OPTIONS, schedule="weekly")
    await store.add_responses([answer("2026-11-20", "2026-11-29") for _ in range(12)])
    refused = await service.release(store, [YOUNG], weekly, "amira", TODAY)
    assert isinstance(refused, service.Refusal)
    assert refused.reason == "scheduled"
    other = SQLiteStore(tmp_path / "survey.sqlite3")  # a second instance on the same data
    await other.open()
    try:
        runs = await asyncio.gather(
            schedule.run_due(store, weekly, TODAY), schedule.run_due(other, weekly, TODAY)
        )
    finally:
        await other.close()
    assert sorted(runs) == [[], [f"{YOUNG.id}: batch 1"]]
    assert [b.count for b in await store.list_batches(YOUNG.id)] == [12]
    assert await schedule.run_due(store, weekly, TODAY + dt.timedelta(days=1)) == []  # same week
    nothing = await schedule.run_due(store, weekly, TODAY + dt.timedelta(days=7))
    assert nothing == [f"{YOUNG.id}: skipped"]  # next week: nothing ready, and the log says so
    assert (await store.audit_entries())[0].action == "scheduled release skipped"


def test_schedules_name_their_periods():
    monday = dt.date(2026, 11, 30)
    assert schedule.period(monday, "daily") == "daily 2026-11-30"
    assert schedule.period(monday + dt.timedelta(days=6), "weekly") == "weekly 2026-W49"
    assert schedule.period(monday, "monthly") == "monthly 2026-11"
    assert schedule.period(monday, "manual") is None


async def test_a_purge_works_the_release_out_again_without_the_purged_rows(store):
    old = [answer("2025-10-01", "2025-10-09") for _ in range(6)]
    young = [answer("2026-11-20", "2026-11-29") for _ in range(6)]
    await store.add_responses(old + young)
    assert not isinstance(
        await service.release(store, [YOUNG], OPTIONS, "a", TODAY), service.Refusal
    )
    report = await retention.purge(store, TODAY, 365, OPTIONS, patience=1)
    assert report.removed == 6
    state = await store.release_basis(YOUNG.id)
    assert state.basis
    assert sum(d.rows for d in state.decisions) == 6  # no decision on purged rows
    assert sum(n for _, q, c, n, _ in await store.release_cells(YOUNG.id) if q == "") == 6
    revised = next(e for e in await store.audit_entries() if e.action == "release revised")
    assert "worked out again: old responses were purged" in revised.detail


async def test_raising_k_hides_more_of_an_earlier_batch_and_its_files_say_so(store, tmp_path):
    girls = [answer("2026-11-20", "2026-11-29", age_band="14_15", gender="girl") for _ in range(6)]
    boys = [answer("2026-11-20", "2026-11-29", age_band="16_17", gender="boy") for _ in range(6)]
    await store.add_responses(girls + boys)
    batch = await service.release(store, [YOUNG], OPTIONS, "a", TODAY)
    assert not isinstance(batch, service.Refusal)
    before = await _csv(store, batch, OPTIONS, tmp_path)
    assert before.count("[c]") == 0
    stricter = msgspec.structs.replace(OPTIONS, k=7)
    after = await _csv(store, batch, stricter, tmp_path)  # read: worked out again first
    assert after.count(",[c],[c]") == 12  # age band and gender of every row now hidden
    revisions = await store.batch_revisions(YOUNG.id)
    assert [(r.batch, r.rows) for r in revisions] == [(batch.number, 12)]
    assert "k or the quasi-identifier questions changed" in revisions[0].reason
    notes = await _notes(store, batch, stricter)
    assert f"batch {batch.number}: on {TODAY.isoformat()} its files began to hide 12" in notes


async def _csv(store: Any, batch: Any, options: ReleaseOptions, tmp_path: Path) -> str:
    release = await service.protected(store, [YOUNG], options, TODAY)
    plan = downloads.Plan(YOUNG.id, [batch], "csv", True, "test")
    chunks = await asyncio.to_thread(
        lambda: list(downloads.stream(store, release, plan, tmp_path / "tmp"))
    )
    return b"".join(chunks).decode("utf-8-sig")


async def _notes(store: Any, batch: Any, options: ReleaseOptions) -> str:
    release = await service.protected(store, [YOUNG], options, TODAY)
    plan = downloads.Plan(YOUNG.id, [batch], "json", False, "test")
    return str(dict(downloads._notes(release, plan)))


async def test_the_dashboard_rounds_what_waits(store):
    await store.add_responses([answer("2026-11-29", "2026-12-03") for _ in range(37)])
    (overview,) = await batches.overview(store, OPTIONS, TODAY)
    assert overview.waiting == service.Waiting(False, "about 40", "none", "manual")
    assert [service.about(n) for n in (0, 1, 9, 10, 14, 15, 44, 45)] == [
        "none",
        "fewer than 10",
        "fewer than 10",
        "about 10",
        "about 10",
        "about 20",
        "about 40",
        "about 50",
    ]


async def test_nothing_received_today_is_ever_ready_today():
    from survey_service.respondent.intake import eligible_on

    for delay in (0, 1, 7):
        for draw in range(delay + 1):
            day = eligible_on("2026-11-30", delay, lambda _n, d=draw: d)
            assert day > "2026-11-30"
    assert eligible_on("2026-W48", 0, lambda _n: 0) == "2026-11-30"  # the Monday after the week
