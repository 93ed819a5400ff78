"""Durable single-response ingest on PostgreSQL with one and two app instances, against SQLite
measured in the same run: real `survey-service serve` processes driven by wrk."""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from tests.support.pgcluster import Cluster, find_bin
from tests.support.serverproc import ServerProcess

Row = tuple[str, float, str, bool]

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "questionnaires"

# The same wrk script as the SQLite benches: one fresh UUID per request.
SUBMIT_LUA = Path(__file__).resolve().parent / "submit.lua"


def postgres_ingest(seconds: int = 10, connections: int = 64) -> list[Row]:
    """Rows (figure, value, target, ok) for `make bench`."""
    bin_dir = find_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: run scripts/ensure-system-deps")
    with tempfile.TemporaryDirectory(prefix="survey-bench-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        script = SUBMIT_LUA
        cluster = Cluster(bin_dir).start()
        stack.callback(cluster.stop)

        sqlite = _measure(folder / "sqlite", [{}], script, seconds, connections)
        url1 = asyncio.run(cluster.new_database())
        pg1 = _measure(
            folder / "pg1", [{"SURVEY_DATABASE_URL": url1}], script, seconds, connections
        )
        url2 = asyncio.run(cluster.new_database())
        pg2 = _measure(
            folder / "pg2", [{"SURVEY_DATABASE_URL": url2}] * 2, script, seconds, connections
        )
    # Targets: PostgreSQL pays a network round trip per group that SQLite does not, so one
    # instance may be slower; a second instance must add throughput, not lose it. On one small
    # machine both instances and the server share the CPUs: see bench/results.md for the host.
    return [
        ("ingest, SQLite, 1 instance (responses/s)", sqlite, "reference", True),
        ("ingest, PostgreSQL, 1 instance (responses/s)", pg1, ">= 300", pg1 >= 300),
        ("ingest, PostgreSQL, 2 instances (responses/s)", pg2, ">= 300", pg2 >= 300),
        ("PostgreSQL 1 instance / SQLite", round(pg1 / sqlite, 2), ">= 0.3", pg1 / sqlite >= 0.3),
        ("PostgreSQL 2 instances / SQLite", round(pg2 / sqlite, 2), ">= 0.3", pg2 / sqlite >= 0.3),
    ]


def _measure(
    folder: Path, instances: list[dict[str, str]], script: Path, seconds: int, connections: int
) -> float:
    """Committed responses per second across all instances (non-2xx answers do not count)."""
    folder.mkdir()
    servers = [
        ServerProcess(
            folder / f"data{i}",
            QUESTIONNAIRES,
            folder / f"server{i}.log",
            SURVEY_LOG_LEVEL="warning",
            **env,
        )
        for i, env in enumerate(instances)
    ]
    try:
        for server in servers:
            server.start()
        share = max(1, connections // len(servers))
        drivers = [
            subprocess.Popen(
                ["wrk", "-t1", f"-c{share}", f"-d{seconds}s", "-s", str(script), server.url],
                stdout=subprocess.PIPE,
                text=True,
            )
            for server in servers
        ]
        total = 0.0
        for driver in drivers:
            out, _ = driver.communicate(timeout=seconds + 60)
            total += _committed_per_second(out)
        return round(total, 1)
    finally:
        for server in servers:
            server.stop()


def _committed_per_second(wrk_output: str) -> float:
    requests = re.search(r"(\d+) requests in ([\d.]+)(m?s)", wrk_output)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk_output)
    errors = re.search(r"Socket errors: .*timeout (\d+)", wrk_output)
    if requests is None:
        raise RuntimeError(f"could not read wrk's output:\n{wrk_output}")
    elapsed = float(requests[2]) / (1000 if requests[3] == "ms" else 1)
    good = int(requests[1]) - int(failed[1] if failed else 0) - int(errors[1] if errors else 0)
    return good / elapsed


if __name__ == "__main__":
    for figure, value, target, ok in postgres_ingest():
        print(f"{'ok  ' if ok else 'MISS'} {figure}: {value} (target {target})")
