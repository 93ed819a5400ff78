"""Rule 7: in row-level exports no quasi-identifier combination is shared by fewer than k rows."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_service.confidentiality.kanonymity import BLANK, anonymise, combination

QIS = ["age_band", "gender", "ethnicity"]

ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "age_band": st.sampled_from(["12_13", "14_15", "16_17", None]),
            "gender": st.sampled_from(["girl", "boy", "prefer_not", None]),
            "ethnicity": st.sampled_from(["white", "asian", "black", "mixed", "other"]),
            "trust": st.sampled_from(["1", "2", "3", None]),
            "one_change": st.text(max_size=5),
        }
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(ROWS, st.integers(min_value=1, max_value=6))
def test_every_combination_is_shared_by_k_or_blanked(rows, k):
    out, report = anonymise(rows, QIS, k)
    groups = Counter(combination(row, QIS) for row in out)
    for row in out:
        combo = combination(row, QIS)
        assert groups[combo] >= k or BLANK in combo
        # The stronger promise: a combination rarer than k is blanked right through.
        assert groups[combo] >= k or set(combo) == {BLANK}
    assert report.cells_blanked == sum(
        1 for before, after in zip(rows, out, strict=True) for c in QIS if before[c] != after[c]
    )
    assert report.cells_blanked == sum(report.blanked_by_column.values())


@settings(max_examples=200, deadline=None)
@given(ROWS, st.integers(min_value=1, max_value=6))
def test_other_columns_and_row_order_are_untouched(rows, k):
    out, _ = anonymise(rows, QIS, k)
    assert len(out) == len(rows)
    for before, after in zip(rows, out, strict=True):
        assert after.keys() == before.keys()
        assert {c: after[c] for c in before if c not in QIS} == {
            c: v for c, v in before.items() if c not in QIS
        }
        assert all(after[c] in (before[c], BLANK) for c in QIS)


@settings(max_examples=100, deadline=None)
@given(ROWS)
def test_k_of_one_changes_nothing(rows):
    out, report = anonymise(rows, QIS, 1)
    assert out == rows and report.cells_blanked == report.rows_affected == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(ROWS.filter(bool), min_size=1, max_size=3), st.integers(min_value=1, max_value=3))
def test_nothing_is_blanked_when_every_group_is_big_enough(blocks, k):
    # Each distinct row repeated k times: every combination already occurs at least k times.
    rows = [row for block in blocks for row in block for _ in range(k)]
    out, report = anonymise(rows, QIS, k)
    assert out == rows and report.cells_blanked == 0


def test_the_input_is_not_changed():
    rows = [{"age_band": "12_13", "gender": "girl", "ethnicity": "white"}]
    anonymise(rows, QIS, 5)
    assert rows[0]["age_band"] == "12_13"


def test_the_rarest_value_goes_first():
    # Five white girls aged 14-15 and one Asian girl aged 14-15. Round 1: her ethnicity (1 row)
    # is rarer than her age band or gender (6 each), so it goes. ("14_15", "girl", "[c]") is
    # still hers alone; age band and gender tie at 6, so the earlier column goes, then the last.
    rows = [{"age_band": "14_15", "gender": "girl", "ethnicity": "white"}] * 5
    rows += [{"age_band": "14_15", "gender": "girl", "ethnicity": "asian"}]
    out, report = anonymise(rows, QIS, 5)
    assert out[:5] == rows[:5]
    assert out[5] == {"age_band": BLANK, "gender": BLANK, "ethnicity": BLANK}
    assert report.blanked_by_column == {"age_band": 1, "gender": 1, "ethnicity": 1}


def test_rows_that_meet_after_one_blank_keep_the_rest():
    # Two groups of three that differ only by gender. In every row gender (3) is rarer than age
    # band or ethnicity (6), so gender alone is blanked, leaving one group of six >= 5.
    rows = [{"age_band": "14_15", "gender": "girl", "ethnicity": "white"}] * 3
    rows += [{"age_band": "14_15", "gender": "boy", "ethnicity": "white"}] * 3
    out, report = anonymise(rows, QIS, 5)
    assert all(row == {"age_band": "14_15", "gender": BLANK, "ethnicity": "white"} for row in out)
    assert (report.cells_blanked, report.rows_affected) == (6, 6)
    assert report.blanked_by_column == {"age_band": 0, "gender": 6, "ethnicity": 0}


def test_not_answered_is_a_value_of_its_own():
    rows = [{"age_band": None, "gender": "girl", "ethnicity": "white"}] * 5
    out, report = anonymise(rows, QIS, 5)
    assert out == rows and report.cells_blanked == 0


def test_k_below_one_is_refused():
    with pytest.raises(ValueError, match="k must be at least 1"):
        anonymise([], QIS, 0)
