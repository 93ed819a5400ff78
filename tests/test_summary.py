"""Summaries (rule 8): every figure from the protected release through the cell key method; the
risk table of the 2015 report; honest percentages; the operator's policy as a floor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from survey_service.inspector import charts
from survey_service.questionnaires import load_file
from tests.support.inspectors import (
    FIXTURES,
    add_account,
    make_app,
    make_settings,
    seed,
    sign_in,
    token_for,
)
from tests.support.releases import could_be, inputs, work_out

RISK = load_file(FIXTURES / "inspect" / "risk-v1.toml")
EVERY = load_file(FIXTURES / "questionnaires" / "every-type-v1.toml")
REPORT = {"no_concern": 26, "vulnerable": 78, "groomed": 26, "likely": 7}  # 137 children


def risk_rows(seed: int = 4) -> list[Any]:
    return inputs([{"rating": code} for code, n in REPORT.items() for _ in range(n)], seed=seed)


def test_the_reports_risk_table_under_the_cell_key_method():
    """The worked example in docs/confidentiality.md: each figure is its true count moved by at
    most 3 (most not at all), percentages are of the published n, and the same record keys
    always give the same table."""
    result = work_out([RISK], risk_rows()).summary()
    assert result.responses == 137
    assert result.policy == "cellkey"
    (rating,) = result.questions
    shown = {c.code: c.count for c in rating.rows}
    for code, true in REPORT.items():
        assert true in could_be(shown[code])
    assert 137 in could_be(rating.n)
    for c in rating.rows:
        assert c.percent == round(100 * c.count / rating.n, 1)
    assert work_out([RISK], risk_rows()).summary() == result
    svg = charts.chart_svg(rating, "c")
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "percent, about" in svg


def test_the_risk_table_as_docs_show_it():
    """docs/numbers.md prints this table (record keys drawn with seed 7), and what dfe and nhs
    make of it."""
    worked = work_out([RISK], risk_rows(7))
    (rating,) = worked.summary().questions
    assert [(c.count, c.percent) for c in rating.rows] == [
        (26, 18.8),
        (79, 57.2),
        (26, 18.8),
        (5, 3.6),
    ]
    assert rating.n == 138
    (dfe,) = worked.summary("dfe").questions
    assert [c.count for c in dfe.rows] == [26, 79, 26, "[c]"]
    (nhs,) = worked.summary("nhs").questions
    assert [c.count for c in nhs.rows] == [25, 80, 25, "*"]
    assert nhs.n == 140
    docs = (Path(__file__).parent.parent / "docs" / "numbers.md").read_text(encoding="utf-8")
    assert "| Vulnerable to CSE | 78 | 79 | 57.2% |" in docs
    assert "| Answered (n) | 137 | 138 | |" in docs
    assert "the table reads 25, 80, 25, `*`, total 140" in docs


def test_policies_hide_small_perturbed_figures_on_top():
    (ons,) = work_out([RISK], risk_rows()).summary("ons").questions
    likely = next(c for c in ons.rows if c.code == "likely")
    assert likely.count == "[c]"
    assert likely.percent == "[c]"
    assert all(isinstance(c.count, int) for c in ons.rows if c.code != "likely")
    (nhs,) = work_out([RISK], risk_rows()).summary("nhs").questions
    assert all(c.count == "*" or c.count % 5 == 0 for c in nhs.rows)


def test_multiple_choice_percentages_are_of_the_people_who_answered():
    """Issue 14, finding 5: percentages were shares of all ticks under a caption saying "of
    people who answered". Here 56 people tick 112 boxes and 12 tick 'gp': 12 of 56 people is
    21.4%, not 12 of 112 ticks (10.7%)."""
    answers = [{"helped": ["gp", "mentor"]} for _ in range(12)]
    answers += [{"helped": ["mentor", "social_worker"]} for _ in range(44)]
    answers += [{"fits": "yes"}] * 10  # did not answer the question at all
    assert sum(len(a.get("helped", [])) for a in answers) == 112
    (helped,) = [
        q for q in work_out([EVERY], inputs(answers)).summary().questions if q.id == "helped"
    ]
    assert 56 in could_be(helped.n)
    gp = next(c for c in helped.rows if c.code == "gp")
    assert gp.percent == round(100 * gp.count / helped.n, 1)
    assert 19 <= gp.percent <= 24  # 12 of 56, give or take the noise; never about 10%
    assert not hasattr(helped, "not_answered")  # see tables.QuestionTable


def test_every_question_type_gets_bars_and_free_text_only_a_count():
    rows = inputs([{"trust": 3, "times": 30, "helped": ["gp", "mentor"], "one_word": "ok"}] * 11)
    result = {q.id: q for q in work_out([EVERY], rows).summary().questions}
    assert [c.code for c in result["trust"].rows] == ["1", "2", "3", "4", "5"]
    assert 11 in could_be({c.code: c.count for c in result["helped"].rows}["gp"])
    assert len(result["times"].rows) == 8  # 0..31 in bands of 4
    assert result["one_word"].rows == []
    assert 11 in could_be(result["one_word"].n)


def test_a_split_shows_the_same_figure_for_the_same_people():
    """A cell is a set of people: the plain table's 'no' and the split's groups are figures
    of their own, but the age question's count for 14-15 in the plain table is the same set
    as the 14-15 group's answered-age n, so it shows the same number."""
    answers = (
        [{"fits": "yes", "age_band": "12_13", "gender": "girl"}] * 20
        + [{"fits": "no", "age_band": "12_13", "gender": "girl"}] * 6
        + [{"fits": "yes", "age_band": "14_15", "gender": "boy"}] * 20
        + [{"fits": "no", "age_band": "14_15", "gender": "boy"}] * 10
    )
    worked = work_out([EVERY], inputs(answers))
    plain = {q.id: q for q in worked.summary().questions}
    split = {q.id: q for q in worked.summary(by="age_band").questions}
    age_counts = {c.code: c.count for c in plain["age_band"].rows}
    for group in split["age_band"].groups:
        if group.code in age_counts:
            assert group.n == age_counts[group.code]
    assert {c.code: c.count for c in split["fits"].rows} == {
        c.code: c.count for c in plain["fits"].rows
    }


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(make_app(make_settings(tmp_path))) as test_client:
        await add_account(test_client)
        yield test_client


async def test_summary_counts_released_batches_only_and_shows_no_text(client):
    headers = await token_for(client)
    await seed(
        client, [{"fits": "no", "why_not": f"answer {n}", "age_band": "14_15"} for n in range(12)]
    )
    await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
    await seed(client, [{"fits": "yes"}] * 5)  # waiting, not released: never counted
    reply = await client.get(
        "/api/inspect/questionnaires/every-type/summary?by=age_band", headers=headers
    )
    body = reply.json()
    assert body["responses"] == 12
    assert body["batches"] == [1]
    assert body["policy"] == "cellkey"
    fits = next(q for q in body["questions"] if q["id"] == "fits")
    counts = {c["code"]: c["count"] for c in fits["rows"]}
    assert counts["yes"] == counts["not_sure"] == counts["prefer_not"] == 0
    assert 12 in could_be(counts["no"])
    assert set(fits["rows"][0]) == {"code", "label", "count", "percent"}
    assert [g["code"] for g in fits["groups"]] == [
        "12_13",
        "14_15",
        "16_17",
        "prefer_not",
        "[c]",
        None,
    ]
    why_not = next(q for q in body["questions"] if q["id"] == "why_not")
    assert why_not["rows"] == []
    assert "answer 1" not in reply.text
    page = await _page(client)
    assert "<svg" in page
    assert 'role="img"' in page
    assert "Split by" in page


async def _page(client: AsyncTestClient[Any]) -> str:
    await sign_in(client)
    reply = await client.get("/inspect/questionnaires/every-type/summary?by=age_band&policy=ons")
    assert reply.status_code == 200
    return reply.text


async def test_a_request_may_only_ask_for_a_stricter_policy(tmp_path):
    """Issue 14, finding 6: ?policy=dfe overrode a stricter SURVEY_SUPPRESSION_POLICY."""
    settings = make_settings(tmp_path, suppression_policy="ons")
    async with AsyncTestClient(make_app(settings)) as local:
        await add_account(local)
        headers = await token_for(local)
        path = "/api/inspect/questionnaires/every-type/summary"
        weaker = await local.get(f"{path}?policy=dfe", headers=headers)
        assert weaker.status_code == 422
        assert weaker.json()["errors"][0]["field"] == "policy"
        assert "'ons' at least" in weaker.json()["errors"][0]["message"]
        assert (await local.get(path, headers=headers)).json()["policy"] == "ons"
        await sign_in(local)
        page = await local.get("/inspect/questionnaires/every-type/summary?policy=dfe")
        assert page.status_code == 200
        assert 'value="dfe"' not in page.text
        assert 'value="ons" selected' in page.text
