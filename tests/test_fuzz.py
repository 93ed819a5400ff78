"""Hostile input over the respondent API: no 5xx, no partial write, every 4xx in one shape.

A bounded sample runs in `make test`; `make bench` sets SURVEY_FUZZ_EXAMPLES=10000. Slow
bodies are covered in test_limits.py (the in-process client cannot send slowly).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from survey_service.app import create_app
from survey_service.settings import Settings
from tests.conftest import FIXTURE_QUESTIONNAIRES

EXAMPLES = int(os.environ.get("SURVEY_FUZZ_EXAMPLES", "300"))
REPORT = os.environ.get("SURVEY_FUZZ_REPORT")  # bench: where to write how many cases ran

QUESTIONS = ["fits", "why_not", "helped", "trust", "times", "one_word", "age_band"]
CODES = ["yes", "no", "not_sure", "prefer_not", "gp", "mentor", "social_worker", "12_13"]

# -- what a hostile client might send ------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(CODES)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
nasty_text = (
    st.text(max_size=50).map(lambda t: t + "\x00")
    | st.integers(min_value=490, max_value=6000).map(lambda n: "é" * n)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
    | st.just("\u0065\u0301" * 300)  # grows or shrinks under NFC
)
answer_values = json_values | nasty_text | st.lists(st.sampled_from(CODES), max_size=5)
answers = st.dictionaries(
    st.sampled_from(QUESTIONS) | st.text(max_size=70), answer_values, max_size=8
)
ids = st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper()) | json_values
responses = st.fixed_dictionaries(
    {
        "id": ids,
        "questionnaire": st.sampled_from(["every-type", "staff"]) | json_values,
        "version": st.just(1) | json_values,
        "answers": answers | json_values,
    },
    optional={"device": json_values, "": st.none()},
)
plausible = st.fixed_dictionaries(
    {
        "id": st.uuids().map(str),
        "questionnaire": st.just("every-type"),
        "version": st.just(1),
        "answers": st.dictionaries(
            st.sampled_from(QUESTIONS), answer_values, min_size=1, max_size=4
        ),
    }
)


def _encode(value: Any) -> bytes:
    try:
        return msgspec.json.encode(value)
    except (OverflowError, msgspec.EncodeError):
        return b"{}"


def _duplicate_keys(body: dict[str, Any]) -> bytes:
    # JSON with every key twice: the first value valid, the second whatever came along.
    parts = [
        f"{_encode(k).decode()}:{_encode(v).decode()},{_encode(k).decode()}:{_encode(v).decode()}"
        for k, v in body.items()
    ]
    return ("{" + ",".join(parts) + "}").encode()


raw_bodies = (
    plausible.map(_encode)
    | responses.map(_encode)
    | st.lists(responses | plausible, min_size=1, max_size=6).map(
        lambda items: _encode({"responses": items})
    )
    | st.lists(plausible, max_size=3).map(lambda items: _encode({"responses": items, "x": 1}))
    | json_values.map(_encode)
    | plausible.map(_duplicate_keys)
    | st.binary(max_size=200)  # mostly invalid UTF-8 / not JSON at all
    | plausible.map(lambda b: _encode(b).replace(b'"every-type"', b'"every-\xff\xfetype"'))
    | plausible.map(lambda b: _encode(b)[: len(_encode(b)) // 2])  # cut short
    | st.integers(min_value=1, max_value=100_000).map(lambda n: b"[" * n)
    | st.integers(min_value=1, max_value=3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n)
    | st.just(b"\x00" * 64)
    | st.just(b'{"responses": [' + b'{"id": 1},' * 600 + b"{}]}")
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json",
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
        "application/json\x00",
    ]
)
paths = st.sampled_from(["/api/responses", "/api/responses/batch"])

# -- the service under attack -----------------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient[Any], Path]]:
    data = tmp_path_factory.mktemp("fuzz")
    conf = Settings(
        data_dir=data,
        questionnaires_dir=FIXTURE_QUESTIONNAIRES,
        rate_limit_per_second=0,  # one address sends everything here
    )
    with TestClient(create_app(conf)) as client:
        yield client, conf.database_path
    if REPORT:  # the bench reads how many cases ran, once the module's tests are done
        Path(REPORT).write_text(str(Counter.cases))


class Counter:
    cases = 0


def _rows(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM responses").fetchone()[0])


def _accepted(path: str, status: int, body: Any) -> int:
    if path.endswith("batch"):
        if status != 200:
            return 0
        return sum(r["status"] == "accepted" for r in body["results"])
    return 1 if status == 201 else 0


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 300,  # the make-test sample is the same on every run
    database=None,
)
@given(path=paths, body=raw_bodies, content_type=content_types)
def test_hostile_requests_never_5xx_never_partial(service, path, body, content_type):
    client, database = service
    Counter.cases += 1
    with sqlite3.connect(database) as conn:
        before = _rows(conn)
        headers = {"content-type": content_type} if content_type else {}
        if "\x00" in content_type:
            headers = {"content-type": "application/json"}
        response = client.post(path, content=body, headers=headers)
        after = _rows(conn)
    status = response.status_code
    assert status < 500, response.text[:300]
    decoded = msgspec.json.decode(response.content)
    if status >= 400:
        assert set(decoded) == {"errors"}, decoded
        assert decoded["errors"]
        assert all(set(e) == {"field", "message"} for e in decoded["errors"])
        assert all(
            isinstance(e["field"], str) and len(e["field"]) <= 100 for e in decoded["errors"]
        )
    # Only accepted items add rows: nothing half-written, nothing for a refused request.
    assert after - before == _accepted(path, status, decoded)


def test_valid_ids_are_not_lost_in_the_noise(service):
    client, _ = service
    body = {"id": str(uuid.uuid4()), "questionnaire": "every-type", "version": 1}
    response = client.post("/api/responses", json={**body, "answers": {"fits": "yes"}})
    assert response.status_code == 201
