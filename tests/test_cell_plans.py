"""The export's fast paths give what the plain ways give: CSV text as csv.writer writes it,
rows as the cell values render them, combinations counted as `Layout.combo` makes them."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import msgspec

from survey_service.export import writers
from survey_service.export.cell_plans import csv_text
from survey_service.export.layout import Layout
from survey_service.questionnaires import load_file
from survey_service.release.columns import Columns
from survey_service.store.inspector import ReleasedRow
from tests.support.inspectors import FIXTURES
from tests.support.questionnaires import questions_by_id

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
    layout = Layout([V1, V2])
    rows = [
        _row(1, fits="no", helped=["gp"], one_word='=say, "hi"', age_band="14_15", trust=3),
        _row(2, fits="yes", helped=["youth_worker", "mentor"], felt_safe="no", times=12),
        _row(2, why_not="line\r\nbreak", age_band="[c]"),
        _row(1),
    ]
    for codes in (False, True):
        options = writers.Options(codes=codes)
        got = b"".join(writers.csv_chunks(layout, rows, options)).decode("utf-8")
        cells = [layout.cells(r, layout.answers_of(r), codes, True) for r in rows]
        assert got == writers.BOM + _writer([layout.names, *cells])


def test_a_release_key_read_fast_is_the_key_of_the_decoded_answers():
    rng = random.Random(3)
    for q in (V2, MULTILINGUAL):
        columns = Columns(Layout([q]))
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
    return [c.code for c in questions_by_id(q)[qid].choices or ()]


def test_choice_labels_are_defused_in_csv_like_free_text(tmp_path: Path):
    # Issue 17, item 11: a label that starts like a formula (an author's "=" or "-", or a
    # published label someone tampered with) must not run when the CSV opens in Excel.
    source = (FIXTURES / "questionnaires" / "every-type-v1.toml").read_text(encoding="utf-8")
    source = source.replace('label = "Yes"', 'label = "=HYPERLINK(\\"http://x\\",\\"Yes\\")"')
    source = source.replace('label = "No"', 'label = "-1 No"').replace(
        'label = "Not sure"', 'label = "@Not sure"'
    )
    (tmp_path / "q.toml").write_text(source, encoding="utf-8")
    layout = Layout([load_file(tmp_path / "q.toml")])
    rows = [_row(1, fits=code) for code in ("yes", "no", "not_sure")]
    text = b"".join(writers.csv_chunks(layout, rows, writers.Options())).decode("utf-8")
    at = layout.names.index("fits")
    cells = [row[at] for row in list(csv.reader(io.StringIO(text.removeprefix(writers.BOM))))[1:]]
    assert cells == ['\'=HYPERLINK("http://x","Yes")', "'-1 No", "'@Not sure"]
    # The spreadsheet writer's cells are defused the same way.
    safe = [layout.cells(r, layout.answers_of(r), False, True) for r in rows]
    assert [c[layout.names.index("fits")] for c in safe][1:] == ["'-1 No", "'@Not sure"]
