"""The few XLSForm expressions that map onto the format: relevant, constraint, range
parameters and yes/no cells, read and written; pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# One condition of a `relevant`: ${q} = 'code' or selected(${q}, 'code'), quotes either kind.
_CODE = r"(?P<quote>['\"])(?P<code>[^'\"]*)(?P=quote)"
_EQUALS = re.compile(r"\$\{(?P<question>[^}]*)\}\s*=\s*" + _CODE)
_SELECTED = re.compile(r"selected\s*\(\s*\$\{(?P<question>[^}]*)\}\s*,\s*" + _CODE + r"\s*\)")
# One bound of an integer's `constraint`: . >= 0, . <= 31 (or > and <).
_BOUND = re.compile(r"\.\s*(?P<op>>=|<=|>|<)\s*(?P<number>[-+]?\d+)")
_PARAMETER = re.compile(r"(?P<key>[a-z_-]+)=(?P<value>[^=]*)")

_STRAIGHT_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
RELEVANT_FORMS = "${q} = 'code' or selected(${q}, 'code'), joined with 'or' for one question"
YES = frozenset({"yes", "true", "true()"})
NO = frozenset({"no", "false", "false()"})


class ExpressionError(ValueError):
    pass


def parse_relevant(text: str, earlier: Mapping[str, str]) -> dict[str, Any]:
    """show_if from a relevant; `earlier` gives the types of the questions above it."""
    question: str | None = None
    codes: list[str] = []
    text = text.translate(_STRAIGHT_QUOTES)  # as Word and Excel's autocorrect curl them
    for term in re.split(r"\s+or\s+", text.strip()):
        name, code, equals = _condition(term.strip())
        if question is not None and name != question:
            raise ExpressionError(
                f"show_if can depend on one question only, and this names '{question}' and '{name}'"
            )
        if equals and earlier.get(name) == "multiple_choice":
            raise ExpressionError(
                f"'{name}' is a select_multiple: write selected(${{{name}}}, '{code}') "
                f"(in ODK, ${{{name}}} = '{code}' means that choice and no other)"
            )
        question = name
        if code not in codes:
            codes.append(code)
    assert question is not None  # re.split yields at least one term
    return {"question": question, "codes": codes}


def _condition(term: str) -> tuple[str, str, bool]:
    for candidate in (term, term[1:-1].strip() if term[:1] + term[-1:] == "()" else None):
        if candidate is None:
            continue
        for pattern, equals in ((_EQUALS, True), (_SELECTED, False)):
            match = pattern.fullmatch(candidate)
            if match:
                return match["question"].strip(), match["code"], equals
    raise ExpressionError(f"only {RELEVANT_FORMS} can become show_if, not '{term}'")


def format_relevant(question: str, codes: list[str], target_type: str) -> str:
    if target_type == "multiple_choice":
        return " or ".join(f"selected(${{{question}}}, '{code}')" for code in codes)
    return " or ".join(f"${{{question}}} = '{code}'" for code in codes)


def parse_constraint(text: str) -> tuple[int, int]:
    """(min, max) from an integer's constraint such as ". >= 0 and . <= 31"."""
    low: int | None = None
    high: int | None = None
    for term in re.split(r"\s+and\s+", text.strip()):
        match = _BOUND.fullmatch(term.strip())
        if match is None:
            raise ExpressionError(
                f"only bounds like . >= 0 and . <= 31 can become min and max, not '{term}'"
            )
        number, op = int(match["number"]), match["op"]
        if op.startswith(">"):
            if low is not None:
                raise ExpressionError("gives the lowest value twice")
            low = number if op == ">=" else number + 1
        else:
            if high is not None:
                raise ExpressionError("gives the highest value twice")
            high = number if op == "<=" else number - 1
    if low is None or high is None:
        raise ExpressionError(
            "needs a lowest and a highest value, like . >= 0 and . <= 31 (the form takes "
            "whole numbers from min to max)"
        )
    return low, high


def format_constraint(low: int, high: int) -> str:
    return f". >= {low} and . <= {high}"


def parse_parameters(text: str) -> tuple[int, int]:
    """(min, max) from a range's parameters such as "start=1 end=5 step=1"."""
    found: dict[str, str] = {}
    squeezed = re.sub(r"\s*=\s*", "=", text.strip())
    for part in re.split(r"[\s,;]+", squeezed):
        match = _PARAMETER.fullmatch(part.lower())
        if match is None or match["key"] not in ("start", "end", "step"):
            raise ExpressionError(
                f"only start, end and step (1) can be given, like start=1 end=5 step=1, "
                f"not '{part}'"
            )
        found[match["key"]] = match["value"]
    numbers: dict[str, int] = {}
    for key, value in found.items():
        if not re.fullmatch(r"[-+]?\d+", value):
            raise ExpressionError(f"{key} must be a whole number, not '{value}'")
        numbers[key] = int(value)
    if numbers.get("step", 1) != 1:
        raise ExpressionError("step must be 1: a scale counts in whole points")
    if "start" not in numbers or "end" not in numbers:
        raise ExpressionError("needs start and end, like start=1 end=5 step=1")
    return numbers["start"], numbers["end"]


def format_parameters(low: int, high: int) -> str:
    return f"start={low} end={high} step=1"


def parse_yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise ExpressionError(f"write yes or no, not '{value}'")
