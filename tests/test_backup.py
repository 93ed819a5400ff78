"""`survey-service backup` while the service writes, and checked `restore` round trips."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from survey_service.ops import backup
from tests.support.serverproc import ServerProcess
from tests.test_server_process import ENV, Load, stored_ids


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "survey_service", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
async def test_backup_during_writes_then_restore_round_trip(tmp_path, questionnaires_dir):
    data = tmp_path / "data"
    env = {"SURVEY_DATA_DIR": str(data), "SURVEY_QUESTIONNAIRES_DIR": str(questionnaires_dir)}
    copy = tmp_path / "backups" / "copy.sqlite3"
    with ServerProcess(data, questionnaires_dir, env=ENV) as server:
        load = Load(server.url, clients=8, deadline=60.0)
        running = asyncio.create_task(load.run())
        await asyncio.sleep(0.8)
        made = await asyncio.to_thread(cli, "backup", str(copy), env=env)
        # Writing goes on for a while after the backup, however long the backup took (a
        # busy machine starts the CLI slowly).
        await asyncio.sleep(0.8)
        load.stop.set()
        await running
        assert made.returncode == 0, made.stderr
        # The service is still running: restore refuses rather than pull the file from under it.
        refused = await asyncio.to_thread(cli, "restore", str(copy), env=env)
        assert refused.returncode == 1
        assert "in use" in refused.stderr
    in_copy = stored_ids(copy)
    assert backup.check(copy) == len(in_copy) > 0
    assert in_copy <= stored_ids(data / "survey.sqlite3")  # a snapshot of what was committed
    later = stored_ids(data / "survey.sqlite3") - in_copy
    assert later, "the load should have gone on writing after the backup"

    restored = cli("restore", str(copy), env=env)
    assert restored.returncode == 0, restored.stderr
    assert stored_ids(data / "survey.sqlite3") == in_copy
    kept = list(data.glob("survey.sqlite3.before-restore-*"))
    assert len(kept) == 1
    assert later <= stored_ids(kept[0])  # nothing thrown away
    with ServerProcess(data, questionnaires_dir, env=ENV) as server:
        pass  # the restored database serves


def test_restore_refuses_a_file_that_is_not_a_sound_backup(tmp_path):
    database = tmp_path / "survey.sqlite3"
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(backup.BackupError, match="not a readable SQLite database"):
        backup.restore(junk, database)
    other = tmp_path / "other.sqlite3"
    with contextlib.closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(backup.BackupError, match="not a survey database"):
        backup.restore(other, database)
    assert not database.exists()


def test_backup_never_overwrites(tmp_path):
    database = tmp_path / "survey.sqlite3"
    sqlite3.connect(database).close()
    target = tmp_path / "exists"
    target.write_text("keep me")
    with pytest.raises(backup.BackupError, match="exists already"):
        backup.backup(database, target)
    assert target.read_text() == "keep me"


def test_in_use_sees_an_idle_connection_in_another_process(tmp_path):
    database = tmp_path / "db.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
    assert not backup.in_use(database)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]);"
            " c.execute('SELECT * FROM t').fetchall(); print('ready', flush=True); time.sleep(30)",
            str(database),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"ready"
        assert backup.in_use(database)
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert not backup.in_use(Path(database))
