"""Planning an export: which batches, the k-anonymity pass, notes and file names; the streams
it returns are blocking generators meant for a worker thread (Litestar runs them off the loop)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import msgspec

from survey_service import disclosure, export
from survey_service.combo_counts import combo_counts
from survey_service.export import LANGUAGE, LANGUAGE_KEY, Format, Layout, Options
from survey_service.head_start import HeadStart
from survey_service.questionnaires import Questionnaire
from survey_service.store import Store
from survey_service.store.inspectors import Batch

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
    versions: Sequence[Questionnaire],
    plan: Plan,
    k: int,
    tmpdir: Path,
    on_row: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The export's bytes. Blocking: run it in a worker thread."""
    layout = Layout(versions)
    numbers = [b.number for b in plan.batches]
    # The shuffled read's sort runs while the k-anonymity pass reads.
    shuffled = HeadStart(store.iter_released(plan.questionnaire, numbers))
    try:
        shown, blanked = _k_pass(store, layout, plan.questionnaire, numbers, k)
        options = Options(codes=plan.codes, shown=shown, on_row=on_row)
        notes = _notes(layout, plan, k, blanked)
        rows = iter(shuffled)
        if plan.fmt == "csv":
            yield from export.csv_chunks(layout, rows, options)
        elif plan.fmt == "json":
            yield from export.json_chunks(layout, rows, options, dict(notes))
        else:
            yield from _xlsx(layout, rows, options, notes, tmpdir)
    finally:
        shuffled.close()


def _k_pass(
    store: Store, layout: Layout, questionnaire: str, numbers: list[int], k: int
) -> tuple[dict[disclosure.Combo, disclosure.Combo], int]:
    """First pass: how many released rows share each quasi-identifier combination (rule 7)."""
    if not layout.quasi_identifiers:
        return {}, 0
    language = LANGUAGE_KEY if layout.multilingual else None
    rows = store.iter_released(questionnaire, numbers, shuffle=False)
    counts = combo_counts(layout.quasi_identifiers, language, rows)
    if not layout.multilingual:
        return disclosure.k_anonymous(counts, layout.quasi_identifiers, k)
    return _k_with_language(counts, layout.quasi_identifiers, k)


def _k_with_language(
    counts: Counter[disclosure.Combo], quasi_identifiers: list[str], k: int
) -> tuple[dict[disclosure.Combo, disclosure.Combo], int]:
    """Issue 9: a response's language shows only when at least k released responses share it;
    then it is one more quasi-identifier in the combination (rule 7)."""
    at = quasi_identifiers.index(LANGUAGE_KEY)
    per_language: Counter[str | None] = Counter()
    for combo, count in counts.items():
        per_language[combo[at]] += count

    def shared(combo: disclosure.Combo) -> disclosure.Combo:
        language = combo[at]
        if language is None or per_language[language] >= k:
            return combo
        return (*combo[:at], disclosure.BLANK, *combo[at + 1 :])

    merged: Counter[disclosure.Combo] = Counter()
    for combo, count in counts.items():
        merged[shared(combo)] += count
    decided, _ = disclosure.k_anonymous(merged, quasi_identifiers, k)
    shown = {combo: decided[shared(combo)] for combo in counts}
    return shown, sum(count for combo, count in counts.items() if shown[combo] != combo)


def _notes(layout: Layout, plan: Plan, k: int, blanked: int) -> list[tuple[str, str]]:
    q = layout.latest
    qis = ", ".join(LANGUAGE if q == LANGUAGE_KEY else q for q in layout.quasi_identifiers)
    qis = qis or "none"
    return [
        ("questionnaire", f"{q.title} ({q.id}), versions {_numbers(sorted(_versions(layout)))}"),
        ("batches", plan.label),
        ("rows", str(plan.rows)),
        ("values", "codes" if plan.codes else "labels (the codebook sheet lists every code)"),
        (
            "k-anonymity",
            f"k = {k} on {qis}: {blanked} rows had a mix of these shared by fewer than {k} "
            f"people, shown as {disclosure.BLANK}",
        ),
        ("row order", "shuffled: row order means nothing"),
        ("dates", "only the date each answer arrived is kept; no time, no ids"),
        ("free text", "screened for personal details when it arrived"),
        ("exported", f"{dt.datetime.now(dt.UTC).date().isoformat()} by {plan.actor}"),
    ]


def _versions(layout: Layout) -> set[int]:
    return {v for info in layout.info.values() for v in info.versions}


def _xlsx(
    layout: Layout, rows, options: Options, notes: list[tuple[str, str]], tmpdir: Path
) -> Iterator[bytes]:
    tmpdir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(suffix=".xlsx", dir=tmpdir)
    os.close(handle)
    path = Path(name)
    try:
        export.write_xlsx(path, layout, rows, options, notes, tmpdir)
        with path.open("rb") as f:
            while chunk := f.read(FILE_CHUNK):
                yield chunk
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
