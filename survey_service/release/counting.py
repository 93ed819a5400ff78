"""What the release counts: how many rows, and which record keys, each table cell holds once
k-anonymity has decided what each row shows (rule 8). It runs over every released row at each
release, so it is written for speed: rows are decoded in C a chunk at a time, counted by their
key as stored, then each question's answers for the whole chunk are numbered through a dict
(in C) and numpy adds them up per key; the keys are mapped to what they show at the end. A
Python loop per answer was most of a release's time (measured); here the Python work per chunk
grows with the number of distinct answers, not with the rows. One read serves the decision and
the cells."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
import numpy as np

from survey_service.export.layout import Layout
from survey_service.release.categories import category_of
from survey_service.release.columns import Columns, Key
from survey_service.store.inspector import ReleaseInput

CellKey = tuple[tuple[Any, ...], str, str]  # (shown quasi-identifier answers, question, category)
ROWS = ""  # the question of a cell that counts rows (its category: the questionnaire version)
ANSWERED = ""  # the category of a cell that counts the rows that answered a question
CHUNK = 20_000  # rows decoded before numpy adds them up


class _Ids(dict[Any, int]):
    """Each distinct value met, numbered as first met (in C on every later meeting)."""

    def __missing__(self, value: Any) -> int:
        self[value] = number = len(self)
        return number


class _Masks(dict[Any, int]):
    """A multiple-choice answer (a tuple of codes) as a bit mask of its codes, in the order
    the layout lists them; -1 for no answer."""

    def __init__(self, codes: list[str]):
        super().__init__()
        self.bits = {code: 1 << n for n, code in enumerate(codes)}

    def __missing__(self, value: Any) -> int:
        mask = -1 if value is None else sum(self.bits.get(code, 0) for code in value)
        self[value] = mask
        return mask


def count_cells(
    layout: Layout, columns: Columns, rows: Iterable[ReleaseInput], shown: Mapping[Key, Key]
) -> dict[CellKey, list[int]]:
    """{(groups, question, category): [count, sum of record keys]} over the rows as shown:
    every question's categories and answered count per group of shown quasi-identifier
    answers, and (question ROWS) the rows per group and questionnaire version."""
    return tally(layout, columns, rows).cells(columns, shown)


def tally(layout: Layout, columns: Columns, rows: Iterable[ReleaseInput]) -> Tally:
    """Every row counted by its key (batch, period, language, quasi-identifiers) as stored:
    one read of the rows serves both the k-anonymity decision (`rows_per_key`) and, once
    decided, the cells (`cells`)."""
    reader = _Reader(layout, columns)
    result = Tally(layout, reader)
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        values = msgspec.structs.astuple(reader.decode(row.answers))
        key = columns.key_from(row.batch, row.received, row.language, values[: reader.answers_at])
        chunk.append((key, row.record_key, row.version, *values[reader.answers_at :]))
        if len(chunk) == CHUNK:
            result.add(chunk)
            chunk = []
    result.add(chunk)
    return result


class _Reader:
    """One Struct per layout: the quasi-identifiers, then every other question (arrays as
    tuples; free text as raw JSON, never built into a string). Other fields are skipped."""

    def __init__(self, layout: Layout, columns: Columns):
        qis = set(columns.questions)
        self.questions = [q for q in layout.info if q not in qis]
        self.answers_at = len(columns.questions)
        value = str | int | tuple[str, ...] | None
        fields: list[tuple[str, Any, Any]] = [(f"q{i}", Any, None) for i in range(self.answers_at)]
        for i, qid in enumerate(self.questions):
            if layout.info[qid].question.is_free_text:
                fields.append((f"a{i}", msgspec.Raw, msgspec.Raw()))  # empty when absent
            else:
                fields.append((f"a{i}", value, None))
        names = [*columns.questions, *self.questions]
        rename = {f[0]: name for f, name in zip(fields, names, strict=True)}
        self.decode = msgspec.json.Decoder(
            msgspec.defstruct("Answers", fields, rename=rename)
        ).decode


class Tally:
    """Counts and record-key sums per (key, question, category), by key number."""

    def __init__(self, layout: Layout, reader: _Reader):
        self.layout = layout
        self.groups = _Ids()
        self.questions = reader.questions
        self.ids = [_Ids() for _ in self.questions]
        self.masks = {
            n: _Masks(list(layout.info[q].labels))
            for n, q in enumerate(self.questions)
            if layout.info[q].question.type == "multiple_choice"
        }
        self.sums: dict[tuple[int, str, str], list[int]] = {}

    def add(self, chunk: list[tuple[Any, ...]]) -> None:
        if not chunk:
            return
        size = len(chunk)
        by_column = list(zip(*chunk, strict=True))
        groups = np.fromiter(map(self.groups.__getitem__, by_column[0]), np.int64, size)
        keys = np.asarray(by_column[1], dtype=np.float64)
        versions = _Ids()
        codes = np.fromiter(map(versions.__getitem__, by_column[2]), np.int64, size)
        for value, hit in self._each(versions, codes):
            self._add(groups[hit], keys[hit], ROWS, str(value))
        for n, (qid, column) in enumerate(zip(self.questions, by_column[3:], strict=True)):
            if n in self.masks:
                self._multiple(qid, groups, keys, column, self.masks[n])
            elif self.layout.info[qid].question.is_free_text:
                answered = np.fromiter(map(len, column), np.int64, size) > 0
                self._add(groups[answered], keys[answered], qid, ANSWERED)
            else:
                self._single(qid, n, groups, keys, column)

    def _single(self, qid: str, n: int, groups: Any, keys: Any, column: tuple[Any, ...]) -> None:
        question = self.layout.info[qid].question
        codes = np.fromiter(map(self.ids[n].__getitem__, column), np.int64, len(column))
        for value, hit in self._each(self.ids[n], codes):
            if value is not None:
                self._add(groups[hit], keys[hit], qid, ANSWERED)
                self._add(groups[hit], keys[hit], qid, category_of(question, value))

    def _multiple(
        self, qid: str, groups: Any, keys: Any, column: tuple[Any, ...], masks: _Masks
    ) -> None:
        mask = np.fromiter(map(masks.__getitem__, column), np.int64, len(column))
        answered = mask >= 0
        self._add(groups[answered], keys[answered], qid, ANSWERED)
        for code, bit in masks.bits.items():
            ticked = answered & (mask & bit != 0)
            self._add(groups[ticked], keys[ticked], qid, code)

    @staticmethod
    def _each(ids: _Ids, codes: Any) -> Any:
        """(value, rows holding it) for each value present in a chunk's column."""
        values = {n: v for v, n in ids.items()}
        for code in np.unique(codes).tolist():
            yield values[code], codes == code

    def _add(self, groups: Any, keys: Any, qid: str, category: str) -> None:
        if not len(groups):
            return
        count = np.bincount(groups)
        keysum = np.bincount(groups, weights=keys)  # exact: far below 2**53
        for g in np.flatnonzero(count).tolist():
            found = self.sums.setdefault((g, qid, category), [0, 0])
            found[0] += int(count[g])
            found[1] += int(keysum[g])

    def rows_per_key(self) -> dict[Key, int]:
        keys = {n: k for k, n in self.groups.items()}
        out: dict[Key, int] = {}
        for (g, qid, _), (count, _) in self.sums.items():
            if qid == ROWS:
                out[keys[g]] = out.get(keys[g], 0) + count
        return out

    def cells(self, columns: Columns, shown: Mapping[Key, Key]) -> dict[CellKey, list[int]]:
        """By groups as shown (a key with no decision shows nothing), with each
        quasi-identifier's own cells added from the rows of its groups (a hidden "[c]" counts
        as given: it may stand for anything)."""
        groups = {
            n: columns.groups(shown.get(key) or columns.hidden(key))
            for key, n in self.groups.items()
        }
        cells: dict[CellKey, list[int]] = {}

        def add(cell: CellKey, total: list[int]) -> None:
            found = cells.setdefault(cell, [0, 0])
            found[0] += total[0]
            found[1] += total[1]

        for (g, qid, category), total in self.sums.items():
            add((groups[g], qid, category), total)
            if qid != ROWS:
                continue
            for q, value in zip(columns.questions, groups[g], strict=True):
                if value is not None:
                    add((groups[g], q, ANSWERED), total)
                    add((groups[g], q, str(value)), total)
        return cells
