import sys
from pathlib import Path

import pytest

from survey_service import settings


def test_defaults_match_the_documented_ones():
    s = settings.from_env({})
    assert (s.host, s.port, s.data_dir) == ("127.0.0.1", 8000, Path("var"))
    assert s.questionnaires_dir == settings.BUNDLED_QUESTIONNAIRES


def test_environment_overrides_each_setting():
    s = settings.from_env(
        {"SURVEY_HOST": "0.0.0.0", "SURVEY_PORT": "9001", "SURVEY_DATA_DIR": "/tmp/x"}
    )
    assert (s.host, s.port, s.data_dir) == ("0.0.0.0", 9001, Path("/tmp/x"))


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SURVEY_PORT": "eighty"}, "SURVEY_PORT"),
        ({"SURVEY_PORT": "70000"}, "SURVEY_PORT"),
        ({"SURVEY_DATE_PRECISION": "hour"}, "SURVEY_DATE_PRECISION"),
    ],
)
def test_a_bad_value_names_its_variable(env, named):
    with pytest.raises(settings.SettingsError, match=named):
        settings.from_env(env)


def test_every_setting_has_help_text():
    for name, _default, help_text in settings.declared():
        assert name.startswith("SURVEY_")
        assert help_text, name


def test_a_database_url_without_the_postgres_extra_says_what_to_install(monkeypatch):
    # asyncpg comes with the [postgres] extra only: a deployment that sets a URL without it
    # hears so at start-up, not as an ImportError on the first request.
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    with pytest.raises(settings.SettingsError, match=r"SURVEY_DATABASE_URL.*\[postgres\]"):
        settings.from_env({"SURVEY_DATABASE_URL": "postgresql://u@localhost/db"})
