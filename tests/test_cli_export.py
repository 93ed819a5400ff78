"""`survey-service export` as an operator runs it on the server: the released rows
to a file, audited, and a spreadsheet refused (and not audited) when it would go to a screen."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from survey_service import cli
from survey_service.settings import Settings
from tests.support.inspectors import add_account, make_app, make_settings, seed, token_for


@pytest.fixture
async def released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A batch of 12 answers released through the API, and the command line pointed at the
    same database."""
    settings = make_settings(tmp_path)
    async with AsyncTestClient(make_app(settings)) as client:
        await add_account(client)
        headers = await token_for(client)
        await seed(client, [{"fits": "yes"}] * 6 + [{"fits": "no"}] * 6)
        made = await client.post("/api/inspect/questionnaires/every-type/batches", headers=headers)
        assert made.status_code == 201
    monkeypatch.setenv("SURVEY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SURVEY_QUESTIONNAIRES_DIR", str(settings.questionnaires_dir))
    return settings


def exports_audited(settings: Settings) -> list[str]:
    with sqlite3.connect(settings.database_path) as conn:
        rows = conn.execute("SELECT actor FROM audit WHERE action = 'export'").fetchall()
    return [r[0] for r in rows]


def test_an_export_to_a_file_holds_the_released_rows_and_is_audited(
    released: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out = tmp_path / "batch.csv"
    assert cli.main(["export", "every-type", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 12
    assert sorted(r["fits"] for r in rows) == ["No"] * 6 + ["Yes"] * 6
    assert "wrote 12 rows" in capsys.readouterr().err
    assert exports_audited(released) == ["(command line)"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_spreadsheet_is_not_printed_to_a_terminal_nor_audited(
    released: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr("sys.stdout", Terminal())
    assert cli.main(["export", "every-type", "--format", "xlsx"]) == 2
    assert "give -o FILE.xlsx" in capsys.readouterr().err
    assert exports_audited(released) == []  # nothing was exported, so nothing is recorded
