"""The OpenAPI document at /schema/openapi.json tells the truth about the respondent API.

Schemathesis reads the document and sends what it describes, and what it forbids, to a real
server on 127.0.0.1: every answer must be documented (status, body, headers), nothing may
fail with a 5xx, and a body the document forbids must be refused. A bounded run is part of
`make test`; SURVEY_SCHEMATHESIS_EXAMPLES raises the bound for a longer hunt.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.http.errors import ErrorBody
from survey_service.respondent import api, api_docs, wire
from survey_service.responses import Submission
from survey_service.settings import BUNDLED_QUESTIONNAIRES, Settings
from tests.conftest import FIXTURE_QUESTIONNAIRES
from tests.support.serverproc import ServerProcess

# The statuses both POSTs answer before they look at what the body says.
BODY_PROBLEMS = frozenset({"400", "408", "413", "415", "429", "500", "503"})
EXAMPLES = int(os.environ.get("SURVEY_SCHEMATHESIS_EXAMPLES", "40"))
ST = Path(sys.executable).parent / "st"
ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


def documented(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    }


def json_schema(answer: dict[str, Any]) -> Any:
    return answer["content"]["application/json"]["schema"]


@pytest.mark.slow
def test_schemathesis_finds_no_failure_over_the_respondent_api(tmp_path: Path) -> None:
    """Every phase (the document's examples, its boundaries, then random fuzzing, in valid and
    invalid data) with every check but positive_data_acceptance: a body of the documented
    shape may still be refused with 422 (an unknown questionnaire, an answer that is not one
    of a question's codes), which no schema of the shape can say."""
    with ServerProcess(tmp_path / "data", BUNDLED_QUESTIONNAIRES) as server:
        run = subprocess.run(
            [
                str(ST),
                "run",
                f"{server.url}/schema/openapi.json",
                "--checks=all",
                "--exclude-checks=positive_data_acceptance",
                f"--max-examples={EXAMPLES}",
                "--request-timeout=10",
                # Hypothesis times its own data generation: on a busy 2-core machine that is
                # the machine, not the API.
                "--suppress-health-check=too_slow",
                "--generation-database=none",
                "--no-color",
            ],
            cwd=tmp_path,  # no schemathesis.toml is picked up, no report is left behind
            capture_output=True,
            text=True,
            timeout=240,
        )
    assert run.returncode == 0, f"{run.stdout[-12000:]}\n{run.stderr[-2000:]}"
    assert "5 selected / 5 total" in run.stdout  # an empty document would pass vacuously


def test_every_respondent_route_is_documented_and_nothing_else(settings: Settings) -> None:
    doc = api_docs.document(settings)
    routes = {
        (method, path.replace(":str}", "}").replace(":int}", "}"))
        for handler in api.ROUTES
        for path in handler.paths
        for method in handler.http_methods
    }
    assert set(documented(doc)) == routes


def test_every_status_a_route_answers_is_documented_in_the_one_error_shape(
    tmp_path: Path,
) -> None:
    # The default settings: rate limiting on, so 429 is among the answers.
    operations = documented(api_docs.document(Settings(data_dir=tmp_path / "data")))
    expected = {
        ("GET", "/api/questionnaires"): {"200", "500"},
        ("GET", "/api/questionnaires/{questionnaire}"): {"200", "404", "500"},
        ("GET", "/api/questionnaires/{questionnaire}/versions/{version}"): {"200", "404", "500"},
        ("POST", "/api/responses"): {"201", "200", "409", "422", *BODY_PROBLEMS},
        ("POST", "/api/responses/batch"): {"200", "422", *BODY_PROBLEMS},
    }
    for key, statuses in expected.items():
        assert operations[key]["summary"], key
        assert operations[key]["description"], key
        answers = operations[key]["responses"]
        assert set(answers) == statuses, key
        for status, answer in answers.items():
            assert answer["description"], (key, status)
            if int(status) >= 400:
                assert json_schema(answer) == ERROR_BODY, (key, status)
    for status in ("429", "503"):
        header = operations[("POST", "/api/responses")]["responses"][status]["headers"]
        assert header["Retry-After"]["required"] is True


def test_the_bodies_are_the_structs_the_routes_decode_and_encode(settings: Settings) -> None:
    """Generated, not hand-written: each schema lists exactly its struct's fields, and the
    request bodies refuse unknown fields as the decoders do."""
    doc = api_docs.document(settings)
    schemas = doc["components"]["schemas"]
    operations = documented(doc)

    def component(schema: dict[str, Any]) -> dict[str, Any]:
        return schemas[schema["$ref"].rsplit("/", 1)[1]]

    single = operations[("POST", "/api/responses")]
    batch = operations[("POST", "/api/responses/batch")]
    pairs = [
        (json_schema(single["requestBody"]), Submission),
        (json_schema(batch["requestBody"]), wire.BatchBody),
        (json_schema(single["responses"]["201"]), wire.Stored),
        (json_schema(batch["responses"]["200"]), wire.BatchResults),
        (json_schema(single["responses"]["422"]), ErrorBody),
    ]
    for ref, struct in pairs:
        schema = component(ref)
        fields = msgspec.structs.fields(struct)
        assert set(schema["properties"]) == {f.name for f in fields}, struct
        assert set(schema.get("required", ())) == {f.name for f in fields if f.required}
        for name, prop in schema["properties"].items():
            assert prop["description"], (struct, name)
    for ref in pairs[0][0], pairs[1][0]:
        assert component(ref)["additionalProperties"] is False
    assert set(schemas["FieldError"]["properties"]) == {"field", "message"}


def test_the_limits_in_the_document_are_the_settings_in_force(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", max_batch_items=7, max_json_depth=6, rate_limit_per_second=0
    )
    doc = api_docs.document(settings)
    batch = documented(doc)[("POST", "/api/responses/batch")]
    responses = doc["components"]["schemas"]["BatchBody"]["properties"]["responses"]
    assert (responses["minItems"], responses["maxItems"]) == (1, 7)
    assert batch["description"].startswith("Up to 7 responses")
    assert "6 levels" in batch["responses"]["400"]["description"]
    # Rate limiting is off in this deployment: it never answers 429.
    assert "429" not in batch["responses"]


def test_a_batch_item_is_any_value_each_judged_on_its_own(settings: Settings) -> None:
    """The schema does not promise to refuse a batch holding an item without an id: the
    service answers 200 and reports that item as rejected, as the document now says."""
    doc = api_docs.document(settings)
    batch = documented(doc)[("POST", "/api/responses/batch")]
    assert json_schema(batch["requestBody"]) == {"$ref": "#/components/schemas/BatchBody"}
    items = doc["components"]["schemas"]["BatchBody"]["properties"]["responses"]["items"]
    assert not {"type", "required", "$ref", "properties"} & set(items), items
    assert "rejected" in items["description"]


async def test_a_batch_with_an_item_without_id_answers_200_with_that_item_rejected(client) -> None:
    good = {
        "id": str(uuid.uuid4()),
        "questionnaire": "every-type",
        "version": 1,
        "answers": {"fits": "yes"},
    }
    no_id = {"questionnaire": "every-type", "version": 1, "answers": {"fits": "no"}}
    response = await client.post("/api/responses/batch", json={"responses": [good, no_id, 3]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    assert results[1] == {
        "id": None,
        "status": "rejected",
        "errors": [{"field": "id", "message": "is required"}],
    }


async def test_the_document_is_served_as_built_from_the_settings(client, settings) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == msgspec.json.decode(msgspec.json.encode(api_docs.document(settings)))
    # No third-party viewer (and so no CDN script) is served.
    assert (await client.get("/schema")).status_code == 404


@pytest.mark.parametrize("folder", [BUNDLED_QUESTIONNAIRES, FIXTURE_QUESTIONNAIRES])
async def test_listings_and_definitions_are_the_structs_the_document_shows(
    tmp_path: Path, folder: Path
) -> None:
    """The GET answers are encoded by the registry; each must decode, field for field, as
    the struct its schema was generated from."""
    settings = Settings(data_dir=tmp_path / "data", questionnaires_dir=folder)
    async with AsyncTestClient(create_app(settings)) as client:
        listing = (await client.get("/api/questionnaires")).json()
        assert listing
        fields = {f.name for f in msgspec.structs.fields(wire.Listed)}
        for entry in listing:
            assert set(entry) == fields
            msgspec.convert(entry, wire.Listed)
            for version in entry["versions"]:
                path = f"/api/questionnaires/{entry['id']}/versions/{version}"
                body = (await client.get(path)).content
                msgspec.json.decode(body, type=wire.Definition)  # unknown fields are refused


async def test_the_documented_example_is_accepted_by_the_bundled_questionnaires(
    tmp_path: Path,
) -> None:
    """Schemathesis sends the document's examples first: they must reach the store, so the
    201, 200 and batch answers are checked against their schemas too."""
    settings = Settings(data_dir=tmp_path / "data", rate_limit_per_second=0)
    doc = api_docs.document(settings)
    operations = documented(doc)
    single = operations[("POST", "/api/responses")]["requestBody"]["content"]["application/json"]
    batch = operations[("POST", "/api/responses/batch")]["requestBody"]["content"]
    async with AsyncTestClient(create_app(settings)) as client:
        first = await client.post("/api/responses", json=single["example"])
        assert (first.status_code, first.json()["status"]) == (201, "accepted")
        again = await client.post("/api/responses/batch", json=batch["application/json"]["example"])
        assert again.json()["results"][0]["status"] == "duplicate"


@pytest.mark.parametrize("version", ["%201", "1%20", "%2B1", "01", "%D9%A1", "1_0", "-1"])
async def test_a_version_that_is_not_a_whole_number_written_plainly_is_not_found(
    client, version: str
) -> None:
    """The document says a version is an integer from 1. Litestar's int path type took
    whatever Python's int() takes, so " 1", "+1", "01" and an Arabic-Indic one all served
    version 1: one definition under many URLs, each cached apart by a phone's worker."""
    response = await client.get(f"/api/questionnaires/every-type/versions/{version}")
    assert response.status_code == 404
    assert response.json() == {
        "errors": [{"field": "version", "message": "no such questionnaire version"}]
    }
    assert (await client.get("/api/questionnaires/every-type/versions/1")).status_code == 200
