"""The confidentiality rules wired into intake and loading, end to end on a real file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec

from survey_service import cli
from tests.conftest import FIXTURE_QUESTIONNAIRES, response_body

PERSONAL = {
    "07700 900123": "[phone]",
    "sam.taylor@example.com": "[email]",
    "NW1 2DB": "[postcode]",
    "@sammy_t99": "[handle]",
    "12/03/2009": "[date]",
}


def database_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob("survey.sqlite3*")))


async def test_personal_details_in_free_text_never_reach_the_database(client, settings):
    text = (
        "Text me on 07700 900123 or sam.taylor@example.com, I live in NW1 2DB, "
        "insta @sammy_t99, born 12/03/2009. Childline 0800 1111 helped."
    )
    body = response_body(fits="no", why_not=text, one_word="@sammy_t99")
    response = await client.post("/api/responses", json=body)
    assert response.status_code == 201
    blob = database_bytes(settings.data_dir)
    for original in PERSONAL:
        assert original.encode() not in blob, original
    with sqlite3.connect(settings.database_path) as conn:
        (answers,) = conn.execute("SELECT answers FROM responses").fetchone()
    stored = msgspec.json.decode(answers)
    for marker in PERSONAL.values():
        assert marker in stored["why_not"]
    assert "0800 1111" in stored["why_not"]  # a public helpline identifies nobody
    assert stored["one_word"] == "[handle]"


async def test_a_resent_response_with_personal_details_is_still_a_duplicate(client):
    body = response_body(one_word="ring 07700 900123")
    assert (await client.post("/api/responses", json=body)).status_code == 201
    again = await client.post("/api/responses", json=body)
    assert again.json()["status"] == "duplicate"


async def test_ages_school_years_and_counts_are_kept(client, settings):
    text = "I'm 15, in year 10, and it happened 3 times"
    await client.post("/api/responses", json=response_body(fits="no", why_not=text))
    with sqlite3.connect(settings.database_path) as conn:
        (answers,) = conn.execute("SELECT answers FROM responses").fetchone()
    assert msgspec.json.decode(answers)["why_not"] == text


def test_a_young_peoples_questionnaire_asking_for_a_name_is_refused(tmp_path: Path, capsys):
    text = (FIXTURE_QUESTIONNAIRES / "every-type-v1.toml").read_text(encoding="utf-8")
    (tmp_path / "unsafe.toml").write_text(
        text.replace('text = "One word for the service"', 'text = "What is your name?"')
    )
    assert cli.main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "unsafe.toml: question 'one_word'" in err
    assert "rule 4" in err


async def test_names_schools_addresses_and_bare_numbers_never_reach_the_database(client, settings):
    # The answers issue 15 sent, which reached the inspectors word for word.
    answers = {
        "why_not": "My name is Jessica Smith and I go to St Mary's Academy in Rotherham. "
        "14 Acacia Road, Parson Cross, above the chip shop. my social worker Karen Jones. "
        "7700900123 or 447700900123, snap me at jess_x99",
        "one_word": "Jessica",
    }
    body = response_body(fits="no", **answers)
    assert (await client.post("/api/responses", json=body)).status_code == 201
    blob = database_bytes(settings.data_dir)
    for original in ("Jessica", "Smith", "Mary", "Acacia", "Parson", "Karen", "Jones", "jess_x99"):
        assert original.encode() not in blob, original
    assert b"7700900123" not in blob
    with sqlite3.connect(settings.database_path) as conn:
        (stored,) = conn.execute("SELECT answers FROM responses").fetchone()
    assert msgspec.json.decode(stored)["why_not"] == (
        "My name is [name] and I go to [school] in Rotherham. [address], above the chip "
        "shop. my social worker [name]. [phone] or [phone], snap me at [handle]"
    )
