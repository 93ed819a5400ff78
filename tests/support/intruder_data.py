"""Datasets for the intruder: the cases issue 14 found, and random ones with rare mixes."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from survey_service.questionnaires import Questionnaire, load_file
from survey_service.store.inspector import ReleaseInput
from tests.support.releases import inputs

YOUNG = load_file(Path(__file__).parents[2] / "questionnaires" / "young-people-v1.toml")
STAFF = load_file(Path(__file__).parents[2] / "questionnaires" / "staff-v1.toml")


def random_history(
    rng: random.Random, q: Questionnaire = YOUNG, small: bool = False
) -> tuple[list[list[ReleaseInput]], list[int]]:
    """One to three releases of a questionnaire, each adding a batch of 10 to 60 responses
    (10 to 30 when `small`) over one or two weeks, with skewed and rare quasi-identifier
    answers; k is 5, and now and then raised to 7 for the last release. Returns the rows each
    release works on, and its k."""
    releases, rows = [], []
    ks = []
    weights = {qid: _skew(rng, codes) for qid, codes in _qi_codes(q).items()}
    for batch in range(1, rng.randint(1, 3) + 1):
        day0 = 1 + 7 * (batch - 1)
        for _ in range(rng.randint(10, 30 if small else 60)):
            received = f"2026-11-{day0 + rng.randrange(12):02d}"
            answers = _answers(rng, q, weights)
            rows += inputs([answers], batch=batch, received=received, seed=rng.randrange(10**9))
        releases.append(list(rows))
        ks.append(5)
    if len(ks) > 1 and rng.random() < 0.3:
        ks[-1] = 7
    return releases, ks


def _qi_codes(q: Questionnaire) -> dict[str, list[str]]:
    return {x.id: x.codes() for x in q.questions() if x.quasi_identifier}


def _skew(rng: random.Random, codes: list[str]) -> list[float]:
    """Some answers common, some rare (one in twenty or fewer)."""
    return [rng.choice([1.0, 1.0, 3.0, 0.05, 0.2]) for _ in codes]


def _answers(
    rng: random.Random, q: Questionnaire, weights: dict[str, list[float]]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for x in q.questions():
        if x.show_if is not None and out.get(x.show_if.question) not in x.show_if.codes:
            continue
        if x.quasi_identifier:
            if rng.random() < 0.92:
                out[x.id] = rng.choices(x.codes(), weights[x.id])[0]
            continue
        if rng.random() < 0.2:
            continue
        if x.type == "single_choice":
            out[x.id] = rng.choice(x.codes())
        elif x.type == "multiple_choice":
            out[x.id] = rng.sample(x.codes(), rng.randint(1, 3))
        elif x.type in ("scale", "number"):
            assert x.min is not None
            assert x.max is not None
            out[x.id] = rng.randint(x.min, min(x.max, x.min + 10))
        elif rng.random() < 0.3:
            out[x.id] = rng.choice(["more time", "listen to us", "same worker"])
    return out


# -- the cases issue 14 found -------------------------------------------------------------------


def split_undoes_suppression() -> list[dict[str, Any]]:
    """Finding 1: 72 responses, ages 15 / 7 / 29 / 5 / 13 and 3 left blank."""
    ages = {"12_13": 15, "14_15": 7, "16_17": 29, "18_plus": 5, "prefer_not": 13, None: 3}
    rows = []
    for n, (age, count) in enumerate(ages.items()):
        for i in range(count):
            a: dict[str, Any] = {"description_fits": ["yes", "no", "not_sure"][(i + n) % 3]}
            a["gender"] = ["girl", "boy"][i % 2]
            if age is not None:
                a["age_band"] = age
            rows.append(a)
    return rows


def one_skipped_age() -> list[dict[str, Any]]:
    """Finding 1, second part: 41 responses, one age skipped by a non-binary young person who
    said Yes."""
    rows = [
        {"age_band": ["14_15", "16_17"][i % 2], "gender": ["girl", "boy"][i % 2],
         "description_fits": "no"}
        for i in range(40)
    ]  # fmt: skip
    rows.append({"gender": "non_binary_other", "description_fits": "yes"})
    return rows


def summary_undoes_blanking() -> list[dict[str, Any]]:
    """Finding 2: 20 girls aged 14-15, 19 boys aged 16-17 and one boy aged 14-15 who said Yes
    and wrote something."""
    rows = [{"age_band": "14_15", "gender": "girl", "description_fits": "no"}] * 20
    rows += [{"age_band": "16_17", "gender": "boy", "description_fits": "no"}] * 19
    rows.append(
        {"age_band": "14_15", "gender": "boy", "description_fits": "yes", "one_change": "words"}
    )
    return rows
