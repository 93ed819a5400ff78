"""The storage interface: the only door to persisted data. Backends implement `Store`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

import msgspec

from survey_service.store.inspector import InspectorStore
from survey_service.store.reviews import ReviewStore

if TYPE_CHECKING:
    from survey_service.settings import Settings

Outcome = Literal["accepted", "duplicate", "conflict"]


class StoredVersion(msgspec.Struct, frozen=True):
    """A questionnaire version as first published: its canonical content and hash."""

    questionnaire: str
    version: int
    content: bytes
    content_hash: str
    retired: bool = False


class NewResponse(msgspec.Struct, frozen=True):
    """A checked, screened response ready to store. `received` is a date label, never a time;
    `eligible` the first day a batch may take it (rule 6); `record_key` its random key for the
    cell key method (rule 8). Neither is ever exported."""

    id: str
    questionnaire: str
    version: int
    received: str
    answers: bytes
    content_hash: str
    eligible: str
    record_key: int
    # The questionnaire language answered in (multilingual versions only); a quasi-identifier.
    language: str | None = None


class StoreUnavailable(RuntimeError):
    """Storage cannot take writes right now (disk full, locked, read-only); retry later."""


class Store(InspectorStore, ReviewStore, Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def published_versions(self) -> list[StoredVersion]: ...

    async def publish_version(self, version: StoredVersion) -> StoredVersion:
        """Record a version unless one is already recorded; answers with the shared record."""
        ...

    async def set_retired(self, questionnaire: str, version: int, retired: bool) -> bool: ...

    async def retired_versions(self) -> set[tuple[str, int]]: ...

    async def response_hashes(self, ids: Sequence[str]) -> dict[str, str]: ...

    async def add_responses(self, rows: Sequence[NewResponse]) -> list[Outcome]:
        """Store new rows durably; answers once the transaction holding them has committed."""
        ...

    async def count_responses(self, questionnaire: str | None = None) -> int: ...

    async def purge_responses(self, received_before: dt.date) -> int:
        """Delete responses received before that date (their pages are overwritten as the
        log is flushed: see flush_log)."""
        ...

    async def flush_log(self, patience: float) -> bool:
        """Copy the write-ahead log into the database file and empty it, retrying for up to
        `patience` seconds while readers hold older snapshots. True when done: only then are
        the pages a purge overwrote gone from the files, and the log's frames (which follow
        arrival order) gone too."""
        ...

    async def compact(self) -> bool:
        """Rewrite the data in key order (rule 3: pages allocated as responses arrived follow
        arrival) and empty the log; responses arriving meanwhile wait, none is lost. True
        when the log was emptied too."""
        ...


def open_store(settings: Settings) -> Store:
    """The backend the settings name: PostgreSQL when a database URL is set, else SQLite."""
    if settings.database_url:
        from survey_service.store.postgres import PostgresStore

        return PostgresStore(settings.database_url, settings.database_pool_size)
    from survey_service.store.sqlite import SQLiteStore

    return SQLiteStore(settings.database_path, busy_timeout_ms=settings.busy_timeout_ms)
