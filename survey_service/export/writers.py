"""Released rows -> CSV, XLSX and JSON, in the columns layout.py decides; pure, no database."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec
import xlsxwriter

from survey_service.confidentiality.kanonymity import BLANK
from survey_service.export.cell_plans import Cell, Style, defuse
from survey_service.export.layout import LANGUAGE, Column, Layout, QuestionInfo
from survey_service.store.inspector import ReleasedRow

Format = Literal["csv", "xlsx", "json"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json")
MEDIA_TYPES = {
    "csv": "text/csv",  # Litestar adds "; charset=utf-8" to text/ types
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
Quote = tuple[str, str, str]  # (question id, question text, quote)
BOM = "\ufeff"
CHUNK_ROWS = 4000


# Applies the release's decisions to one row: changes its answers in place to what the row
# shows (blanked quasi-identifiers, its language) and returns the date label it shows.
Protect = Callable[[ReleasedRow, dict[str, Any]], str]


class Options(msgspec.Struct, frozen=True):
    codes: bool = False
    protect: Protect | None = None  # None: rows as they are (tests of the writers alone)
    on_row: Callable[[int], None] | None = None  # progress: rows written so far


def _rows(
    layout: Layout, rows: Iterable[ReleasedRow], options: Options, style: Style
) -> Iterator[list[Any]]:
    answers_of = layout.answers_of
    build = layout.builder(options.codes, style)
    protect = options.protect
    done = 0
    for row in rows:
        answers = answers_of(row)
        received = row.received if protect is None else protect(row, answers)
        yield build(row, answers, received)
        done += 1
        if options.on_row is not None and done % CHUNK_ROWS == 0:
            options.on_row(done)
    if options.on_row is not None:
        options.on_row(done)


def csv_chunks(layout: Layout, rows: Iterable[ReleasedRow], options: Options) -> Iterator[bytes]:
    """UTF-8 with a BOM so Excel keeps accents; a header row of column names. Rows come as
    quoted CSV text and are joined here: csv.writer cost more than building the cells."""
    head = io.StringIO()
    head.write(BOM)
    csv.writer(head, lineterminator="\r\n").writerow(layout.names)
    text = head.getvalue()
    # Each row is joined at once: strings are nothing to the garbage collector, whereas
    # thousands of live lists of cells had it scanning them over and over.
    join = ",".join
    lines: list[str] = []
    for cells in _rows(layout, rows, options, "csv"):
        lines.append(join(cells))
        if len(lines) == CHUNK_ROWS:
            yield (text + "\r\n".join(lines) + "\r\n").encode("utf-8")
            lines, text = [], ""
    if lines:
        text += "\r\n".join(lines) + "\r\n"
    yield text.encode("utf-8")


def json_chunks(
    layout: Layout,
    rows: Iterable[ReleasedRow],
    options: Options,
    notes: Mapping[str, Any],
    quotes: Sequence[Quote] = (),
) -> Iterator[bytes]:
    """{"notes": {...}, "columns": [...], "rows": [{column: value}, ...], "quotes": [...]},
    streamed; each quote {"question", "question_text", "text"} alone, never beside its row."""
    encode = msgspec.json.encode
    head = b'{"notes":' + encode(notes) + b',"columns":' + encode(layout.names) + b',"rows":['
    parts: list[bytes] = [head]
    names = layout.names
    for count, cells in enumerate(_rows(layout, rows, options, "values"), 1):
        if count > 1:
            parts.append(b",")
        parts.append(encode(dict(zip(names, cells, strict=True))))
        if count % CHUNK_ROWS == 0:
            yield b"".join(parts)
            parts = []
    listed = [{"question": q, "question_text": text, "text": quote} for q, text, quote in quotes]
    parts.append(b'],"quotes":' + encode(listed) + b"}")
    yield b"".join(parts)


def write_xlsx(
    path: Path,
    layout: Layout,
    rows: Iterable[ReleasedRow],
    options: Options,
    notes: Sequence[tuple[str, str]],
    tmpdir: Path | None = None,
    quotes: Sequence[Quote] = (),
) -> int:
    """A workbook with responses, codebook, notes and quotes sheets; constant memory. Returns
    rows."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            # Every string is text: a respondent's '=...' never becomes a formula.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            **({"tmpdir": str(tmpdir)} if tmpdir else {}),
        },
    )
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "bottom": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet("responses")
    for index, column in enumerate(layout.columns):
        sheet.set_column(index, index, _width(layout, column))
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, layout.names, bold)
    count = 0
    for count, cells in enumerate(_rows(layout, rows, options, "values"), 1):
        sheet.write_row(count, 0, cells)
    sheet.autofilter(0, 0, max(count, 1), len(layout.columns) - 1)

    book = workbook.add_worksheet("codebook")
    book.freeze_panes(1, 0)
    for index, width in enumerate((28, 60, 16, 12, 18, 40)):
        book.set_column(index, index, width, wrap if index in (1, 5) else None)
    head = ["column", "question", "type", "versions", "code", "label"]
    for lang in layout.other_languages:
        head += [f"question ({lang})", f"label ({lang})"]
        book.set_column(len(head) - 2, len(head) - 1, 40, wrap)
    book.write_row(0, 0, head, bold)
    line = 1
    for entry in codebook(layout):
        book.write_row(line, 0, entry)
        line += 1

    sheet_notes = workbook.add_worksheet("notes")
    sheet_notes.set_column(0, 0, 26)
    sheet_notes.set_column(1, 1, 90, wrap)
    sheet_notes.write_row(0, 0, ["note", "value"], bold)
    for line, (key, value) in enumerate(notes, 1):
        sheet_notes.write_row(line, 0, [key, value])
    _quotes_sheet(workbook, quotes, bold, wrap)
    workbook.close()
    return count


def _quotes_sheet(
    workbook: xlsxwriter.Workbook, quotes: Sequence[Quote], bold: Any, wrap: Any
) -> None:
    """Answers reviewers marked quotable, for the report: question and text only, in the
    order given (shuffled), so no quote sits beside anything else of its row."""
    sheet = workbook.add_worksheet("quotes")
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 40, wrap)
    sheet.set_column(2, 2, 90, wrap)
    sheet.write_row(0, 0, ["question", "question text", "quote"], bold)
    for line, (qid, text, quote) in enumerate(quotes, 1):
        sheet.write_row(line, 0, [qid, defuse(text), defuse(quote)])
    if not quotes:
        sheet.write_row(1, 0, ["", "", "No answer in this file is marked quotable yet."])


def codebook(layout: Layout) -> Iterator[list[Cell]]:
    """(column, question text, type, versions, code, label): one line per code, in the default
    language, then (question, label) in each other language a version offers."""
    for line in _codebook_default(layout):
        info = None if line[2] == "meta" else layout.info[str(line[0]).split(".")[0]]
        for lang in layout.other_languages:
            line += _wording(info, lang, str(line[0]), line[4]) if info else ["", ""]
        yield line


def _wording(info: QuestionInfo, lang: str, column: str, code: Cell) -> list[Cell]:
    """The question and the label as the newest version offering `lang` words them."""
    words = info.wording.get(lang, {})
    q = info.question
    text = words.get("text", "")
    if q.type == "multiple_choice":
        return [text, words.get(f"choice.{column.partition('.')[2]}", "")]
    if q.choices is not None:
        return [text, words.get(f"choice.{code}", "")]
    if q.type == "scale" and "min_label" in words:
        return [text, f"{q.min} = {words['min_label']}, {q.max} = {words.get('max_label', '')}"]
    return [text, ""]


def _codebook_default(layout: Layout) -> Iterator[list[Cell]]:
    yield ["batch", "Batch the response was released in", "meta", "", "", ""]
    yield ["questionnaire_version", "Version of the questionnaire answered", "meta", "", "", ""]
    yield [
        "received",
        "Day the response arrived (no time is kept), or its ISO week (2026-W48) or month"
        " (2026-11) where too few people share the day",
        "meta",
        "",
        BLANK,
        "hidden: too few people share even the month",
    ]
    if layout.multilingual:
        about = "Language the response was given in (a language tag)"
        for lang in layout.languages:
            yield [LANGUAGE, about, "meta", "", lang, ""]
        yield [LANGUAGE, about, "meta", "", BLANK, "hidden: too few people share it"]
    for qid, info in layout.info.items():
        q = info.question
        versions = _version_range(info.versions)
        if q.type == "multiple_choice":
            for code, label in info.labels.items():
                span = _version_range(info.code_versions[code])
                yield [f"{qid}.{code}", q.text, q.type, span, "1 / 0", f"{label}: ticked / not"]
        elif q.choices is not None:
            for code, label in info.labels.items():
                yield [qid, q.text, q.type, _version_range(info.code_versions[code]), code, label]
            if q.quasi_identifier:
                yield [qid, q.text, q.type, versions, BLANK, "hidden: too few people share it"]
        elif q.type in ("scale", "number"):
            span = f"{q.min} to {q.max}"
            if q.min_label and q.max_label:
                span += f" ({q.min} = {q.min_label}, {q.max} = {q.max_label})"
            yield [qid, q.text, q.type, versions, "", span]
        else:
            yield [qid, q.text, q.type, versions, "", _FREE_TEXT]


_FREE_TEXT = (
    "free text, screened for personal data, shown only once a reviewer has read it"
    " ([redacted] where they hid words; empty while it waits or where it was withheld)"
)


def _version_range(versions: list[int]) -> str:
    return str(versions[0]) if len(versions) == 1 else f"{versions[0]}–{versions[-1]}"


def _width(layout: Layout, column: Column) -> float:
    if column.question is None:
        return 22 if column.name == "questionnaire_version" else 12
    info = layout.info[column.question]
    longest = max((len(label) for label in info.labels.values()), default=0)
    if column.code is not None:
        longest = 0
    if info.question.type in ("short_text", "long_text"):
        longest = 50
    return float(min(max(len(column.name) + 2, longest + 2, 8), 60))
