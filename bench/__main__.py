"""`make bench`: the whole benchmark suite in one go; prints one table, writes bench/results.md.

Each benchmark is a function in BENCHES taking the shared Context and returning table rows;
another part of the service adds its own (the inspectors' export: rows/s, peak memory) by
appending to BENCHES in bench/suites.py. Bounded: every load runs for a fixed time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench.suites import BENCHES, Context, Row

RESULTS = Path(__file__).parent / "results.md"


def table(rows: list[Row]) -> str:
    lines = [
        "| figure | value | target | result |",
        "|---|---|---|---|",
        *(f"| {r.figure} | {r.value} | {r.target} | {r.verdict} |" for r in rows),
    ]
    return "\n".join(lines)


def main() -> int:
    started = time.monotonic()
    rows: list[Row] = []
    with Context.make() as ctx:
        for bench in BENCHES:
            print(f"… {bench.__name__}", file=sys.stderr, flush=True)
            try:
                rows.extend(bench(ctx))
            except Exception as exc:  # one broken bench must not hide the others' figures
                rows.append(Row(bench.__name__, f"error: {type(exc).__name__}: {exc}", "", "fail"))
    text = table(rows)
    took = time.monotonic() - started
    header = (
        f"Benchmarks, {time.strftime('%Y-%m-%d')}, {ctx.machine}, whole suite {took:.0f} s.\n\n"
    )
    RESULTS.write_text(header + text + "\n", encoding="utf-8")
    print(text)
    print(f"\n(written to {RESULTS}; {took:.0f} s)")
    return 0 if all(r.verdict != "fail" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
