"""Rule 13: the motivated intruder (tests/intruder.py) against everything the service shows,
on the cases issue 14 found, the report's risk table and random datasets; and proof that the
intruder has teeth: against the leaks issue 14 found, it finds them."""

from __future__ import annotations

import os
import random
from collections import Counter
from typing import Any

import pytest

from survey_service.confidentiality import cellkey, kanonymity
from survey_service.release import protect
from tests import intruder
from tests.support import intruder_data as data
from tests.support.releases import from_counts, inputs

CRAFTED = {
    "split undoes suppression": data.split_undoes_suppression,
    "one skipped age": data.one_skipped_age,
    "summary undoes blanking": data.summary_undoes_blanking,
}
# Datasets in make test; `make intruder` runs many more (INTRUDER_DATASETS).
DATASETS = int(os.environ.get("INTRUDER_DATASETS", "200"))
DEEP_EVERY = int(os.environ.get("INTRUDER_DEEP_EVERY", "8"))  # the costlier attacks: every nth


def attack(history: list[intruder.Release], rows: list[list[Any]], ks: list[int]) -> dict:
    last = history[-1]
    return {
        "link": intruder.link(history),
        "arithmetic": intruder.arithmetic(last),
        "integer programme, hidden values": intruder.solve_hidden(last),
        "integer programme, tables alone": intruder.solve_small_counts(last),
        "another truth": intruder.indistinguishable([data.YOUNG], rows, ks),
    }


@pytest.mark.parametrize("name", CRAFTED)
def test_the_cases_issue_14_found_give_nothing_away(name):
    rows = inputs(CRAFTED[name](), seed=7)
    r = intruder.release([data.YOUNG], rows)
    assert intruder.hidden_values(r), "the case hides something, or it tests nothing"
    findings = attack([r], [rows], [5])
    assert findings == {attack: [] for attack in findings}


def test_a_hidden_five_is_not_the_total_less_the_others():
    """Finding 1: the plain summary hid 7 and 5; n = 69 and the others shown gave
    18+ = 69 - 15 - 7 - 29 - 13 = 5. Every figure is perturbed now, hidden or not, so no sum
    of them pins a count down, under every policy an inspector may ask for."""
    rows = inputs(data.split_undoes_suppression(), seed=11)
    r = intruder.release([data.YOUNG], rows)
    for policy in ("cellkey", "dfe", "nhs", "ons"):
        assert intruder.solve_small_counts(r, policy, frozenset(range(1, 8))) == []


def test_two_releases_and_a_raised_k_give_nothing_away():
    """Finding 3, across releases: a response looks the same in every file of a release, and a
    later release (here with k raised) only ever hides more."""
    rng = random.Random(3)
    first = inputs(data.summary_undoes_blanking(), seed=1)
    more = [dict(a, age_band="12_13") for a in data.summary_undoes_blanking()[:12]]
    second = first + inputs(more, batch=2, received="2026-11-09", seed=2)
    r1 = intruder.release([data.YOUNG], first, 5, seed=rng.randrange(99))
    r2 = intruder.release([data.YOUNG], second, 7, intruder.next_previous(r1))
    assert intruder.link([r1, r2]) == []
    assert intruder.indistinguishable([data.YOUNG], [first, second], [5, 7]) == []


def test_a_random_campaign_recovers_nothing():
    rng = random.Random(2026)
    campaign = intruder.Campaign()
    for n in range(DATASETS):
        rows, ks = data.random_history(rng, small=True)
        history, previous = [], protect.NO_PREVIOUS
        for release_rows, k in zip(rows, ks, strict=True):
            r = intruder.release([data.YOUNG], release_rows, k, previous, seed=n)
            previous = intruder.next_previous(r)
            history.append(r)
        campaign.datasets += 1
        campaign.hidden += len(intruder.hidden_values(history[-1]))
        campaign.add("link", str(n), intruder.link(history))
        campaign.add("arithmetic", str(n), intruder.arithmetic(history[-1]))
        if n % DEEP_EVERY == 0:
            campaign.add("hidden values", str(n), intruder.solve_hidden(history[-1]))
            campaign.add("tables alone", str(n), intruder.solve_small_counts(history[-1]))
            campaign.add(
                "another truth", str(n), intruder.indistinguishable([data.YOUNG], rows, ks)
            )
    print(campaign.report())
    assert campaign.hidden > 0
    assert campaign.recovered == 0, campaign.report()


def test_every_view_is_the_same_under_another_truth():
    """What indistinguishable() relies on: files and every summary are made from what rows
    show (and their other answers and record keys), so a truth that decides the same makes
    every view byte for byte the same. Here: the lone 14-15 boy of finding 2 swapped with a
    hidden 16-17 boy."""
    rows = inputs(data.summary_undoes_blanking(), seed=5)
    r = intruder.release([data.YOUNG], rows)
    boy = next(i for i, row in enumerate(rows) if b'"yes"' in row.answers)
    other = next(h.row for h in intruder.hidden_values(r) if h.row != boy)
    swapped = list(rows)
    swapped[boy], swapped[other] = _swap_identity(rows[boy], rows[other])
    r2 = intruder.release([data.YOUNG], swapped)
    assert _files(r) == _files(r2)
    assert r.views.summaries == r2.views.summaries
    assert {_file_row(x) for x in r.views.files["all"]} != set()


def _swap_identity(a: Any, b: Any) -> tuple[Any, Any]:
    """Exchange the age band, gender and date of two rows: what the release hides."""
    import msgspec

    qa, qb = msgspec.json.decode(a.answers), msgspec.json.decode(b.answers)
    for key in ("age_band", "gender"):
        qa[key], qb[key] = qb.get(key), qa.get(key)
    enc = msgspec.json.encode
    return (
        msgspec.structs.replace(a, answers=enc(qa), received=b.received),
        msgspec.structs.replace(b, answers=enc(qb), received=a.received),
    )


def _files(r: intruder.Release) -> dict[str, Counter[Any]]:
    return {name: Counter(map(_file_row, rows)) for name, rows in r.views.files.items()}


def _file_row(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, str(v)) for k, v in row.items()))


# -- the intruder has teeth: the leaks issue 14 found, rebuilt, are found ------------------------


def test_it_finds_a_summary_made_from_the_true_answers():
    """Finding 2 as it was: tables counted the true ages and genders, so they and the files'
    counts disagreed about exactly one boy."""
    rows = inputs(data.summary_undoes_blanking(), seed=3)
    r = intruder.release([data.YOUNG], rows)
    w = r.worked
    truth = {key: key for key in w.decided.shown}
    w.cells = from_counts(w.columns, protect.count_cells(w.layout, w.columns, rows, truth))
    leaky = intruder.Release(rows, w, intruder.views(w, rows, "cellkey", random.Random(1)))
    found = intruder.solve_hidden(leaky)
    assert any("age_band is '14_15'" in f for f in found), found


def test_it_finds_two_files_that_disagree():
    """Finding 3 as it was: the batch file hid one value, the all-batches file another."""
    rows = inputs(data.summary_undoes_blanking(), seed=3)
    r = intruder.release([data.YOUNG], rows)
    boy = next(row for row in r.views.files["all"] if row["description_fits"] == "yes")
    assert boy["age_band"] == kanonymity.BLANK
    boy["age_band"] = "14_15"  # one file shows what the others hide
    assert intruder.link([r])


def test_it_finds_exact_counts_that_add_up():
    """Finding 1 as it was: exact counts, small ones hidden, a total shown."""
    rows = inputs(data.split_undoes_suppression(), seed=11)
    real = cellkey.noise
    try:
        cellkey.noise = lambda _count, _keysum: 0  # type: ignore[assignment]
        r = intruder.release([data.YOUNG], rows)
    finally:
        cellkey.noise = real  # type: ignore[assignment]
    found = intruder.solve_small_counts(r, "dfe", frozenset(range(1, 6)), exact=True)
    assert any("age_band" in f for f in found), found


def test_it_finds_hidden_rows_whose_value_is_the_last_one_left(monkeypatch):
    """Without rule 2 of kanonymity.py: every mix of age and gender is shown (three of each)
    but two mixes without an age, so the four hidden rows can only be "no age given"."""
    ages = ["12_13", "14_15", "16_17", "18_plus", "prefer_not", None]
    genders = ["girl", "boy", "non_binary_other", "prefer_not", None]
    answers = []
    for age in ages:
        for gender in genders:
            hidden = age is None and gender in ("non_binary_other", None)
            for _ in range(2 if hidden else 3):
                answers.append({k: v for k, v in (("age_band", age), ("gender", gender)) if v})
    rows = inputs(answers, seed=4)
    assert intruder.indistinguishable([data.YOUNG], [rows], [3]) == []
    monkeypatch.setattr(kanonymity, "_lone_value", lambda _shown, _domains: None)
    pinned = intruder.indistinguishable([data.YOUNG], [rows], [3])
    assert pinned
    assert all("age_band = None" in p for p in pinned), pinned
