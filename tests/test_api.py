"""The respondent API in-process: docs/api.md's table, status by status, in one error shape."""

from __future__ import annotations

import sqlite3
import uuid

import msgspec
import pytest

from survey_service.store.sqlite import SQLiteStore
from tests.conftest import response_body


def error_fields(response) -> list[str]:
    body = response.json()
    assert set(body) == {"errors"}, body
    for error in body["errors"]:
        assert set(error) == {"field", "message"}
    return [e["field"] for e in body["errors"]]


async def test_lists_published_questionnaires(client):
    response = await client.get("/api/questionnaires")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": "every-type",
            "version": 1,
            "audience": "young_people",
            "title": "Have your say",
            "versions": [1],
        },
        {
            "id": "staff",
            "version": 1,
            "audience": "staff",
            "title": "Practice survey",
            "versions": [1],
        },
    ]


async def test_serves_the_definition_latest_and_by_version(client):
    latest = (await client.get("/api/questionnaires/every-type")).json()
    pinned = (await client.get("/api/questionnaires/every-type/versions/1")).json()
    assert latest == pinned
    assert latest["retired"] is False
    assert latest["support"][0] == {
        "name": "Childline",
        "phone": "0800 1111",
        "url": "https://www.childline.org.uk",
        "text": "Free and confidential, any time.",
    }
    questions = [q for s in latest["sections"] for q in s["questions"]]
    why_not = next(q for q in questions if q["id"] == "why_not")
    assert why_not["show_if"] == {"question": "fits", "codes": ["no", "not_sure"]}
    trust = next(q for q in questions if q["id"] == "trust")
    assert (trust["min"], trust["max"], trust["min_label"]) == (1, 5, "Not at all")


@pytest.mark.parametrize(
    "path", ["/api/questionnaires/nope", "/api/questionnaires/every-type/versions/9"]
)
async def test_unknown_definitions_are_404(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert error_fields(response)


async def test_accepted_then_duplicate_then_conflict(client):
    body = response_body(fits="no", why_not="Not like that", helped=["gp", "mentor"])
    first = await client.post("/api/responses", json=body)
    assert first.status_code == 201
    assert first.json() == {"id": body["id"], "status": "accepted"}

    body["answers"]["helped"] = ["mentor", "gp"]  # order of a multiple choice does not matter
    again = await client.post("/api/responses", json=body)
    assert again.status_code == 200
    assert again.json() == {"id": body["id"], "status": "duplicate"}

    body["answers"]["fits"] = "not_sure"
    changed = await client.post("/api/responses", json=body)
    assert changed.status_code == 409
    assert error_fields(changed) == ["id"]


async def test_the_id_is_stored_in_canonical_form_so_any_spelling_replays(client):
    body = response_body()
    body["id"] = body["id"].upper()
    assert (await client.post("/api/responses", json=body)).status_code == 201
    body["id"] = body["id"].lower()
    assert (await client.post("/api/responses", json=body)).json()["status"] == "duplicate"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"questionnaire": "nope"}, "questionnaire"),
        ({"version": 7}, "version"),
        ({"version": "1"}, "version"),
        ({"id": "123"}, "id"),
        ({"answers": {"trust": 9}}, "answers.trust"),
        ({"answers": {"made_up": "x"}}, "answers.made_up"),
        ({"answers": {}}, "answers"),
        ({"device": "phone"}, "device"),
    ],
)
async def test_invalid_responses_are_422_naming_the_field(client, change, field):
    body = {**response_body(), **change}
    response = await client.post("/api/responses", json=body)
    assert response.status_code == 422
    assert error_fields(response) == [field]


async def test_a_missing_required_staff_answer_is_422(client):
    body = response_body("staff", parents="More support")
    response = await client.post("/api/responses", json=body)
    assert response.status_code == 422
    assert error_fields(response) == ["answers.understand"]


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (b"id=1", "application/x-www-form-urlencoded", 415),
        (b'{"id": 1}', "text/plain", 415),
        (b"[1, 2]", "application/json", 422),
        (b"null", "application/json", 422),
    ],
)
async def test_bodies_that_are_not_a_response_get_the_error_shape(
    client, content, content_type, status
):
    response = await client.post(
        "/api/responses", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == status
    assert error_fields(response) == ["body"]


async def test_a_body_over_the_limit_is_413(client, settings):
    big = {**response_body(), "answers": {"one_word": "x" * settings.max_body_bytes}}
    response = await client.post("/api/responses", json=big)
    assert response.status_code == 413
    assert error_fields(response) == ["body"]


async def test_errors_never_echo_an_answer(client):
    secret = "my secret answer " * 40
    body = response_body(one_word=secret, trust="also secret")
    response = await client.post("/api/responses", json=body)
    assert response.status_code == 422
    assert "secret" not in response.text


async def test_batch_items_are_each_judged_on_their_own(client, settings):
    stored = response_body(fits="yes")
    await client.post("/api/responses", json=stored)
    changed = {**stored, "answers": {"fits": "no"}}
    fresh = response_body(trust=4)
    invalid = response_body(trust=99)
    batch = {"responses": [fresh, stored, changed, invalid, "junk"]}
    response = await client.post("/api/responses/batch", json=batch)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "accepted",
        "duplicate",
        "conflict",
        "rejected",
        "rejected",
    ]
    assert [r["id"] for r in results[:4]] == [
        fresh["id"],
        stored["id"],
        stored["id"],
        invalid["id"],
    ]
    assert results[3]["errors"] == [{"field": "answers.trust", "message": "must be from 1 to 5"}]
    with sqlite3.connect(settings.database_path) as conn:
        assert conn.execute("SELECT count(*) FROM responses").fetchone()[0] == 2


@pytest.mark.parametrize("count", [0, 501])
async def test_a_batch_holds_1_to_500(client, count):
    batch = {"responses": [response_body() for _ in range(count)]}
    response = await client.post("/api/responses/batch", json=batch)
    assert response.status_code == 422
    assert error_fields(response) == ["responses"]


async def test_a_batch_over_its_body_limit_is_413(client, settings):
    filler = "x" * 4000
    items = [response_body(one_word=filler[:400]) for _ in range(500)]
    items[0]["answers"]["why_not"] = filler * (settings.max_batch_body_bytes // 4000)
    response = await client.post("/api/responses/batch", json={"responses": items})
    assert response.status_code == 413


async def test_a_batch_with_unknown_top_level_fields_is_422(client):
    response = await client.post(
        "/api/responses/batch", json={"responses": [response_body()], "device": "x"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nowhere", 404), ("DELETE", "/api/responses", 405), ("GET", "/api/responses", 405)],
)
async def test_routing_errors_share_the_shape(client, method, path, status):
    response = await client.request(method, path)
    assert response.status_code == status
    assert error_fields(response)


async def test_respondents_can_never_read_a_response_back(client):
    body = response_body(fits="yes")
    await client.post("/api/responses", json=body)
    for path in (f"/api/responses/{body['id']}", "/api/responses", "/api/responses/batch"):
        response = await client.get(path)
        assert response.status_code in (404, 405)
        assert body["id"] not in response.text


async def test_retired_versions_are_served_marked_but_refuse_new_answers(client, settings):
    stored = response_body(fits="yes")
    assert (await client.post("/api/responses", json=stored)).status_code == 201
    # As `survey-service retire` does it: another store on the same file, then a refresh.
    other = SQLiteStore(settings.database_path)
    await other.open()
    await other.set_retired("every-type", 1, True)
    client.app.state.registry.set_retired(await other.retired_versions())
    await other.close()

    definition = await client.get("/api/questionnaires/every-type/versions/1")
    assert definition.json()["retired"] is True
    listing = (await client.get("/api/questionnaires")).json()
    assert "every-type" not in [q["id"] for q in listing]
    late = await client.post("/api/responses", json=response_body(fits="no"))
    assert late.status_code == 422
    assert error_fields(late) == ["version"]
    # An answer that was already stored still replays as a duplicate.
    replay = await client.post("/api/responses", json=stored)
    assert replay.json()["status"] == "duplicate"


async def test_ids_are_random_per_response_not_reused(client):
    ids = {str(uuid.uuid4()) for _ in range(3)}
    for response_id in ids:
        body = {**response_body(), "id": response_id}
        assert (await client.post("/api/responses", json=body)).status_code == 201


async def test_an_id_that_carries_a_clock_is_422_naming_id(client):
    # Version 1 holds the moment it was made and the machine's MAC address; version 7 the time.
    for clocked in ("c232ab00-9414-11ec-b3c8-9f6bdeced846", "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"):
        body = {**response_body(), "id": clocked}
        single = await client.post("/api/responses", json=body)
        assert single.status_code == 422
        assert error_fields(single) == ["id"]
        batch = await client.post("/api/responses/batch", json={"responses": [body]})
        (result,) = batch.json()["results"]
        assert result["status"] == "rejected"
        assert [e["field"] for e in result["errors"]] == ["id"]
    assert await client.app.state.store.count_responses() == 0


async def test_errors_listed_are_capped_so_a_bad_batch_cannot_amplify(client, settings):
    # Issue 17, item 11: 2 MB of unknown keys came back as a 9.6 MB list of errors.
    keys = {f"k{i}": 1 for i in range(250)}
    items = [{**response_body(), "answers": keys} for _ in range(500)]
    body = msgspec.json.encode({"responses": items})
    assert len(body) < settings.max_batch_body_bytes
    reply = await client.post(
        "/api/responses/batch", content=body, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 200
    # At most 11 short problems per item: about 0.5 MB for 500 items, whatever they hold.
    assert len(reply.content) < min(len(body) / 2, 512 * 1024)
    first = reply.json()["results"][0]["errors"]
    assert 1 < len(first) <= 21
    assert first[-1] == {"field": "answers", "message": "and 240 more problems"}
    single = await client.post("/api/responses", json=items[0])
    assert single.status_code == 422
    assert len(single.json()["errors"]) <= 21
