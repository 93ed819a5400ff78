"""The inspector service that portal, API and CLI all call, on a real SQLite file: each method
returns what an inspector asked for, or refuses with the kind of no and the field it names,
and nothing is released, exported or audited by a refusal."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest

from survey_service.inspector import wire
from survey_service.inspector.service import InspectorService, Refused
from survey_service.questionnaires import canonical_bytes, content_hash
from survey_service.settings import Settings
from survey_service.store import NewResponse, StoredVersion
from survey_service.store.sqlite import SQLiteStore
from tests.support.intruder_data import YOUNG

TODAY = dt.date(2026, 11, 30)


@pytest.fixture
async def store(tmp_path: Path):
    s = SQLiteStore(tmp_path / "survey.sqlite3")
    await s.open()
    await s.publish_version(
        StoredVersion(YOUNG.id, YOUNG.version, canonical_bytes(YOUNG), content_hash(YOUNG))
    )
    yield s
    await s.close()


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "questionnaires_dir": tmp_path,
        "min_batch": 10,
        "k_anonymity": 5,
        "public_base_url": "https://survey.example.org",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def service(store, tmp_path: Path) -> InspectorService:
    return InspectorService(store, settings_for(tmp_path), lambda: TODAY)


def answer(**answers: Any) -> NewResponse:
    body = msgspec.json.encode(answers or {"age_band": "14_15", "gender": "girl"})
    rid = str(uuid.uuid4())
    return NewResponse(rid, YOUNG.id, 1, "2026-11-20", body, rid, "2026-11-21", int(rid[:2], 16))


async def released(store, service: InspectorService, count: int = 12) -> int:
    await store.add_responses([answer() for _ in range(count)])
    return (await service.release(YOUNG.id, "amira")).number


async def actions(store) -> list[str]:
    return [e.action for e in await store.audit_entries()]


async def test_every_view_of_a_questionnaire_no_one_published_refuses_it(service):
    calls = [
        service.versions("nope"),
        service.questionnaire("nope"),
        service.batch_listing("nope"),
        service.release("nope", "amira"),
        service.export("amira", "nope", None, "csv", False),
        service.summary("amira", "nope", None, None),
        service.qr_code("nope", "svg"),
        service.poster("nope"),
    ]
    for call in calls:
        with pytest.raises(Refused) as refused:
            await call
        assert (refused.value.kind, refused.value.field) == ("not found", "questionnaire")


async def test_a_release_refused_says_why_and_releases_nothing(store, service):
    await store.add_responses([answer() for _ in range(3)])
    with pytest.raises(Refused) as refused:
        await service.release(YOUNG.id, "amira")
    assert (refused.value.kind, refused.value.field) == ("conflict", "batch")
    assert "at least 10" in refused.value.message
    assert (await service.batch_listing(YOUNG.id)).batches == []


async def test_a_release_shows_in_the_listing_and_the_dashboard(store, service):
    number = await released(store, service)
    listing = await service.batch_listing(YOUNG.id)
    assert [(b.number, b.count) for b in listing.batches] == [(number, 12)]
    assert listing.min_batch == 10
    assert listing.waiting.waiting == "none"
    assert (await service.questionnaire(YOUNG.id)).released == 12
    assert await service.released_batch(YOUNG.id, number) is not None
    assert await service.released_batch("staff", number) is None
    assert "batch released" in await actions(store)


async def test_an_export_is_audited_before_a_byte_leaves_and_shows_the_release(store, service):
    number = await released(store, service)
    export = await service.export("amira", YOUNG.id, None, "csv", False)
    assert await actions(store) == ["export", "batch released"]
    assert export.filename == f"{YOUNG.id}-batch-{number}.csv"
    assert export.media_type == "text/csv"
    assert export.rows == 12
    text = b"".join(export.chunks(store)).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 12
    assert {r["batch"] for r in rows} == {str(number)}
    one = await service.export("amira", None, number, "json", True)
    assert one.filename == f"{YOUNG.id}-batch-{number}-codes.json"


async def test_an_export_of_what_is_not_released_refuses_and_records_nothing(store, service):
    with pytest.raises(Refused) as nothing:
        await service.export("amira", YOUNG.id, None, "csv", False)
    assert (nothing.value.kind, nothing.value.field) == ("conflict", "batch")
    number = await released(store, service)
    for questionnaire, batch in ((YOUNG.id, number + 1), (None, 99)):
        with pytest.raises(Refused) as missing:
            await service.export("amira", questionnaire, batch, "csv", False)
        assert (missing.value.kind, missing.value.field) == ("not found", "batch")
    assert "export" not in await actions(store)


async def test_a_summary_names_every_bad_choice_at_once_and_audits_only_what_it_shows(
    store, service
):
    await released(store, service)
    with pytest.raises(Refused) as refused:
        await service.summary("amira", YOUNG.id, "nothing", "description_fits")
    assert refused.value.kind == "invalid"
    assert [e.field for e in refused.value.errors] == ["policy", "by"]
    assert "summary" not in await actions(store)
    summary = await service.summary("amira", YOUNG.id, None, "gender")
    assert summary.responses == 12
    assert summary.by == "gender"
    assert (await actions(store))[0] == "summary"


async def test_no_qr_code_points_where_phones_cannot_follow(store, tmp_path):
    private = settings_for(tmp_path, public_base_url="http://127.0.0.1:8000")
    service = InspectorService(store, private, lambda: TODAY)
    with pytest.raises(Refused) as refused:
        await service.qr_code(YOUNG.id, "png")
    assert (refused.value.kind, refused.value.field) == ("conflict", "public_base_url")
    poster = await service.poster(YOUNG.id)
    assert poster.refusal
    assert poster.url.startswith("http://127.0.0.1:8000/")
    public = InspectorService(store, settings_for(tmp_path), lambda: TODAY)
    assert b"<svg" in await public.qr_code(YOUNG.id, "svg")
    assert (await public.qr_code(YOUNG.id, "png")).startswith(b"\x89PNG")


async def test_an_audit_page_refuses_a_size_or_marker_out_of_range(store, service):
    await released(store, service)
    with pytest.raises(Refused) as size:
        await service.audit_log(0, None)
    assert (size.value.kind, size.value.field) == ("invalid", "limit")
    with pytest.raises(Refused) as marker:
        await service.audit_log(10, 2**63)
    assert (marker.value.kind, marker.value.field) == ("malformed", "before")
    assert [e.action for e in await service.audit_log(10, None)] == ["batch released"]


@pytest.mark.parametrize(
    ("file", "codes", "all_allowed", "kind", "field"),
    [
        ("all.csv", None, False, "not found", "batch"),
        ("3.pdf", None, True, "not found", "batch"),
        ("3.csv", "maybe", True, "invalid", "codes"),
    ],
)
def test_a_download_name_the_service_cannot_serve_is_refused(file, codes, all_allowed, kind, field):
    with pytest.raises(Refused) as refused:
        wire.Download.parse(file, codes, all_allowed)
    assert (refused.value.kind, refused.value.field) == (kind, field)
    assert wire.refused(refused.value).status_code == wire.STATUS[kind]


def test_a_download_name_says_which_batches_format_and_values():
    assert wire.Download.parse("all.xlsx", "1", True) == wire.Download(None, "xlsx", True)
    assert wire.Download.parse("7.json", None, False) == wire.Download(7, "json", False)
