"""The documentation covers every setting, command and make target, names only files that
exist, and the README stays a front door to docs/, so operators never have to guess."""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

from survey_service import cli, settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
# The pages whose file names and links must point at something real.
DOCUMENTS = [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted(ROOT.glob("docs/*.md"))]


def test_every_setting_is_in_the_operations_guide():
    missing = [name for name, _, _ in settings.declared() if f"`{name}`" not in OPERATIONS]
    assert missing == []


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, list[str]]]:
    """Every command and subcommand the CLI's own parser accepts, with its long options."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                options = [
                    option
                    for each in sub._actions
                    for option in each.option_strings
                    if option.startswith("--") and option != "--help"
                ]
                found.append((prefix + name, options))
                found.extend(commands(sub, prefix + name + " "))
    return found


def test_the_parser_is_read_in_full():
    # The walk must see nested subcommands and options, or the next test proves nothing.
    found = dict(commands(cli._parser()))
    assert "inspectors revoke" in found
    assert "--older-than" in found["purge"]


def test_every_command_and_its_options_are_documented():
    lines = (OPERATIONS + "\n" + README).splitlines()
    problems = []
    for command, options in commands(cli._parser()):
        named = re.compile(rf"survey-service {re.escape(command)}(?![\w-])")
        where = [line for line in lines if named.search(line)]
        if not where:
            problems.append(f"survey-service {command}")
        problems += [f"{command} {o}" for o in options if not any(o in line for line in where)]
    assert problems == []


def test_the_readme_starts_with_make_run_and_make_test():
    first_screen = "\n".join(README.splitlines()[:30])
    assert "make run" in first_screen
    assert "make test" in first_screen


def test_the_readme_is_a_front_door_to_every_guide():
    assert len(README.splitlines()) <= 150
    guides = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("docs/*.md"))
    assert [g for g in guides if f"]({g})" not in README] == []


def test_every_make_target_is_in_the_readme():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z-]+):.*## ", makefile, re.MULTILINE)
    assert targets
    assert [t for t in targets if f"`make {t}`" not in README] == []


# A file name in backquotes (`release/service.py`, `static/`) or a relative link target.
_QUOTED = re.compile(r"`([A-Za-z0-9_./-]+(?:\.(?:py|md|js|json|toml|sql|css|html|lua|lock)|/))`")
_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
# Placeholders stand for a name the reader picks: DIR/ID-vN.toml.
_PLACEHOLDER = re.compile(r"(^|/)[A-Z]{2,}[-/]")


def named_paths(document: Path) -> set[str]:
    text = document.read_text(encoding="utf-8")
    quoted = {m for m in _QUOTED.findall(text) if not m.startswith("/")}
    quoted = {m for m in quoted if not _PLACEHOLDER.search(m)}
    links = {m for m in _LINK.findall(text) if "://" not in m and not m.startswith("mailto:")}
    return quoted | links


def _tracked() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return listed.splitlines()


def exists(name: str, document: Path, tracked: list[str]) -> bool:
    """A link is relative to its page. A quoted name may also be written from the repository
    root or from the package (`release/service.py`), or, bare, name a file anywhere."""
    bases = [document.parent, ROOT, ROOT / "survey_service"]
    if any((base / name).exists() for base in bases):
        return True
    return "/" not in name and any(path.rsplit("/", 1)[-1] == name for path in tracked)


def test_the_path_check_catches_a_missing_file(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "See `survey_service/gone.py`, [the guide](nowhere.md), `app.py`, `DIR/ID-vN.toml`."
    )
    assert named_paths(page) == {"survey_service/gone.py", "nowhere.md", "app.py"}
    tracked = _tracked()
    assert not exists("survey_service/gone.py", page, tracked)
    assert not exists("nowhere.md", page, tracked)
    assert exists("app.py", page, tracked)


def test_every_path_named_in_the_docs_exists():
    tracked = _tracked()
    missing = [
        f"{document.relative_to(ROOT)}: {name}"
        for document in DOCUMENTS
        for name in sorted(named_paths(document))
        if not exists(name, document, tracked)
    ]
    assert missing == []
