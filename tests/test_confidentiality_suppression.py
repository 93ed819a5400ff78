"""Rule 8: the cell key method's table, and the small-number policies layered on it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_service.confidentiality import cellkey, suppression
from survey_service.confidentiality.suppression import POLICIES
from tests.support.releases import could_be

COUNTS = st.integers(min_value=0, max_value=10_000)
KEYSUMS = st.integers(min_value=0, max_value=10**7)


def test_each_row_of_the_table_covers_every_key_and_adds_no_bias():
    for count, row in cellkey.PTABLE.items():
        assert sum(slots for _, slots in row) == cellkey.KEYS
        mean = sum(noise * slots for noise, slots in row) / cellkey.KEYS
        assert abs(mean) < 0.04, count
    assert cellkey.MAX_NOISE == 3


@settings(max_examples=2000, deadline=None)
@given(COUNTS, KEYSUMS)
def test_zero_stays_zero_and_no_figure_is_ever_1_or_2(count, keysum):
    shown = cellkey.perturb(count, keysum)
    assert shown >= 0
    assert shown not in (1, 2)
    if count == 0:
        assert shown == 0
    assert abs(shown - count) <= cellkey.MAX_NOISE
    assert count in could_be(shown)


def test_every_count_and_key_is_deterministic_and_small_counts_never_show():
    for count in range(0, 12):
        shown = {cellkey.perturb(count, key) for key in range(cellkey.KEYS)}
        assert shown == {cellkey.perturb(count, key + cellkey.KEYS) for key in range(256)}
        assert not shown & {1, 2}
    assert {cellkey.perturb(1, k) for k in range(256)} == {0, 3}
    assert {cellkey.perturb(2, k) for k in range(256)} == {0, 3}


def test_what_a_reader_can_say_about_a_shown_figure():
    assert list(could_be(0)) == [0, 1, 2, 3]
    assert list(could_be(1)) == []
    assert list(could_be(2)) == []
    assert list(could_be(3)) == [1, 2, 3, 4, 5]
    assert list(could_be(20)) == [18, 19, 20, 21, 22]
    # Exactly the counts that can be published as each figure: nothing more, nothing less.
    for shown in range(0, 30):
        possible = {c for c in range(0, 40) for k in range(256) if cellkey.perturb(c, k) == shown}
        assert set(could_be(shown)) == possible


def test_most_figures_of_ten_or_more_are_exact():
    exact = sum(cellkey.perturb(50, key) == 50 for key in range(256))
    assert exact / 256 > 0.8


@pytest.mark.parametrize(
    ("perturbed", "policy", "shown"),
    [
        (0, "cellkey", 0),
        (3, "cellkey", 3),
        (3, "dfe", "[c]"),
        (5, "dfe", "[c]"),
        (6, "dfe", 6),
        (0, "dfe", 0),
        (9, "ons", "[c]"),
        (10, "ons", 10),
        (7, "nhs", "*"),
        (8, "nhs", 10),
        (12, "nhs", 10),
        (13, "nhs", 15),
    ],
)
def test_policies_hide_and_round_perturbed_figures(perturbed, policy, shown):
    assert suppression.show(perturbed, POLICIES[policy]) == shown


@pytest.mark.parametrize(
    ("floor", "allowed"),
    [
        ("cellkey", ["cellkey", "dfe", "nhs", "ons"]),
        ("dfe", ["dfe", "nhs", "ons"]),
        ("nhs", ["nhs"]),
        ("ons", ["ons"]),
    ],
)
def test_the_operators_policy_is_a_floor(floor, allowed):
    assert suppression.allowed(floor) == allowed


def test_an_unknown_policy_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown policy 'none'"):
        suppression.policy("none")


def test_every_policy_explains_itself():
    for p in POLICIES.values():
        assert "ever 1 or 2" in p.note
        assert p.label
