"""Command-line side of the inspectors' work: accounts (`inspectors ...`) and `export`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from survey_service import periods
from survey_service.export.writers import FORMATS
from survey_service.inspector import auth
from survey_service.inspector.service import Export, InspectorService, Refused
from survey_service.settings import Settings
from survey_service.store import Store, open_store

CLI_ACTOR = "(command line)"
MIN_PASSWORD = 10
T = TypeVar("T")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    inspectors = sub.add_parser(
        "inspectors",
        help="inspector accounts: add, list, disable, reviewer, password, token, revoke",
    )
    isub = inspectors.add_subparsers(required=True, metavar="ACTION")
    add = isub.add_parser("add", help="add an account (password from a prompt or SURVEY_PASSWORD)")
    add.add_argument("name")
    add.set_defaults(func=_add)
    listing = isub.add_parser("list", help="list accounts")
    listing.set_defaults(func=_list)
    disable = isub.add_parser("disable", help="switch an account off and end its sessions")
    disable.add_argument("name")
    disable.add_argument("--undo", action="store_true", help="switch the account back on")
    disable.set_defaults(func=_disable)
    reviewer = isub.add_parser(
        "reviewer", help="let an account review free text before it reaches any file"
    )
    reviewer.add_argument("name")
    reviewer.add_argument("--undo", action="store_true", help="take the reviewer role away")
    reviewer.set_defaults(func=_reviewer)
    password = isub.add_parser(
        "password", help="set a new password (prompt or SURVEY_PASSWORD); ends the sessions"
    )
    password.add_argument("name")
    password.set_defaults(func=_set_password)
    token = isub.add_parser("token", help="print a new API token for an account")
    token.add_argument("name")
    token.add_argument("--days", type=float, help="valid for this long (default SURVEY_TOKEN_DAYS)")
    token.set_defaults(func=_token)
    tokens = isub.add_parser("tokens", help="list an account's API tokens: id, made, expires")
    tokens.add_argument("name")
    tokens.set_defaults(func=_tokens)
    revoke = isub.add_parser("revoke", help="end one API token, named by its id")
    revoke.add_argument("name")
    revoke.add_argument("token_id", metavar="ID", help="as `inspectors tokens NAME` lists it")
    revoke.set_defaults(func=_revoke)

    export = sub.add_parser("export", help="write an anonymised export of released batches")
    export.add_argument("questionnaire")
    export.add_argument("--batch", type=int, help="one batch number (default: all released)")
    export.add_argument("--format", choices=FORMATS, default="csv")
    export.add_argument("--codes", action="store_true", help="codes instead of labels")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.set_defaults(func=_export)


def _with_store(conf: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    async def run() -> T:
        store = open_store(conf)
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _password() -> str | None:
    from_env = os.environ.get("SURVEY_PASSWORD")
    if from_env is not None:
        return from_env
    first = getpass.getpass("Password: ")
    if getpass.getpass("Same password again: ") != first:
        print("error: the two passwords differ", file=sys.stderr)
        return None
    return first


def _good_password() -> str | int:
    """The new password, or the exit code when it is refused."""
    password = _password()
    if password is None:
        return 1
    if len(password) < MIN_PASSWORD:
        print(f"error: use a password of at least {MIN_PASSWORD} characters", file=sys.stderr)
        return 2
    return password


def _add(args: argparse.Namespace, conf: Settings) -> int:
    if not auth.valid_name(args.name):
        print(f"error: a name is 1 to {auth.NAME_MAX} printable characters", file=sys.stderr)
        return 2
    password = _good_password()
    if isinstance(password, int):
        return password
    added = _with_store(conf, lambda s: auth.add_inspector(s, args.name, password, CLI_ACTOR))
    if not added:
        print(f"error: an account named {args.name} exists already", file=sys.stderr)
        return 1
    print(f"added inspector {args.name}")
    return 0


def _list(_args: argparse.Namespace, conf: Settings) -> int:
    for account in _with_store(conf, lambda s: s.list_inspectors()):
        state = "disabled" if account.disabled else "active"
        role = "\treviewer" if account.reviewer else ""
        print(f"{account.name}\t{state}\tsince {account.created}{role}")
    return 0


def _reviewer(args: argparse.Namespace, conf: Settings) -> int:
    give = not args.undo
    if not _with_store(conf, lambda s: auth.set_reviewer(s, args.name, give, CLI_ACTOR)):
        print(f"error: no account named {args.name}", file=sys.stderr)
        return 1
    if give:
        print(f"{args.name} is a reviewer: they can read released free text in the portal")
    else:
        print(f"{args.name} is no longer a reviewer")
    return 0


def _disable(args: argparse.Namespace, conf: Settings) -> int:
    off = not args.undo
    if not _with_store(conf, lambda s: auth.set_disabled(s, args.name, off, CLI_ACTOR)):
        print(f"error: no account named {args.name}", file=sys.stderr)
        return 1
    print(f"{args.name} is {'disabled: its sessions and tokens ended' if off else 'active again'}")
    return 0


def _set_password(args: argparse.Namespace, conf: Settings) -> int:
    password = _good_password()
    if isinstance(password, int):
        return password
    if not _with_store(conf, lambda s: auth.set_password(s, args.name, password, CLI_ACTOR)):
        print(f"error: no account named {args.name}", file=sys.stderr)
        return 1
    print(f"{args.name} has a new password; their sessions ended (API tokens stay)")
    return 0


def _token(args: argparse.Namespace, conf: Settings) -> int:
    days = conf.token_days if args.days is None else args.days
    if days <= 0:
        print("error: --days must be more than 0", file=sys.stderr)
        return 2
    token = _with_store(conf, lambda s: auth.issue_token(s, args.name, CLI_ACTOR, days))
    if token is None:
        print(f"error: no active account named {args.name}", file=sys.stderr)
        return 1
    (listed,) = [
        t
        for t in _with_store(conf, lambda s: s.list_tokens(args.name))
        if t.id == auth.secret_hash(token)[: len(t.id)]
    ]
    # stdout holds the token alone, for scripts; what it is goes to stderr.
    print(f"API token {listed.id} for {args.name}, expires {listed.expires}:", file=sys.stderr)
    print(token)
    return 0


def _tokens(args: argparse.Namespace, conf: Settings) -> int:
    for token in _with_store(conf, lambda s: s.list_tokens(args.name)):
        print(
            f"{token.id}\tmade {token.created or 'before tokens were dated'}"
            f"\texpires {token.expires}"
        )
    return 0


def _revoke(args: argparse.Namespace, conf: Settings) -> int:
    done = _with_store(conf, lambda s: auth.revoke_token(s, args.name, args.token_id, CLI_ACTOR))
    if not done:
        print(f"error: {args.name} has no token {args.token_id}", file=sys.stderr)
        return 1
    print(f"token {args.token_id} of {args.name} is revoked")
    return 0


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, width: int = 30):
        self.total, self.width, self.last = max(total, 1), width, -1.0
        self.started = time.monotonic()

    def __call__(self, done: int) -> None:
        share = min(done / self.total, 1.0)
        if share - self.last < 0.01 and done < self.total:
            return
        self.last = share
        filled = int(self.width * share)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%}"
            f"  {done:,}/{self.total:,} rows  {rate:,.0f} rows/s"
        )
        if done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _export(args: argparse.Namespace, conf: Settings) -> int:
    async def plan(store: Store) -> Export | str:
        service = InspectorService(store, conf, periods.utc_today)
        try:
            return await service.export(
                CLI_ACTOR, args.questionnaire, args.batch, args.format, args.codes
            )
        except Refused as refusal:
            return _export_refusal(args, refusal)

    # Refused before the plan: planning an export records it in the audit log.
    if args.format == "xlsx" and args.output is None and sys.stdout.isatty():
        print("error: give -o FILE.xlsx for a spreadsheet", file=sys.stderr)
        return 2
    planned = _with_store(conf, plan)
    if isinstance(planned, str):
        print(f"error: {planned}", file=sys.stderr)
        return 1
    store = open_store(conf)  # iter_released opens its own connection
    chunks = planned.chunks(store, Progress(planned.rows))
    out = args.output.open("wb") if args.output else sys.stdout.buffer
    try:
        for chunk in chunks:
            out.write(chunk)
    finally:
        if args.output:
            out.close()
    if args.output:
        print(f"wrote {planned.rows} rows to {args.output}", file=sys.stderr)
    return 0


def _export_refusal(args: argparse.Namespace, refusal: Refused) -> str:
    """The service's refusal in the command line's words."""
    if refusal.kind == "not found" and refusal.field == "questionnaire":
        return f"no questionnaire named {args.questionnaire}"
    if refusal.kind == "not found" and refusal.field == "batch":
        return f"{args.questionnaire} has no batch {args.batch}"
    return refusal.message
