"""The columns of a questionnaire's exports, stable across its versions; pure, no database.

What may leave the server is decided here, in one place: the columns below and nothing else (no
response id, no content hash, no arrival order). cell_plans.py fills them row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from survey_service.export.cell_plans import (
    Cell,
    CellPlan,
    Rendered,
    Style,
    csv_text,
    fill,
    make_plan,
)
from survey_service.questionnaires import Question, Questionnaire
from survey_service.store.inspector import ReleasedRow

META_COLUMNS = ("batch", "questionnaire_version", "received")
# Multilingual questionnaires only: the language each response was given in. It is a
# quasi-identifier (a language few people speak singles them out in a small community), so it
# joins the k-anonymity combination under this key, which no question id can take.
LANGUAGE = "language"
LANGUAGE_KEY = "@language"
_decode_answers = msgspec.json.Decoder(dict[str, Any]).decode


class Column(msgspec.Struct, frozen=True):
    name: str
    question: str | None = None  # None for the meta columns
    code: str | None = None  # for a multiple-choice column: the choice it flags


class QuestionInfo(msgspec.Struct):
    question: Question  # as the newest version holding it defines it
    versions: list[int]
    labels: dict[str, str]  # every code ever published, newest label
    code_versions: dict[str, list[int]] = {}  # the versions offering each code
    # Other languages' wording, by language then translation key, newest version first.
    wording: dict[str, dict[str, str]] = {}


class Layout:
    """The columns of a questionnaire's exports: one per question id ever published, in the
    newest version's order, removed questions after; multiple choice as one column per choice."""

    def __init__(self, versions: Sequence[Questionnaire]):
        if not versions:
            raise ValueError("a layout needs at least one questionnaire version")
        ordered = sorted(versions, key=lambda q: q.version)
        self.latest = ordered[-1]
        self.info: dict[str, QuestionInfo] = {}
        self._version_codes: dict[tuple[int, str], frozenset[str]] = {}
        self._version_questions: dict[int, frozenset[str]] = {}
        for q in reversed(ordered):  # newest first: its order and labels win
            self._version_questions[q.version] = frozenset(x.id for x in q.questions())
            for question in q.questions():
                info = self.info.get(question.id)
                if info is None:
                    info = self.info[question.id] = QuestionInfo(question, [], {}, {}, {})
                info.versions.append(q.version)
                prefix = f"q.{question.id}."
                for lang, texts in q.translations.items():
                    kept = info.wording.setdefault(lang, {})
                    for key, text in texts.items():
                        if key.startswith(prefix):
                            kept.setdefault(key.removeprefix(prefix), text)
                for choice in question.choices or ():
                    info.labels.setdefault(choice.code, choice.label)
                    info.code_versions.setdefault(choice.code, []).insert(0, q.version)
                self._version_codes[(q.version, question.id)] = frozenset(question.codes())
        for info in self.info.values():
            info.versions.sort()
        # Every language any version offers besides its default, in first-seen order.
        self.other_languages = list(
            dict.fromkeys(lang for q in reversed(ordered) for lang in q.languages[1:])
        )
        self.languages = list(
            dict.fromkeys(lang for q in reversed(ordered) for lang in q.languages)
        )
        self.multilingual = bool(self.other_languages)
        # A question any version marks stays a quasi-identifier: a value hidden once must
        # never be shown because a newer version dropped the mark.
        marked = {x.id for q in ordered for x in q.questions() if x.quasi_identifier}
        self.quasi_identifiers = [qid for qid in self.info if qid in marked]
        if self.multilingual:
            self.quasi_identifiers.append(LANGUAGE_KEY)
        meta = (*META_COLUMNS, LANGUAGE) if self.multilingual else META_COLUMNS
        self.columns: list[Column] = [Column(name) for name in meta]
        for qid, info in self.info.items():
            if info.question.type == "multiple_choice":
                self.columns.extend(Column(f"{qid}.{code}", qid, code) for code in info.labels)
            else:
                self.columns.append(Column(qid, qid))
        self.names = [c.name for c in self.columns]

    def version_questions(self, version: int) -> frozenset[str]:
        return self._version_questions.get(version, frozenset())

    def version_codes(self, version: int, qid: str) -> frozenset[str]:
        return self._version_codes.get((version, qid), frozenset())

    def answers_of(self, row: ReleasedRow) -> dict[str, Any]:
        """The row's answers, with its language among them when it is a quasi-identifier."""
        answers = _decode_answers(row.answers)
        if self.multilingual:
            answers[LANGUAGE_KEY] = row.language
        return answers

    def cells(
        self, row: ReleasedRow, answers: dict[str, Any], codes: bool, excel_safe: bool
    ) -> list[Cell]:
        """The row's cells in column order (one row; an export makes one builder for all)."""
        build = self.builder(codes, "safe values" if excel_safe else "values")
        return build(row, answers, row.received)

    def builder(
        self, codes: bool, style: Style
    ) -> Callable[[ReleasedRow, dict[str, Any], str], list[Any]]:
        """(row, answers as shown, date as shown) -> cells, with the plan of each row's
        version, made on first use."""
        plans: dict[int, CellPlan] = {}
        text = style == "csv"
        # Batches and dates take few values: rendered once each, not once a row.
        batches, dates = Rendered(), Rendered()

        def build(row: ReleasedRow, answers: dict[str, Any], received: str) -> list[Any]:
            plan = plans.get(row.version)
            if plan is None:
                plan = plans[row.version] = make_plan(self, row.version, codes, style)
            if text:
                out = fill(plan, batches[row.batch], dates[received], answers)
            else:
                out = fill(plan, row.batch, received, answers)
            if self.multilingual:
                # Whatever k-anonymity decided ("[c]" for a language too few share), never
                # the row's own.
                shown = answers.get(LANGUAGE_KEY)
                out[3] = csv_text(shown) if text else shown
            return out

        return build
