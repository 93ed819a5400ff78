"""`survey-service doctor` (issue 17, item 6): each thing a deployment can get wrong is
reported, and a deployment that gets nothing wrong is told so."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from survey_service import cli
from survey_service.ops import doctor
from survey_service.settings import Settings
from survey_service.store.sqlite import SQLiteStore

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
GOOD = {
    "public_base_url": "https://survey.example.org",
    "trusted_proxies": "10.0.0.5",
}


def deployment(tmp_path: Path, backed_up: str | None = "2026-11-25T02:00:00Z") -> Path:
    data = tmp_path / "var"

    async def make() -> None:
        s = SQLiteStore(data / "survey.sqlite3")
        await s.open()
        if backed_up:
            await s.note_maintenance("backup", backed_up)
        await s.note_maintenance("compaction", "2026-11-25T03:00:00Z")
        await s.close()

    asyncio.run(make())
    return data


def problems(settings: Settings) -> dict[str, str]:
    return {f.topic: f.message for f in doctor.examine(settings, NOW) if not f.ok}


def test_a_sound_deployment_has_no_problems(tmp_path: Path):
    assert problems(Settings(data_dir=deployment(tmp_path), **GOOD)) == {}


@pytest.mark.parametrize(
    ("change", "topic", "words"),
    [
        ({"public_base_url": "http://127.0.0.1:8000"}, "public URL", "this machine itself"),
        ({"public_base_url": "https://localhost"}, "public URL", "this machine itself"),
        ({"public_base_url": "http://survey.example.org"}, "public URL", "unencrypted"),
        ({"rate_limit_per_second": 0}, "rate limits", "SURVEY_RATE_LIMIT_PER_SECOND is 0"),
        ({"login_rate_limit_per_second": 0}, "rate limits", "LOGIN_RATE_LIMIT"),
        ({"trusted_proxies": ""}, "proxies", "SURVEY_TRUSTED_PROXIES is empty"),
        ({"compaction_hours": 0}, "compaction", "is 0"),
    ],
)
def test_each_setting_problem_is_reported(tmp_path: Path, change, topic, words):
    found = problems(Settings(data_dir=deployment(tmp_path), **{**GOOD, **change}))
    assert list(found) == [topic]
    assert words in found[topic]


def test_open_file_modes_are_reported(tmp_path: Path):
    data = deployment(tmp_path)
    data.chmod(0o755)
    (data / "survey.sqlite3").chmod(0o644)
    found = [f for f in doctor.examine(Settings(data_dir=data, **GOOD), NOW) if not f.ok]
    assert [f.topic for f in found] == ["files", "files"]
    assert "var is 755" in found[0].message
    assert "survey.sqlite3 is 644" in found[1].message
    assert (data / "survey.sqlite3").stat().st_mode & 0o777 == 0o644  # it only looks


def test_no_recent_backup_and_safety_copies_are_reported(tmp_path: Path):
    data = deployment(tmp_path, backed_up=None)
    assert "no backup recorded" in problems(Settings(data_dir=data, **GOOD))["backup"]
    stale = deployment(tmp_path, backed_up="2026-11-20T02:00:00Z")
    assert "2026-11-20" in problems(Settings(data_dir=stale, **GOOD))["backup"]
    (stale / "survey.sqlite3.before-restore-20261124T100000Z").write_bytes(b"")
    (stale / "survey.sqlite3.before-restore-20261124T100000Z").chmod(0o600)
    assert "before-restore" in problems(Settings(data_dir=stale, **GOOD))["safety copies"]


def test_the_command_prints_each_finding_and_fails_on_a_problem(
    tmp_path: Path, monkeypatch, capsys
):
    data = deployment(tmp_path, backed_up=None)
    monkeypatch.setenv("SURVEY_DATA_DIR", str(data))
    monkeypatch.setenv("SURVEY_TRUSTED_PROXIES", "10.0.0.5")
    monkeypatch.setenv("SURVEY_PUBLIC_BASE_URL", "https://survey.example.org")
    asyncio.run(_done_now(data, "compaction"))
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "WARN  backup: no backup recorded" in out
    assert "ok    files" in out
    assert "1 problem found" in out
    asyncio.run(_done_now(data, "backup"))
    assert cli.main(["doctor"]) == 0
    assert "0 problems found" in capsys.readouterr().out


async def _done_now(data: Path, task: str) -> None:
    from survey_service.inspector.audit import now_utc, stamp

    s = SQLiteStore(data / "survey.sqlite3")
    await s.open()
    await s.note_maintenance(task, stamp(now_utc()))
    await s.close()


def test_the_backup_command_records_itself(tmp_path: Path, monkeypatch):
    data = deployment(tmp_path, backed_up=None)
    monkeypatch.setenv("SURVEY_DATA_DIR", str(data))
    assert cli.main(["backup", str(tmp_path / "copy.sqlite3")]) == 0
    from survey_service.store.sqlite import maintenance_readonly

    assert "backup" in maintenance_readonly(data / "survey.sqlite3")
