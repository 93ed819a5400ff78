"""Helpers for the inspectors' tests: settings with the extra fixtures, accounts, seeded data."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from litestar.testing import AsyncTestClient

from survey_service.inspector import auth
from survey_service.settings import Settings
from survey_service.store import Store, open_store

T = TypeVar("T")

FIXTURES = Path(__file__).parents[1] / "fixtures"
PASSWORD = "correct horse battery"


class Clock:
    """A `today` for create_app that a test moves: answers wait at least until the day after
    they arrive (rule 6), so a test releases them by moving the clock on."""

    def __init__(self, day: dt.date = dt.date(2026, 11, 2)):
        self.day = day

    def __call__(self) -> dt.date:
        return self.day

    def advance(self, days: int = 1) -> None:
        self.day += dt.timedelta(days=days)


def make_app(settings: Settings) -> Any:
    from survey_service.app import create_app

    return create_app(settings, today=Clock())


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    folder = tmp_path / "questionnaires"
    folder.mkdir(exist_ok=True)
    for sub in ("questionnaires", "inspect"):
        for path in (FIXTURES / sub).glob("*.toml"):
            shutil.copy(path, folder / path.name)
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "questionnaires_dir": folder,
        "login_slowdown_seconds": 0.0,
        # Every answer is ready the day after it arrives: tests move the clock one day on.
        "release_delay_days": 0,
    }
    values.update(overrides)
    return Settings(**values)


async def on_store(client: AsyncTestClient[Any], work: Callable[[Store], Awaitable[T]]) -> T:
    """Run work on a second store over the same database, as the CLI would: the app's own
    store belongs to the test client's event loop (another thread)."""
    store = open_store(client.app.state.settings)
    await store.open()
    try:
        return await work(store)
    finally:
        await store.close()


async def add_account(client: AsyncTestClient[Any], name: str = "amira") -> None:
    assert await on_store(client, lambda s: auth.add_inspector(s, name, PASSWORD, "test"))


async def token_for(client: AsyncTestClient[Any], name: str = "amira") -> dict[str, str]:
    secret = await on_store(client, lambda s: auth.issue_token(s, name, "test"))
    assert secret
    return {"Authorization": f"Bearer {secret}"}


async def sign_in(client: AsyncTestClient[Any], name: str = "amira", password: str = PASSWORD):
    page = await client.get("/inspect/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    return await client.post(
        "/inspect/login",
        data={"username": name, "password": password, "csrf": csrf[1]},
        follow_redirects=False,
    )


def page_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found[1]


async def seed(
    client: AsyncTestClient[Any],
    answers: list[dict[str, Any]],
    questionnaire: str = "every-type",
    version: int = 1,
    ready: bool = True,
) -> None:
    """Send answers through the public API; with `ready`, move the app's clock on until every
    one of them may be released."""
    for start in range(0, len(answers), 500):
        items = [
            {
                "id": str(uuid.uuid4()),
                "questionnaire": questionnaire,
                "version": version,
                "answers": a,
            }
            for a in answers[start : start + 500]
        ]
        reply = await client.post("/api/responses/batch", json={"responses": items})
        assert reply.status_code == 200, reply.text
        assert all(r["status"] == "accepted" for r in reply.json()["results"]), reply.text
    if ready:
        settings: Settings = client.app.state.settings
        client.app.state.today.advance(settings.release_delay_days + 1)
