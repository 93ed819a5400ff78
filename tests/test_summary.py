"""Summaries over released batches only, with suppression; the risk table of the 2015 report."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from inspect_support import FIXTURES, add_account, make_settings, seed, sign_in, token_for
from litestar.testing import AsyncTestClient

from survey_service import summary
from survey_service.app import create_app
from survey_service.questionnaires import load_file
from survey_service.store.inspectors import ReleasedRow

RISK = load_file(FIXTURES / "inspect" / "risk-v1.toml")
REPORT = {"no_concern": 26, "vulnerable": 78, "groomed": 26, "likely": 7}  # 137 children


def risk_rows() -> list[ReleasedRow]:
    rows = [
        ReleasedRow(1, "2015-03-31", 1, msgspec.json.encode({"rating": code}))
        for code, n in REPORT.items()
        for _ in range(n)
    ]
    random.Random(4).shuffle(rows)
    return rows


def test_the_reports_risk_table_under_dfe():
    result = summary.summarise([RISK], risk_rows(), [1], "dfe")
    assert result.responses == 137
    (rating,) = result.questions
    table = {c.code: (c.label, c.count, c.percent) for c in rating.rows}
    assert table == {
        "no_concern": ("No concern", 26, 19.0),
        "vulnerable": ("Vulnerable to CSE", 78, 56.9),
        "groomed": ("Possibly being groomed for CSE", 26, 19.0),
        "likely": ("Likely to be involved in CSE", 7, 5.1),
    }
    assert "dfe" in result.note.lower()
    svg = summary.chart_svg(rating, "c")
    assert 'role="img"' in svg and "<title" in svg and "56.9 percent, 78 people" in svg
    # Under ONS (under 10 hidden) the 7 is hidden, and another figure with it (secondary).
    (ons,) = summary.summarise([RISK], risk_rows(), [1], "ons").questions
    hidden = [c.code for c in ons.rows if c.count == "[c]"]
    assert "likely" in hidden and len(hidden) >= 2


def test_a_small_cell_is_hidden_with_its_policy_symbol():
    rows = [r for r in risk_rows() if msgspec.json.decode(r.answers)["rating"] != "likely"]
    rows += [ReleasedRow(1, "2015-03-31", 1, b'{"rating":"likely"}')] * 3
    (rating,) = summary.summarise([RISK], rows, [1], "dfe").questions
    likely = next(c for c in rating.rows if c.code == "likely")
    assert likely.count == "[c]" and likely.percent == "[c]"
    # No hidden cell can be worked back from the total: at least one more is hidden.
    assert sum(1 for c in rating.rows if c.count == "[c]") >= 2
    svg = summary.chart_svg(rating, "c")
    assert "hidden because the number is small" in svg


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(make_settings(tmp_path))) as test_client:
        await add_account(test_client)
        yield test_client


async def test_summary_counts_released_batches_only_and_lists_text_shuffled(client):
    headers = await token_for(client)
    await seed(
        client, [{"fits": "no", "why_not": f"answer {n}", "age_band": "14_15"} for n in range(12)]
    )
    await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
    await seed(client, [{"fits": "yes"}] * 5)  # waiting, not released: never counted
    body = (
        await client.get(
            "/api/inspect/questionnaires/every-type/summary?by=age_band", headers=headers
        )
    ).json()
    assert body["responses"] == 12 and body["batches"] == [1] and body["policy"] == "dfe"
    fits = next(q for q in body["questions"] if q["id"] == "fits")
    assert {c["code"]: c["count"] for c in fits["rows"]} == {
        "yes": 0,
        "no": 12,
        "not_sure": 0,
        "prefer_not": 0,
    }
    assert set(fits["rows"][0]) == {"code", "label", "count", "percent"}
    assert [g["code"] for g in fits["groups"]] == ["12_13", "14_15", "16_17", "prefer_not"]
    texts = next(q for q in body["questions"] if q["id"] == "why_not")["texts"]
    assert sorted(texts) == sorted(f"answer {n}" for n in range(12))
    page = await _page(client)
    assert "<svg" in page and 'role="img"' in page and "Split by" in page


async def _page(client: AsyncTestClient[Any]) -> str:
    await sign_in(client)
    reply = await client.get("/inspect/questionnaires/every-type/summary?by=age_band&policy=ons")
    assert reply.status_code == 200
    return reply.text


def test_every_summary_question_type_gets_bars():
    every = load_file(FIXTURES / "questionnaires" / "every-type-v1.toml")
    rows = [
        ReleasedRow(
            1,
            "d",
            1,
            msgspec.json.encode(
                {"trust": 3, "times": 30, "helped": ["gp", "mentor"], "one_word": "ok"}
            ),
        )
    ] * 11
    result = {q.id: q for q in summary.summarise([every], rows, [1], "dfe").questions}
    assert [c.code for c in result["trust"].rows] == ["1", "2", "3", "4", "5"]
    assert {c.code: c.count for c in result["helped"].rows}["gp"] == 11
    assert len(result["times"].rows) == 8  # 0..31 in bins of 4
    assert next(c for c in result["times"].rows if c.code == "28-31").count == 11
    assert result["one_word"].texts == ["ok"] * 11


def test_a_split_cannot_be_undone_with_the_overall_counts():
    """Group A has 2 'no': hidden. Were the groups suppressed one by one beside a fully shown
    overall row, A's 'no' would be overall 'no' minus B's 'no'. As one two-way table it
    cannot be worked back from anything shown."""
    every = load_file(FIXTURES / "questionnaires" / "every-type-v1.toml")
    answers = (
        [{"fits": "yes", "age_band": "12_13"}] * 20
        + [{"fits": "no", "age_band": "12_13"}] * 2
        + [{"fits": "yes", "age_band": "14_15"}] * 20
        + [{"fits": "no", "age_band": "14_15"}] * 10
    )
    rows = [ReleasedRow(1, "2026-11-25", 1, msgspec.json.encode(a)) for a in answers]
    fits = next(
        q
        for q in summary.summarise([every], rows, [1], "dfe", by="age_band").questions
        if q.id == "fits"
    )
    overall = {c.code: c.count for c in fits.rows}
    groups = {g.code: {c.code: c.count for c in g.rows} for g in fits.groups}
    assert groups["12_13"]["no"] == "[c]"
    others = [groups[g]["no"] for g in groups if g != "12_13"]
    derivable = isinstance(overall["no"], int) and all(isinstance(v, int) for v in others)
    assert not derivable, (overall, groups)
    # Nor from the group's own total: its other cell is hidden too.
    assert groups["12_13"]["yes"] == "[c]"
