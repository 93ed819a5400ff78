"""The routes that serve the form app, in-process: headers, scope, manifest, icons, weight."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import struct

import pytest

from survey_service.confidentiality import screening_rules
from survey_service.respondent import webapp
from survey_service.respondent.form_page import FALLBACK_LANGUAGE

# Issues 4 and 16: what a phone downloads for the form (the page, which holds the CSS, the
# scripts and the questionnaire, then the worker and the manifest), gzipped, icons aside.
SHELL_BUDGET = 25 * 1024
# Issue 9: each other language's words, fetched only by forms in that language.
CATALOGUE_BUDGET = 4 * 1024


def error_fields(response) -> list[str]:
    body = response.json()
    assert set(body) == {"errors"}, body
    return [e["field"] for e in body["errors"]]


@pytest.mark.parametrize(
    "path",
    [
        "/q/every-type",
        "/q/every-type/manifest.webmanifest",
        "/q/sw.js",
        "/app/app.js",
        "/app/app.css",
        "/app/screening.js",
        "/app/screening-patterns.json",
        "/app/icon-192.png",
        "/app/i18n/en.json",
    ],
)
async def test_app_responses_carry_the_privacy_headers(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    headers = response.headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-cache"  # the worker caches; HTTP revalidates
    assert "set-cookie" not in headers


async def test_the_form_page_names_its_questionnaire_and_nothing_sensitive(client):
    response = await client.get("/q/every-type")
    html = response.text
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-q="every-type"' in html
    assert '<html lang="en-GB"' in html
    assert "<title>Have your say</title>" in html
    assert 'href="/q/every-type/manifest.webmanifest"' in html
    assert "exploitation" not in html.lower()


@pytest.mark.parametrize("path", ["/q/no-such-form", "/q/no-such-form/manifest.webmanifest"])
async def test_an_unknown_questionnaire_is_a_404_in_the_shared_shape(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert error_fields(response) == ["questionnaire"]


async def test_an_unknown_asset_is_a_404_in_the_shared_shape(client):
    response = await client.get("/app/../survey_service/settings.py")
    assert response.status_code == 404
    response = await client.get("/app/index.html")
    assert response.status_code == 404
    assert error_fields(response) == ["path"]


async def test_the_worker_is_versioned_and_scoped_to_the_form_pages(client):
    response = await client.get("/q/sw.js")
    assert response.headers["content-type"].startswith("text/javascript")
    assert "service-worker-allowed" not in response.headers  # scope stays /q/
    version = webapp.app_version(webapp.STATIC_DIR)
    assert f'const VERSION = "{version}"' in response.text
    assert "__VERSION__" not in response.text


def test_any_change_to_the_app_is_a_new_release(tmp_path):
    for name in ("index.html", "app.js"):
        (tmp_path / name).write_text("x")
    before = webapp.app_version(tmp_path)
    (tmp_path / "app.js").write_text("y")
    assert webapp.app_version(tmp_path) != before


async def test_the_manifest_makes_a_neutral_installable_app(client):
    response = await client.get("/q/every-type/manifest.webmanifest")
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == manifest["short_name"] == "Have your say"
    assert manifest["start_url"] == "/q/every-type"
    assert manifest["scope"] == "/q/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"]
    sizes = {icon["sizes"]: icon for icon in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for size, icon in sizes.items():
        png = (await client.get(icon["src"])).content
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert f"{width}x{height}" == size


async def test_assets_revalidate_cheaply_and_travel_gzipped(client):
    first = await client.get("/app/app.js", headers={"accept-encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    again = await client.get("/app/app.js", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_the_form_gets_the_servers_own_screening_patterns(client):
    served = await client.get("/app/screening-patterns.json")
    assert served.headers["content-type"].startswith("application/json")
    mine = screening_rules.raw()
    assert served.json()["patterns"] == [
        {k: v for k, v in p.items() if k != "note"} for p in mine["patterns"]
    ]
    assert served.json()["lists"] == mine["lists"]
    script = await client.get("/app/screening.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "SurveyScreening" in script.text


def test_the_app_shell_weighs_at_most_25_kb_gzipped():
    for qid in ("have-your-say", "staff-survey"):
        weight = webapp.page_weight(qid)
        assert weight["page_gzip"] + weight["worker_gzip"] <= SHELL_BUDGET, (qid, weight)
        assert weight["page_brotli"] < weight["page_gzip"]


def test_each_other_catalogue_weighs_at_most_4_kb_gzipped():
    # A page embeds only its questionnaire's catalogue; each other one is fetched gzipped.
    sizes = {
        tag: len(gzip.compress(body, 9))
        for tag, body in webapp.catalogues(webapp.STATIC_DIR).items()
        if tag != FALLBACK_LANGUAGE
    }
    assert {"pl", "ar"} <= sizes.keys()
    assert all(size <= CATALOGUE_BUDGET for size in sizes.values()), sizes


def placeholders(value: object) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {name for text in texts for name in re.findall(r"\{(\w+)\}", str(text))}


def test_every_catalogue_has_the_english_words_and_placeholders():
    english = json.loads((webapp.STATIC_DIR / "i18n" / "en.json").read_bytes())
    for tag, body in webapp.catalogues(webapp.STATIC_DIR).items():
        words = json.loads(body)
        assert words.keys() == english.keys(), tag
        for key, text in words.items():
            if key.startswith("_"):
                continue
            assert placeholders(text) == placeholders(english[key]), (tag, key)
            if isinstance(text, dict):
                assert "other" in text, (tag, key)  # the plural form every language has


async def test_catalogues_are_served_and_listed_in_the_page(client):
    response = await client.get("/app/i18n/ar.json")
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["start"] == "ابدأ"
    # A one-language form embeds English words only; the others stay on the server.
    assert list(page_data(await client.get("/q/every-type"))["words"]) == ["en"]
    missing = await client.get("/app/i18n/xx.json")
    assert missing.status_code == 404
    assert error_fields(missing) == ["path"]


def test_a_broken_catalogue_stops_start_up(tmp_path):
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "en.json").write_text('{"start": "Start"}')
    assert webapp.catalogues(tmp_path).keys() == {"en"}
    (tmp_path / "i18n" / "pl.json").write_text('["Zacznij"]')
    with pytest.raises(ValueError, match=r"pl\.json: not a JSON object"):
        webapp.catalogues(tmp_path)
    (tmp_path / "i18n" / "pl.json").unlink()
    (tmp_path / "i18n" / "en.json").unlink()
    with pytest.raises(ValueError, match=r"en\.json is missing"):
        webapp.catalogues(tmp_path)


def test_a_changed_catalogue_is_a_new_release(tmp_path):
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "en.json").write_text('{"start": "Start"}')
    before = webapp.app_version(tmp_path)
    (tmp_path / "i18n" / "en.json").write_text('{"start": "Begin"}')
    assert webapp.app_version(tmp_path) != before


def test_the_app_loads_nothing_from_elsewhere_and_has_no_inline_code():
    static = webapp.STATIC_DIR
    html = (static / "index.html").read_text()
    # In static/, code lives in files; the server inlines them, allowed by hash (below).
    assert re.findall(r"<script(?![^>]*\b(src=|type=\"application/json\"))", html) == []
    assert " style=" not in html
    assert "<style" not in html
    words = [f"i18n/{tag}.json" for tag in webapp.catalogues(static)]
    scripts = sorted(path.name for path in static.glob("*.js"))
    assert {"app.js", "sw.js", "outbox.js", "screening.js"} <= set(scripts)
    for name in ("index.html", "app.css", *scripts, *words):
        text = (static / name).read_text()
        external = set(re.findall(r"https?://[^\s\"')]+", text))
        # The only address outside the origin is where quick exit goes.
        assert external <= {"https://www.bbc.co.uk/weather"}, (name, external)
    for name in scripts:
        js = (static / name).read_text()
        for storage in ("localStorage", "sessionStorage", "document.cookie", "innerHTML"):
            assert storage not in js, (name, storage)  # answers live in memory or the outbox


def page_data(response) -> dict:
    found = re.search(
        r'<script type="application/json" id="data">(.*?)</script>', response.text, re.S
    )
    assert found, "the page carries no data block"
    return json.loads(found[1])


async def test_the_page_holds_everything_the_form_needs(client):
    page = await client.get("/q/every-type", headers={"accept-encoding": "br, gzip"})
    assert page.headers["content-encoding"] == "br"
    data = page_data(page)
    definition = (await client.get("/api/questionnaires/every-type")).json()
    assert data["state"] == "form"
    assert data["def"] == definition
    assert data["words"]["en"]["start"] == "Start"
    # No script or stylesheet to fetch: each is inline, and the page's own policy allows
    # exactly those texts by hash, with no 'unsafe-inline'.
    assert 'src="/app/' not in page.text
    assert 'rel="stylesheet"' not in page.text
    policy = page.headers["content-security-policy"]
    assert policy.startswith("default-src 'self'")
    assert "unsafe-inline" not in policy
    for tag in ("script", "style"):
        inline = re.findall(rf'<{tag}(?: type="module")?>(.*?)</{tag}>', page.text, re.S)
        assert inline, tag
        for body in inline:
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy, tag


async def test_definitions_travel_compressed(client):
    for path in ("/api/questionnaires/every-type", "/api/questionnaires/every-type/versions/1"):
        response = await client.get(path, headers={"accept-encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip", path


async def test_a_trailing_slash_opens_the_same_form(client):
    plain = await client.get("/q/every-type")
    slashed = await client.get("/q/every-type/")
    assert slashed.status_code == 200
    assert slashed.content == plain.content


async def test_a_person_following_a_bad_link_gets_help_not_json(client):
    page = await client.get("/q/no-such-form", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    data = page_data(page)
    assert data["state"] == "missing"
    assert data["def"] is None
    assert 'href="tel:999"' in page.text
    assert 'href="tel:08001111"' in page.text


async def test_the_installed_app_is_named_after_its_questionnaire(client):
    manifest = (await client.get("/q/staff/manifest.webmanifest")).json()
    assert manifest["name"] == "Practice survey"
    page = await client.get("/q/staff")
    assert "<title>Practice survey</title>" in page.text


async def test_a_closed_form_says_so_and_a_retirement_changes_the_page(client):
    open_page = await client.get("/q/every-type", headers={"accept": "text/html"})
    assert page_data(open_page)["state"] == "form"
    # As `survey-service retire` leaves it once the service has refreshed.
    client.app.state.registry.set_retired([("every-type", 1)])
    closed = await client.get("/q/every-type", headers={"accept": "text/html"})
    assert closed.status_code == 404
    assert page_data(closed)["state"] == "closed"
    assert 'href="tel:999"' in closed.text
