"""The ASGI entry point for servers: builds the app from SURVEY_* variables when called."""

from __future__ import annotations

from litestar import Litestar

from survey_service.app import create_app
from survey_service.settings import from_env


def app_from_env() -> Litestar:
    return create_app(from_env(), whole_process=True)
