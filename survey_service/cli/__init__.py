"""The command line: serve, check, retire. Thin: parse arguments, call one function, report."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from survey_service import registry, settings
from survey_service.cli import inspector, xlsform
from survey_service.ops import retention
from survey_service.questionnaires import QuestionnaireError
from survey_service.store import StoreUnavailable, open_store


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        conf = settings.from_env()
    except settings.SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=conf.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args, conf) or 0)
    except QuestionnaireError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="survey-service",
        description="Anonymised questionnaire collection that works offline. "
        "Settings come from SURVEY_* environment variables (see docs/operations.md).",
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="start the service (granian, one worker)")
    serve.set_defaults(func=_serve)

    check = sub.add_parser("check", help="validate questionnaire files and report problems")
    check.add_argument("folder", nargs="?", type=Path, help="default: SURVEY_QUESTIONNAIRES_DIR")
    check.set_defaults(func=_check)

    retire = sub.add_parser("retire", help="stop a published version taking new answers")
    retire.add_argument("questionnaire")
    retire.add_argument("version", type=int)
    retire.add_argument("--undo", action="store_true", help="let the version take answers again")
    retire.set_defaults(func=_retire)
    inspector.add_parsers(sub)
    xlsform.add_parsers(sub)

    show = sub.add_parser(
        "preview", help="show a draft (.toml or .xlsx) in the real form app; stores nothing"
    )
    show.add_argument("file", type=Path, help="the draft: a questionnaire file or an XLSForm")
    show.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (default 8001)")
    show.set_defaults(func=_preview)

    save = sub.add_parser("backup", help="copy the database consistently, even while serving")
    save.add_argument("path", type=Path, help="new file to write the copy to")
    save.set_defaults(func=_backup)

    put_back = sub.add_parser(
        "restore", help="check a backup and put it in place of the database (stop serve first)"
    )
    put_back.add_argument("path", type=Path, help="a file made by `survey-service backup`")
    put_back.add_argument(
        "--force", action="store_true", help="restore even if the database looks in use"
    )
    put_back.set_defaults(func=_restore)
    purge = sub.add_parser("purge", help="delete responses past the retention period now")
    purge.add_argument(
        "--older-than", type=int, metavar="DAYS", help="default: SURVEY_RETENTION_DAYS"
    )
    purge.set_defaults(func=_purge)

    doctor = sub.add_parser(
        "doctor", help="report what this deployment gets wrong (file modes, URL, backups, ...)"
    )
    doctor.set_defaults(func=_doctor)

    migrate = sub.add_parser(
        "migrate", help="copy this SQLite deployment into an empty PostgreSQL database"
    )
    migrate.add_argument("--to", required=True, metavar="URL", help="postgresql://…")
    migrate.set_defaults(func=_migrate)
    return parser


def _backup(args: argparse.Namespace, conf: settings.Settings) -> int:
    from survey_service.ops import backup

    if conf.database_url:
        print(
            "error: backup and restore are for SQLite; on PostgreSQL use pg_dump", file=sys.stderr
        )
        return 1

    try:
        count = backup.backup(conf.database_path, args.path)
    except backup.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    asyncio.run(_record_backup(conf, f"{count} responses to {args.path}"))
    print(f"backed up {count} responses to {args.path}")
    return 0


async def _record_backup(conf: settings.Settings, detail: str) -> None:
    """A backup copies every answer: audited like an export, and noted for `doctor`."""
    from survey_service.inspector import audit

    store = open_store(conf)
    await store.open()
    try:
        await store.note_maintenance("backup", audit.stamp(audit.now_utc()))
        await audit.record(store, "(command line)", "backup", detail)
    finally:
        await store.close()


def _restore(args: argparse.Namespace, conf: settings.Settings) -> int:
    from survey_service.ops import backup

    if conf.database_url:
        print(
            "error: backup and restore are for SQLite; on PostgreSQL use pg_dump", file=sys.stderr
        )
        return 1

    try:
        count, kept = backup.restore(args.path, conf.database_path, force=args.force)
    except backup.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if kept is not None:
        print(f"the database it replaced is kept at {kept}")
    print(f"restored {count} responses from {args.path} to {conf.database_path}")
    return 0


def _check(args: argparse.Namespace, conf: settings.Settings) -> int:
    folder = args.folder or conf.questionnaires_dir
    found = registry.load(folder)
    for (qid, version), (path, q) in sorted(found.items()):
        count = sum(1 for _ in q.questions())
        print(f"ok  {path}: {qid} version {version} ({q.audience}, {count} questions)")
    if not found:
        print(f"error: {folder} holds no *.toml questionnaire files", file=sys.stderr)
        return 1
    return 0


def _retire(args: argparse.Namespace, conf: settings.Settings) -> int:
    async def run() -> bool:
        store = open_store(conf)
        await store.open()
        try:
            return await store.set_retired(args.questionnaire, args.version, not args.undo)
        finally:
            await store.close()

    if not asyncio.run(run()):
        print(
            f"error: {args.questionnaire} version {args.version} is not published", file=sys.stderr
        )
        return 1
    state = (
        "takes answers again"
        if args.undo
        else "is retired: it is still served, takes no new answers"
    )
    print(f"{args.questionnaire} version {args.version} {state}")
    return 0


def _purge(args: argparse.Namespace, conf: settings.Settings) -> int:
    days = conf.retention_days if args.older_than is None else args.older_than
    if days < 0:
        print("error: --older-than must be 0 or more days", file=sys.stderr)
        return 2

    async def run() -> retention.PurgeReport:
        store = open_store(conf)
        await store.open()
        try:
            today = dt.datetime.now(dt.UTC).date()
            return await retention.purge(store, today, days, conf.release)
        finally:
            await store.close()

    report = asyncio.run(run())
    print(f"purged {report.removed} responses received more than {days} days ago")
    if not report.clean:
        print(
            "warning: a long read (an export?) kept the purged pages from being overwritten;"
            " they stay in the database file until then: run `survey-service purge` again"
            " once it has finished (the running service retries within the hour)",
            file=sys.stderr,
        )
        return 1
    return 0


def _doctor(_args: argparse.Namespace, conf: settings.Settings) -> int:
    from survey_service.ops import doctor

    findings = doctor.examine(conf)
    for f in findings:
        print(f"{'ok  ' if f.ok else 'WARN'}  {f.topic}: {f.message}")
    problems = sum(not f.ok for f in findings)
    print(f"{problems} problem{'s' if problems != 1 else ''} found")
    return 1 if problems else 0


def _migrate(args: argparse.Namespace, conf: settings.Settings) -> int:
    if importlib.util.find_spec("asyncpg") is None:
        print(
            "error: migrate needs the PostgreSQL driver: install survey-service[postgres]",
            file=sys.stderr,
        )
        return 1
    from survey_service.store import transfer

    try:
        counts = asyncio.run(transfer.sqlite_to_postgres(conf.database_path, args.to))
    except (transfer.TransferError, StoreUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for table, count in counts.items():
        print(f"copied {count} rows of {table}; counts match")
    print("done: set SURVEY_DATABASE_URL to the new database and start the service")
    return 0


def preflight(conf: settings.Settings) -> None:
    """Fail before listening if the questionnaires are invalid or a published one changed."""

    async def run() -> None:
        store = open_store(conf)
        await store.open()
        try:
            await registry.publish(store, conf.questionnaires_dir)
        finally:
            await store.close()

    asyncio.run(run())


def _preview(args: argparse.Namespace, conf: settings.Settings) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    from survey_service.respondent import drafts, preview

    # Read once here, so problems show before anything listens; the server reads it again
    # whenever the file changes.
    try:
        q = drafts.read(args.file.name, args.file.read_bytes())
    except OSError as exc:
        print(f"error: {args.file}: cannot be read: {exc.strerror}", file=sys.stderr)
        return 1
    except drafts.DraftRefused as exc:
        for problem in exc.problems:
            print(f"error: {args.file}: {problem}", file=sys.stderr)
        return 1
    os.environ[preview.FILE_VARIABLE] = str(args.file.resolve())
    print(
        f"preview of {q.id} version {q.version} at http://127.0.0.1:{args.port}/ : nothing is"
        " stored. Edit and save the file, then reload the page. Ctrl+C stops it.",
        file=sys.stderr,
    )
    Granian(
        "survey_service.respondent.preview:app_from_env",
        factory=True,
        address="127.0.0.1",  # a draft is for its author: never on the network
        port=args.port,
        interface=Interfaces.ASGI,
        workers=1,
        log_access=False,
        log_level=conf.log_level,  # type: ignore[arg-type]
    ).serve()
    return 0


def _serve(_args: argparse.Namespace, conf: settings.Settings) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    preflight(conf)
    # The worker process rebuilds settings from the same environment.
    os.environ.setdefault("SURVEY_QUESTIONNAIRES_DIR", str(conf.questionnaires_dir))
    print(f"survey_service listening on http://{conf.host}:{conf.port}", file=sys.stderr)
    Granian(
        "survey_service.asgi:app_from_env",
        factory=True,
        address=conf.host,
        port=conf.port,
        interface=Interfaces.ASGI,
        workers=1,  # one process owns the SQLite writer
        log_access=False,  # no access log: respondents leave no trace in logs
        log_level=conf.log_level,  # type: ignore[arg-type]
    ).serve()
    return 0
