"""Rule 13 through the real service, on SQLite and on PostgreSQL: everything the API shows about a
questionnaire after two releases (every file of every batch in every format, every summary
under every policy, batch sizes), gathered as an inspector would, agrees with itself; and the
n-1 attack of issue 14 finds no moment to strike."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from survey_service.export.layout import Layout
from tests import intruder
from tests.support import intruder_data as data
from tests.support.inspectors import add_account, make_app, make_settings, seed, token_for
from tests.support.releases import could_be

Q = "have-your-say"
FORMATS = ("csv", "json", "xlsx")


@pytest.fixture(params=["sqlite", "postgresql"])
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    overrides: dict[str, Any] = {"questionnaires_dir": _bundled(tmp_path)}
    if request.param == "postgresql":
        overrides["database_url"] = await request.getfixturevalue("pg_cluster").new_database()
        overrides["database_pool_size"] = 4
    async with AsyncTestClient(make_app(make_settings(tmp_path, **overrides))) as test_client:
        await add_account(test_client)
        yield test_client


def _bundled(tmp_path: Path) -> Path:
    folder = tmp_path / "bundled"
    folder.mkdir()
    source = Path(__file__).parent.parent / "questionnaires" / "young-people-v1.toml"
    (folder / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


async def test_every_view_of_two_releases_agrees_with_every_other(client):
    headers = await token_for(client)
    await seed(client, data.summary_undoes_blanking(), questionnaire=Q)
    assert (
        await client.post(f"/api/inspect/questionnaires/{Q}/batches", headers=headers)
    ).status_code == 201
    first = await _views(client, headers)
    await seed(client, data.split_undoes_suppression(), questionnaire=Q)
    assert (
        await client.post(f"/api/inspect/questionnaires/{Q}/batches", headers=headers)
    ).status_code == 201
    second = await _views(client, headers)
    layout = Layout([data.YOUNG])
    # Linking: a response hidden in one file is hidden in every file, then and later.
    history = [_Seen(layout, first), _Seen(layout, second)]
    assert intruder.link(history) == []  # type: ignore[arg-type]
    # Every format of a file holds the same rows.
    for views in (first, second):
        for name, by_format in views.files.items():
            assert by_format["csv"] == by_format["json"] == by_format["xlsx"], name
    # Every figure is a perturbed count of the rows as the files show them: the tables add
    # nothing a file does not say.
    rows = second.files["all"]["json"]
    for (policy, by), summary in second.summaries.items():
        if policy != "cellkey":
            continue
        for table in summary["questions"]:
            for cell in table["rows"]:
                true = _count(rows, table["id"], cell["code"], table["type"])
                assert true in could_be(cell["count"]), (by, table["id"], cell)
    assert second.sizes == [40, 72]


class _Seen:
    """Views as the API gave them, shaped for the intruder's link()."""

    def __init__(self, layout: Layout, views: Any):
        self.layout = layout
        self.views = intruder.Views(
            {name: [dict(r) for r in fmt["json"]] for name, fmt in views.files.items()}, {}, {}
        )


class _Views:
    def __init__(self) -> None:
        self.files: dict[str, dict[str, list[Any]]] = {}
        self.summaries: dict[tuple[str, str | None], Any] = {}
        self.sizes: list[int] = []


async def _views(client: Any, headers: dict[str, str]) -> _Views:
    views = _Views()
    listing = (await client.get(f"/api/inspect/questionnaires/{Q}/batches", headers=headers)).json()
    views.sizes = [b["count"] for b in listing["batches"]]
    names = [str(b["number"]) for b in listing["batches"]] + ["all"]
    for name in names:
        views.files[name] = {}
        for fmt in FORMATS:
            path = f"/api/inspect/questionnaires/{Q}/batches/{name}.{fmt}?codes=1"
            reply = await client.get(path, headers=headers)
            assert reply.status_code == 200, reply.text
            views.files[name][fmt] = _rows(fmt, reply.content)
    for policy in ("cellkey", "dfe", "nhs", "ons"):
        for by in (None, "age_band", "gender"):
            query = f"?policy={policy}" + (f"&by={by}" if by else "")
            reply = await client.get(
                f"/api/inspect/questionnaires/{Q}/summary{query}", headers=headers
            )
            assert reply.status_code == 200, reply.text
            views.summaries[(policy, by)] = reply.json()
    return views


def _rows(fmt: str, content: bytes) -> list[Any]:
    """A file's rows, as sorted tuples of (column, text) so every format compares alike."""
    if fmt == "json":
        rows = json.loads(content)["rows"]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content))["responses"]
        header = [c.value for c in sheet[1]]
        rows = [
            dict(zip(header, [c.value for c in r], strict=True)) for r in sheet.iter_rows(min_row=2)
        ]
    normal = [tuple(sorted((k, "" if v is None else str(v)) for k, v in r.items())) for r in rows]
    return sorted(normal)


def _count(rows: list[Any], qid: str, code: str, kind: str) -> int:
    n = 0
    for row in rows:
        values = dict(row)
        if kind == "multiple_choice":
            n += values.get(f"{qid}.{code}") == "1"
        else:
            n += values.get(qid) == code
    return n


# -- the n-1 attack (finding 4) -----------------------------------------------------------------


async def test_planted_answers_find_no_moment_to_strike(tmp_path):
    """Finding 4: after a target answered, an intruder sent 9 identical answers, watched the
    live waiting count reach 10, released and read the one real row. Now no view counts
    waiting answers exactly (2 to 9 waiting all read "fewer than 10"), nothing received
    today is ready today, and each answer's day of release was drawn when it arrived."""
    settings = make_settings(tmp_path, release_delay_days=7)
    async with AsyncTestClient(make_app(settings)) as client:
        await add_account(client)
        headers = await token_for(client)
        target = {"age_band": "14_15", "fits": "yes"}
        plant = {"age_band": "14_15", "fits": "no"}
        await seed(client, [target], questionnaire="every-type", ready=False)
        seen = []
        for _ in range(9):  # planted one at a time, every view read after each
            await seed(client, [plant], questionnaire="every-type", ready=False)
            seen.append(await _waiting_views(client, headers))
        assert len(set(seen[:8])) == 1
        assert "fewer than 10" in seen[0]
        assert all(str(n) not in view for n, view in zip(range(2, 10), seen, strict=False))
        refused = await client.post(
            "/api/inspect/questionnaires/every-type/batches", headers=headers
        )
        assert refused.status_code == 409  # nothing that arrived today is ready today
        assert "ready" in refused.json()["errors"][0]["message"]


async def _waiting_views(client: Any, headers: dict[str, str]) -> str:
    api = (
        await client.get("/api/inspect/questionnaires/every-type/batches", headers=headers)
    ).json()
    overview = (await client.get("/api/inspect/questionnaires", headers=headers)).json()
    mine = next(q for q in overview if q["id"] == "every-type")
    return json.dumps([api["waiting"], mine["waiting"]], sort_keys=True)


def test_the_day_an_answer_is_released_is_drawn_at_random():
    """Whatever an intruder does, each answer's ready day is its own draw: the target's is
    as likely to come before every planted answer's as after them all."""
    from survey_service.respondent.intake import eligible_on

    rng_days = Counter()
    first = last = 0
    import random

    rng = random.Random(9)
    for _ in range(4000):
        target = eligible_on("2026-11-30", 7, rng.randrange)
        plants = [eligible_on("2026-11-30", 7, rng.randrange) for _ in range(9)]
        rng_days[target] += 1
        first += target < min(plants)
        last += target > max(plants)
    assert set(rng_days) == {f"2026-12-{d:02d}" for d in range(1, 9)}
    assert all(400 < n < 600 for n in rng_days.values())  # 500 each on average
    assert abs(first - last) < 120  # first or last alike
