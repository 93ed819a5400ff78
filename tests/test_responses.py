"""Every question type's rules, as a table: what is kept, dropped, or refused and why."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_service import responses
from survey_service.questionnaires import load_dir, parse
from tests.conftest import FIXTURE_QUESTIONNAIRES

VERSIONS = load_dir(FIXTURE_QUESTIONNAIRES)
EVERY_TYPE = VERSIONS[("every-type", 1)][1]
STAFF = VERSIONS[("staff", 1)][1]

ACCEPTED = [
    # (answers sent, answers kept)
    ({"fits": "yes"}, {"fits": "yes"}),
    ({"fits": "prefer_not"}, {"fits": "prefer_not"}),
    ({"helped": ["gp", "mentor"]}, {"helped": ["mentor", "gp"]}),  # choice order, not send order
    ({"helped": [], "fits": "yes"}, {"fits": "yes"}),  # empty list: not answered
    ({"trust": 1}, {"trust": 1}),
    ({"trust": 5}, {"trust": 5}),
    ({"times": 0}, {"times": 0}),
    ({"times": 31}, {"times": 31}),
    ({"one_word": "  kind  "}, {"one_word": "kind"}),
    ({"one_word": "   ", "fits": "yes"}, {"fits": "yes"}),  # blank text: not answered
    ({"one_word": None, "fits": "yes"}, {"fits": "yes"}),  # null: not answered
    ({"one_word": "cafe\u0301"}, {"one_word": "caf\u00e9"}),  # stored NFC-normalised
    ({"one_word": "x" * 500}, {"one_word": "x" * 500}),
    ({"fits": "no", "why_not": "It was different"}, {"fits": "no", "why_not": "It was different"}),
    # why_not is shown only when fits is no or not_sure: otherwise it is dropped, not refused
    ({"fits": "yes", "why_not": "hidden"}, {"fits": "yes"}),
    ({"why_not": "hidden", "trust": 2}, {"trust": 2}),
    ({"age_band": "14_15"}, {"age_band": "14_15"}),
]


@pytest.mark.parametrize(("sent", "kept"), ACCEPTED)
def test_accepted_answers_are_kept_in_canonical_form(sent: dict[str, Any], kept: dict[str, Any]):
    clean, errors = responses.check_answers(EVERY_TYPE, sent)
    assert errors == []
    assert clean == kept


REFUSED = [
    # (answers sent, field named, words in the message)
    ({"fits": "maybe"}, "answers.fits", "one of the choices"),
    ({"fits": ["yes"]}, "answers.fits", "one of the choices"),
    ({"fits": 1}, "answers.fits", "one of the choices"),
    ({"helped": "gp"}, "answers.helped", "list of choice codes"),
    ({"helped": ["gp", "gp"]}, "answers.helped", "more than once"),
    ({"helped": ["gp", "dentist"]}, "answers.helped", "not one of the choices"),
    ({"helped": [1]}, "answers.helped", "list of choice codes"),
    ({"trust": 0}, "answers.trust", "from 1 to 5"),
    ({"trust": 6}, "answers.trust", "from 1 to 5"),
    ({"trust": 3.0}, "answers.trust", "whole number"),
    ({"trust": "3"}, "answers.trust", "whole number"),
    ({"trust": True}, "answers.trust", "whole number"),
    ({"times": -1}, "answers.times", "from 0 to 31"),
    ({"times": 32}, "answers.times", "from 0 to 31"),
    ({"one_word": 5}, "answers.one_word", "must be text"),
    ({"one_word": "x" * 501}, "answers.one_word", "longer than 500"),
    ({"fits": "no", "why_not": "x" * 5001}, "answers.why_not", "longer than 5000"),
    ({"one_word": "a\x00b"}, "answers.one_word", "NUL"),
    ({"nickname": "Sam"}, "answers.nickname", "not a question"),
    ({}, "answers", "no answers"),
    ({"helped": [], "one_word": ""}, "answers", "no answers"),
]


@pytest.mark.parametrize(("sent", "field", "words"), REFUSED)
def test_refused_answers_name_the_field_and_never_echo_the_value(
    sent: dict[str, Any], field: str, words: str
):
    _, errors = responses.check_answers(EVERY_TYPE, sent)
    assert [e.field for e in errors] == [field]
    assert words in errors[0].message
    for value in sent.values():
        if isinstance(value, str) and len(value) > 2:
            assert value not in errors[0].message


EXCLUSIVE = parse(
    """
id = "demo"
version = 1
audience = "young_people"
title = "Have your say"
intro = "Anonymous."
[[support]]
name = "Childline"
phone = "0800 1111"
[[sections]]
title = "Help"
[[sections.questions]]
id = "asked"
type = "multiple_choice"
text = "Who would you ask for help?"
choices = [
  {code = "friend", label = "A friend"},
  {code = "teacher", label = "A teacher"},
  {code = "no_one", label = "No one", exclusive = true},
  {code = "prefer_not", label = "Prefer not to say"},
]
""",
    "demo.toml",
)


@pytest.mark.parametrize(
    ("sent", "ok"),
    [
        (["friend", "teacher"], True),
        (["no_one"], True),
        (["prefer_not"], True),
        (["friend", "no_one"], False),
        (["no_one", "prefer_not"], False),
        (["teacher", "prefer_not"], False),  # "Prefer not to say" is always exclusive
    ],
)
def test_an_exclusive_choice_stands_alone(sent: list[str], ok: bool):
    clean, errors = responses.check_answers(EXCLUSIVE, {"asked": sent})
    if ok:
        assert errors == []
        assert sorted(clean["asked"]) == sorted(sent)
    else:
        assert [(e.field, e.message) for e in errors] == [
            ("answers.asked", "holds a choice that cannot be chosen with others")
        ]


def test_a_required_staff_answer_is_required():
    _, errors = responses.check_answers(STAFF, {"parents": "Talk to them"})
    assert [(e.field, e.message) for e in errors] == [("answers.understand", "is required")]


def test_free_text_goes_through_the_screen_before_it_is_kept():
    clean, _ = responses.check_answers(
        EVERY_TYPE, {"one_word": "secret"}, screen=lambda _text: "[screened]"
    )
    assert clean == {"one_word": "[screened]"}


ENVELOPES = [
    ({"id": "nope", "questionnaire": "q", "version": 1, "answers": {}}, "id", "UUID"),
    ({"questionnaire": "q", "version": 1, "answers": {}}, "id", "required"),
    ({"id": "6f1c", "questionnaire": "q", "version": "1", "answers": {}}, "version", "int"),
    ({"id": "6f1c", "questionnaire": "q", "version": 1.0, "answers": {}}, "version", "int"),
    ({"id": "6f1c", "questionnaire": "q", "version": 1, "answers": []}, "answers", "object"),
    ({"id": "6f1c", "questionnaire": "q", "version": 1, "answers": {}, "ip": "1"}, "ip", "known"),
    (["not", "an", "object"], "body", "JSON object"),
]


@pytest.mark.parametrize(("raw", "field", "words"), ENVELOPES)
def test_envelope_errors_name_the_field(raw: Any, field: str, words: str):
    submission, errors = responses.decode_submission(raw)
    assert submission is None
    assert [e.field for e in errors] == [field]
    assert words in errors[0].message


def test_any_uuid_spelling_is_stored_in_canonical_lower_case():
    raw = {
        "id": "{6F1C7D3E-0A1B-4C2D-8E3F-9A0B1C2D3E4F}",
        "questionnaire": "q",
        "version": 1,
        "answers": {},
    }
    submission, errors = responses.decode_submission(raw)
    assert errors == []
    assert submission is not None
    assert submission.id == "6f1c7d3e-0a1b-4c2d-8e3f-9a0b1c2d3e4f"


def test_the_content_hash_ignores_key_order():
    a = responses.content_hash("q", 1, {"a": 1, "b": ["x", "y"]})
    b = responses.content_hash("q", 1, {"b": ["x", "y"], "a": 1})
    assert a == b
    assert a != responses.content_hash("q", 2, {"a": 1, "b": ["x", "y"]})


ANSWER_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.one_of(st.text(max_size=4), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
SUBMISSIONS = st.fixed_dictionaries(
    {
        "id": st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), st.text()),
        "questionnaire": st.sampled_from(["every-type", "staff"]),
        "version": st.one_of(st.integers(0, 2), st.text(max_size=2)),
        "answers": st.dictionaries(
            st.sampled_from(["fits", "helped", "trust", "x"]), ANSWER_VALUES
        ),
    },
    optional={"language": st.one_of(st.none(), st.text(max_size=3)), "extra": st.integers()},
)


def _careful(body: bytes, batch: bool) -> list[Any]:
    """What the API did before the fast path: generic decode, then each item on its own."""
    data = msgspec.json.decode(body)
    items = data["responses"] if batch else [data]
    return [responses.decode_submission(item) for item in items]


@settings(max_examples=300, deadline=None)
@given(st.lists(SUBMISSIONS, min_size=1, max_size=3), st.booleans())
def test_the_typed_fast_path_agrees_with_the_careful_one(items, batch):
    # Whenever the one-pass typed decode takes a body, each item must come out exactly as
    # the generic decode and per-item conversion would have made it.
    body = msgspec.json.encode({"responses": items} if batch else items[0])
    fast = responses.decode_well_formed(body, batch)
    if fast is None:
        return
    # Compared as plain data: the fast path's items are a subclass of Submission.
    got = msgspec.to_builtins([responses.decode_submission(s) for s in fast])
    assert got == msgspec.to_builtins(_careful(body, batch))


# Issue 17, item 9: an id must carry no clock and no machine address, only randomness.
CLOCK_IDS = [
    ("version 1 (time and MAC address)", "c232ab00-9414-11ec-b3c8-9f6bdeced846"),
    ("version 6 (time)", "1ec9414c-232a-6b00-b3c8-9e6bdeced846"),
    ("version 7 (Unix time)", "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"),
    ("version 3 (name hash)", "5df41881-3aed-3515-88a7-2f4a814cf09e"),
    ("version 5 (name hash)", "2ed6657d-e927-568b-95e1-2665a8aea6a2"),
    ("version 8 (anything)", "320c3d4d-cc00-875b-8ec9-32d5f69181c0"),
    ("nil", "00000000-0000-0000-0000-000000000000"),
    ("max", "ffffffff-ffff-ffff-ffff-ffffffffffff"),
    ("version 4 digit, wrong variant", "6f1c7d3e-0a1b-4c2d-0e3f-9a0b1c2d3e4f"),
]


@pytest.mark.parametrize(("kind", "value"), CLOCK_IDS)
def test_only_random_uuids_are_accepted(kind: str, value: str):
    for spelling in (value, value.upper(), "{" + value + "}", "urn:uuid:" + value):
        raw = {"id": spelling, "questionnaire": "q", "version": 1, "answers": {}}
        submission, errors = responses.decode_submission(raw)
        assert submission is None, (kind, spelling)
        assert [e.field for e in errors] == ["id"]
        assert "version 4" in errors[0].message
        # The typed fast path refuses it the same way.
        (fast,) = responses.decode_well_formed(msgspec.json.encode(raw), batch=False) or [None]
        if fast is not None:
            assert responses.decode_submission(fast)[0] is None
