"""Reviewing free text in the store, on both backends (SQLite on disk, PostgreSQL): the reviewer
role, the review queue under random handles, decisions applied to released rows, quotes, and
a purge that takes a response's reviews with it."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import msgspec
import test_store as two_backends
from test_store import OpenStore, audit, row

from survey_service.store import Store
from survey_service.store.inspector import Batch, Inspector
from survey_service.store.reviews import Review
from tests.support.releases import cut_batch

# The store suite's fixtures: every test here runs on SQLite and on PostgreSQL.
backend_settings = two_backends.backend_settings
new_store = two_backends.new_store
store = two_backends.store

TEXTS = ["story", "note"]


def answered(**answers: object) -> bytes:
    return msgspec.json.encode(answers)


async def released(store: Store, *answers: bytes, received: str = "2026-11-25") -> Batch:
    await store.add_responses(
        [msgspec.structs.replace(row(answers=a), received=received) for a in answers]
    )
    batch = await cut_batch(store, "demo")
    assert isinstance(batch, Batch)
    return batch


async def rows_of(store: Store, batch: Batch) -> list[dict[str, object]]:
    rows = await asyncio.to_thread(list, store.iter_released("demo", [batch.number]))
    decode = msgspec.json.decode
    return [{**decode(r.answers), "@reviewed": decode(r.reviewed or "{}")} for r in rows]


async def test_released_text_joins_the_queue_once_under_random_handles(store: Store):
    first = await released(
        store,
        answered(q="yes", story="Jessica helped me", note="ok"),
        answered(q="no", story="", note=None),  # blank and null: nothing to review
        answered(q="no", story="It was fine"),
    )
    assert await store.text_counts("demo") == {}  # nothing is queued before it is asked
    assert await store.queue_texts("demo", TEXTS) == 3
    assert await store.queue_texts("demo", TEXTS) == 0  # a batch joins the queue once
    assert await store.text_counts("demo") == {first.number: {"waiting": 3}}
    waiting = await store.texts_to_review("demo", 10)
    assert sorted((t.question, t.text) for t in waiting) == [
        ("note", "ok"),
        ("story", "It was fine"),
        ("story", "Jessica helped me"),
    ]
    # A handle is random: not the response id, nothing shared between one response's texts.
    handles = [t.handle for t in waiting]
    assert all(re.fullmatch(r"[0-9a-f]{32}", h) for h in handles)
    assert len(set(handles)) == 3
    assert len({h[:8] for h in handles}) == 3
    assert await store.texts_to_review("demo", 1) != []
    assert len(await store.texts_to_review("demo", 1)) == 1
    # Until it is reviewed, no row carries any of it as shown text.
    assert all(r["@reviewed"] == {} for r in await rows_of(store, first))

    second = await released(store, answered(q="yes", story="Second batch"))
    assert await store.queue_texts("demo", TEXTS) == 1
    assert (await store.text_counts("demo"))[second.number] == {"waiting": 1}


async def test_concurrent_queueing_queues_each_text_once(store: Store, new_store: OpenStore):
    await released(store, *[answered(story=f"text {n}") for n in range(20)])
    other = new_store()
    await other.open()
    try:
        added = await asyncio.gather(
            store.queue_texts("demo", TEXTS), other.queue_texts("demo", TEXTS)
        )
    finally:
        await other.close()
    assert sorted(added) == [0, 20]


async def test_a_decision_is_made_once_and_every_released_row_shows_it(store: Store):
    batch = await released(
        store,
        answered(q="yes", story="Karen Jones helped me", note="kind"),
        answered(q="no", story="Ask for Jessica at the chip shop"),
    )
    await store.queue_texts("demo", TEXTS)
    texts = {t.text: t for t in await store.texts_to_review("demo", 10)}
    karen, jessica, kind = (
        texts["Karen Jones helped me"],
        texts["Ask for Jessica at the chip shop"],
        texts["kind"],
    )
    approve = Review("approved", "[redacted] helped me", quotable=True)
    assert await store.save_review("demo", karen.handle, approve, audit("text reviewed", "1"))
    # Decided already (say, by another reviewer at the same moment): nothing changes.
    withhold = Review("withheld", None)
    assert not await store.save_review("demo", karen.handle, withhold, audit("text reviewed"))
    assert not await store.save_review("other", kind.handle, withhold, audit("text reviewed"))
    assert await store.save_review("demo", jessica.handle, withhold, audit("text reviewed"))
    assert await store.text_counts("demo") == {
        batch.number: {"approved": 1, "withheld": 1, "waiting": 1}
    }
    shown = sorted((r["q"], r["@reviewed"]) for r in await rows_of(store, batch))
    assert shown == [("no", {}), ("yes", {"story": "[redacted] helped me"})]
    # The review page reads a decided text with its decision; the waiting list leaves it out.
    again = await store.text_to_review("demo", karen.handle)
    assert again is not None
    assert (again.state, again.reviewed) == ("approved", approve.text)
    assert [t.handle for t in await store.texts_to_review("demo", 10)] == [kind.handle]
    assert await store.text_to_review("other", karen.handle) is None

    quotes = await store.quotes("demo")
    assert [(q.question, q.text, q.batch) for q in quotes] == [
        ("story", "[redacted] helped me", batch.number)
    ]
    assert not await store.set_quotable("demo", jessica.handle, True, audit("quote"))
    assert await store.set_quotable("demo", karen.handle, False, audit("quote"))
    assert await store.quotes("demo") == []
    # Approved and not quotable: a reviewer may still mark it.
    could = await store.texts_to_review("demo", 10, "approved")
    assert [t.handle for t in could] == [karen.handle]
    actions = [e.action for e in await store.audit_entries()]
    assert actions[:4] == ["quote", "text reviewed", "text reviewed", "batch released"]


async def test_a_purge_takes_the_reviews_and_quotes_of_its_responses(store: Store):
    await released(store, answered(story="old words"), received="2025-01-01")
    await store.queue_texts("demo", TEXTS)
    (old,) = await store.texts_to_review("demo", 10)
    kept = Review("approved", "old words", quotable=True)
    assert await store.save_review("demo", old.handle, kept, audit("text reviewed"))
    assert len(await store.quotes("demo")) == 1
    assert await store.purge_responses(dt.date(2026, 1, 1)) == 1
    assert await store.quotes("demo") == []
    assert await store.text_counts("demo") == {}
    assert await store.text_to_review("demo", old.handle) is None


async def test_the_reviewer_role_is_given_and_taken_with_an_audit_entry(store: Store):
    ines = Inspector("ines", "argon2-hash", False, "2026-11-25T09:00:00Z")
    assert await store.add_inspector(ines, audit("add"))
    assert (await store.get_inspector("ines")).reviewer is False
    assert await store.set_reviewer("ines", True, audit("reviewer role given", "ines"))
    assert (await store.get_inspector("ines")).reviewer is True
    assert [i.reviewer for i in await store.list_inspectors()] == [True]
    assert await store.set_reviewer("ines", False, audit("reviewer role taken", "ines"))
    assert (await store.get_inspector("ines")).reviewer is False
    assert not await store.set_reviewer("nobody", True, audit("reviewer role given"))
    actions = [e.action for e in await store.audit_entries()]
    assert actions == ["reviewer role taken", "reviewer role given", "add"]
