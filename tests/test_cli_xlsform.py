"""The XLSForm commands as an author uses them: import a workbook, check it, export one back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from survey_service import cli
from survey_service.questionnaires import content_hash, load_file
from tests.support.questionnaires import questions_by_id
from tests.support.xlsforms import young_people_form

ROOT = Path(__file__).parent.parent
SCRIPT = str(Path(sys.executable).with_name("survey-service"))


@pytest.fixture
def data_dir(monkeypatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SURVEY_QUESTIONNAIRES_DIR", raising=False)
    return tmp_path / "data"


def test_import_writes_a_file_that_check_passes(tmp_path: Path, capsys):
    form = young_people_form().save(tmp_path / "check-in.xlsx")
    out = tmp_path / "questionnaires"
    assert cli.main(["import-xlsform", str(form), "-o", str(out)]) == 0
    written = out / "check-in-v1.toml"
    assert f"wrote {written}: check-in version 1 (young_people, 3 questions)" in (
        capsys.readouterr().out
    )
    assert cli.main(["check", str(out)]) == 0
    assert "check-in version 1 (young_people, 3 questions)" in capsys.readouterr().out


def test_the_installed_command_imports_and_checks(tmp_path: Path):
    form = young_people_form().save(tmp_path / "check-in.xlsx")
    out = tmp_path / "questionnaires"
    for command in (["import-xlsform", str(form), "-o", str(out)], ["check", str(out)]):
        result = subprocess.run(
            [SCRIPT, *command], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr


def test_a_refused_form_names_each_problem_and_writes_nothing(tmp_path: Path, capsys):
    form = young_people_form()
    form.question("anything_else")["label"] = "What is your name?"
    form.question("has_worker")["type"] = "select_one yes_no or_other"
    path = form.save(tmp_path / "form.xlsx")
    out = tmp_path / "out"
    assert cli.main(["import-xlsform", str(path), "-o", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: form.xlsx: survey sheet, row 4, column A (type): ")
    assert err[1] == "1 problem; nothing was written"
    assert not out.exists()
    form.question("has_worker")["type"] = "select_one yes_no"
    form.save(path)
    assert cli.main(["import-xlsform", str(path), "-o", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "error: form.xlsx: survey sheet, row 8, column C (label): question 'anything_else': "
        "rule 4: asks for a name ('name' in the text); young people's questionnaires must not"
    )
    assert not out.exists()


def test_import_keeps_a_different_file_unless_forced(tmp_path: Path, capsys):
    form = young_people_form()
    path = form.save(tmp_path / "form.xlsx")
    assert cli.main(["import-xlsform", str(path), "-o", str(tmp_path)]) == 0
    assert cli.main(["import-xlsform", str(path), "-o", str(tmp_path)]) == 0  # same content
    form.question("anything_else")["label"] = "Is there anything else?"
    form.save(path)
    assert cli.main(["import-xlsform", str(path), "-o", str(tmp_path)]) == 1
    assert "give the form the next version" in capsys.readouterr().err
    written = tmp_path / "check-in-v1.toml"
    assert questions_by_id(load_file(written))["anything_else"].text == "Anything else?"
    assert cli.main(["import-xlsform", str(path), "-o", str(tmp_path), "--force"]) == 0
    assert questions_by_id(load_file(written))["anything_else"].text == "Is there anything else?"


@pytest.mark.parametrize("bundled", ["young-people-v1.toml", "staff-v1.toml"])
def test_export_a_bundled_questionnaire_and_import_it_unchanged(
    data_dir: Path, tmp_path: Path, capsys, bundled: str
):
    original = load_file(ROOT / "questionnaires" / bundled)
    sheet = tmp_path / "form.xlsx"
    assert cli.main(["export-xlsform", original.id, "1", "-o", str(sheet)]) == 0
    assert f"wrote {sheet}: {original.id} version 1 as an XLSForm" in capsys.readouterr().out
    assert not data_dir.exists()  # an export creates no database
    out = tmp_path / "again"
    assert cli.main(["import-xlsform", str(sheet), "-o", str(out)]) == 0
    assert content_hash(load_file(out / f"{original.id}-v1.toml")) == content_hash(original)


@pytest.mark.usefixtures("data_dir")
def test_export_reads_the_published_copy_when_the_file_is_gone(
    monkeypatch, questionnaires_dir: Path, tmp_path: Path
):
    monkeypatch.setenv("SURVEY_QUESTIONNAIRES_DIR", str(questionnaires_dir))
    cli.preflight(cli.settings.from_env())  # publishes the fixture questionnaires
    path = questionnaires_dir / "every-type-v1.toml"
    published = load_file(path)
    path.unlink()
    sheet = tmp_path / "every-type.xlsx"
    assert cli.main(["export-xlsform", "every-type", "1", "-o", str(sheet)]) == 0
    assert cli.main(["import-xlsform", str(sheet), "-o", str(tmp_path)]) == 0
    assert content_hash(load_file(tmp_path / "every-type-v1.toml")) == content_hash(published)


@pytest.mark.usefixtures("data_dir")
def test_export_default_file_name(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["export-xlsform", "staff-survey", "1"]) == 0
    assert (tmp_path / "staff-survey-v1.xlsx").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["staff-survey-v1.xlsx"]


@pytest.mark.usefixtures("data_dir")
def test_export_of_an_unknown_version(capsys):
    assert cli.main(["export-xlsform", "have-your-say", "9"]) == 1
    assert "have-your-say version 9 is neither published nor in" in capsys.readouterr().err


def test_import_of_a_missing_file(tmp_path: Path, capsys):
    assert cli.main(["import-xlsform", str(tmp_path / "nowhere.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "error: nowhere.xlsx: cannot be read: No such file or directory" in err
