"""What the inspectors' portal, their JSON API and the CLI all call: one method per thing an
inspector does, each built on the protected release (release/service.py). A method returns a
domain result or raises Refused; each caller turns a refusal into its own form (the API an
error naming the field, the portal a page, the CLI an exit code and a line on stderr)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import msgspec

from survey_service.confidentiality import suppression
from survey_service.export import downloads
from survey_service.export.writers import MEDIA_TYPES, Format
from survey_service.inspector import audit, batches, qr
from survey_service.questionnaires import Questionnaire
from survey_service.release import service, tables
from survey_service.release.service import Protected
from survey_service.responses import FieldError
from survey_service.settings import Settings
from survey_service.store import Store
from survey_service.store.inspector import AuditEntry, Batch, Revision

# What kind of no: nothing by that name; not now (the state forbids it); a value outside what
# the service allows; a value that is not even of the right form.
Kind = Literal["not found", "conflict", "invalid", "malformed"]
AUDIT_PAGE_MAX = 1000
NO_QUESTIONNAIRE = "no questionnaire with this id"


class Refused(Exception):
    """The service says no, with every field it objects to."""

    def __init__(self, kind: Kind, errors: list[FieldError]):
        super().__init__(kind, errors)
        self.kind = kind
        self.errors = errors

    @classmethod
    def one(cls, kind: Kind, field: str, message: str) -> Refused:
        return cls(kind, [FieldError(field, message)])

    @property
    def field(self) -> str:
        return self.errors[0].field

    @property
    def message(self) -> str:
        return "; ".join(e.message for e in self.errors)


class Export(msgspec.Struct):
    """An export planned, audited and ready to stream."""

    plan: downloads.Plan
    release: Protected
    tmpdir: Path

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.plan.fmt]

    @property
    def filename(self) -> str:
        return self.plan.filename

    @property
    def rows(self) -> int:
        return self.plan.rows

    def chunks(self, store: Store, on_row: Callable[[int], None] | None = None) -> Iterator[bytes]:
        """The file's bytes. Blocking: run it in a worker thread (Litestar's Stream does)."""
        return downloads.stream(store, self.release, self.plan, self.tmpdir, on_row)


class BatchListing(msgspec.Struct):
    """A questionnaire's batches: what is released, and (rounded, rule 6) what waits."""

    questionnaire: str
    min_batch: int
    waiting: service.Waiting
    batches: list[Batch]
    revisions: list[Revision]


class Poster(msgspec.Struct):
    """What a poster or leaflet shows: the link, and why there is no QR code when there is none."""

    questionnaire: Questionnaire
    link: str
    url: str
    refusal: str | None  # no QR code to where phones cannot follow, unless meant
    private: str | None


class InspectorService:
    """The inspectors' side over one store and the operator's settings; `today` is the clock
    every date comes from (tests move it)."""

    def __init__(self, store: Store, settings: Settings, today: Callable[[], dt.date]):
        self.store = store
        self.settings = settings
        self.today = today

    async def versions(self, questionnaire: str) -> list[Questionnaire]:
        """Every published version of a questionnaire, oldest first."""
        found = (await batches.versions_of(self.store)).get(questionnaire)
        if found is None:
            raise Refused.one("not found", "questionnaire", NO_QUESTIONNAIRE)
        return found

    async def overview(self) -> list[batches.Overview]:
        return await batches.overview(self.store, self.settings.release, self.today())

    async def questionnaire(self, questionnaire: str) -> batches.Overview:
        """The dashboard's entry for one questionnaire."""
        for one in await self.overview():
            if one.id == questionnaire:
                return one
        raise Refused.one("not found", "questionnaire", NO_QUESTIONNAIRE)

    async def batch_listing(self, questionnaire: str) -> BatchListing:
        await self.versions(questionnaire)
        store, options = self.store, self.settings.release
        return BatchListing(
            questionnaire=questionnaire,
            min_batch=self.settings.min_batch,
            waiting=await service.waiting(store, questionnaire, options, self.today()),
            batches=await store.list_batches(questionnaire),
            revisions=await store.batch_revisions(questionnaire),
        )

    async def revisions(self, questionnaire: str) -> list[Revision]:
        """When released batches began to hide more rows, and why."""
        return await self.store.batch_revisions(questionnaire)

    async def released_batch(self, questionnaire: str, number: int) -> Batch | None:
        batch = await self.store.get_batch(number)
        return batch if batch is not None and batch.questionnaire == questionnaire else None

    async def release(self, questionnaire: str, actor: str) -> Batch:
        """Release what is ready as the next batch (rule 6)."""
        versions = await self.versions(questionnaire)
        result = await service.release(
            self.store, versions, self.settings.release, actor, self.today()
        )
        if isinstance(result, service.Refusal):
            raise Refused.one("conflict", "batch", result.message)
        return result

    async def export(
        self, actor: str, questionnaire: str | None, batch: int | None, fmt: Format, codes: bool
    ) -> Export:
        """One batch (`batch`), or every released batch of `questionnaire` (batch None), as the
        release shows it; audited before a byte leaves."""
        if questionnaire is not None:
            await self.versions(questionnaire)
        chosen = await self._chosen(questionnaire, batch)
        questionnaire = chosen[0].questionnaire
        versions = await self.versions(questionnaire)
        release = await service.protected(self.store, versions, self.settings.release, self.today())
        plan = downloads.Plan(questionnaire, chosen, fmt, codes, actor)
        await audit.record(self.store, actor, "export", plan.audit_detail)
        return Export(plan, release, self.settings.data_dir / "export-tmp")

    async def _chosen(self, questionnaire: str | None, number: int | None) -> list[Batch]:
        if number is None:
            assert questionnaire is not None, "all batches of which questionnaire?"
            chosen = await self.store.list_batches(questionnaire)
            if not chosen:
                message = "nothing is released yet: release a batch first"
                raise Refused.one("conflict", "batch", message)
            return chosen
        batch = await self.store.get_batch(number)
        if batch is None or (questionnaire is not None and batch.questionnaire != questionnaire):
            raise Refused.one("not found", "batch", "no batch with this number")
        return [batch]

    async def summary(
        self, actor: str, questionnaire: str, policy: str | None, by: str | None
    ) -> tables.Summary:
        """The summary every view shows, from the protected release, under the operator's
        policy or a stricter one the inspector chose; audited."""
        versions = await self.versions(questionnaire)
        settings = self.settings
        allowed = suppression.allowed(settings.suppression_policy)
        policy = policy or settings.suppression_policy
        errors = []
        if policy not in allowed:
            errors.append(
                FieldError(
                    "policy",
                    f"must be one of {', '.join(allowed)}: this service protects summaries with"
                    f" '{settings.suppression_policy}' at least",
                )
            )
        release = await service.protected(self.store, versions, settings.release, self.today())
        qis = [q for q in release.layout.quasi_identifiers if q in release.layout.info]
        if by and by not in qis:
            errors.append(FieldError("by", f"must be a quasi-identifier: {', '.join(qis)}"))
        if errors:
            raise Refused("invalid", errors)
        numbers = [b.number for b in await self.store.list_batches(questionnaire)]
        result = tables.summarise(
            release.layout, release.cells, suppression.policy(policy), numbers, by or None
        )
        await audit.viewed_summary(self.store, actor, questionnaire, result.policy, result.by)
        return result

    async def qr_code(self, questionnaire: str, kind: Literal["svg", "png"]) -> bytes:
        """The QR code to the questionnaire's form, drawn off the event loop."""
        await self.versions(questionnaire)
        base = self.settings.public_base_url
        refused = qr.refusal(base, self.settings.posters_allow_private_url)
        if refused:
            raise Refused.one("conflict", "public_base_url", refused)
        draw = qr.svg if kind == "svg" else qr.png
        return await asyncio.to_thread(draw, qr.target_url(base, questionnaire))

    async def poster(self, questionnaire: str) -> Poster:
        versions = await self.versions(questionnaire)
        base = self.settings.public_base_url
        return Poster(
            questionnaire=versions[-1],
            link=qr.short_link(base, questionnaire),
            url=qr.target_url(base, questionnaire),
            refusal=qr.refusal(base, self.settings.posters_allow_private_url),
            private=qr.private_reason(base),
        )

    async def audit_log(self, limit: int, before: int | None) -> list[AuditEntry]:
        """The newest `limit` entries, or those older than entry `before`."""
        if not 1 <= limit <= AUDIT_PAGE_MAX:
            raise Refused.one("invalid", "limit", f"must be from 1 to {AUDIT_PAGE_MAX}")
        if not audit.valid_before(before):
            raise Refused.one("malformed", "before", audit.BAD_BEFORE)
        return await audit.recent(self.store, limit, before)
