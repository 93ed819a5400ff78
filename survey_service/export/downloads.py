"""Planning an export: which batches, notes and file names; every row as the release shows it.
The streams are blocking generators meant for a worker thread (Litestar runs them off the loop)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import msgspec

from survey_service.export import writers
from survey_service.export.layout import Layout
from survey_service.export.writers import Format, Options
from survey_service.release import review
from survey_service.release.columns import BLANK, LANGUAGE, RECEIVED
from survey_service.release.service import Protected
from survey_service.store import Store
from survey_service.store.inspector import Batch, ReleasedRow

FILE_CHUNK = 256 * 1024


class Plan(msgspec.Struct):
    questionnaire: str
    batches: list[Batch]
    fmt: Format
    codes: bool
    actor: str

    @property
    def rows(self) -> int:
        return sum(b.count for b in self.batches)

    @property
    def label(self) -> str:
        numbers = [b.number for b in self.batches]
        if len(numbers) == 1:
            return f"batch {numbers[0]}"
        return f"all released batches ({_numbers(numbers)})"

    @property
    def filename(self) -> str:
        which = f"batch-{self.batches[0].number}" if len(self.batches) == 1 else "all-batches"
        return f"{self.questionnaire}-{which}{'-codes' if self.codes else ''}.{self.fmt}"

    @property
    def audit_detail(self) -> str:
        style = "codes" if self.codes else "labels"
        return f"{self.questionnaire} {self.label} as {self.fmt} ({style}), {self.rows} rows"


def _numbers(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers) or "none"


def stream(
    store: Store,
    release: Protected,
    plan: Plan,
    tmpdir: Path,
    on_row: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The export's bytes, every row as the release shows it. Blocking: run it in a worker
    thread."""
    layout = release.layout
    numbers = [b.number for b in plan.batches]
    rows = store.iter_released(plan.questionnaire, numbers)
    # Free text as reviewers left it, then what the release decided (rules 5 and 7).
    protect = review.protector(layout, release.columns.protector(release.shown))
    options = Options(codes=plan.codes, protect=protect, on_row=on_row)
    notes = _notes(release, plan)
    # A CSV file holds one table, the responses: its quotes are in its text columns already.
    quotes = review.quote_rows(layout, release.texts.quotes_in(numbers))
    if plan.fmt == "csv":
        yield from writers.csv_chunks(layout, rows, options)
    elif plan.fmt == "json":
        yield from writers.json_chunks(layout, rows, options, dict(notes), quotes)
    else:
        yield from _xlsx(layout, rows, options, notes, tmpdir, quotes)


def _notes(release: Protected, plan: Plan) -> list[tuple[str, str]]:
    layout = release.layout
    q = layout.latest
    numbers = {b.number for b in plan.batches}
    columns = ", ".join(_column_name(c) for c in release.columns.names[1:])
    changed = sum(
        release.rows.get(key, 0)
        for key, shown in release.shown.items()
        if key[0] in numbers and shown != key
    )
    notes = [
        ("questionnaire", f"{q.title} ({q.id}), versions {_numbers(sorted(_versions(layout)))}"),
        ("batches", plan.label),
        ("rows", str(plan.rows)),
        ("values", "codes" if plan.codes else "labels (the codebook sheet lists every code)"),
        (
            "k-anonymity",
            f"k = {release.k}, decided once for all released batches: a row shows its "
            f"{columns} only if at least {release.k} rows of its batch share all of them; "
            f"otherwise every one of them is {BLANK}. {changed} rows in this file are hidden "
            "that way. Every file shows each response the same way.",
        ),
        ("row order", "shuffled: row order means nothing"),
        (
            "dates",
            f"received: the {release.columns.period} each answer arrived; no day, no time, no ids",
        ),
        *[(f"batch {b} received", span) for b, span in _spans(release, numbers).items()],
        ("free text", _free_text_note(release, numbers)),
        ("exported", f"{dt.datetime.now(dt.UTC).date().isoformat()} by {plan.actor}"),
    ]
    notes += [
        (
            "revised",
            f"batch {r.batch}: on {r.revised} its files began to hide {r.rows} more rows "
            f"({r.reason}); files downloaded before show more than they should: delete them",
        )
        for r in release.revisions
        if r.batch in numbers
    ]
    return notes


def _free_text_note(release: Protected, numbers: set[int]) -> str:
    waiting = release.texts.count("waiting", numbers)
    quotes = len(release.texts.quotes_in(numbers))
    return (
        "screened for personal details when it arrived, then read by a reviewer before it "
        "appears: a text shows as the reviewer approved it ([redacted] where they hid words); "
        f"{waiting} free-text answer{'s' if waiting != 1 else ''} in this file "
        f"{'wait' if waiting != 1 else 'waits'} for review, and a text that waits or was "
        "withheld leaves its cell empty, as an unanswered question does. "
        f"Quotes: {quotes} answer{'s' if quotes != 1 else ''} a reviewer marked quotable "
        "(the quotes sheet, or the quotes list in JSON)."
    )


def _spans(release: Protected, numbers: set[int]) -> dict[int, str]:
    """The periods each batch's answers came from: what the k-anonymity step took as the
    periods a hidden row may be from (rule 2 in kanonymity.py)."""
    found: dict[int, list[str]] = {}
    for key in release.shown:
        if key[0] in numbers:
            found.setdefault(key[0], []).append(str(key[1]))
    return {b: _range(sorted(found[b])) for b in sorted(found)}


def _range(labels: list[str]) -> str:
    return labels[0] if labels[0] == labels[-1] else f"from {labels[0]} to {labels[-1]}"


def _column_name(name: str) -> str:
    return {RECEIVED: "received period", LANGUAGE: "language"}.get(name, name)


def _versions(layout: Layout) -> set[int]:
    return {v for info in layout.info.values() for v in info.versions}


def _xlsx(
    layout: Layout,
    rows: Iterable[ReleasedRow],
    options: Options,
    notes: list[tuple[str, str]],
    tmpdir: Path,
    quotes: Sequence[tuple[str, str, str]],
) -> Iterator[bytes]:
    tmpdir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(suffix=".xlsx", dir=tmpdir)
    os.close(handle)
    path = Path(name)
    try:
        writers.write_xlsx(path, layout, rows, options, notes, tmpdir, quotes)
        with path.open("rb") as f:
            while chunk := f.read(FILE_CHUNK):
                yield chunk
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
