"""The store against real storage, one suite for every backend: SQLite on a file on disk and
PostgreSQL on a throwaway server. Migrations, group commit, idempotent inserts."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import msgspec
import pytest

from survey_service.settings import Settings
from survey_service.store import (
    NewResponse,
    Store,
    StoredVersion,
    StoreUnavailable,
    migrations,
    open_store,
)
from survey_service.store.inspector import (
    CONFLICT,
    AuditEntry,
    Batch,
    Credential,
    Inspector,
    NewBatch,
    ReleaseBasis,
    ReleaseCommit,
    Revision,
    StoredDecision,
)
from survey_service.store.sqlite import SQLiteStore
from tests.support.waiting import wait_until_async

BACKENDS = ["sqlite", "postgresql"]

OpenStore = Callable[[], Store]


def row(response_id: str | None = None, answers: bytes = b'{"q":"yes"}') -> NewResponse:
    return NewResponse(
        id=response_id or str(uuid.uuid4()),
        questionnaire="demo",
        version=1,
        received="2026-11-25",
        answers=answers,
        content_hash="h-" + answers.decode(),
        eligible="2026-11-26",
        record_key=17,
    )


@pytest.fixture(params=BACKENDS)
async def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings naming one fresh database of the backend under test."""
    if request.param == "postgresql":
        url = await request.getfixturevalue("pg_cluster").new_database()
        return Settings(data_dir=tmp_path, database_url=url, database_pool_size=4)
    return Settings(data_dir=tmp_path)


@pytest.fixture
async def new_store(backend_settings: Settings) -> AsyncIterator[OpenStore]:
    """Makes stores on the test's one database; two stores stand for two app instances.
    Whatever a test leaves open is closed afterwards."""
    made: list[Store] = []

    def make() -> Store:
        made.append(open_store(backend_settings))
        return made[-1]

    yield make
    for s in made:
        await s.close()


@pytest.fixture
async def store(new_store: OpenStore) -> Store:
    s = new_store()
    await s.open()
    await s.publish_version(StoredVersion("demo", 1, b"{}", "hash1"))
    return s


async def test_the_settings_choose_the_backend(backend_settings: Settings):
    s = open_store(backend_settings)
    expected = "PostgresStore" if backend_settings.database_url else "SQLiteStore"
    assert type(s).__name__ == expected


async def test_opening_twice_applies_nothing_twice(new_store: OpenStore):
    for _ in range(2):
        s = new_store()
        await s.open()
        await s.close()
    reopened = new_store()
    await reopened.open()
    assert await reopened.published_versions() == []


async def test_same_id_is_duplicate_with_same_content_and_conflict_with_other(store: Store):
    first = row()
    same = row(first.id)
    other = row(first.id, answers=b'{"q":"no"}')
    assert await store.add_responses([first]) == ["accepted"]
    assert await store.add_responses([same, other]) == ["duplicate", "conflict"]
    assert await store.count_responses() == 1


async def test_ids_stored_before_mixed_with_new_ones_each_get_their_own_outcome(store: Store):
    # SQLite notes the ids an INSERT skipped while it runs: what it noted for one group
    # must neither be missed nor leak into the next.
    old, changed = row(), row()
    assert await store.add_responses([old, changed]) == ["accepted", "accepted"]
    new = row()
    group = [new, row(old.id), row(changed.id, answers=b'{"q":"no"}'), row(new.id)]
    assert await store.add_responses(group) == ["accepted", "duplicate", "conflict", "duplicate"]
    assert await store.add_responses([row(), row(old.id)]) == ["accepted", "duplicate"]
    assert await store.add_responses([row()]) == ["accepted"]
    assert await store.count_responses() == 5


async def test_the_same_id_twice_in_one_group_is_stored_once(store: Store):
    first = row()
    other = row(first.id, answers=b'{"q":"no"}')
    assert await store.add_responses([first, row(first.id), other]) == [
        "accepted",
        "duplicate",
        "conflict",
    ]
    assert await store.count_responses("demo") == 1


async def test_concurrent_callers_share_transactions_and_each_gets_its_own_outcome(store: Store):
    rows = [row() for _ in range(300)]
    outcomes = await asyncio.gather(*(store.add_responses([r]) for r in rows))
    assert outcomes == [["accepted"]] * 300
    assert await store.count_responses() == 300
    assert await store.response_hashes([r.id for r in rows[:3]]) == {
        r.id: r.content_hash for r in rows[:3]
    }
    assert await store.response_hashes([]) == {}


async def test_other_writes_get_their_turn_while_responses_keep_coming(store: Store):
    # SQLite's writer thread goes on from group to group while responses keep arriving; an
    # inspector's write (here: retiring a version) must still get its turn, and promptly,
    # even when responses never stop waiting.
    stop = asyncio.Event()
    sent: list[asyncio.Future[list[str]]] = []

    async def flood() -> None:
        while not stop.is_set():
            sent.append(asyncio.ensure_future(store.add_responses([row()])))
            await asyncio.sleep(0)

    flooding = asyncio.create_task(flood())
    try:
        await asyncio.sleep(0.1)
        assert await asyncio.wait_for(store.set_retired("demo", 1, True), timeout=5)
        assert not flooding.done()  # responses were still arriving when it ran
    finally:
        stop.set()
        await flooding
    outcomes = await asyncio.gather(*sent)
    assert all(o == ["accepted"] for o in outcomes)
    assert await store.count_responses() == len(sent)


async def test_a_failed_transaction_acknowledges_nothing_and_the_next_one_works(store: Store):
    orphan = NewResponse(
        "6f1c7d3e-0a1b-4c2d-8e3f-9a0b1c2d3e4f", "unknown", 9, "d", b"{}", "h", "d", 0
    )
    good = row()
    # The unknown questionnaire breaks the foreign key, so the whole group rolls back.
    results = await asyncio.gather(
        store.add_responses([orphan]), store.add_responses([good]), return_exceptions=True
    )
    assert all(isinstance(r, StoreUnavailable) for r in results)
    assert await store.count_responses() == 0
    assert await store.add_responses([good]) == ["accepted"]


async def test_close_commits_what_is_queued(store: Store, new_store: OpenStore):
    pending = [asyncio.create_task(store.add_responses([row()])) for _ in range(50)]
    await asyncio.sleep(0)
    await store.close()
    assert [await p for p in pending] == [["accepted"]] * 50
    with pytest.raises(StoreUnavailable):
        await store.add_responses([row()])
    other = new_store()  # as another process would open it
    await other.open()
    assert await other.count_responses() == 50


async def test_versions_are_published_once_and_retired_on_request(store: Store):
    kept = await store.publish_version(StoredVersion("demo", 1, b"{changed}", "hash2"))
    assert kept == StoredVersion("demo", 1, b"{}", "hash1")  # the record as first published
    versions = await store.published_versions()
    assert [(v.questionnaire, v.version, v.content_hash) for v in versions] == [
        ("demo", 1, "hash1")
    ]
    assert await store.set_retired("demo", 1, True)
    assert await store.retired_versions() == {("demo", 1)}
    assert (await store.published_versions())[0].retired
    assert not await store.set_retired("demo", 7, True)


async def test_purge_deletes_what_was_received_before_the_cutoff(store: Store):
    labels = ["2024-01-10", "2024-W02", "2026-11-20", "2026-W47", "2025-11-25", "2025-W48"]
    rows = [row(answers=f'{{"at":"{label}"}}'.encode()) for label in labels]
    rows = [
        msgspec.structs.replace(r, received=label) for r, label in zip(rows, labels, strict=True)
    ]
    await store.add_responses(rows)
    assert await store.purge_responses(dt.date(2025, 11, 25)) == 2
    left = await store.response_hashes([r.id for r in rows])
    assert sorted(left) == sorted(r.id for r in rows[2:])


async def test_two_instances_store_each_id_once(store: Store, new_store: OpenStore):
    """The same responses reach two instances at the same moment (a phone retrying through
    a load balancer): each id is stored once, accepted once, a duplicate everywhere else."""
    other = new_store()
    await other.open()
    rows = [row() for _ in range(40)]
    results = await asyncio.gather(
        *(s.add_responses([r]) for r in rows for s in (store, other)),
        store.add_responses(rows[::-1]),
        other.add_responses(rows),
    )
    per_id: dict[str, list[str]] = {r.id: [] for r in rows}
    for i, outcome in enumerate(results[:-2]):
        per_id[rows[i // 2].id] += outcome
    for r, outcome in zip(rows[::-1], results[-2], strict=True):
        per_id[r.id].append(outcome)
    for r, outcome in zip(rows, results[-1], strict=True):
        per_id[r.id].append(outcome)
    expected = ["accepted", "duplicate", "duplicate", "duplicate"]
    assert [sorted(o) for o in per_id.values()] == [expected] * 40
    assert await store.count_responses() == 40


async def test_two_instances_publishing_together_keep_the_first_record(new_store: OpenStore):
    # Opened one after the other: an SQLite deployment is one process, and PostgreSQL's
    # start-up race is tested on its own (test_postgres.py).
    a, b = new_store(), new_store()
    await a.open()
    await b.open()
    first, second = await asyncio.gather(
        a.publish_version(StoredVersion("demo", 1, b"{a}", "ha")),
        b.publish_version(StoredVersion("demo", 1, b"{b}", "hb")),
    )
    assert first == second  # both compare against the one shared record
    assert await a.published_versions() == [first]


# -- SQLite only: these read the database file directly -------------------------------------


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "survey.sqlite3")
    await s.open()
    await s.publish_version(StoredVersion("demo", 1, b"{}", "hash1"))
    yield s
    await s.close()


def test_sqlite_a_new_file_gets_every_migration_recorded(tmp_path: Path):
    async def open_and_close():
        s = SQLiteStore(tmp_path / "db.sqlite3")
        await s.open()
        await s.close()

    asyncio.run(open_and_close())
    asyncio.run(open_and_close())  # a second start applies nothing twice
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        applied = conn.execute("SELECT number, name FROM schema_migrations").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert applied[0] == (1, "0001_initial.sql")
    assert [n for n, _ in applied] == list(range(1, len(applied) + 1))
    assert mode == "wal"


async def test_sqlite_migration_3_adds_the_language_and_keeps_earlier_rows(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:  # a database as it was before languages
        conn.execute(
            "CREATE TABLE schema_migrations"
            " (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_on TEXT NOT NULL)"
        )
        for number, name, sql in migrations.load("sqlite")[:2]:
            conn.executescript(sql)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, '2026-11-01')", (number, name)
            )
        conn.execute("INSERT INTO questionnaire_versions VALUES ('demo', 1, x'7b7d', 'h', 0)")
        conn.execute(
            "INSERT INTO responses (id, questionnaire, version, received, answers, content_hash)"
            " VALUES ('old', 'demo', 1, '2026-11-02', x'7b7d', 'h')"
        )
    s = SQLiteStore(path)
    await s.open()
    try:
        await s.add_responses([msgspec.structs.replace(row("new"), language="pl")])
    finally:
        await s.close()
    with sqlite3.connect(path) as conn:
        stored = dict(conn.execute("SELECT id, language FROM responses").fetchall())
    assert stored == {"old": None, "new": "pl"}


async def test_sqlite_rows_are_on_disk_when_add_responses_returns(
    sqlite_store: SQLiteStore, tmp_path: Path
):
    first = row()
    assert await sqlite_store.add_responses([first]) == ["accepted"]
    # A separate connection, as another process would open it, sees the committed row.
    with sqlite3.connect(tmp_path / "survey.sqlite3") as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM responses")]
    assert ids == [first.id]


async def test_sqlite_stores_each_field_exactly(sqlite_store: SQLiteStore, tmp_path: Path):
    # A group travels to SQLite as one JSON document: awkward text must come out unchanged.
    texts = ['he said "hi" \\o/', "Dw i'n hoffi \u0175 ac \u00e9 \U0001f600", "tab\there\nline"]
    rows = [
        msgspec.structs.replace(row(answers=msgspec.json.encode({"q": t})), language="cy")
        for t in texts
    ]
    rows.append(row(answers=b'{"n":3,"m":["a","b"]}'))
    assert await sqlite_store.add_responses(rows) == ["accepted"] * 4
    with sqlite3.connect(tmp_path / "survey.sqlite3") as conn:
        stored = conn.execute(
            "SELECT id, questionnaire, version, received, answers, content_hash, language,"
            " typeof(answers), typeof(version) FROM responses"
        ).fetchall()
    expected = [
        (r.id, r.questionnaire, r.version, r.received, r.answers, r.content_hash, r.language)
        for r in rows
    ]
    assert sorted(s[:7] for s in stored) == sorted(expected)
    assert {s[7:] for s in stored} == {("blob", "integer")}


async def test_sqlite_no_time_or_sequence_is_stored(sqlite_store: SQLiteStore, tmp_path: Path):
    await sqlite_store.add_responses([row() for _ in range(3)])
    with sqlite3.connect(tmp_path / "survey.sqlite3") as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(responses)")]
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("SELECT rowid FROM responses")  # WITHOUT ROWID: no arrival order
    assert columns == [
        "id",
        "questionnaire",
        "version",
        "received",
        "answers",
        "content_hash",
        "batch",
        "language",  # issue 9: the questionnaire language chosen, nothing about the device
        "eligible",  # issue 14: a date drawn at intake, never a time
        "record_key",  # issue 14: 0..255, drawn at intake, never exported
    ]


# -- the inspectors' side: accounts, credentials, batches, audit -----------------------------


def audit(action: str = "release", detail: str = "") -> AuditEntry:
    return AuditEntry("2026-11-25T10:00:00Z", "ines", action, detail)


async def test_accounts_credentials_and_login_failures(store: Store):
    ines = Inspector("ines", "argon2-hash", False, "2026-11-25T09:00:00Z")
    assert await store.add_inspector(ines, audit("add"))
    assert not await store.add_inspector(ines, audit("add"))  # the name is taken
    assert await store.get_inspector("ines") == ines
    assert await store.list_inspectors() == [ines]
    await store.add_credential("s1", "ines", "session", "2026-11-25T12:00:00Z")
    await store.add_credential("t1", "ines", "token", None)
    assert await store.get_credential("s1", "2026-11-25T11:00:00Z") == Credential(
        "ines", "session", "2026-11-25T12:00:00Z"
    )
    assert await store.get_credential("s1", "2026-11-25T12:00:01Z") is None  # expired
    await store.delete_credential("s1")
    assert await store.get_credential("s1", "2026-11-25T11:00:00Z") is None
    assert await store.set_inspector_disabled("ines", True, audit("disable"))
    assert await store.get_credential("t1", "2026-11-25T11:00:00Z") is None  # ended
    assert not await store.set_inspector_disabled("nobody", True, audit("disable"))
    assert [e.action for e in await store.audit_entries()] == ["disable", "add"]

    # Failed sign-ins: counted before the password is checked, in a window that decays.
    at = "2026-11-25T10:0{}:00Z".format
    before = "2026-11-25T09:59:59Z"
    assert await store.count_login_attempt("n", at(0), before, 2) == (True, [])
    assert await store.count_login_attempt("n", at(1), before, 2) == (True, [at(0)])
    assert await store.count_login_attempt("n", at(2), before, 2) == (False, [at(0), at(1)])
    # The first attempt leaves the window: one more may be tried, not a whole new allowance.
    assert await store.count_login_attempt("n", at(3), at(0), 2) == (True, [at(1)])
    assert await store.count_login_attempt("n", at(4), at(0), 2) == (False, [at(1), at(3)])
    await store.clear_login_failures("n")
    assert await store.count_login_attempt("n", at(5), before, 2) == (True, [])


async def test_sign_in_attempts_at_once_on_two_instances_are_each_counted(
    store: Store, new_store: OpenStore
):
    """Issue 17, item 1: 20 sign-ins at once were all checked. The store counts each attempt
    atomically before the password is looked at: only the first five get that far."""
    other = new_store()
    await other.open()
    now, since = "2026-11-25T10:00:00Z", "2026-11-25T09:45:00Z"
    results = await asyncio.gather(
        *((store if i % 2 else other).count_login_attempt("name", now, since, 5) for i in range(40))
    )
    assert sum(allowed for allowed, _ in results) == 5
    assert sorted(len(before) for allowed, before in results if allowed) == [0, 1, 2, 3, 4]


async def test_tokens_expire_and_are_listed_and_revoked_one_by_one(store: Store):
    ines = Inspector("ines", "argon2-hash", False, "2026-11-25T09:00:00Z")
    assert await store.add_inspector(ines, audit("add"))
    await store.add_credential(
        "a" * 64, "ines", "token", "2027-01-01T00:00:00Z", "2026-11-25T09:00:00Z"
    )
    await store.add_credential(
        "b" * 64, "ines", "token", "2026-12-01T00:00:00Z", "2026-11-25T09:30:00Z"
    )
    await store.add_credential(
        "c" * 64, "ines", "session", "2026-11-25T12:00:00Z", "2026-11-25T09:00:00Z"
    )
    tokens = await store.list_tokens("ines")
    assert [(t.id, t.created, t.expires) for t in tokens] == [
        ("a" * 12, "2026-11-25T09:00:00Z", "2027-01-01T00:00:00Z"),
        ("b" * 12, "2026-11-25T09:30:00Z", "2026-12-01T00:00:00Z"),
    ]
    assert await store.get_credential("b" * 64, "2026-12-01T00:00:01Z") is None  # expired
    assert not await store.revoke_token("someone", "a" * 12, audit("revoke"))
    assert await store.revoke_token("ines", "a" * 12, audit("revoke"))
    assert not await store.revoke_token("ines", "a" * 12, audit("revoke"))
    assert await store.get_credential("a" * 64, "2026-11-26T00:00:00Z") is None
    assert [t.id for t in await store.list_tokens("ines")] == ["b" * 12]
    # Expired sessions and tokens are deleted, not merely ignored.
    assert await store.delete_expired_credentials("2026-12-02T00:00:00Z") == 2
    assert await store.list_tokens("ines") == []
    assert [e.action for e in await store.audit_entries()][:1] == ["revoke"]


async def test_a_new_password_ends_the_sessions_but_not_the_tokens(store: Store):
    ines = Inspector("ines", "old-hash", False, "2026-11-25T09:00:00Z")
    assert await store.add_inspector(ines, audit("add"))
    await store.add_credential("s" * 64, "ines", "session", "2026-11-25T12:00:00Z", None)
    await store.add_credential("t" * 64, "ines", "token", "2027-01-01T00:00:00Z", None)
    assert await store.set_password("ines", "new-hash", audit("password"))
    assert not await store.set_password("nobody", "new-hash", audit("password"))
    assert (await store.get_inspector("ines")).password_hash == "new-hash"
    assert await store.get_credential("s" * 64, "2026-11-25T10:00:00Z") is None
    assert await store.get_credential("t" * 64, "2026-11-25T10:00:00Z") is not None


async def test_maintenance_is_recorded(store: Store):
    assert await store.maintenance_done("compaction") is None
    await store.note_maintenance("compaction", "2026-11-25T03:00:00Z")
    await store.note_maintenance("compaction", "2026-11-26T03:00:00Z")
    assert await store.maintenance_done("compaction") == "2026-11-26T03:00:00Z"


def commit(
    generation: int,
    count: int | None,
    ready_by: str = "2026-11-26",
    decisions: list[StoredDecision] | None = None,
    cells: list[tuple[bytes, str, str, int, int]] | None = None,
    revisions: list[Revision] | None = None,
) -> ReleaseCommit:
    return ReleaseCommit(
        generation=generation,
        basis=b'{"k":5}',
        new_batch=None if count is None else NewBatch(count, "2026-11-27", ready_by),
        decisions=decisions or [],
        cells=cells or [],
        revisions=revisions or [],
        audit=audit("release", f"{count} responses"),
    )


async def test_a_batch_takes_every_ready_response_once(store: Store):
    await store.add_responses([row() for _ in range(4)])
    later = [msgspec.structs.replace(row(), eligible="2026-12-09") for _ in range(2)]
    await store.add_responses([*later, msgspec.structs.replace(row(), language="pl")])
    assert await store.waiting_counts("demo", "2026-11-26") == (7, 5)
    assert await store.commit_release("demo", commit(0, 4)) == CONFLICT  # not what is ready
    assert await store.release_basis("demo") == ReleaseBasis(0, b"", [])
    decisions = [StoredDecision(None, b'{"@received":"2026-11-25"}', b'{"@received":"x"}', 5)]
    cells = [(b'{"age":"[c]"}', "q", "yes", 5, 600)]
    batch = await store.commit_release("demo", commit(0, 5, decisions=decisions, cells=cells))
    assert isinstance(batch, Batch)
    assert batch.count == 5
    assert await store.waiting_counts("demo", "2026-11-26") == (2, 0)
    assert await store.waiting_counts("demo", "2026-12-09") == (2, 2)
    state = await store.release_basis("demo")
    assert state.generation == 1
    assert state.basis == b'{"k":5}'
    assert state.decisions == [msgspec.structs.replace(decisions[0], batch=batch.number)]
    assert await store.release_cells("demo") == cells
    assert await store.commit_release("demo", commit(0, 0)) == CONFLICT  # generation moved on
    assert await store.list_batches("demo") == [batch] == await store.list_batches()
    assert await store.get_batch(batch.number) == batch
    assert await store.get_batch(batch.number + 1) is None
    assert (await store.audit_entries())[0].detail == f"batch {batch.number}: 5 responses"
    rows = await asyncio.to_thread(list, store.iter_released("demo", [batch.number]))
    assert len(rows) == 5
    assert {r.batch for r in rows} == {batch.number}
    assert {r.language for r in rows} == {None, "pl"}
    assert await asyncio.to_thread(list, store.iter_released("demo", [])) == []
    inputs = await asyncio.to_thread(list, store.iter_release_inputs("demo", "2026-12-09"))
    assert sorted(r.batch or 0 for r in inputs) == [0, 0, *[batch.number] * 5]
    assert {r.record_key for r in inputs} == {17}


async def test_a_release_without_a_batch_replaces_decisions_and_records_revisions(store: Store):
    await store.add_responses([row() for _ in range(3)])
    batch = await store.commit_release("demo", commit(0, 3))
    assert isinstance(batch, Batch)
    revision = Revision(batch.number, "2026-12-01", 2, "k raised")
    again = commit(1, None, revisions=[revision], cells=[(b"{}", "", "1", 3, 51)])
    assert await store.commit_release("demo", again) is None
    assert await store.batch_revisions("demo") == [revision]
    assert await store.release_cells("demo") == [(b"{}", "", "1", 3, 51)]
    assert (await store.release_basis("demo")).generation == 2
    assert await store.batch_revisions("other") == []


async def test_a_purge_makes_every_release_stale(store: Store):
    await store.add_responses([msgspec.structs.replace(row(), received="2025-01-01")])
    await store.add_responses([row()])
    assert isinstance(await store.commit_release("demo", commit(0, 2)), Batch)
    assert await store.purge_responses(dt.date(2026, 1, 1)) == 1
    state = await store.release_basis("demo")
    assert (state.generation, state.basis) == (2, b"")


async def test_a_scheduled_release_is_claimed_once(store: Store, new_store: OpenStore):
    other = new_store()
    await other.open()
    try:
        claims = await asyncio.gather(
            store.claim_scheduled_release("weekly 2026-W49", "t"),
            other.claim_scheduled_release("weekly 2026-W49", "t"),
        )
        assert sorted(claims) == [False, True]
        assert await store.claim_scheduled_release("weekly 2026-W50", "t")
    finally:
        await other.close()


def arriving() -> NewResponse:
    """A response arriving now: ready on a later day than any release made today."""
    return msgspec.structs.replace(row(), eligible="2026-11-28")


async def test_two_instances_releasing_at_once_never_overlap(store: Store, new_store: OpenStore):
    """Two inspectors press Release on different instances at the same moment, while
    responses keep arriving: one batch is cut, never two overlapping or an empty one."""
    other = new_store()
    await other.open()
    try:
        await store.add_responses([row() for _ in range(30)])
        results = await asyncio.gather(
            store.commit_release("demo", commit(0, 30)),
            other.commit_release("demo", commit(0, 30)),
            *(s.add_responses([arriving()]) for s in (store, other) for _ in range(5)),
        )
        batches = [r for r in results[:2] if isinstance(r, Batch)]
        assert len(batches) == 1
        assert batches[0].count == 30
        assert CONFLICT in results[:2]
        released = await asyncio.to_thread(list, store.iter_released("demo", [batches[0].number]))
        assert len(released) == 30
        assert await store.waiting_counts("demo", "2026-11-28") == (10, 10)
    finally:
        await other.close()


async def test_a_failed_open_leaves_no_thread_behind(tmp_path: Path):
    # Each SQLite connection runs a thread that keeps the process alive: a store that fails
    # to open (here, a file that is not a database) must not leave one, or `serve` hangs
    # on its error instead of exiting.
    path = tmp_path / "survey.sqlite3"
    path.write_bytes(b"not a database, whatever its name says " * 200)
    before = {t.ident for t in threading.enumerate()}
    with pytest.raises(sqlite3.DatabaseError):
        await SQLiteStore(path).open()
    # A closed connection's thread ends just after close() returns.
    await wait_until_async(
        lambda: not {t.ident for t in threading.enumerate()} - before,
        seconds=2,
        every=0.02,
        failing="a connection's thread outlived the failed open",
    )


async def test_migration_5_gives_old_tokens_an_expiry_and_keeps_accounts(
    backend_settings: Settings,
):
    """A deployment from before migration 5: its unbounded API token gets an expiry 90 days
    out, sessions and accounts stay, the old failure counts go."""
    inserts = [
        "INSERT INTO inspectors (name, password_hash, created) VALUES ('ines', 'h', '2026-11-01')",
        "INSERT INTO credentials (secret_hash, inspector, kind, expires)"
        " VALUES ('tok', 'ines', 'token', NULL)",
        "INSERT INTO credentials (secret_hash, inspector, kind, expires)"
        " VALUES ('ses', 'ines', 'session', '2999-01-01T00:00:00Z')",
        "INSERT INTO login_failures (name_hash, failures) VALUES ('n', 3)",
    ]
    if backend_settings.database_url:
        import asyncpg

        conn = await asyncpg.connect(backend_settings.database_url)
        try:
            await conn.execute(
                "CREATE TABLE schema_migrations"
                " (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_on TEXT NOT NULL)"
            )
            for number, name, sql in migrations.load("postgresql")[:4]:
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations VALUES ($1, $2, '2026-11-01')", number, name
                )
            for sql in inserts:
                await conn.execute(sql)
        finally:
            await conn.close()
    else:
        with sqlite3.connect(backend_settings.database_path) as conn:
            conn.execute(
                "CREATE TABLE schema_migrations"
                " (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_on TEXT NOT NULL)"
            )
            for number, name, sql in migrations.load("sqlite")[:4]:
                conn.executescript(sql)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, '2026-11-01')", (number, name)
                )
            for sql in inserts:
                conn.execute(sql)
    s = open_store(backend_settings)
    await s.open()
    try:
        (token,) = await s.list_tokens("ines")
        expires = dt.datetime.strptime(token.expires, "%Y-%m-%dT%H:%M:%SZ")
        days = (expires - dt.datetime.now(dt.UTC).replace(tzinfo=None)).days
        assert 88 <= days <= 90
        assert await s.get_credential("ses", "2026-12-01T00:00:00Z") is not None
        now = "2026-12-01T00:00:00Z"
        assert await s.count_login_attempt("n", now, "2026-11-30T23:45:00Z", 5) == (True, [])
    finally:
        await s.close()
