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
    reviewer: bool = False  # may read released free text and decide on it (rule 5)


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
    # The row's free text as reviewers approved it: a JSON object, question -> reviewed text
    # (None when none is approved). Free text that waits or was withheld is never shown.
    reviewed: str | None = None


class ReleaseInput(msgspec.Struct, array_like=True, frozen=True):
    """A row as a release reads it: its batch (None: waiting and ready for the new batch), its
    draws from intake and its answers. Never leaves the server."""

    batch: int | None
    version: int
    received: str
    language: str | None
    answers: bytes
    record_key: int


class StoredDecision(msgspec.Struct, array_like=True, frozen=True):
    """What the rows of one batch holding one combination show (JSON objects)."""

    batch: int | None  # None, in a commit: the batch being released
    combo: bytes
    shown: bytes
    rows: int


class Revision(msgspec.Struct, frozen=True):
    """A batch whose files now hide more than when it was released."""

    batch: int
    revised: str  # the date
    rows: int  # rows newly hidden
    reason: str


class NewBatch(msgspec.Struct, frozen=True):
    count: int  # rows it takes: every waiting row ready by `ready_by`
    released: str
    ready_by: str


class ReleaseBasis(msgspec.Struct, frozen=True):
    """The latest release's state: its generation, what it was decided on, its decisions."""

    generation: int
    basis: bytes
    decisions: list[StoredDecision]


class ReleaseCommit(msgspec.Struct, frozen=True):
    """Everything one release (or a re-protection, with no new batch) stores, in one
    transaction, if the generation is still the one it was worked out from."""

    generation: int
    basis: bytes
    new_batch: NewBatch | None
    decisions: list[StoredDecision]
    cells: list[tuple[bytes, str, str, int, int]]  # (groups, question, category, count, keysum)
    revisions: list[Revision]
    audit: AuditEntry


# commit_release's answer when the data changed since the work began
CONFLICT: Literal["conflict"] = "conflict"


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

    # batches and the release model (rules 6 to 8)
    async def list_batches(self, questionnaire: str | None = None) -> list[Batch]: ...

    async def get_batch(self, number: int) -> Batch | None: ...

    async def waiting_counts(self, questionnaire: str, ready_by: str) -> tuple[int, int]:
        """(responses waiting, of them ready by that date): for the service to round; never
        shown exactly."""
        ...

    async def release_basis(self, questionnaire: str) -> ReleaseBasis: ...

    async def commit_release(
        self, questionnaire: str, commit: ReleaseCommit
    ) -> Batch | Literal["conflict"] | None:
        """Store a release in one transaction: the new batch (every waiting row ready by its
        date, which must be exactly `count` rows), decisions, cells, revisions, the audit
        entry. CONFLICT, with nothing written, when the generation or the rows moved on."""
        ...

    async def release_cells(self, questionnaire: str) -> list[tuple[bytes, str, str, int, int]]: ...

    async def batch_revisions(self, questionnaire: str) -> list[Revision]: ...

    async def claim_scheduled_release(self, period: str, at: str) -> bool:
        """True for the first caller of a period: it runs that period's releases."""
        ...

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

    def iter_release_inputs(
        self, questionnaire: str, ready_by: str | None
    ) -> Iterator[ReleaseInput]:
        """Every released row, and (when `ready_by` is given) every waiting row ready by then:
        what a release works on. Blocking."""
        ...
