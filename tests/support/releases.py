"""Releases worked out in memory, through the same pure steps the service runs (protect, then
tables): for tests of the rules and for the intruder's harness."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from survey_service.confidentiality import cellkey, suppression
from survey_service.export.layout import Layout
from survey_service.questionnaires import Questionnaire
from survey_service.release import protect, tables
from survey_service.release.categories import category_of
from survey_service.release.columns import Columns
from survey_service.store.inspector import ReleasedRow, ReleaseInput


def inputs(
    answers: Sequence[dict[str, Any]],
    batch: int | None = 1,
    received: str = "2026-11-02",
    version: int = 1,
    seed: int = 0,
    language: str | None = None,
) -> list[ReleaseInput]:
    """Rows of released (or, with batch None, ready) answers, with random record keys."""
    rng = random.Random(seed)
    return [
        ReleaseInput(batch, version, received, language, msgspec.json.encode(a), rng.randrange(256))
        for a in answers
    ]


class Worked(msgspec.Struct):
    layout: Layout
    columns: Columns
    decided: protect.Decided
    cells: list[tables.StoredCell]

    def summary(self, policy: str = "cellkey", by: str | None = None) -> tables.Summary:
        return tables.summarise(self.layout, self.cells, suppression.policy(policy), [1], by)

    def shown(self, rows: Sequence[ReleaseInput]) -> list[dict[str, Any]]:
        """Each row's answers as every file shows them (with "@received")."""
        protect_row = self.columns.protector(self.decided.shown)
        out = []
        for r in rows:
            released = ReleasedRow(r.version, r.received, r.batch or 0, r.answers, r.language)
            answers = self.layout.answers_of(released)
            answers["@received"] = protect_row(released, answers)
            out.append(answers)
        return out


def work_out(
    versions: Sequence[Questionnaire],
    rows: Sequence[ReleaseInput],
    k: int = 5,
    previous: protect.Previous = protect.NO_PREVIOUS,
) -> Worked:
    layout = Layout(versions)
    columns = Columns(layout)
    decided, counts = protect.passes(layout, columns, lambda: rows, k, previous)
    return Worked(layout, columns, decided, from_counts(columns, counts))


async def cut_batch(
    store: Any, questionnaire: str, ready_by: str = "2026-12-31", released: str = "2026-12-31"
) -> Any:
    """A batch of every response ready by `ready_by`, committed straight to the store with no
    decisions or counts (store tests; exports of it fail closed until the release is worked
    out again)."""
    from survey_service.inspector import audit
    from survey_service.store.inspector import NewBatch, ReleaseCommit

    _, ready = await store.waiting_counts(questionnaire, ready_by)
    state = await store.release_basis(questionnaire)
    return await store.commit_release(
        questionnaire,
        ReleaseCommit(
            generation=state.generation,
            basis=b"",
            new_batch=NewBatch(ready, released, ready_by),
            decisions=[],
            cells=[],
            revisions=[],
            audit=audit.entry("test", "batch released", f"{ready} responses"),
        ),
    )


def reference_cells(
    layout: Layout, columns: Columns, rows: Sequence[ReleaseInput], shown: dict[Any, Any]
) -> dict[Any, list[int]]:
    """count_cells the plain way, one row and one answer at a time: the fast path must agree."""
    decode = msgspec.json.Decoder(dict[str, Any]).decode
    cells: dict[Any, list[int]] = {}

    def add(cell: Any, rk: int) -> None:
        found = cells.setdefault(cell, [0, 0])
        found[0] += 1
        found[1] += rk

    for row in rows:
        answers = decode(row.answers)
        key = columns.key_of(row.batch, row.received, row.language, answers)
        groups = columns.groups(shown.get(key) or columns.hidden(key))
        add((groups, protect.ROWS, str(row.version)), row.record_key)
        for qid, value in zip(columns.questions, groups, strict=True):
            if value is not None:
                add((groups, qid, protect.ANSWERED), row.record_key)
                add((groups, qid, str(value)), row.record_key)
        for qid, value in answers.items():
            info = layout.info.get(qid)
            if info is None or qid in columns.questions:
                continue
            add((groups, qid, protect.ANSWERED), row.record_key)
            if info.question.is_free_text:
                continue
            values = value if isinstance(value, list) else [value]
            for v in values:
                category = str(v) if isinstance(value, list) else category_of(info.question, v)
                add((groups, qid, category), row.record_key)
    return cells


def from_counts(
    columns: Columns, counts: Mapping[protect.CellKey, list[int]]
) -> list[tables.StoredCell]:
    """The passes' counts as cells, without a store between (the service stores them)."""
    return [
        tables.StoredCell(dict(zip(columns.questions, groups, strict=True)), q, c, n, k)
        for (groups, q, c), (n, k) in counts.items()
    ]


def could_be(shown: int) -> range:
    """Every true count that can be published as `shown`: what a reader who knows this table
    (and nothing else) can say about the cell. Always a run of whole numbers; empty for a
    figure the table never publishes (1 and 2)."""
    found = [
        count
        for count in range(max(0, shown - cellkey.MAX_NOISE), shown + cellkey.MAX_NOISE + 1)
        if any(
            count + amount == shown for amount, _ in cellkey.PTABLE[min(count, cellkey.LAST_ROW)]
        )
    ]
    return range(found[0], found[-1] + 1) if found else range(0)
