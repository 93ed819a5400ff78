"""Command-line side of XLSForm: `import-xlsform` and `export-xlsform`. Thin: parse, call the
xlsform package, write the file whole (or not at all), report."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from survey_service import registry
from survey_service.questionnaires import (
    Questionnaire,
    QuestionnaireError,
    content_hash,
    decode_canonical,
    load_file,
)
from survey_service.settings import Settings
from survey_service.store import open_store
from survey_service.xlsform import XLSFormError, file_name, read_xlsform
from survey_service.xlsform.writer import write_xlsform


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reader = sub.add_parser(
        "import-xlsform", help="turn an XLSForm spreadsheet into a checked questionnaire file"
    )
    reader.add_argument("form", type=Path, help="the workbook (.xlsx)")
    reader.add_argument(
        "-o", "--output", type=Path, default=Path("."), help="folder for ID-vN.toml (default: .)"
    )
    reader.add_argument(
        "--force", action="store_true", help="replace a different file of the same name"
    )
    reader.set_defaults(func=_import)

    writer = sub.add_parser(
        "export-xlsform", help="write a published or bundled questionnaire as an XLSForm"
    )
    writer.add_argument("questionnaire")
    writer.add_argument("version", type=int)
    writer.add_argument("-o", "--output", type=Path, help="file to write (default: ID-vN.xlsx)")
    writer.set_defaults(func=_export)


def _import(args: argparse.Namespace, _conf: Settings) -> int:
    try:
        result = read_xlsform(args.form)
    except XLSFormError as exc:
        for problem in exc.problems:
            print(f"error: {exc.source}: {problem}", file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'s' if count > 1 else ''}; nothing was written", file=sys.stderr)
        return 1
    q = result.questionnaire
    target = args.output / file_name(q.id, q.version)
    if target.exists() and not args.force and _differs(target, q):
        print(
            f"error: {target} exists with other content: a published version never changes, "
            "so give the form the next version in its settings sheet (or use --force to "
            "replace a draft)",
            file=sys.stderr,
        )
        return 1
    args.output.mkdir(parents=True, exist_ok=True)
    _write_whole(target, lambda path: path.write_text(result.toml, encoding="utf-8"))
    count = sum(1 for _ in q.questions())
    print(f"wrote {target}: {q.id} version {q.version} ({q.audience}, {count} questions)")
    return 0


def _differs(path: Path, q: Questionnaire) -> bool:
    try:
        return content_hash(load_file(path)) != content_hash(q)
    except QuestionnaireError:
        return True


def _export(args: argparse.Namespace, conf: Settings) -> int:
    q = _find(conf, args.questionnaire, args.version)
    if q is None:
        print(
            f"error: {args.questionnaire} version {args.version} is neither published nor in "
            f"{conf.questionnaires_dir}",
            file=sys.stderr,
        )
        return 1
    target = args.output or Path(file_name(q.id, q.version, ".xlsx"))
    _write_whole(target, lambda path: write_xlsform(q, path))
    print(f"wrote {target}: {q.id} version {q.version} as an XLSForm")
    return 0


def _find(conf: Settings, questionnaire: str, version: int) -> Questionnaire | None:
    """The published copy (what respondents were served), else the file in the folder."""
    # An export never creates a database: only an existing one (or PostgreSQL) is asked.
    if conf.database_url or conf.database_path.exists():

        async def published() -> Questionnaire | None:
            store = open_store(conf)
            await store.open()
            try:
                for stored in await store.published_versions():
                    if (stored.questionnaire, stored.version) == (questionnaire, version):
                        return decode_canonical(stored.content)
                return None
            finally:
                await store.close()

        found = asyncio.run(published())
        if found is not None:
            return found
    files = registry.load(conf.questionnaires_dir)
    entry = files.get((questionnaire, version))
    return entry[1] if entry else None


def _write_whole(target: Path, write: Callable[[Path], object]) -> None:
    """Write beside the target, then rename: an interrupted run leaves no half-written file."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
