"""The release model (rules 6 to 8): one protected release per questionnaire, decided once over
all released data, that every view reads."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from survey_service.questionnaires import load_file
from survey_service.release import protect
from tests.support.inspectors import FIXTURES
from tests.support.releases import inputs, reference_cells, work_out

EVERY = load_file(FIXTURES / "questionnaires" / "every-type-v1.toml")
V2 = load_file(FIXTURES / "inspect" / "every-type-v2.toml")
YOUNG = load_file(Path(__file__).parent.parent / "questionnaires" / "young-people-v1.toml")


def random_answers(rng: random.Random, n: int) -> list[dict]:
    """Answers to the bundled young people's questionnaire, rare mixes included."""
    out = []
    for _ in range(n):
        a: dict = {}
        if rng.random() < 0.9:
            a["description_fits"] = rng.choice(["yes", "partly", "no", "not_sure", "prefer_not"])
        if rng.random() < 0.7:
            a["go_to_for_help"] = rng.sample(["friend", "police", "helpline", "no_one"], 2)
        if rng.random() < 0.8:
            a["confident_asking_help"] = rng.randint(1, 5)
        if rng.random() < 0.3:
            a["one_change"] = rng.choice(["listen", "more time", "same worker"])
        if rng.random() < 0.85:
            a["age_band"] = rng.choice(["12_13", "14_15", "16_17", "18_plus", "prefer_not"])
        if rng.random() < 0.85:
            a["gender"] = rng.choice(["girl", "boy", "non_binary_other", "prefer_not"])
        out.append(a)
    return out


def test_the_fast_count_gives_what_the_plain_count_gives():
    rng = random.Random(11)
    for seed in range(5):
        rows = inputs(random_answers(rng, 300), seed=seed)
        rows += inputs(random_answers(rng, 80), batch=2, received="2026-11-09", seed=seed + 50)
        worked = work_out([YOUNG], rows)
        fast = protect.count_cells(worked.layout, worked.columns, rows, worked.decided.shown)
        plain = reference_cells(worked.layout, worked.columns, rows, worked.decided.shown)
        assert fast == plain
        ordered = sorted(rows, key=lambda r: r.record_key)
        assert (
            protect.count_cells(worked.layout, worked.columns, ordered, worked.decided.shown)
            == plain
        )


def test_every_released_combination_is_shared_by_k_rows_within_its_batch():
    rng = random.Random(5)
    rows = inputs(random_answers(rng, 200), seed=1)
    rows += inputs(random_answers(rng, 60), batch=2, received="2026-11-10", seed=2)
    worked = work_out([YOUNG], rows, k=5)
    shown = worked.shown(rows)
    classes = Counter(
        (r.batch, s["@received"], s.get("age_band"), s.get("gender"))
        for r, s in zip(rows, shown, strict=True)
    )
    for key, n in classes.items():
        everything_hidden = all(v == "[c]" for v in key[1:])
        assert n >= 5 or everything_hidden, key


def test_a_value_hidden_once_stays_hidden_and_a_later_release_only_hides_more():
    rng = random.Random(8)
    first = inputs(random_answers(rng, 120), seed=3)
    worked = work_out([YOUNG], first, k=3)
    previous = protect.Previous(
        worked.columns.names[1:],
        [
            (key[0], worked.columns.as_dict(key), worked.columns.as_dict(out))
            for key, out in worked.decided.shown.items()
        ],
    )
    later = first + inputs(random_answers(rng, 40), batch=2, received="2026-11-20", seed=4)
    again = work_out([YOUNG], later, k=6, previous=previous)  # k raised
    before, after = worked.shown(first), again.shown(first)
    grew = 0
    for b, a in zip(before, after, strict=True):
        if b["@received"] == "[c]":
            assert a["@received"] == a.get("age_band") == a.get("gender") == "[c]"
        grew += b["@received"] != a["@received"]
    assert grew > 0
    assert again.decided.newly_hidden == {1: grew}


def test_a_question_marked_in_any_version_stays_a_quasi_identifier():
    from survey_service.export.layout import Layout

    assert Layout([EVERY, V2]).quasi_identifiers == Layout([EVERY]).quasi_identifiers
