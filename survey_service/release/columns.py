"""What in a released row can single someone out (rule 7): the batch it came in, the period it
arrived in, its language (multilingual questionnaires) and its quasi-identifier answers. One
`Columns` per questionnaire layout; the release decides on these, every file applies it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec

from survey_service import periods
from survey_service.confidentiality import kanonymity
from survey_service.export.layout import LANGUAGE_KEY, Layout
from survey_service.export.writers import Protect
from survey_service.store.inspector import ReleasedRow

BATCH = "@batch"
RECEIVED = "@received"
LANGUAGE = LANGUAGE_KEY
BLANK = kanonymity.BLANK

Key = tuple[Any, ...]  # (batch, period, [language], *quasi-identifier answers)


class Columns:
    """The columns of a decision key, in order: batch, the period the answer arrived in (at
    the release's level: day, week or month), language when the questionnaire has several,
    then each quasi-identifier question."""

    def __init__(self, layout: Layout, period: str = "week"):
        self.period = period
        self.questions = [q for q in layout.quasi_identifiers if q != LANGUAGE_KEY]
        self.multilingual = layout.multilingual
        self.names = [BATCH, RECEIVED, *([LANGUAGE] if self.multilingual else []), *self.questions]
        # Where each quasi-identifier question sits in a key.
        self.offset = len(self.names) - len(self.questions)
        self._languages: list[Any] = [*layout.languages, None]
        self._answers = [[*layout.info[q].labels, None] for q in self.questions]
        self._decode = _decoder(self.questions)
        self._periods: dict[str, str] = {}  # stored label -> period: a few dozen, met per row

    def key(self, batch: int | None, received: str, language: str | None, answers: bytes) -> Key:
        """A row's key, decoding only its quasi-identifier answers (fast: C skips the rest)."""
        values = msgspec.structs.astuple(self._decode(answers))
        return self.key_from(batch, received, language, values)

    def key_of(
        self, batch: int | None, received: str, language: str | None, answers: Mapping[str, Any]
    ) -> Key:
        """The same key from answers already decoded."""
        return self.key_from(batch, received, language, tuple(map(answers.get, self.questions)))

    def key_from(
        self, batch: int | None, received: str, language: str | None, values: tuple[Any, ...]
    ) -> Key:
        """The key from the quasi-identifier answers, in `questions` order."""
        period = self._periods.get(received)
        if period is None:
            period = self._periods[received] = periods.at_level(received, self.period)
        if self.multilingual:
            return (batch, period, language, *values)
        return (batch, period, *values)

    def domains(self, keys: Sequence[Key]) -> list[list[Any]]:
        """What each hideable column can hold in one batch: the periods its answers span (a
        batch's notes state the span), the languages, every answer code; None for "not
        given" throughout."""
        span: list[Any] = periods.span(str(k[1]) for k in keys)
        return [span, *([self._languages] if self.multilingual else []), *self._answers]

    def hidden(self, key: Key) -> Key:
        """What a row whose mix is too rare shows: its batch, and "[c]" for the rest."""
        return (key[0], *(BLANK for _ in key[1:]))

    def protector(self, shown: Mapping[Key, Key]) -> Protect:
        """What an export applies to each row: the release's decision for its key (or, with
        none, everything hidden), written into its answers; returns the period it shows."""
        questions, offset, multilingual = self.questions, self.offset, self.multilingual

        def protect(row: ReleasedRow, answers: dict[str, Any]) -> str:
            key = self.key_of(row.batch, row.received, row.language, answers)
            out = shown.get(key) or self.hidden(key)
            if out != key:
                if multilingual:
                    answers[LANGUAGE] = out[2]
                for qid, value in zip(questions, out[offset:], strict=True):
                    if value is None:
                        answers.pop(qid, None)
                    else:
                        answers[qid] = value
            return str(out[1])

        return protect

    def groups(self, shown: Key) -> tuple[Any, ...]:
        """The shown quasi-identifier answers: what a summary may split by."""
        return shown[self.offset :]

    def as_dict(self, key: Key) -> dict[str, Any]:
        return dict(zip(self.names[1:], key[1:], strict=True))

    def from_dict(self, batch: int | None, values: Mapping[str, Any]) -> Key:
        return (batch, *(values.get(name) for name in self.names[1:]))


def _decoder(questions: Sequence[str]) -> Callable[[bytes], Any]:
    # Field names stand in for question ids (renamed back), so no id can clash with a name
    # a Struct reserves; unknown fields (every other question) are skipped.
    fields = [(f"f{i}", Any, None) for i in range(len(questions))]
    combo = msgspec.defstruct("Combo", fields, rename={f"f{i}": q for i, q in enumerate(questions)})
    return msgspec.json.Decoder(combo).decode
