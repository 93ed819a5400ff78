"""The built wheel serves: installed into a fresh virtual environment, away from this
repository, `survey-service serve` answers with the form app and the bundled questionnaires.

The wheel is built from this checkout, installed with the versions requirements.lock pins
(pip takes them from its cache, or PyPI), and run from an empty folder, so nothing can be
found by accident in the repository.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from survey_service.respondent import webapp

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str | Path, cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (
        f"{command[:4]} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    )


def _pins(folder: Path) -> Path:
    """requirements.lock as constraints: the exact versions, without hashes (pip checks
    hashes only when every requirement is pinned, and the wheel itself is not)."""
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    pins = [line.split()[0] for line in lines if re.match(r"^[A-Za-z0-9_.-]+==", line)]
    path = folder / "pins.txt"
    path.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel built from this checkout; returns its bin/ folder."""
    work = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip"]
    _run(*pip, "wheel", "--no-deps", "--quiet", "-w", work / "dist", ROOT, cwd=work)
    (wheel,) = (work / "dist").glob("survey_service-*.whl")
    _run(sys.executable, "-m", "venv", "--without-pip", work / "venv", cwd=work)
    python = work / "venv" / "bin" / "python"
    _run(*pip, "--python", python, "install", "--quiet", wheel, "-c", _pins(work), cwd=work)
    return work / "venv" / "bin"


def _clean_env(**settings: str) -> dict[str, str]:
    # Nothing from this checkout or this test run's settings leaks into the installed service.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.pop("PYTHONPATH", None)
    return {**env, **settings}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`survey-service serve` from the wheel, started in an unrelated empty folder."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    port = _free_port()
    env = _clean_env(
        SURVEY_HOST="127.0.0.1", SURVEY_PORT=str(port), SURVEY_DATA_DIR=str(elsewhere / "data")
    )
    log = elsewhere / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [installed / "survey-service", "serve"],
            cwd=elsewhere,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # granian forks a worker: stop the whole group
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            assert proc.poll() is None, f"serve exited:\n{log.read_text(errors='replace')}"
            assert time.monotonic() < deadline, f"no answer:\n{log.read_text(errors='replace')}"
            time.sleep(0.1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/api/questionnaires", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _bundled() -> dict[str, str]:
    """The repository's questionnaires: id -> title of the latest version."""
    latest: dict[str, tuple[int, str]] = {}
    for path in (ROOT / "questionnaires").glob("*.toml"):
        found = tomllib.loads(path.read_text(encoding="utf-8"))
        if found["version"] > latest.get(found["id"], (0, ""))[0]:
            latest[found["id"]] = (found["version"], found["title"])
    return {qid: title for qid, (_, title) in latest.items()}


def test_the_installed_wheel_lists_the_bundled_questionnaires(served: str) -> None:
    listed = httpx.get(served + "/api/questionnaires").json()
    assert {q["id"]: q["title"] for q in listed} == _bundled()


def test_the_installed_wheel_serves_each_form_page(served: str) -> None:
    for qid, title in _bundled().items():
        page = httpx.get(f"{served}/q/{qid}", headers={"accept": "text/html"})
        assert page.status_code == 200, qid
        assert page.headers["content-type"].startswith("text/html")
        assert f"<title>{title}</title>" in page.text


def test_the_installed_wheel_serves_the_app_files_and_worker(served: str) -> None:
    static = ROOT / "static"
    # The app's modules too: a phone that kept a page from an earlier release may fetch them.
    modules = [p.name for p in static.glob("*.js") if p.name != webapp.WORKER]
    assert "app.js" in modules
    for name in [*webapp.ASSETS, *modules]:
        found = httpx.get(f"{served}/app/{name}")
        assert found.status_code == 200, name
        assert found.content == (static / name).read_bytes(), name
    english = httpx.get(f"{served}/app/i18n/en.json")
    assert english.json() == json.loads((static / "i18n" / "en.json").read_bytes())
    worker = httpx.get(f"{served}/q/sw.js")
    assert worker.status_code == 200
    # The worker is sw.js joined with the outbox it imports, stamped with the release's version.
    source = webapp.worker_script(static, "__VERSION__").decode()
    assert re.fullmatch(re.escape(source).replace("__VERSION__", "[0-9a-f]{12}"), worker.text)


def test_the_installed_wheel_serves_the_portal_sign_in(served: str) -> None:
    # The portal's templates and stylesheet live inside the package already; this keeps it so.
    page = httpx.get(f"{served}/inspect/login")
    assert page.status_code == 200
    assert "<form" in page.text
    css = httpx.get(f"{served}/inspect/static/portal.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_the_installed_wheel_renders_the_guides(installed: Path, tmp_path: Path) -> None:
    # The portal's help pages read docs/ through the same resolver as static/.
    done = subprocess.run(
        [
            installed / "python",
            "-c",
            "from survey_service.inspector import guides; print(guides.page('numbers')[0])",
        ],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    title = (ROOT / "docs" / "numbers.md").read_text(encoding="utf-8").splitlines()[0]
    assert done.stdout.strip() == title.lstrip("# ").strip()
