"""Releasing batches and keeping the release protected (rules 6 to 8). Portal, API, CLI and the
scheduler all come here: to release, to read the protected release, and to learn what waits
(rounded: no view shows an exact count of waiting responses)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from survey_service.export.layout import Layout
from survey_service.inspector import audit
from survey_service.questionnaires import Questionnaire
from survey_service.release import protect, review
from survey_service.release.columns import Columns, Key
from survey_service.release.options import ReleaseOptions as Options
from survey_service.release.tables import StoredCell, cells_from
from survey_service.store import Store
from survey_service.store.inspector import (
    CONFLICT,
    Batch,
    NewBatch,
    ReleaseBasis,
    ReleaseCommit,
    Revision,
    StoredDecision,
)

ATTEMPTS = 3  # a release worked out from data that moved meanwhile is worked out again
_encode = msgspec.json.Encoder(order="sorted").encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode


class Refusal(msgspec.Struct, frozen=True):
    """Why no batch was released, in words an inspector can act on."""

    reason: str  # "not ready" | "scheduled" | "busy"
    message: str


class Waiting(msgspec.Struct, frozen=True):
    """What a dashboard may say about the responses not yet released."""

    release_possible: bool
    waiting: str  # rounded: "none", "fewer than 10", "about 40"
    ready: str
    schedule: str


class Protected(msgspec.Struct):
    """The release as every view reads it."""

    layout: Layout
    columns: Columns
    k: int
    shown: dict[Key, Key]  # what the rows holding a key show
    rows: dict[Key, int]  # how many released rows hold each key
    cells: list[StoredCell]
    revisions: list[Revision]
    # Free text as reviewers left it (rule 5): what waits, what may be quoted.
    texts: review.Texts = review.Texts()


def about(n: int) -> str:
    """A count as a dashboard may show it: never exact, so that planting answers one by one
    and watching the figure move tells nobody which answers a release will hold."""
    if n == 0:
        return "none"
    if n < 10:
        return "fewer than 10"
    return f"about {10 * ((n + 5) // 10)}"


async def waiting(store: Store, questionnaire: str, options: Options, today: dt.date) -> Waiting:
    total, ready = await store.waiting_counts(questionnaire, today.isoformat())
    return Waiting(ready >= options.min_batch, about(total), about(ready), options.schedule)


async def release(
    store: Store,
    versions: Sequence[Questionnaire],
    options: Options,
    actor: str,
    today: dt.date,
    scheduled: bool = False,
) -> Batch | Refusal:
    """Release every waiting response that is ready (its random delay has passed) as the next
    batch, with the whole release worked out again over all released data."""
    questionnaire = versions[-1].id
    if options.schedule != "manual" and not scheduled:
        return Refusal(
            "scheduled",
            f"Batches are released on a schedule ({options.schedule}), so that no one chooses "
            "the moment; the next one comes by itself.",
        )
    for _ in range(ATTEMPTS):
        total, ready = await store.waiting_counts(questionnaire, today.isoformat())
        if ready < options.min_batch:
            return Refusal("not ready", _not_ready(options))
        new = NewBatch(ready, today.isoformat(), today.isoformat())
        commit = await _work_out(store, versions, options, today, new, actor, total - ready)
        result = await store.commit_release(questionnaire, commit)
        if result != CONFLICT:
            assert isinstance(result, Batch)
            return result
    return Refusal("busy", "Answers changed while the batch was being made. Try again.")


def _not_ready(options: Options) -> str:
    wait = (
        "until the day after it arrives"
        if options.delay_days == 0
        else f"a random 1 to {options.delay_days + 1} days after it arrives"
    )
    return (
        f"Not enough answers are ready yet: a batch needs at least {options.min_batch}. "
        f"Each answer waits {wait}, so that no one can tell which batch holds a given answer."
    )


async def reprotect(
    store: Store, versions: Sequence[Questionnaire], options: Options, reason: str, today: dt.date
) -> None:
    """Work the release out again over what is released now (after a purge, or when k or the
    quasi-identifiers changed). It can only hide more."""
    questionnaire = versions[-1].id
    for _ in range(ATTEMPTS):
        commit = await _work_out(store, versions, options, today, None, "(release)", 0, reason)
        if await store.commit_release(questionnaire, commit) != CONFLICT:
            return
    raise RuntimeError(f"{questionnaire}: the release kept changing while being worked out")


async def protected(
    store: Store, versions: Sequence[Questionnaire], options: Options, today: dt.date
) -> Protected:
    """The release of a questionnaire as every view reads it, worked out again first if it
    was decided on other settings or before a purge."""
    layout = Layout(versions)
    columns = Columns(layout, options.period)
    questionnaire = versions[-1].id
    state = await store.release_basis(questionnaire)
    if state.basis != basis(columns, options.k) and await store.list_batches(questionnaire):
        await reprotect(store, versions, options, _why(state), today)
        state = await store.release_basis(questionnaire)
    shown, rows = {}, {}
    for d in state.decisions:
        key = columns.from_dict(d.batch, _decode(d.combo))
        shown[key] = columns.from_dict(d.batch, _decode(d.shown))
        rows[key] = d.rows
    cells = cells_from(await store.release_cells(questionnaire))
    revisions = await store.batch_revisions(questionnaire)
    texts = await review.texts(store, layout)
    return Protected(layout, columns, options.k, shown, rows, cells, revisions, texts)


def _why(state: ReleaseBasis) -> str:
    if state.generation == 0:
        return "batches released before the release model was worked out for them"
    if not state.basis:
        return "old responses were purged (retention)"
    return "k or the quasi-identifier questions changed"


def basis(columns: Columns, k: int) -> bytes:
    return _encode({"k": k, "columns": columns.names[1:], "period": columns.period})


async def _work_out(
    store: Store,
    versions: Sequence[Questionnaire],
    options: Options,
    today: dt.date,
    new: NewBatch | None,
    actor: str,
    held_back: int,
    reason: str = "",
) -> ReleaseCommit:
    questionnaire = versions[-1].id
    layout = Layout(versions)
    columns = Columns(layout, options.period)
    state = await store.release_basis(questionnaire)
    ready_by = today.isoformat() if new is not None else None
    decided, cells = await asyncio.to_thread(
        _passes, store, layout, columns, questionnaire, state, options.k, ready_by
    )
    if new is not None:  # exactly the rows the passes read: the commit checks it again
        count = sum(n for key, n in decided.counts.items() if key[0] is None)
        new = NewBatch(count, new.released, new.ready_by)
    revisions = [
        Revision(b, today.isoformat(), n, reason or "a later batch was released")
        for b, n in sorted(decided.newly_hidden.items())
    ]
    detail = _detail(decided, new, revisions, held_back, reason)
    return ReleaseCommit(
        generation=state.generation,
        basis=basis(columns, options.k),
        new_batch=new,
        decisions=_decisions(columns, decided),
        cells=_cells(columns, cells),
        revisions=revisions,
        audit=audit.entry(actor, "batch released" if new else "release revised", detail),
    )


def _passes(
    store: Store,
    layout: Layout,
    columns: Columns,
    questionnaire: str,
    state: ReleaseBasis,
    k: int,
    ready_by: str | None,
) -> tuple[protect.Decided, dict[protect.CellKey, list[int]]]:
    """Blocking: both passes over the rows, on a worker thread."""
    return protect.passes(
        layout,
        columns,
        lambda: store.iter_release_inputs(questionnaire, ready_by),
        k,
        _previous(state),
    )


def _previous(state: ReleaseBasis) -> protect.Previous:
    if not state.basis:
        # A purge left the decisions of the columns of their day: start from them all.
        names = sorted({n for d in state.decisions for n in _decode(d.combo)})
    else:
        names = msgspec.json.decode(state.basis)["columns"]
    return protect.Previous(
        names, [(d.batch or 0, _decode(d.combo), _decode(d.shown)) for d in state.decisions]
    )


def _decisions(columns: Columns, decided: protect.Decided) -> list[StoredDecision]:
    return [
        StoredDecision(
            key[0],
            _encode(columns.as_dict(key)),
            _encode(columns.as_dict(decided.shown[key])),
            n,
        )
        for key, n in decided.counts.items()
    ]


def _cells(
    columns: Columns, cells: Mapping[protect.CellKey, list[int]]
) -> list[tuple[bytes, str, str, int, int]]:
    return [
        (_encode(dict(zip(columns.questions, groups, strict=True))), q, c, n, k)
        for (groups, q, c), (n, k) in cells.items()
    ]


def _detail(
    decided: protect.Decided,
    new: NewBatch | None,
    revisions: list[Revision],
    held_back: int,
    reason: str,
) -> str:
    r = decided.report
    if new is not None:
        # What the release held back: waiting answers whose delay has not passed, rounded.
        parts = [f"{new.count} responses", f"held back (not ready yet): {about(held_back)}"]
    else:
        parts = [f"worked out again: {reason}"]
    parts.append(f"k = {r.k}: {r.rows_hidden} released rows hidden as [c]")
    parts += [f"batch {v.batch} now hides {v.rows} more rows" for v in revisions]
    return "; ".join(parts)
