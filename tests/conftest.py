"""Shared fixtures: settings pointing at tmp_path, and the app served in-process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.settings import Settings
from survey_service.store.sqlite import SQLiteStore
from tests.support.pgcluster import Cluster, find_bin

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_QUESTIONNAIRES = FIXTURES / "questionnaires"


@pytest.fixture
def questionnaires_dir(tmp_path: Path) -> Path:
    """A private copy of the fixture questionnaires that a test may change."""
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    for path in FIXTURE_QUESTIONNAIRES.glob("*.toml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL server for the whole run; each test makes its own database."""
    bin_dir = find_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (scripts/ensure-system-deps installs it)")
    cluster = Cluster(bin_dir).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def pg_url(pg_cluster: Cluster) -> str:
    """The URL of a fresh, empty database on the shared test server."""
    return await pg_cluster.new_database()


@pytest.fixture
def settings(tmp_path: Path, questionnaires_dir: Path) -> Settings:
    # Every in-process request comes from one test address; tests of the per-address rate
    # limit turn it back on (tests/test_limits.py).
    return Settings(
        data_dir=tmp_path / "data",
        questionnaires_dir=questionnaires_dir,
        rate_limit_per_second=0,
        login_rate_limit_per_second=0,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(settings)) as test_client:
        yield test_client


def response_body(questionnaire: str = "every-type", **answers: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "questionnaire": questionnaire,
        "version": 1,
        "answers": answers or {"fits": "yes"},
    }


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """An open SQLite store on a real file in tmp_path (test_store.py has its own, over both
    backends, and test_retention.py one with a version published)."""
    s = SQLiteStore(tmp_path / "survey.sqlite3")
    await s.open()
    yield s
    await s.close()
