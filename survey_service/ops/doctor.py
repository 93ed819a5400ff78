"""`survey-service doctor`: what a deployment gets wrong, from its settings and its files.
It only looks: it changes no file mode and opens the database read-only."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import stat
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from survey_service.ops import housekeeping
from survey_service.settings import Settings

BACKUP_MAX_AGE = dt.timedelta(hours=26)  # a nightly backup, with some slack


class Finding(msgspec.Struct, frozen=True):
    ok: bool
    topic: str
    message: str


def examine(settings: Settings, now: dt.datetime | None = None) -> list[Finding]:
    now = now or dt.datetime.now(dt.UTC)
    findings = [*file_modes(settings), public_url(settings), *rate_limits(settings)]
    findings.append(proxies(settings))
    findings += maintenance(settings, now)
    return findings


def file_modes(settings: Settings) -> list[Finding]:
    if settings.database_url:
        return [Finding(True, "files", "PostgreSQL: the data is the database server's")]
    folder = settings.data_dir
    if not folder.exists():
        return [Finding(True, "files", f"{folder} does not exist yet (made 0700 at start)")]
    loose = [_loose(folder, 0o700)] if _mode(folder) & 0o077 else []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and _mode(path) & 0o077:
            loose.append(_loose(path, 0o600))
    if loose:
        return [Finding(False, "files", f"readable by others: {m}") for m in loose]
    return [Finding(True, "files", f"{folder} and everything in it are private to their owner")]


def public_url(settings: Settings) -> Finding:
    url = settings.public_base_url
    host = urlsplit(url).hostname or ""
    if host == "localhost" or _loopback(host):
        return Finding(
            False,
            "public URL",
            f"SURVEY_PUBLIC_BASE_URL is {url}: QR codes and posters point at this machine"
            " itself; set the address phones reach",
        )
    if not url.startswith("https://"):
        return Finding(
            False,
            "public URL",
            f"SURVEY_PUBLIC_BASE_URL is {url}: answers and sign-ins would cross the network"
            " unencrypted; serve https:// through a proxy and set it here",
        )
    return Finding(True, "public URL", url)


def rate_limits(settings: Settings) -> list[Finding]:
    found = []
    for name, rate in (
        ("SURVEY_RATE_LIMIT_PER_SECOND", settings.rate_limit_per_second),
        ("SURVEY_LOGIN_RATE_LIMIT_PER_SECOND", settings.login_rate_limit_per_second),
    ):
        if rate <= 0:
            found.append(Finding(False, "rate limits", f"{name} is 0: that limit is off"))
    return found or [Finding(True, "rate limits", "respondent and sign-in limits are on")]


def proxies(settings: Settings) -> Finding:
    behind = settings.public_base_url.startswith("https://") or bool(settings.database_url)
    if settings.trusted_proxies:
        return Finding(True, "proxies", f"X-Forwarded-For believed from {settings.trusted_proxies}")
    if behind:
        return Finding(
            False,
            "proxies",
            "the service looks to be behind a proxy (https address or shared database) but"
            " SURVEY_TRUSTED_PROXIES is empty: every client counts as the proxy's address, so"
            " one busy school can use up everyone's rate limit; set the proxies' addresses",
        )
    return Finding(True, "proxies", "no proxy expected: the connecting address is used")


def maintenance(settings: Settings, now: dt.datetime) -> list[Finding]:
    if settings.database_url:
        done = asyncio.run(_postgres_maintenance(settings))
        backup_note = Finding(
            True, "backup", "PostgreSQL: check that pg_dump runs nightly (not visible here)"
        )
    else:
        if not settings.database_path.exists():
            return [Finding(False, "backup", "no database yet, so no backup either")]
        from survey_service.store.sqlite import maintenance_readonly

        done = maintenance_readonly(settings.database_path)
        backup_note = _backup(done.get("backup"), now)
    found = [backup_note, _compaction(settings, done.get(housekeeping.COMPACTION), now)]
    copies = sorted(
        settings.database_path.parent.glob(
            settings.database_path.name + housekeeping.SAFETY_COPY_MARK + "*"
        )
    )
    if copies:
        names = ", ".join(p.name for p in copies)
        found.append(
            Finding(
                False,
                "safety copies",
                f"{names} hold every response of their time: delete them once the restore is"
                f" trusted (the service does after {settings.safety_copy_days} days)",
            )
        )
    return found


async def _postgres_maintenance(settings: Settings) -> dict[str, str]:
    from survey_service.store import open_store

    store = open_store(settings)
    await store.open()
    try:
        found = {}
        for task in ("backup", housekeeping.COMPACTION):
            last = await store.maintenance_done(task)
            if last is not None:
                found[task] = last
        return found
    finally:
        await store.close()


def _backup(last: str | None, now: dt.datetime) -> Finding:
    if last is None:
        return Finding(False, "backup", "no backup recorded: run `survey-service backup PATH`")
    if now - _parse(last) > BACKUP_MAX_AGE:
        return Finding(False, "backup", f"the last backup was {last}: schedule one nightly")
    return Finding(True, "backup", f"last backup {last}")


def _compaction(settings: Settings, last: str | None, now: dt.datetime) -> Finding:
    hours = settings.compaction_hours
    if hours <= 0:
        return Finding(
            False,
            "compaction",
            "SURVEY_COMPACTION_HOURS is 0: pages and the log keep the order answers arrived in",
        )
    if last is not None and now - _parse(last) > dt.timedelta(hours=2 * hours):
        return Finding(False, "compaction", f"the last compaction was {last}: is serve running?")
    return Finding(True, "compaction", f"every {hours:g} hours; last {last or 'not yet'}")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _loose(path: Path, wanted: int) -> str:
    return f"{path} is {_mode(path):o} (want {wanted:o}; `serve` fixes the database's own)"


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
