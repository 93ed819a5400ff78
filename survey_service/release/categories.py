"""The categories a question's answers are counted in: its choices, each point of a scale, or
bands of a number; pure."""

from __future__ import annotations

from typing import Any

from survey_service.questionnaires import Question

MAX_NUMBER_POINTS = 20  # a number question with a wider range is counted in about 10 bands


def categories(question: Question, labels: dict[str, str]) -> list[tuple[str, str]]:
    """(code, label) for each category of a question, in the order a table shows them."""
    if question.choices is not None:
        return list(labels.items())
    assert question.min is not None
    assert question.max is not None
    if question.type == "scale":
        ends = {question.min: question.min_label, question.max: question.max_label}
        return [
            (str(v), f"{v} ({ends[v]})" if ends.get(v) else str(v))
            for v in range(question.min, question.max + 1)
        ]
    return [(code, code) for code in bands(question.min, question.max)]


def bands(low: int, high: int) -> list[str]:
    if high - low <= MAX_NUMBER_POINTS:
        return [str(v) for v in range(low, high + 1)]
    width = -(-(high - low + 1) // 10)
    return [f"{start}-{min(start + width - 1, high)}" for start in range(low, high + 1, width)]


def category_of(question: Question, value: Any) -> str:
    """The category one answer (not a multiple choice) is counted in."""
    low, high = question.min, question.max
    if question.type != "number" or low is None or high is None or high - low <= MAX_NUMBER_POINTS:
        return str(value)
    width = -(-(high - low + 1) // 10)
    start = low + (value - low) // width * width
    return f"{start}-{min(start + width - 1, high)}"
