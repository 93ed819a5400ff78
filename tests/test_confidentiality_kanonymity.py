"""Rule 7: a row shows its identifying values only when at least k rows of its batch share all
of them; otherwise none of them, and the rules of kanonymity.py leave every hidden value with
another equally possible truth."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_service.confidentiality.kanonymity import BLANK, anonymise, combination, plan

QIS = ["age_band", "gender", "ethnicity"]
DOMAIN = {
    "age_band": ["12_13", "14_15", "16_17", None],
    "gender": ["girl", "boy", "prefer_not", None],
    "ethnicity": ["white", "asian", "black", "mixed", "other"],
}

ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "age_band": st.sampled_from(DOMAIN["age_band"]),
            "gender": st.sampled_from(DOMAIN["gender"]),
            "ethnicity": st.sampled_from(DOMAIN["ethnicity"]),
            "trust": st.sampled_from(["1", "2", "3", None]),
            "one_change": st.text(max_size=5),
        }
    ),
    max_size=40,
)


def domains(_: object) -> list[list[object]]:
    return [DOMAIN[c] for c in QIS]


def decide(rows: list[dict], k: int) -> dict:
    counts = Counter((1, *combination(r, QIS)) for r in rows)
    decided, _ = plan(counts, k, domains)
    return decided


@settings(max_examples=300, deadline=None)
@given(ROWS, st.integers(min_value=1, max_value=6))
def test_a_row_shows_all_or_nothing_and_what_shows_is_shared_by_k(rows, k):
    out, report = anonymise(rows, QIS, k)
    shown = Counter(combination(row, QIS) for row in out)
    for row in out:
        combo = combination(row, QIS)
        assert BLANK not in combo or set(combo) == {BLANK}
        assert shown[combo] >= k or set(combo) == {BLANK}
    assert report.rows_hidden == sum(1 for row in out if row["age_band"] == BLANK)


@settings(max_examples=300, deadline=None)
@given(ROWS, st.integers(min_value=2, max_value=6))
def test_a_hidden_row_is_one_of_at_least_k(rows, k):
    out, _ = anonymise(rows, QIS, k)
    hidden = sum(1 for row in out if row["age_band"] == BLANK)
    assert hidden == 0 or hidden >= k or hidden == len(rows)


@settings(max_examples=300, deadline=None)
@given(ROWS, st.integers(min_value=2, max_value=6))
def test_every_hidden_value_has_another_possible_truth(rows, k):
    """The minimality attack: knowing the rule, an intruder asks of each hidden value "could
    it have been anything else, with everything shown staying as it is?". For each hidden row
    and column, some other value must be possible: swap the row's values with another hidden
    row's, or move the row to a mix nobody has."""
    decided = decide(rows, k)
    shown = [decided[(1, *combination(r, QIS))] for r in rows]
    for i in range(len(rows)):
        if shown[i][1] != BLANK:
            continue
        for column in QIS:
            assert _another_truth(rows, shown, i, column, k), (i, column)


def _another_truth(rows, shown, i, column, k) -> bool:
    """Three ways to a truth that shows the same: swap the row's values with another hidden
    row's (every count stays the same); or move it alone into a mix with too few rows; or move
    every hidden row into mixes the release does not show, fewer than k in each."""
    for alternative in _alternatives(rows, shown, i, column, k):
        if [decide(alternative, k)[(1, *combination(r, QIS))] for r in alternative] == shown:
            return True
    return False


def _alternatives(rows, shown, i, column, k):
    hidden = [j for j in range(len(rows)) if shown[j][1] == BLANK]
    for j in hidden:
        if rows[j][column] != rows[i][column]:
            swapped = list(rows)
            swapped[i], swapped[j] = {**rows[i], **_qis(rows[j])}, {**rows[j], **_qis(rows[i])}
            yield swapped
    counts = Counter(combination(r, QIS) for r in rows)
    visible = {tuple(s[1:]) for s in shown if s[1] != BLANK}
    not_shown = [m for m in itertools.product(*(DOMAIN[c] for c in QIS)) if m not in visible]
    for mix in not_shown:
        if mix[QIS.index(column)] != rows[i][column] and counts[mix] + 1 < k:
            moved = list(rows)
            moved[i] = {**rows[i], **dict(zip(QIS, mix, strict=True))}
            yield moved
    # Everyone hidden, spread over the mixes not shown, row i first into another value.
    first = [m for m in not_shown if m[QIS.index(column)] != rows[i][column]]
    if first and k >= 2:
        order = [first[0], *(m for m in not_shown if m != first[0])]
        spread = list(rows)
        for n, j in enumerate([i, *(j for j in hidden if j != i)]):
            mix = order[n // (k - 1)] if n // (k - 1) < len(order) else None
            if mix is None:
                break
            spread[j] = {**rows[j], **dict(zip(QIS, mix, strict=True))}
        else:
            yield spread


def _qis(row):
    return {c: row[c] for c in QIS}


def test_the_last_values_left_are_hidden_too():
    """Rule 2 of kanonymity.py: every mix of ages a and b is shown, so both hidden rows could
    only be of age c; the smallest shown mix of another age joins them."""
    counts = {
        (1, "a", "g"): 7,
        (1, "a", "h"): 6,
        (1, "b", "g"): 8,
        (1, "b", "h"): 9,
        (1, "c", "g"): 2,
        (1, "c", "h"): 2,
    }
    decided, report = plan(counts, 3, lambda _: [["a", "b", "c"], ["g", "h"]])
    hidden = {c for c, shown in decided.items() if shown[1] == BLANK}
    assert hidden == {(1, "c", "g"), (1, "c", "h"), (1, "a", "h")}
    assert report.rows_padded == 6


def test_fewer_than_k_hidden_rows_take_the_smallest_shown_mix_with_them():
    rows = [{"age_band": "14_15", "gender": "girl", "ethnicity": "white"}] * 20
    rows += [{"age_band": "16_17", "gender": "boy", "ethnicity": "white"}] * 6
    rows += [{"age_band": "14_15", "gender": "boy", "ethnicity": "white"}]
    out, report = anonymise(rows, QIS, 5)
    assert [o["age_band"] for o in out].count(BLANK) == 7  # the lone boy and the six 16-17s
    assert report.rows_padded == 6


def test_k_of_one_changes_nothing():
    rows = [{"age_band": "12_13", "gender": "girl", "ethnicity": "white"}]
    out, report = anonymise(rows, QIS, 1)
    assert out == rows
    assert report.rows_hidden == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(ROWS.filter(bool), min_size=1, max_size=3), st.integers(min_value=1, max_value=3))
def test_nothing_is_hidden_when_every_group_is_big_enough(blocks, k):
    rows = [row for block in blocks for row in block for _ in range(k)]
    out, report = anonymise(rows, QIS, k)
    assert out == rows
    assert report.rows_hidden == 0


def test_a_row_hidden_once_stays_hidden():
    counts = {(1, "14_15", "girl", "white"): 9}
    decided, _ = plan(counts, 5, domains, start=frozenset(counts))
    assert decided[(1, "14_15", "girl", "white")] == (1, BLANK, BLANK, BLANK)


def test_batches_are_decided_apart():
    counts = {(1, "14_15", "girl", "white"): 5, (2, "14_15", "girl", "white"): 1}
    decided, _ = plan(counts, 5, domains)
    assert decided[(1, "14_15", "girl", "white")] == (1, "14_15", "girl", "white")
    assert decided[(2, "14_15", "girl", "white")] == (2, BLANK, BLANK, BLANK)


def test_not_answered_is_a_value_of_its_own():
    rows = [{"age_band": None, "gender": "girl", "ethnicity": "white"}] * 5
    out, report = anonymise(rows, QIS, 5)
    assert out == rows
    assert report.rows_hidden == 0


def test_the_input_is_not_changed():
    rows = [{"age_band": "12_13", "gender": "girl", "ethnicity": "white"}]
    anonymise(rows, QIS, 5)
    assert rows[0]["age_band"] == "12_13"


def test_k_below_one_is_refused():
    with pytest.raises(ValueError, match="k must be at least 1"):
        anonymise([], QIS, 0)
