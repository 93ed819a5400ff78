"""The service as the browser tests run it: the real create_app, settings from SURVEY_* variables.

TEST_STATIC_DIR, when set, serves the form app from another folder, so a test can deploy a
changed release of the app on the same origin.
"""

import os
from pathlib import Path

from survey_service.app import create_app
from survey_service.respondent import webapp
from survey_service.settings import from_env


def app():
    if os.environ.get("TEST_STATIC_DIR"):
        webapp.STATIC_DIR = Path(os.environ["TEST_STATIC_DIR"])
    return create_app(from_env())
