"""The command line as an operator uses it: check, retire, and a refused start-up."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from survey_service import cli
from tests.conftest import FIXTURE_QUESTIONNAIRES


@pytest.fixture
def env(monkeypatch, tmp_path: Path, questionnaires_dir: Path) -> Path:
    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SURVEY_QUESTIONNAIRES_DIR", str(questionnaires_dir))
    return questionnaires_dir


def test_check_lists_valid_files(capsys):
    assert cli.main(["check", str(FIXTURE_QUESTIONNAIRES)]) == 0
    out = capsys.readouterr().out
    assert "every-type version 1 (young_people, 7 questions)" in out


def test_check_the_bundled_questionnaires(capsys):
    assert cli.main(["check", "questionnaires"]) == 0
    out = capsys.readouterr().out
    assert "have-your-say version 1" in out
    assert "staff-survey version 1" in out


def test_check_fails_with_file_question_and_reason(tmp_path: Path, capsys):
    text = (FIXTURE_QUESTIONNAIRES / "every-type-v1.toml").read_text(encoding="utf-8")
    (tmp_path / "broken.toml").write_text(text.replace("max = 31", "max = 0"))
    assert cli.main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "broken.toml: question 'times': min (0) must be below max (0)" in err


def test_check_an_empty_folder_fails(tmp_path: Path, capsys):
    assert cli.main(["check", str(tmp_path)]) == 1
    assert "holds no *.toml" in capsys.readouterr().err


@pytest.mark.usefixtures("env")
def test_retire_and_undo(capsys):
    cli.preflight(cli.settings.from_env())
    assert cli.main(["retire", "every-type", "1"]) == 0
    assert "is retired" in capsys.readouterr().out
    assert cli.main(["retire", "every-type", "1", "--undo"]) == 0
    assert cli.main(["retire", "every-type", "9"]) == 1
    assert "not published" in capsys.readouterr().err


def test_serve_refuses_to_start_when_a_published_file_changed(env: Path):
    cli.preflight(cli.settings.from_env())
    path = env / "every-type-v1.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("Not sure", "Unsure"))
    result = subprocess.run(
        [str(Path(cli.sys.executable).with_name("survey-service")), "serve"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "every-type version 1 was published with different content" in result.stderr
    assert str(path) in result.stderr


def test_a_bad_setting_is_reported_by_name(monkeypatch, capsys):
    monkeypatch.setenv("SURVEY_PORT", "http")
    assert cli.main(["check"]) == 2
    assert "SURVEY_PORT" in capsys.readouterr().err
