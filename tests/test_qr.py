"""Which public addresses a QR code may point at (issue 16, item 10): a poster in a school
corridor pointing at 127.0.0.1 or a home router's address opens nothing on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.inspector import qr
from tests.support.inspectors import add_account, make_settings, token_for

PRIVATE = [
    ("http://127.0.0.1:8000", "loopback"),
    ("http://localhost:8000", "loopback"),
    ("http://survey.localhost", "loopback"),
    ("http://[::1]:8000", "loopback"),
    ("http://0.0.0.0:8000", "private"),
    ("http://192.168.1.20", "private"),
    ("http://10.0.0.5:8080/survey", "private"),
    ("http://172.16.4.1", "private"),
    ("http://169.254.10.1", "private"),
    ("http://[fd00::1]", "private"),
    ("http://100.64.0.1", "private"),  # carrier-grade NAT: not reachable from the internet
    ("http://surveybox", "local network"),
    ("http://surveybox.local", "local network"),
    ("https://survey.home.arpa", "local network"),
    ("https://survey.internal", "local network"),
]
PUBLIC = [
    "https://survey.example.org",
    "https://have-your-say.council.gov.uk/forms",
    "http://81.2.69.160",
    "https://[2a00:1450:4009:80b::200e]",
]


@pytest.mark.parametrize(("url", "words"), PRIVATE)
def test_a_private_address_is_named_as_such(url: str, words: str):
    reason = qr.private_reason(url)
    assert reason is not None
    assert words in reason


@pytest.mark.parametrize("url", PUBLIC)
def test_a_public_address_is_fine(url: str):
    assert qr.private_reason(url) is None
    assert qr.refusal(url, allowed=False) is None


def test_the_refusal_says_what_to_set_and_the_operator_can_confirm():
    message = qr.refusal("http://127.0.0.1:8000", allowed=False)
    assert message is not None
    for words in ("SURVEY_PUBLIC_BASE_URL", "127.0.0.1:8000", "SURVEY_POSTERS_ALLOW_PRIVATE_URL"):
        assert words in message
    assert qr.refusal("http://127.0.0.1:8000", allowed=True) is None


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({}, 409),  # the loopback default
        ({"posters_allow_private_url": True}, 200),  # a trial the operator confirmed
        ({"public_base_url": "https://survey.example.org"}, 200),
    ],
)
async def test_qr_codes_are_made_only_for_an_address_phones_can_open(
    tmp_path: Path, overrides: dict, status: int
):
    settings = make_settings(tmp_path, **overrides)
    async with AsyncTestClient(create_app(settings)) as client:
        await add_account(client)
        headers = await token_for(client)
        for kind, start in (("svg", b"<"), ("png", b"\x89PNG")):
            path = f"/api/inspect/questionnaires/every-type/qr.{kind}"
            reply = await client.get(path, headers=headers)
            assert reply.status_code == status
            if status == 200:
                assert reply.content.startswith(start)
            else:
                assert reply.json()["errors"][0]["field"] == "public_base_url"
