"""The export's fast paths give what the plain ways give: CSV text as csv.writer writes it,
rows as the cell values render them, combinations counted as `Layout.combo` makes them."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import msgspec
from inspect_support import FIXTURES

from survey_service import export
from survey_service.cell_plans import csv_text
from survey_service.questionnaires import load_file
from survey_service.release.columns import Columns
from survey_service.store.inspectors import ReleasedRow

V1 = load_file(FIXTURES / "questionnaires" / "every-type-v1.toml")
V2 = load_file(FIXTURES / "inspect" / "every-type-v2.toml")
MULTILINGUAL = load_file(Path(__file__).parent / "browser" / "questionnaires" / "multilingual.toml")
AWKWARD = ["", " ", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", "crlf\r\n", "tab\t", "=1+1"]
AWKWARD += ["é ü", "'quoted'", ",", '"', "\x00nul", "  spaced  ", "semi;colon"]


def _writer(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def test_csv_text_quotes_as_csv_writer_does():
    rng = random.Random(7)
    cells: list[Any] = [*AWKWARD, None, 0, 1, -3, 2.5, True]
    rows = [[rng.choice(cells) for _ in range(5)] for _ in range(300)]
    rows += [[text, "x"] for text in AWKWARD]
    assert "".join(",".join(map(csv_text, r)) + "\r\n" for r in rows) == _writer(rows)


def _row(version: int, language: str | None = None, **answers: Any) -> ReleasedRow:
    return ReleasedRow(version, "2026-11-20", 3, msgspec.json.encode(answers), language)


def test_csv_export_matches_csv_writer_on_the_safe_cell_values():
    layout = export.Layout([V1, V2])
    rows = [
        _row(1, fits="no", helped=["gp"], one_word='=say, "hi"', age_band="14_15", trust=3),
        _row(2, fits="yes", helped=["youth_worker", "mentor"], felt_safe="no", times=12),
        _row(2, why_not="line\r\nbreak", age_band="[c]"),
        _row(1),
    ]
    for codes in (False, True):
        options = export.Options(codes=codes)
        got = b"".join(export.csv_chunks(layout, rows, options)).decode("utf-8")
        cells = [layout.cells(r, layout.answers_of(r), codes, True) for r in rows]
        assert got == export.BOM + _writer([layout.names, *cells])


def test_a_release_key_read_fast_is_the_key_of_the_decoded_answers():
    rng = random.Random(3)
    for q in (V2, MULTILINGUAL):
        columns = Columns(export.Layout([q]))
        for _ in range(200):
            answers = {
                qid: rng.choice([*columns_labels(q, qid), None])
                for qid in columns.questions
                if rng.random() < 0.8
            }
            answers["other"] = "ignored"
            row = _row(1, rng.choice(["pl", "ar", None]), **answers)
            fast = columns.key(row.batch, row.received, row.language, row.answers)
            slow = columns.key_of(row.batch, row.received, row.language, answers)
            assert fast == slow
            assert len(fast) == len(columns.names)


def columns_labels(q: Any, qid: str) -> list[str]:
    return [c.code for c in q.question_map()[qid].choices or ()]
