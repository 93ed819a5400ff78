"""`make bench`: the whole benchmark suite in one go; prints one table, writes bench/results.md.

Each benchmark is a function in BENCHES taking the shared Context and returning table rows;
another part of the service adds its own (the inspectors' export: rows/s, peak memory) by
appending to BENCHES in bench/suites.py. Bounded: every load runs for a fixed time.

`python -m bench NAME...` runs only the named benchmarks (e.g. `first_load`) and writes their
table below the whole suite's in bench/results.md, dated, leaving the whole suite's figures as
they were measured; the next `make bench` replaces the file.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench.suites import BENCHES, Context, Row

RESULTS = Path(__file__).parent / "results.md"
PARTIAL = "<!-- figures below come from `python -m bench NAME...`, not the whole suite -->"


def table(rows: list[Row]) -> str:
    lines = [
        "| figure | value | target | result |",
        "|---|---|---|---|",
        *(f"| {r.figure} | {r.value} | {r.target} | {r.verdict} |" for r in rows),
    ]
    return "\n".join(lines)


def main(names: list[str]) -> int:
    known = {bench.__name__: bench for bench in BENCHES}
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown bench {', '.join(unknown)}; choose from {', '.join(known)}")
        return 2
    chosen = [known[name] for name in names] if names else BENCHES
    started = time.monotonic()
    rows: list[Row] = []
    with Context.make() as ctx:
        for bench in chosen:
            print(f"… {bench.__name__}", file=sys.stderr, flush=True)
            try:
                rows.extend(bench(ctx))
            except Exception as exc:  # one broken bench must not hide the others' figures
                rows.append(Row(bench.__name__, f"error: {type(exc).__name__}: {exc}", "", "fail"))
    text = table(rows)
    took = time.monotonic() - started
    when = f"{time.strftime('%Y-%m-%d')}, {ctx.machine}"
    if names:
        whole = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
        whole = whole.split(PARTIAL)[0].rstrip()
        section = f"{PARTIAL}\n\n`python -m bench {' '.join(names)}`, {when}, {took:.0f} s.\n\n"
        RESULTS.write_text(f"{whole}\n\n{section}{text}\n", encoding="utf-8")
    else:
        header = f"Benchmarks, {when}, whole suite {took:.0f} s.\n\n"
        RESULTS.write_text(header + text + "\n", encoding="utf-8")
    print(text)
    print(f"\n(written to {RESULTS}; {took:.0f} s)")
    return 0 if all(r.verdict != "fail" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
