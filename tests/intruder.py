"""The motivated intruder of rule 13, kept in the test suite.

The intruder holds an inspector account and can send answers. From everything the service shows
about a questionnaire (every file of every batch, in every format, every summary and breakdown
under every policy it may ask for, batch sizes), gathered after each release, it tries to
recover something the service hides:

- a value a file shows as [c] (or a date shown only as its week or month): by linking the same
  response across files (`link`), by arithmetic on table totals against file counts
  (`arithmetic`), and by integer programming over every published figure with the hidden
  values as unknowns (`solve_hidden`);
- from the tables alone (what a report quoting them would give away), a count of 1 or 2 people
  (`solve_small_counts`).

And the proof that does not depend on the intruder's cleverness (`indistinguishable`): for every
hidden value, another truth exists that makes every view byte for byte the same. Then no
method whatever can tell the two apart.

Each attack returns findings (empty when nothing was recovered). `tests/test_intruder.py` runs it
on crafted and random datasets; `make intruder` runs a longer campaign.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from survey_service.confidentiality import suppression
from survey_service.export import writers
from survey_service.export.layout import Layout
from survey_service.questionnaires import Questionnaire
from survey_service.release import protect, tables
from survey_service.release.columns import BLANK, LANGUAGE, RECEIVED, Columns
from survey_service.store.inspector import ReleasedRow, ReleaseInput
from tests.support.releases import Worked, could_be, work_out

_decode = msgspec.json.Decoder(dict[str, Any]).decode


# -- what the service shows ---------------------------------------------------------------------


@dataclass
class Views:
    """Everything an inspector sees after one release."""

    files: dict[str, list[dict[str, Any]]]  # file name -> rows (codes), in a random order
    summaries: dict[tuple[str, str | None], tables.Summary]  # (policy, by) -> summary
    batch_sizes: dict[int, int]


@dataclass
class Release:
    """One release: its rows (the truth, with record keys), what it decided, what it shows."""

    rows: list[ReleaseInput]
    worked: Worked
    views: Views

    @property
    def layout(self) -> Layout:
        return self.worked.layout


def release(
    versions: Sequence[Questionnaire],
    rows: list[ReleaseInput],
    k: int = 5,
    previous: protect.Previous = protect.NO_PREVIOUS,
    floor: str = "cellkey",
    seed: int = 0,
) -> Release:
    """Work a release out in memory through the service's own steps and gather its views."""
    worked = work_out(versions, rows, k, previous)
    return Release(rows, worked, views(worked, rows, floor, random.Random(seed)))


def next_previous(r: Release) -> protect.Previous:
    """What the next release starts from: this one's stored decisions."""
    columns = r.worked.columns
    return protect.Previous(
        columns.names[1:],
        [
            (key[0], columns.as_dict(key), columns.as_dict(shown))
            for key, shown in r.worked.decided.shown.items()
        ],
    )


def views(worked: Worked, rows: list[ReleaseInput], floor: str, rng: random.Random) -> Views:
    layout, columns = worked.layout, worked.columns
    protect_row = columns.protector(worked.decided.shown)
    released = [
        ReleasedRow(r.version, r.received, r.batch or 0, r.answers, r.language) for r in rows
    ]
    batches = sorted({r.batch for r in released})
    files = {}
    for name, chosen in [(f"batch-{b}", [r for r in released if r.batch == b]) for b in batches]:
        files[name] = _json_file(layout, chosen, protect_row, rng)
    files["all"] = _json_file(layout, released, protect_row, rng)
    qis = [q for q in layout.quasi_identifiers if q in layout.info]
    summaries = {
        (p, by): tables.summarise(layout, worked.cells, suppression.policy(p), batches, by)
        for p in suppression.allowed(floor)
        for by in [None, *qis]
    }
    sizes = Counter(r.batch for r in released)
    return Views(files, summaries, dict(sizes))


def _json_file(
    layout: Layout, rows: list[ReleasedRow], protect_row: Any, rng: random.Random
) -> list[dict[str, Any]]:
    """The JSON download (codes), through the export's own writer, rows shuffled."""
    shuffled = rows[:]
    rng.shuffle(shuffled)
    options = writers.Options(codes=True, protect=protect_row)
    body = b"".join(writers.json_chunks(layout, shuffled, options, {}))
    return list(msgspec.json.decode(body)["rows"])


# -- who is who: the truth the test knows and the intruder does not ------------------------------


@dataclass(frozen=True)
class Hidden:
    """A value some file hides: response `row`, column `column`, truly `value`."""

    row: int
    column: str
    value: Any


def hidden_values(r: Release) -> list[Hidden]:
    """Every period, language and quasi-identifier value the release hides, with its true
    value; not a period of a batch that spans one period (its notes state it)."""
    columns = r.worked.columns
    keys = [columns.key(row.batch, row.received, row.language, row.answers) for row in r.rows]
    single = {
        batch: [len(d) == 1 for d in columns.domains([k for k in keys if k[0] == batch])]
        for batch in {k[0] for k in keys}
    }
    out = []
    for i, key in enumerate(keys):
        shown = r.worked.decided.shown.get(key) or columns.hidden(key)
        for n, (name, true, now) in enumerate(
            zip(columns.names[1:], key[1:], shown[1:], strict=True)
        ):
            if true != now and not single[key[0]][n]:
                out.append(Hidden(i, name, true))
    return out


# -- attack 1: link one response across files ----------------------------------------------------


def link(history: Sequence[Release]) -> list[str]:
    """Match rows across every file of every release by the answers no release ever hides
    (everything but the period, the language and the quasi-identifiers); where a match is
    unique in both files, a value one file hides must not show in the other, nor in any file
    of a later release (an earlier file may show what a later release hid: k was raised)."""
    findings = []
    hideable = {"received", "language", *history[-1].layout.quasi_identifiers}
    files = [
        (t, f"{t}:{n}", rows) for t, r in enumerate(history) for n, rows in r.views.files.items()
    ]
    indexes = {name: _unique_by_signature(rows, hideable) for _, name, rows in files}
    for (t, name_a, _), (u, name_b, _) in itertools.permutations(files, 2):
        if u < t:
            continue
        index_b = indexes[name_b]
        for signature, row_a in indexes[name_a].items():
            row_b = index_b.get(signature)
            if row_b is None:
                continue
            for column in hideable & row_a.keys():
                if row_a[column] == BLANK and row_b.get(column) != BLANK:
                    findings.append(f"{name_a} hides {column}, {name_b} shows {row_b[column]!r}")
    return findings


def _signature(row: dict[str, Any], hideable: set[str]) -> tuple[Any, ...]:
    return tuple(sorted((k, str(v)) for k, v in row.items() if k not in hideable))


def _unique_by_signature(rows: list[dict[str, Any]], hideable: set[str]) -> dict[Any, Any]:
    counts = Counter(_signature(r, hideable) for r in rows)
    return {_signature(r, hideable): r for r in rows if counts[_signature(r, hideable)] == 1}


# -- attack 2: arithmetic on tables against file counts -----------------------------------------


def arithmetic(r: Release) -> list[str]:
    """For each quasi-identifier, read each category's figure in every table as the count of
    everyone who gave that answer (what an intruder must assume if tables counted the truth),
    and set it against the rows a file shows with that answer. If the figure's least
    possible true count is more than the file shows, some hidden row has that answer; if one
    hidden row is left, it is found."""
    findings = []
    rows = r.views.files["all"]
    truth = hidden_values(r)
    for q in (q for q in r.layout.quasi_identifiers if q in r.layout.info):
        hidden_rows = [h for h in truth if h.column == q]
        in_file = Counter(row.get(q) for row in rows)
        for (policy, by), summary in r.views.summaries.items():
            table = next(t for t in summary.questions if t.id == q)
            for cell in table.rows:
                if cell.code == BLANK or not isinstance(cell.count, int):
                    continue
                least = min(could_be(cell.count), default=0)
                surplus = least - in_file[cell.code]
                if surplus > 0 and len(hidden_rows) == 1 and hidden_rows[0].value == cell.code:
                    findings.append(f"{policy}/{by}: the one hidden {q} is {cell.code}")
    return findings


# -- attack 3: integer programming over every figure, hidden values unknown ----------------------


def solve_hidden(r: Release, limit: int = 60, floor: str = "cellkey") -> list[str]:
    """Unknowns: for each hidden quasi-identifier value (up to `limit`), which answer it is.
    Constraints: every published figure of every question and split, read as a perturbed
    count of everyone's true answers (so between the least and most true counts the cell key
    table allows), the rest of each response as the file shows it. A hidden value is
    recovered when every other answer makes the figures impossible."""
    layout = r.layout
    qis = [q for q in layout.quasi_identifiers if q in layout.info]
    truth = [h for h in hidden_values(r) if h.column in qis][:limit]
    if not truth:
        return []
    rows = [_decode(row.answers) for row in r.rows]
    shown = r.worked.shown(r.rows)
    domains = {q: [*layout.info[q].labels, None] for q in qis}
    model = _Model()
    choice: dict[tuple[int, str], dict[Any, int]] = {}
    for h in truth:
        variables = {v: model.binary() for v in domains[h.column]}
        choice[(h.row, h.column)] = variables
        model.equal({i: 1 for i in variables.values()}, 1)

    def indicator(i: int, q: str, value: Any) -> dict[int, int] | int:
        """1 if response i truly answered q with value: a constant, or a variable."""
        if (i, q) in choice:
            var = choice[(i, q)].get(value)
            return {var: 1} if var is not None else 0
        return int(shown[i].get(q) == value)

    for (policy, by), summary in r.views.summaries.items():
        if policy != floor:
            continue  # a stricter policy's figures are the same figures, hidden or rounded
        p = suppression.policy(policy)
        for table, group, cell in _figures(summary, by):
            bounds = _bounds(cell.count, p)
            if bounds is None:
                continue
            terms, constant = _count_terms(
                model, rows, table.id, cell.code, by, group, indicator, qis
            )
            model.between(terms, bounds[0] - constant, bounds[1] - constant)
    # Each hidden value needs one solution where it differs from the truth: ask for as many as
    # possible at once, then for the ones still left, one by one.
    wrong = {
        h: [var for v, var in choice[(h.row, h.column)].items() if v != h.value] for h in truth
    }
    if model.solve({}) is None:
        # No truth fits the figures read as counts of everyone's true answers: they are not
        # (they count rows as the files show them), and this intruder learns nothing here.
        return []
    left = _not_freed_together(model, {h for h in truth if wrong[h]}, wrong)
    return [
        f"response {h.row}: hidden {h.column} is {h.value!r}"
        for h in sorted(left, key=lambda h: (h.row, h.column))
        if model.maximum({var: 1 for var in wrong[h]}) == 0
    ]


def _figures(summary: Any, by: str | None) -> Iterator[tuple[Any, Any, Any]]:
    """(table, group, cell) for every published figure of a summary but the blanks'."""
    for table in summary.questions:
        groups = [(None, table.rows)] if by is None else [(g.code, g.rows) for g in table.groups]
        for group, cells in groups:
            for cell in cells:
                if cell.code != BLANK:
                    yield table, group, cell


def _not_freed_together(
    model: _Model, left: set[Hidden], wrong: dict[Hidden, list[int]]
) -> set[Hidden]:
    """The hidden values no solution frees while asking for as many wrong answers at once as
    possible; each of these is then tried alone."""
    while left:
        solution = model.solve({var: 1 for h in left for var in wrong[h]})
        if solution is None:
            break
        freed = {h for h in left if any(solution[var] > 0.5 for var in wrong[h])}
        if not freed:
            break
        left -= freed
    return left


def _bounds(shown: Any, p: suppression.Policy) -> tuple[int, int] | None:
    """The true counts a published figure allows, under its policy."""
    if isinstance(shown, str):  # hidden by the policy: a perturbed figure from 3 to threshold
        possible = [c for s in range(3, p.threshold + 1) for c in could_be(s)]
        return (0, max(possible)) if possible else None
    if p.rounding > 1:
        possible = [
            c
            for s in range(max(0, shown - p.rounding // 2), shown + p.rounding // 2 + 1)
            for c in could_be(s)
        ]
    else:
        possible = list(could_be(shown))
    return (min(possible), max(possible)) if possible else None


def _exact_bounds(shown: Any, p: suppression.Policy) -> tuple[int, int] | None:
    """As a reader of exact counts sees a figure: itself, or 1 to the threshold if hidden."""
    if isinstance(shown, str):
        return (1, p.threshold)
    return (shown, shown)


def _count_terms(
    model: _Model,
    rows: list[dict[str, Any]],
    qid: str,
    code: str,
    by: str | None,
    group: Any,
    indicator: Any,
    qis: list[str],
) -> tuple[dict[int, int], int]:
    """The number of responses that answered `qid` with `code` (and `by` with `group`), as
    variables plus a constant."""
    terms: dict[int, int] = defaultdict(int)
    constant = 0
    for i, answers in enumerate(rows):
        if qid in qis:
            a = indicator(i, qid, code)
        else:
            value = answers.get(qid)
            hit = code in value if isinstance(value, list) else str(value) == code
            a = int(hit and value is not None)
        b = 1 if by is None else indicator(i, by, group)
        product = model.product(a, b)
        if isinstance(product, int):
            constant += product
        else:
            for var, coefficient in product.items():
                terms[var] += coefficient
    return dict(terms), constant


class _Model:
    """A small 0/1 integer programme for scipy's milp (HiGHS)."""

    def __init__(self) -> None:
        self.count = 0
        self.rows: list[tuple[dict[int, int], float, float]] = []
        self._products: dict[tuple[int, int], int] = {}

    def binary(self) -> int:
        self.count += 1
        return self.count - 1

    def equal(self, terms: dict[int, int], value: int) -> None:
        self.rows.append((terms, value, value))

    def between(self, terms: dict[int, int], low: float, high: float) -> None:
        if terms:
            self.rows.append((terms, low, high))
        elif not low <= 0 <= high:
            self.rows.append(({}, 1, 0))  # an impossible figure: nothing is feasible

    def product(self, a: Any, b: Any) -> Any:
        """a AND b, each a constant 0/1 or {var: 1}."""
        if isinstance(a, int) and isinstance(b, int):
            return a * b
        if isinstance(a, int):
            return b if a else 0
        if isinstance(b, int):
            return a if b else 0
        (x,), (y,) = a.keys(), b.keys()
        if x == y:
            return a
        key = (min(x, y), max(x, y))
        if key not in self._products:
            z = self.binary()
            self._products[key] = z
            self.rows += [({z: 1, x: -1}, -np.inf, 0), ({z: 1, y: -1}, -np.inf, 0)]
            self.rows.append(({z: 1, x: -1, y: -1}, -1, np.inf))
        return {self._products[key]: 1}

    def maximum(self, objective: dict[int, int]) -> float | None:
        """The largest value of the objective over every 0/1 solution; None if none exists."""
        result = self._milp(objective)
        return None if result.status != 0 else -result.fun

    def solve(self, objective: dict[int, int]) -> Any:
        """A 0/1 solution as large as can be for the objective, or None if none exists."""
        result = self._milp(objective)
        return None if result.status != 0 else result.x

    def _milp(self, objective: dict[int, int]) -> Any:
        matrix = np.zeros((len(self.rows), self.count))
        low = np.empty(len(self.rows))
        high = np.empty(len(self.rows))
        for n, (terms, lo, hi) in enumerate(self.rows):
            for var, coefficient in terms.items():
                matrix[n, var] = coefficient
            low[n], high[n] = lo, hi
        c = np.zeros(self.count)
        for var, coefficient in objective.items():
            c[var] = -coefficient
        return milp(
            c,
            constraints=LinearConstraint(matrix, low, high),
            integrality=np.ones(self.count),
            bounds=Bounds(0, 1),
        )


# -- attack 4: integer programming over the tables alone, for counts of 1 or 2 --------------------


def solve_small_counts(
    r: Release,
    policy: str = "cellkey",
    protected: frozenset[int] = frozenset({1, 2}),
    exact: bool = False,
) -> list[str]:
    """A reader of the tables alone (a report quoting them) knows the batch sizes and every
    figure. Unknowns: how many released rows fall in each combination of shown
    quasi-identifier answers and each answer of a single-choice question (or of a
    quasi-identifier question itself). For every published figure whose true count is
    `protected` (1 or 2: the counts that point at one or two people), and every such
    combination, the reader must not be able to pin the count down. `exact`: the reader
    takes shown figures as exact counts (the service before issue 14)."""
    layout = r.layout
    qis = [q for q in layout.quasi_identifiers if q in layout.info]
    shown = r.worked.shown(r.rows)
    domains = [[*layout.info[q].labels, BLANK, None] for q in qis]
    combos = list(itertools.product(*domains))
    p = suppression.policy(policy)
    total = sum(r.views.batch_sizes.values())
    findings = []
    for qid, info in layout.info.items():
        if info.question.type not in ("single_choice", "scale"):
            continue
        codes = [c for c, _ in _bars(layout, qid)] + ([BLANK] if qid in qis else [])
        truth = Counter((tuple(s.get(q) for q in qis), _category(s.get(qid))) for s in shown)
        bounds = _exact_bounds if exact else _bounds
        findings += _small_counts_of(r, qid, qis, combos, codes, truth, total, p, protected, bounds)
    return findings


def _bars(layout: Layout, qid: str) -> list[tuple[str, str]]:
    return tables.categories(layout.info[qid].question, layout.info[qid].labels)


def _category(value: Any) -> Any:
    return None if value is None else str(value)


def _small_counts_of(
    r: Release,
    qid: str,
    qis: list[str],
    combos: list[tuple[Any, ...]],
    codes: list[str],
    truth: Counter[Any],
    total: int,
    p: suppression.Policy,
    protected: frozenset[int],
    bounds_of: Any,
) -> list[str]:
    cats = [*codes, None]  # None: not answered
    index = {(g, c): n for n, (g, c) in enumerate(itertools.product(combos, cats))}
    rows: list[tuple[dict[int, int], float, float]] = [
        ({i: 1 for i in index.values()}, total, total)
    ]
    if qid in qis:  # a quasi-identifier's answer is the group's own value
        at = qis.index(qid)
        rows += [({i: 1}, 0, 0) for (g, c), i in index.items() if c != g[at]]
    published: list[tuple[str, dict[int, int]]] = []
    for (policy, by), summary in r.views.summaries.items():
        if policy != p.name:
            continue
        table = next(t for t in summary.questions if t.id == qid)
        groups = [(None, table)] if by is None else [(g.code, g) for g in table.groups]
        for group, holder in groups:
            members = [g for g in combos if by is None or g[qis.index(by)] == group]
            figures = [(c.code, c.count) for c in holder.rows]
            figures += [("(n)", holder.n)]
            for code, count in figures:
                wanted = codes if code == "(n)" else [code]
                terms = {index[(g, c)]: 1 for g in members for c in wanted}
                bounds = bounds_of(count, p)
                if bounds is not None:
                    rows.append((terms, *bounds))
                    published.append((f"{policy}/{by}/{group}/{code}", terms))
    true_of = {i: truth.get(key, 0) for key, i in index.items()}
    targets = [
        (name, terms) for name, terms in published if sum(true_of[i] for i in terms) in protected
    ]
    targets += [
        (f"combination {key}", {i: 1}) for key, i in index.items() if true_of[i] in protected
    ]
    value = {name: sum(true_of[i] for i in terms) for name, terms in targets}
    left = dict(targets)
    problem = _Problem(rows, len(index))
    for sign in (1, -1):  # as many targets moved off their truth at once as can be
        if not left:
            break
        solution = problem.solve({i: sign for terms in left.values() for i in terms})
        if solution is not None:
            left = {
                name: terms
                for name, terms in left.items()
                if round(sum(solution[i] for i in terms)) == value[name]
            }
    return [
        f"{qid} {name}: {value[name]} people, pinned"
        for name, terms in left.items()
        if problem.pinned(terms, value[name])
    ]


class _Problem:
    """The table reader's integer programme: counts of at least 0, the published bounds."""

    def __init__(self, rows: list[tuple[dict[int, int], float, float]], width: int):
        self.width = width
        self.matrix = np.zeros((len(rows), width))
        self.low, self.high = np.empty(len(rows)), np.empty(len(rows))
        for n, (terms, lo, hi) in enumerate(rows):
            for i, coefficient in terms.items():
                self.matrix[n, i] = coefficient
            self.low[n], self.high[n] = lo, hi

    def solve(self, objective: dict[int, int]) -> Any:
        """A solution as small as can be for the objective (None if there is none)."""
        c = np.zeros(self.width)
        for i, coefficient in objective.items():
            c[i] += coefficient
        result = milp(
            c,
            constraints=LinearConstraint(self.matrix, self.low, self.high),
            integrality=np.ones(self.width),
            bounds=Bounds(0, np.inf),
        )
        return result.x if result.status == 0 else None

    def pinned(self, terms: dict[int, int], value: int) -> bool:
        """Whether every solution gives `terms` exactly `value`."""
        for sign in (1, -1):
            solution = self.solve({i: sign * c for i, c in terms.items()})
            if (
                solution is not None
                and round(sum(solution[i] * c for i, c in terms.items())) != value
            ):
                return False
        return True


# -- the proof: another truth that shows the same -------------------------------------------------


def indistinguishable(
    versions: Sequence[Questionnaire],
    history_rows: Sequence[list[ReleaseInput]],
    k_by_release: Sequence[int],
    limit: int | None = None,
) -> list[str]:
    """For every value hidden at the last release, look for another truth (a different value
    there) under which every release decides exactly the same for every row, so that every
    file and every figure (made from what rows show, their other answers and their record
    keys, none of which change) is byte for byte the same. None found: the views pin the value
    down. The truths tried: swap the row's hidden values with another hidden row's; move the
    row alone to a mix with too few rows to show; spread every hidden row of its batch over
    the mixes the release does not show, fewer than k to a mix."""
    base = _decisions(versions, history_rows, k_by_release)
    last = history_rows[-1]
    previous = _chain(versions, history_rows[:-1], k_by_release)
    worked = work_out(versions, last, k_by_release[-1], previous)
    findings = []
    for h in _protected(_hidden_of(worked, last), history_rows, base, worked)[:limit]:
        candidates = _alternatives(worked, history_rows, h, k_by_release[-1])
        if not any(_decisions(versions, alt, k_by_release) == base for alt in candidates):
            findings.append(f"response {h.row}: hidden {h.column} = {h.value!r} is pinned")
    return findings


def _protected(
    hidden: list[Hidden],
    history_rows: Sequence[list[ReleaseInput]],
    decisions: list[list[Any]],
    worked: Worked,
) -> list[Hidden]:
    """The hidden values every release that held their response hid: a value an earlier
    release showed (before k was raised) was never protected, and no later one can be."""
    column_at = {name: n for n, name in enumerate(worked.columns.names)}
    shown_before: dict[int, list[Any]] = defaultdict(list)
    for rows, shown in zip(history_rows[:-1], decisions[:-1], strict=True):
        for row, key in zip(rows, shown, strict=True):
            shown_before[id(row)].append(key)
    last = history_rows[-1]
    return [
        h
        for h in hidden
        if all(
            key is not None and key[column_at[h.column]] == BLANK
            for key in shown_before[id(last[h.row])]
        )
    ]


def _hidden_of(worked: Worked, rows: list[ReleaseInput]) -> list[Hidden]:
    return hidden_values(Release(rows, worked, Views({}, {}, {})))


def _chain(
    versions: Sequence[Questionnaire], history_rows: Sequence[list[ReleaseInput]], ks: Sequence[int]
) -> protect.Previous:
    previous = protect.NO_PREVIOUS
    for rows, k in zip(history_rows, ks, strict=False):
        worked = work_out(versions, rows, k, previous)
        previous = next_previous(Release(rows, worked, Views({}, {}, {})))
    return previous


def _decisions(
    versions: Sequence[Questionnaire], history_rows: Sequence[list[ReleaseInput]], ks: Sequence[int]
) -> list[list[Any]]:
    """What each release shows of each row (rows in the same order), release by release."""
    columns = Columns(Layout(versions))
    out = []
    previous = protect.NO_PREVIOUS
    for rows, k in zip(history_rows, ks, strict=True):
        decided = protect.decide(columns, rows, k, previous)
        keys = [columns.key(r.batch, r.received, r.language, r.answers) for r in rows]
        out.append([decided.shown[key] for key in keys])
        previous = protect.Previous(
            columns.names[1:],
            [
                (key[0], columns.as_dict(key), columns.as_dict(v))
                for key, v in decided.shown.items()
            ],
        )
    return out


def _alternatives(
    worked: Worked, history_rows: Sequence[list[ReleaseInput]], h: Hidden, k: int
) -> Iterable[list[list[ReleaseInput]]]:
    columns = worked.columns
    last = history_rows[-1]
    keys = [columns.key(r.batch, r.received, r.language, r.answers) for r in last]
    batch = keys[h.row][0]
    column = columns.names.index(h.column)
    hidden_rows = [
        i for i, key in enumerate(keys) if key[0] == batch and worked.decided.shown[key] != key
    ]
    for j in hidden_rows:  # swap every hidden value with another hidden row's
        if keys[j][column] != keys[h.row][column]:
            yield _with(history_rows, {h.row: keys[j], j: keys[h.row]}, columns)
    counts = Counter(keys)
    in_batch = [key for key in counts if key[0] == batch]
    shown_mixes = {key for key in in_batch if worked.decided.shown[key] == key}
    not_shown = [
        (batch, *mix)
        for mix in itertools.product(*columns.domains(in_batch))
        if (batch, *mix) not in shown_mixes
    ]
    for mix in not_shown:  # alone into a mix too small to show
        if mix[column] != keys[h.row][column] and counts[mix] + 1 < k:
            yield _with(history_rows, {h.row: mix}, columns)
    others = [m for m in not_shown if m[column] != keys[h.row][column]]
    if others and k >= 2:  # every hidden row spread out, this one to another value
        order = [others[0], *(m for m in not_shown if m != others[0])]
        rows = [h.row, *(j for j in hidden_rows if j != h.row)]
        if len(order) * (k - 1) >= len(rows):
            yield _with(history_rows, {j: order[n // (k - 1)] for n, j in enumerate(rows)}, columns)


def _with(
    history_rows: Sequence[list[ReleaseInput]], moves: dict[int, Any], columns: Any
) -> list[list[ReleaseInput]]:
    """The history with rows of the last release given other keys (their period, language and
    quasi-identifier answers); the same response is changed in every earlier release too."""
    last = history_rows[-1]
    changed: dict[int, ReleaseInput] = {}
    for i, key in moves.items():
        changed[id(last[i])] = _as_key(last[i], key, columns)
    return [[changed.get(id(r), r) for r in rows] for rows in history_rows]


def _as_key(row: ReleaseInput, key: Any, columns: Any) -> ReleaseInput:
    values = columns.as_dict(key)
    answers = _decode(row.answers)
    for qid in columns.questions:
        if values[qid] is None:
            answers.pop(qid, None)
        else:
            answers[qid] = values[qid]
    received = _a_day_in(values[RECEIVED], row.received)
    language = values.get(LANGUAGE, row.language)
    return msgspec.structs.replace(
        row, answers=msgspec.json.encode(answers), received=received, language=language
    )


def _a_day_in(period: str, day: str) -> str:
    """The row's own day if it lies in the period, else the period's first day."""
    from survey_service import periods

    if periods.at_level(day, "week") == period or day.startswith(period) or day == period:
        return day
    if "-W" in period:
        year, week = period.split("-W")
        return periods.dt.date.fromisocalendar(int(year), int(week), 1).isoformat()
    return period + "-01" if len(period) == 7 else period


@dataclass
class Campaign:
    """Findings of every attack over many datasets, by attack."""

    findings: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    datasets: int = 0
    hidden: int = 0

    def add(self, attack: str, dataset: str, found: list[str]) -> None:
        self.findings[attack] += [f"{dataset}: {f}" for f in found]

    def report(self) -> str:
        lines = [f"{self.datasets} datasets, {self.hidden} hidden values"]
        for attack, found in self.findings.items():
            lines.append(f"{attack}: {len(found)} recovered")
            lines += [f"  {f}" for f in found[:10]]
        return "\n".join(lines)

    @property
    def recovered(self) -> int:
        return sum(len(f) for f in self.findings.values())
