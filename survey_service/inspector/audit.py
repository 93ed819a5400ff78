"""The audit log (rule 9): who did what and when on the inspectors' side. Append-only: the
store's triggers refuse any change or removal, so this module only adds and reads."""

from __future__ import annotations

import datetime as dt

from survey_service.store import Store
from survey_service.store.inspector import AuditEntry

# What gets recorded; the portal's audit page explains each in plain words.
ACTIONS = {
    "login": "signed in",
    "login failed": "a sign-in with a wrong name or password (how many in the window)",
    "login refused": "a sign-in refused unchecked: the name is paused after failed tries",
    "logout": "signed out",
    "account added": "an inspector account was created",
    "account disabled": "an inspector account was switched off",
    "account enabled": "an inspector account was switched back on",
    "token issued": "an API token was made for scripts",
    "token revoked": "an API token was ended",
    "password changed": "an inspector's password was changed on the server",
    "reviewer role given": "an inspector may now read and review free text",
    "reviewer role taken": "an inspector may no longer review free text",
    "text reviewed": "a reviewer approved (with how many words redacted) or withheld a free-text"
    " answer; the text itself is never written here",
    "quote changed": "a reviewer marked an approved answer quotable, or no longer",
    "batch released": "new responses were released as a batch",
    "export": "a batch was downloaded",
    "summary": "a summary of released batches was viewed",
    "backup": "the whole database was copied (survey-service backup)",
    "purge": "old responses were deleted (retention)",
}


# Entry numbers are 64-bit in both databases; a page asks for entries older than one of them.
NEWEST_ID = 2**62
BAD_BEFORE = f"must be an entry number from 0 to {NEWEST_ID}"


def valid_before(before: int | None) -> bool:
    """A `before` page marker the databases can compare (a larger one overflowed into a 500)."""
    return before is None or 0 <= before <= NEWEST_ID


def stamp(moment: dt.datetime) -> str:
    """A sortable UTC timestamp, to the second."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def entry(actor: str, action: str, detail: str = "", at: dt.datetime | None = None) -> AuditEntry:
    return AuditEntry(stamp(at or now_utc()), actor, action, detail)


async def record(store: Store, actor: str, action: str, detail: str = "") -> None:
    await store.append_audit(entry(actor, action, detail))


async def viewed_summary(
    store: Store, actor: str, questionnaire: str, policy: str, by: str | None
) -> None:
    """Rule 9: a summary shows released data as surely as a download does."""
    split = f", by {by}" if by else ""
    await record(store, actor, "summary", f"{questionnaire} summary (policy {policy}{split})")


async def recent(store: Store, limit: int = 200, before: int | None = None) -> list[AuditEntry]:
    return await store.audit_entries(limit, before)
