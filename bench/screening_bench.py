"""Rule 5's screening in figures: precision and recall on the shared table of cases, and how a
2 MB batch of phone-like text affects another client's GET (issue 15)."""

from __future__ import annotations

import time
from pathlib import Path

from survey_service.confidentiality import screening, screening_table
from tests.loop_latency import measure
from tests.serverproc import ServerProcess

Figure = tuple[str, str, str, bool | None]  # figure, value, target, passed (None: no target)


def table_score() -> list[Figure]:
    cases = screening_table.cases()
    started = time.process_time()
    score = screening_table.score(
        cases, lambda c: screening.screen(c.text, screening.keep_numbers(c.support))
    )
    took = time.process_time() - started
    return [
        (
            f"screening, shared table: {score.cases} cases ({score.identifying} identifying)",
            f"precision {score.precision:.3f}, recall {score.recall:.3f}",
            "precision ≥ 0.95, recall ≥ 0.90",
            score.precision >= 0.95 and score.recall >= 0.90,
        ),
        (
            "screening, shared table: exact outputs; markers right / extra / missed",
            f"{score.exact}/{score.cases}; {score.true_positives} / {score.false_positives}"
            f" / {score.false_negatives}",
            "",
            None,
        ),
        ("screening, shared table: CPU per case", f"{took / score.cases * 1000:.2f} ms", "", None),
    ]


def loop_latency(workdir: Path, questionnaires: Path) -> list[Figure]:
    with ServerProcess(workdir / "screening", questionnaires) as server:
        latency = measure(server.url)
    ok = latency.batch_status == 200 and latency.busy_worst_ms <= 5 * max(
        latency.idle_worst_ms, 5.0
    )
    return [
        (
            f"GET /api/questionnaires every 100 ms: worst idle / worst during a"
            f" {latency.body_bytes / 1e6:.1f} MB batch of phone-like text",
            f"{latency.idle_worst_ms:.1f} / {latency.busy_worst_ms:.1f} ms"
            f" ({latency.ratio:.1f}×, {latency.busy_polls} GETs)",
            "≤ 5× idle (idle floored at 5 ms)",
            ok,
        ),
        (
            "that batch: answer, accepted, time to screen and store",
            f"{latency.batch_status}, {latency.accepted}, {latency.batch_seconds:.1f} s",
            "",
            None,
        ),
    ]
