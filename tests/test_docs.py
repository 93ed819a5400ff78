"""The README documents every setting and every command, so operators never have to guess."""

from __future__ import annotations

from pathlib import Path

from survey_service import cli, settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    missing = [name for name, _, _ in settings.declared() if f"`{name}`" not in README]
    assert missing == []


def test_every_command_is_in_the_readme():
    missing = [c for c in cli.COMMANDS if f"survey-service {c}" not in README]
    assert missing == []


def test_the_readme_starts_with_make_run_and_make_test():
    first_screen = "\n".join(README.splitlines()[:30])
    assert "make run" in first_screen
    assert "make test" in first_screen
