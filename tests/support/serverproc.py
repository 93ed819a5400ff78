"""The real `survey-service serve` in a subprocess on a free 127.0.0.1 port, for any suite.

    with ServerProcess(data_dir, questionnaires_dir) as server:
        httpx.get(server.url + "/api/questionnaires")

The server runs in its own process group (granian forks a worker), so `kill()` takes the
whole service down at once, the way a crash or an out-of-memory kill would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import TracebackType

import httpx

from tests.support.waiting import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    def __init__(
        self,
        data_dir: Path,
        questionnaires_dir: Path,
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
        port: int | None = None,
        **more_env: str,
    ):
        self.data_dir, self.questionnaires_dir = data_dir, questionnaires_dir
        self.extra_env = {**(env or {}), **more_env}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or data_dir.parent / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SURVEY_HOST": "127.0.0.1",
            "SURVEY_PORT": str(self.port),
            "SURVEY_DATA_DIR": str(self.data_dir),
            "SURVEY_QUESTIONNAIRES_DIR": str(self.questionnaires_dir),
            # Test load comes from one address; a test of the limit itself sets it back.
            "SURVEY_RATE_LIMIT_PER_SECOND": "0",
            **self.extra_env,
        }

    def start(self, timeout: float = 20.0) -> ServerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "survey_service", "serve"],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        try:
            wait_until(self._answers, seconds=timeout, every=0.05, ignoring=(httpx.HTTPError,))
        except AssertionError:
            self.kill()
            raise RuntimeError(f"server did not answer within {timeout}s: {self.log()}") from None

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log()}")
        return httpx.get(self.url + "/api/questionnaires", timeout=1.0).status_code == 200

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def signal(self, signum: int) -> None:
        """Send to the main process only, as a process manager (systemd, docker) does."""
        assert self.proc is not None
        self.proc.send_signal(signum)

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.proc

    def kill(self) -> None:
        """SIGKILL the main process and its worker together: nothing gets to clean up."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reap_group()

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def _reap_group(self) -> None:
        # Make sure no worker outlives the test holding the port or the database.
        assert self.proc is not None
        pid = self.proc.pid

        def gone() -> bool:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                return True
            return False

        # As before, a group that will not go is left to the test's own checks, not raised.
        with contextlib.suppress(AssertionError):
            wait_until(gone, seconds=5, every=0.02)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait for a graceful exit, then make sure; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        code = self.proc.poll()
        self.kill()
        return code

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
