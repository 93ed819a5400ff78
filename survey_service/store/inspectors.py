"""The storage interface for the inspectors' side: records and the methods a backend adds."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, Protocol

import msgspec

CredentialKind = Literal["session", "token"]


class Inspector(msgspec.Struct, frozen=True):
    name: str
    password_hash: str
    disabled: bool
    created: str


class Credential(msgspec.Struct, frozen=True):
    """A live session or token, joined with its account (disabled accounts never match)."""

    inspector: str
    kind: CredentialKind
    expires: str | None


class Token(msgspec.Struct, frozen=True):
    """An API token as listed: `id` is the start of its secret's hash (the secret itself is
    never stored), enough to name it when revoking it."""

    id: str
    inspector: str
    created: str | None
    expires: str | None


TOKEN_ID_LENGTH = 12


class Batch(msgspec.Struct, frozen=True):
    number: int
    questionnaire: str
    count: int
    released: str


class AuditEntry(msgspec.Struct, frozen=True):
    at: str
    actor: str
    action: str
    detail: str = ""
    id: int | None = None


class ReleasedRow(msgspec.Struct, array_like=True, frozen=True):
    """One released response as exports see it: no id, no content hash."""

    version: int
    received: str
    batch: int
    answers: bytes
    language: str | None = None  # multilingual versions only; a quasi-identifier


class InspectorStore(Protocol):
    # accounts
    async def add_inspector(self, inspector: Inspector, audit: AuditEntry) -> bool: ...

    async def get_inspector(self, name: str) -> Inspector | None: ...

    async def list_inspectors(self) -> list[Inspector]: ...

    async def set_inspector_disabled(self, name: str, disabled: bool, audit: AuditEntry) -> bool:
        """Disabling also ends the account's sessions and tokens."""
        ...

    async def set_password(self, name: str, password_hash: str, audit: AuditEntry) -> bool:
        """A new password hash; the account's sessions end (its tokens stay)."""
        ...

    # sessions and tokens (hashes of secrets only)
    async def add_credential(
        self,
        secret_hash: str,
        inspector: str,
        kind: CredentialKind,
        expires: str | None,
        created: str | None = None,
    ) -> None: ...

    async def get_credential(self, secret_hash: str, now: str) -> Credential | None: ...

    async def delete_credential(self, secret_hash: str) -> None: ...

    async def list_tokens(self, inspector: str) -> list[Token]: ...

    async def revoke_token(self, inspector: str, token_id: str, audit: AuditEntry) -> bool:
        """Delete the one token of this inspector whose id is `token_id`."""
        ...

    async def delete_expired_credentials(self, now: str) -> int: ...

    # login throttling
    async def count_login_attempt(
        self, name_hash: str, now: str, since: str, limit: int
    ) -> tuple[bool, list[str]]:
        """In one step, whatever runs at once on any instance: forget this name's failures
        at or before `since`; if fewer than `limit` remain, count this attempt as one more (at
        `now`, before its password is checked) and answer True. Also answers the failures
        counted before it, oldest first."""
        ...

    async def clear_login_failures(self, name_hash: str) -> None: ...

    # scheduled maintenance
    async def maintenance_done(self, task: str) -> str | None: ...

    async def note_maintenance(self, task: str, at: str) -> None: ...

    # batches (rule 6)
    async def release_batch(
        self, questionnaire: str, min_batch: int, released: str, audit: AuditEntry
    ) -> Batch | int:
        """The new batch of every unbatched response, or how many wait when fewer than
        `min_batch` do. One transaction, audit entry included."""
        ...

    async def list_batches(self, questionnaire: str | None = None) -> list[Batch]: ...

    async def get_batch(self, number: int) -> Batch | None: ...

    async def waiting_count(self, questionnaire: str) -> int: ...

    # audit (rule 9)
    async def append_audit(self, entry: AuditEntry) -> None: ...

    async def audit_entries(
        self, limit: int = 200, before: int | None = None
    ) -> list[AuditEntry]: ...

    # released data, read in a worker thread (blocking; never call on the event loop)
    def iter_released(
        self, questionnaire: str, batches: Sequence[int], shuffle: bool = True
    ) -> Iterator[ReleasedRow]:
        """Released rows of the given batches, streamed, in a random order unless told not."""
        ...
