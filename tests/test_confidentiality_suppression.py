"""Rule 8: no published count from 1 to the threshold, and no hidden one that can be worked back
from the shown figures and totals."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from survey_service.confidentiality.suppression import (
    POLICIES,
    Cell,
    OneWay,
    TwoWay,
    one_way,
    two_way,
)

# --- the worked check from the report: the risk table of 137 children ------------------------

RISK = {"No concern": 26, "Vulnerable": 78, "Possibly groomed": 26, "Likely involved": 7}


def test_risk_table_under_dfe():
    # 7 is not from 1 to 5, so nothing is hidden at all, and no secondary suppression is needed.
    # Percentages are of 137: 26/137 = 18.98 -> 19.0, 78/137 = 56.93 -> 56.9, 7/137 = 5.11.
    t = one_way(RISK, "dfe")
    assert [c.value for c in t.cells] == [26, 78, 26, 7]
    assert [c.percent for c in t.cells] == [19.0, 56.9, 19.0, 5.1]
    assert t.total == 137


def test_risk_table_under_ons():
    # 7 is under 10, so it is hidden. The total 137 is shown, so 137 - 26 - 78 - 26 would give it
    # back: the next smallest shown count goes too. Two 26s tie; the first in the table ("No
    # concern") is hidden. A reader now knows only that the two hidden counts add up to 33.
    t = one_way(RISK, "ons")
    assert [c.value for c in t.cells] == ["[c]", 78, 26, "[c]"]
    assert [c.percent for c in t.cells] == ["[c]", 56.9, 19.0, "[c]"]
    assert t.total == 137


def test_risk_table_under_nhs():
    # 7 is from 1 to 7, so it is "*"; as under ons the first 26 is hidden with it. The rest are
    # rounded to the nearest 5: 78 -> 80, 26 -> 25 and the total 137 -> 135. Percentages are of
    # the rounded figures (80/135 = 59.3, 25/135 = 18.5): 56.9% of 137 would give back 78.
    t = one_way(RISK, "nhs")
    assert [c.value for c in t.cells] == ["*", 80, 25, "*"]
    assert [c.percent for c in t.cells] == ["*", 59.3, 18.5, "*"]
    assert t.total == 135


# --- small tables, by hand --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "policy", "shown", "total"),
    [
        ([0, 12, 30], "dfe", [0, 12, 30], 42),  # zeros are shown and need no protection
        ([0, 12, 30], "ons", [0, 12, 30], 42),
        ([0, 12, 30], "nhs", [0, 10, 30], 40),
        # A hidden zero would leave 3 in [0, 3]; the 40 leaves it in [0, 43], so it goes.
        ([3, 0, 40], "dfe", ["[c]", 0, "[c]"], 43),
        ([3, 0], "dfe", ["[c]", 0], "[c]"),  # the total is 3: it is hidden, which is enough
        ([3, 4, 40], "dfe", ["[c]", "[c]", 40], 47),  # two small counts protect each other
        ([6, 9, 40], "dfe", [6, 9, 40], 55),
        ([6, 9, 40], "ons", ["[c]", "[c]", 40], 55),
        ([8, 9, 40], "nhs", [10, 10, 40], 55),  # 57 rounds to 55
        ([4], "dfe", ["[c]"], "[c]"),  # the total is the count: both hidden
        ([], "dfe", [], 0),
    ],
)
def test_one_way_by_hand(counts, policy, shown, total):
    t = one_way({f"c{i}": v for i, v in enumerate(counts)}, policy)
    assert [c.value for c in t.cells] == shown
    assert t.total == total


def test_two_way_by_hand():
    # The 3 is alone in its row and column: 10 (row) and 12 (column) go with it, and then 20
    # closes the rectangle, so every hidden cell can move by the same amount round it.
    t = two_way([[3, 0, 10], [12, 8, 20]], ["a", "b"], ["x", "y", "z"])
    assert [[c.value for c in row] for row in t.cells] == [["[c]", 0, "[c]"], ["[c]", 8, "[c]"]]
    assert (t.row_totals, t.column_totals, t.total) == ([13, 40], [15, 8, 30], 53)
    # Row percentages, of the true row total, hidden with their cell.
    assert [c.percent for c in t.cells[1]] == ["[c]", 20.0, "[c]"]


def test_a_small_total_is_hidden_too():
    # Row b has 2 people; its total is as small a number as any cell.
    t = two_way([[10, 12], [0, 2]], ["a", "b"], ["x", "y"])
    assert t.row_totals[1] == "[c]"
    assert all(c.percent == "[c]" for c in t.cells[1])


def test_policies_describe_themselves():
    assert set(POLICIES) == {"dfe", "ons", "nhs"}
    assert [(p.symbol, p.threshold) for p in POLICIES.values()] == [
        ("[c]", 5),
        ("[c]", 9),
        ("*", 7),
    ]
    assert all(p.name == name and p.note for name, p in POLICIES.items())
    assert one_way({"a": 1}, "ons").note == POLICIES["ons"].note


def test_the_default_policy_is_dfe():
    assert one_way({"a": 3, "b": 30}).policy == "dfe"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: one_way({"a": 1}, "abs"), "unknown policy 'abs': one of dfe, ons, nhs"),
        (lambda: one_way({"a": -1}), "whole numbers from 0"),
        (lambda: two_way([[1, 2]], ["a"], ["x"]), "1 rows of 1 columns"),
    ],
)
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_results_encode_as_json():
    t = two_way([[3, 0], [12, 8]], ["a", "b"], ["x", "y"], "nhs")
    assert msgspec.json.decode(msgspec.json.encode(t), type=TwoWay) == t


# --- the proof: a reader who solves the equations cannot pin down a hidden figure -------------


def bounds(variables: list, equations: list[tuple[dict, int]], target) -> tuple[float, float]:
    """Min and max of `target` over non-negative reals meeting every equation; the constraint
    matrix is a network matrix, so the extremes are whole numbers."""
    index = {v: i for i, v in enumerate(variables)}
    a_eq = [[coeffs.get(v, 0) for v in variables] for coeffs, _ in equations]
    b_eq = [rhs for _, rhs in equations]
    extremes = []
    for sign in (1, -1):
        c = [0] * len(variables)
        c[index[target]] = sign
        result = linprog(c, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None))
        assert result.status in (0, 3)  # solved, or unbounded (a maximum with no grand total)
        extremes.append(sign * result.fun if result.status == 0 else float("inf"))
    return extremes[0], extremes[1]


def line_equations(line: list[tuple[object, int | str]], total: tuple[object, int | str]):
    """A line says: its entries add up to its total. Shown figures move to the right."""
    coeffs: dict = {}
    rhs = 0
    for (key, shown), sign in [*((e, 1) for e in line), (total, -1)]:
        if isinstance(shown, str):
            coeffs[key] = coeffs.get(key, 0) + sign
        else:
            rhs -= sign * shown
    return (coeffs, rhs) if coeffs else None


def assert_nothing_is_pinned(entries: dict, equations: list) -> None:
    hidden = [k for k, shown in entries.items() if isinstance(shown, str)]
    for key in hidden:
        low, high = bounds(hidden, [e for e in equations if e], key)
        assert low < high - 0.5, f"hidden {key} is pinned to {low}"


def exact_two_way(t: TwoWay, counts: list[list[int]]) -> dict:
    """The table as a reader who could see exact counts would have it (for nhs: unrounded)."""
    m, n = len(counts), len(counts[0])
    full = [[*row, sum(row)] for row in counts]
    full.append([sum(col) for col in zip(*full, strict=True)])
    shown = [
        [*(c.value for c in row), total] for row, total in zip(t.cells, t.row_totals, strict=True)
    ]
    shown.append([*t.column_totals, t.total])
    return {
        (i, j): shown[i][j] if isinstance(shown[i][j], str) else full[i][j]
        for i in range(m + 1)
        for j in range(n + 1)
    }


TABLES = st.integers(2, 4).flatmap(
    lambda m: st.integers(2, 4).flatmap(
        lambda n: st.lists(
            st.lists(st.integers(0, 30), min_size=n, max_size=n), min_size=m, max_size=m
        )
    )
)
# Small counts are what suppression is about: make them common.
SMALL_TABLES = st.integers(2, 4).flatmap(
    lambda m: st.integers(2, 4).flatmap(
        lambda n: st.lists(
            st.lists(
                st.sampled_from([0, 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 12, 30]), min_size=n, max_size=n
            ),
            min_size=m,
            max_size=m,
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(TABLES, SMALL_TABLES), st.sampled_from(sorted(POLICIES)))
def test_no_hidden_figure_of_a_two_way_table_can_be_worked_out(counts, policy):
    p = POLICIES[policy]
    m, n = len(counts), len(counts[0])
    t = two_way(counts, [f"r{i}" for i in range(m)], [f"c{j}" for j in range(n)], policy)
    entries = exact_two_way(t, counts)
    # Primary: nothing from 1 to the threshold is shown, cells or totals.
    for key, shown in entries.items():
        i, j = key
        true = counts[i][j] if i < m and j < n else None
        if true is not None and 1 <= true <= p.threshold:
            assert shown == p.symbol
    # Secondary: every row and column, totals included, adds up; solve for each hidden figure.
    rows = [
        line_equations([((i, j), entries[i, j]) for j in range(n)], ((i, n), entries[i, n]))
        for i in range(m + 1)
    ]
    cols = [
        line_equations([((i, j), entries[i, j]) for i in range(m)], ((m, j), entries[m, j]))
        for j in range(n + 1)
    ]
    assert_nothing_is_pinned(entries, rows + cols)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 26, 78]), max_size=6),
    st.sampled_from(sorted(POLICIES)),
)
def test_no_hidden_figure_of_a_one_way_table_can_be_worked_out(counts, policy):
    t = one_way({f"c{i}": v for i, v in enumerate(counts)}, policy)
    shown = [c.value for c in t.cells] + [t.total]
    truth = [*counts, sum(counts)]
    entries = {j: s if isinstance(s, str) else truth[j] for j, s in enumerate(shown)}
    n = len(counts)
    equation = line_equations([(j, entries[j]) for j in range(n)], (n, entries[n]))
    assert_nothing_is_pinned(entries, [equation])


@settings(max_examples=100, deadline=None)
@given(st.one_of(TABLES, SMALL_TABLES))
def test_nhs_shows_rounded_figures_and_percentages_of_them(counts):
    m, n = len(counts), len(counts[0])
    t = two_way(counts, [f"r{i}" for i in range(m)], [f"c{j}" for j in range(n)], "nhs")
    dfe_like = two_way(counts, [f"r{i}" for i in range(m)], [f"c{j}" for j in range(n)], "ons")
    for i, row in enumerate(t.cells):
        for j, cell in enumerate(row):
            if not cell.hidden:
                assert isinstance(cell.value, int) and cell.value % 5 == 0
                assert abs(cell.value - counts[i][j]) <= 2
                total = t.row_totals[i]
                if isinstance(total, int) and total:
                    assert cell.percent == round(100 * cell.value / total, 1)
    assert isinstance(dfe_like, TwoWay)


@settings(max_examples=100, deadline=None)
@given(st.one_of(TABLES, SMALL_TABLES), st.sampled_from(["dfe", "ons"]))
def test_shown_figures_are_true_and_percentages_are_of_the_true_row_total(counts, policy):
    m, n = len(counts), len(counts[0])
    t = two_way(counts, [f"r{i}" for i in range(m)], [f"c{j}" for j in range(n)], policy)
    for i, row in enumerate(t.cells):
        for j, cell in enumerate(row):
            assert cell.hidden == isinstance(cell.value, str)
            if not cell.hidden:
                assert cell.value == counts[i][j]
                if not isinstance(t.row_totals[i], str) and sum(counts[i]):
                    assert cell.percent == round(100 * counts[i][j] / sum(counts[i]), 1)
            else:
                assert cell.percent == POLICIES[policy].symbol


def test_cells_are_structs():
    t = one_way({"a": 30})
    assert t.cells == [Cell(30, 100.0, False)] and isinstance(t, OneWay)
