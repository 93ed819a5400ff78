"""An author's draft questionnaire, read from its file (TOML, or an XLSForm workbook) and checked
as `survey-service check` checks a file, rule 4 included, for the preview. Nothing is written.

An uploaded draft is read in a child process with limits on time and memory (`read_isolated`):
a workbook is a zip of XML that a small upload can unpack into a great deal of, and reading it is
pure-Python work that would hold the event loop however it was threaded (the GIL). A child that
runs out of time or memory costs one preview, never the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
import zipfile
from dataclasses import asdict, dataclass

from survey_service.questionnaires import (
    Questionnaire,
    QuestionnaireError,
    canonical_bytes,
    decode_canonical,
    parse,
)
from survey_service.registry import LOAD_CHECKS
from survey_service.xlsform import XLSFormError, read_xlsform

# Time and memory a child may take to read one upload. A real XLSForm is read in well under a
# second; the limits are there for the workbook that is built to be slow or huge.
CHILD_SECONDS = 20
CHILD_MEMORY_BYTES = 1024 * 1024 * 1024
# What a workbook may unpack to. A form of a few hundred rows is well under 1 MB unpacked; a
# zip's members cannot be read past the sizes it declares, so this bounds the work up front.
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
_ZIP = b"PK\x03\x04"
UNREADABLE = "could not be read: it may be damaged, or too large or complex to preview"


@dataclass(frozen=True)
class DraftProblem:
    """One thing to fix, placed as Excel shows it (sheet, row, column) or, in a TOML file, by
    question."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # "C (relevant)"
    question: str | None = None

    @property
    def where(self) -> str:
        parts = [f"{self.sheet} sheet" if self.sheet else "", f"row {self.row}" if self.row else ""]
        parts += [f"column {self.column}" if self.column else ""]
        parts += [f"question '{self.question}'" if self.question else ""]
        return ", ".join(p for p in parts if p)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class DraftRefused(Exception):
    """Everything wrong with a draft."""

    def __init__(self, problems: list[DraftProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def read(name: str, data: bytes) -> Questionnaire:
    """The draft in `data` (a file called `name`), checked; DraftRefused lists every problem."""
    if data.startswith(_ZIP):
        _check_unpacked_size(data)
        try:
            return read_xlsform(io.BytesIO(data), name).questionnaire
        except XLSFormError as exc:
            raise DraftRefused([_placed(p.place, p.message) for p in exc.problems]) from None
    if name.lower().endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        raise DraftRefused(
            [DraftProblem("is not an Excel workbook: save it as .xlsx and try again")]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DraftRefused(
            [DraftProblem("is neither an .xlsx workbook nor a questionnaire file (.toml)")]
        ) from None
    try:
        return parse(text, name, LOAD_CHECKS)
    except QuestionnaireError as exc:
        raise DraftRefused([DraftProblem(exc.reason, question=exc.question)]) from None


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            unpacked = sum(item.file_size for item in book.infolist())
    except (zipfile.BadZipFile, ValueError):
        return  # the workbook reader says what is wrong with it
    if unpacked > MAX_UNPACKED_BYTES:
        mb = unpacked // (1024 * 1024)
        raise DraftRefused([DraftProblem(f"unpacks to {mb} MB: far too big for a form")])


def _placed(place: object, message: str) -> DraftProblem:
    sheet, row = getattr(place, "sheet", None), getattr(place, "row", None)
    column, letter = getattr(place, "column", None), getattr(place, "letter", None)
    if column and letter:
        column = f"{letter} ({column})"
    return DraftProblem(message, sheet=sheet, row=row, column=column)


async def read_isolated(
    name: str, data: bytes, seconds: float = CHILD_SECONDS, memory: int = CHILD_MEMORY_BYTES
) -> Questionnaire:
    """`read` in a child process, within `seconds` and `memory` bytes."""
    child = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "survey_service.respondent.drafts", name, str(memory)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(child.communicate(data), seconds)
    except TimeoutError:
        raise DraftRefused(
            [DraftProblem(f"took longer than {seconds:g} s to read: is it really a form?")]
        ) from None
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    try:
        answer = json.loads(out)
    except ValueError:  # the child died (out of memory, say) before it could answer
        answer = {"problems": [asdict(DraftProblem(UNREADABLE))]}
    if "problems" in answer:
        raise DraftRefused([DraftProblem(**p) for p in answer["problems"]])
    return decode_canonical(json.dumps(answer["questionnaire"]).encode())


def _limit_self(memory: int) -> None:
    # The parent kills a child that runs out of time; CPU time is the backstop if it cannot.
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (CHILD_SECONDS, CHILD_SECONDS + 1))


def main() -> None:
    """The child: the draft on stdin; its name and the memory it may use as arguments; one
    JSON answer on stdout."""
    name, memory = sys.argv[1], int(sys.argv[2])
    _limit_self(memory)
    try:
        q = read(name, sys.stdin.buffer.read())
    except DraftRefused as exc:
        answer: dict[str, object] = {"problems": [asdict(p) for p in exc.problems]}
    else:
        answer = {"questionnaire": json.loads(canonical_bytes(q))}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
