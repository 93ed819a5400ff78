"""Questionnaires in more than one language: the text tables, their errors, hashes and versions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from survey_service import registry
from survey_service.questionnaires import (
    QuestionnaireError,
    canonical_bytes,
    content_hash,
    load_file,
    parse,
)
from tests.conftest import FIXTURE_QUESTIONNAIRES, response_body
from tests.support.questionnaires import questions_by_id

ROOT = Path(__file__).resolve().parent.parent
MULTILINGUAL = Path(__file__).parent / "browser" / "questionnaires" / "multilingual.toml"

HEAD = """
id = "demo"
version = 1
audience = "young_people"
languages = ["en", "pl", "ar"]
title = {en = "Have your say", pl = "Powiedz nam", ar = "شاركنا رأيك"}
intro = {en = "Anonymous.", pl = "Anonimowo.", ar = "بدون اسم."}
[[support]]
name = {en = "Childline", pl = "Childline", ar = "تشايلدلاين"}
phone = "0800 1111"
text = {en = "Free", pl = "Za darmo", ar = "مجاني"}
[[sections]]
title = {en = "Views", pl = "Opinie", ar = "آراء"}
"""

QUESTION = """
[[sections.questions]]
id = "fits"
type = "single_choice"
text = {en = "Does this fit?", pl = "Czy to pasuje?", ar = "هل هذا مناسب؟"}
choices = [
  {code = "yes", label = {en = "Yes", pl = "Tak", ar = "نعم"}},
  {code = "no", label = {en = "No", pl = "Nie", ar = "لا"}},
]
"""


ENGLISH_ONLY = """
id = "demo"
version = 1
audience = "young_people"
title = "Have your say"
intro = "Anonymous."
[[support]]
name = "Childline"
phone = "0800 1111"
text = "Free"
[[sections]]
title = "Views"
[[sections.questions]]
id = "fits"
type = "single_choice"
text = "Does this fit?"
choices = [{code = "yes", label = "Yes"}, {code = "no", label = "No"}]
"""


def demo(head: str = HEAD, question: str = QUESTION) -> str:
    return head + question


def test_the_default_language_fills_the_plain_fields_and_the_others_go_to_translations():
    q = load_file(MULTILINGUAL, registry.LOAD_CHECKS)
    assert q.languages == ["en", "pl", "ar"]
    assert q.title == "Your check-in"
    questions = questions_by_id(q)
    assert questions["age_band"].text == "How old are you?"
    assert questions["age_band"].codes() == ["12_13", "14_15", "16_17", "prefer_not"]
    assert questions["worker_help"].min_label == "Not at all"
    assert set(q.translations) == {"pl", "ar"}  # the default is not repeated
    arabic = q.translations["ar"]
    assert arabic["title"] == "استبيانك"
    assert arabic["q.age_band.choice.prefer_not"] == "أفضّل عدم الإجابة"
    assert arabic["q.worker_help.max_label"] == "كثيرًا"
    assert q.translations["pl"]["section.1.title"] == "Poczucie bezpieczeństwa"
    assert q.translations["pl"]["support.0.text"] == "Bezpłatnie i poufnie, o każdej porze"
    # Every language has exactly the same keys: one for each text a respondent sees.
    assert q.translations["pl"].keys() == arabic.keys()
    assert {k for k in arabic if k.startswith("q.safe_places.")} == {
        "q.safe_places.text",
        "q.safe_places.hint",
        *(f"q.safe_places.choice.{c}" for c in ("home", "school", "online", "prefer_not")),
    }
    assert "support.0.phone" not in arabic  # phone numbers and addresses are not translated


def test_a_single_language_file_keeps_its_published_hash():
    """Pinned hashes of files published before languages existed: they must never move, or
    every running service would refuse to start (published versions are immutable)."""
    pinned = {
        ROOT / "questionnaires" / "young-people-v1.toml": "43ea3e04d4c50e90a0fac363472a7b3f",
        ROOT / "questionnaires" / "staff-v1.toml": "58272fe97f79358f81e1dae07f485b98",
        FIXTURE_QUESTIONNAIRES / "every-type-v1.toml": "52c45e9405e1621964596924d78e1a29",
    }
    for path, digest in pinned.items():
        q = load_file(path)
        assert content_hash(q).startswith(digest), path
        assert b"languages" not in canonical_bytes(q)
        assert b"translations" not in canonical_bytes(q)


INVALID = [
    # (file text, question named or None, words in the reason)
    (
        demo(question=QUESTION.replace('{en = "Does this fit?", pl = "Czy to pasuje?", ', "{")),
        "fits",
        "has no 'en' text",
    ),
    (
        demo(question=QUESTION.replace(', ar = "هل هذا مناسب؟"', "")),
        "fits",
        "text has no 'ar' text",
    ),
    (
        demo(question=QUESTION.replace(', ar = "لا"', "")),
        "fits",
        "choice 'no' label has no 'ar' text",
    ),
    (
        demo(question=QUESTION.replace('{en = "Yes", pl = "Tak", ar = "نعم"}', '"Yes"')),
        "fits",
        "choice 'yes' label is a plain string, but the file declares languages en, pl, ar",
    ),
    (
        demo(question=QUESTION.replace('pl = "Tak"', 'pl = "Tak", de = "Ja"')),
        "fits",
        "gives 'de', which is not one of the languages",
    ),
    (
        demo(question=QUESTION.replace('pl = "Czy to pasuje?"', 'pl = "  "')),
        "fits",
        "the 'pl' text is empty",
    ),
    (
        demo(question=QUESTION.replace('pl = "Czy to pasuje?"', "pl = 3")),
        "fits",
        "the 'pl' text must be a string",
    ),
    (demo(HEAD.replace(', ar = "آراء"', "")), None, "section 1 title has no 'ar' text"),
    (demo(HEAD.replace(', ar = "مجاني"', "")), None, "support 1 text has no 'ar' text"),
    (
        demo(
            HEAD.replace(
                'intro = {en = "Anonymous.", pl = "Anonimowo.", ar = "بدون اسم."}',
                'intro = "Anonymous."',
            )
        ),
        None,
        "intro is a plain string, but the file declares languages en, pl, ar: write it as "
        '{en = "…", …} (missing: pl, ar)',
    ),
    (
        demo(HEAD.replace('["en", "pl", "ar"]', '["en", "PL", "ar"]')),
        None,
        "'PL' is not a language tag",
    ),
    (demo(HEAD.replace('["en", "pl", "ar"]', '["en", "pl", "pl"]')), None, "listed twice"),
    (demo(HEAD.replace('["en", "pl", "ar"]', "[]")), None, "languages must be a list"),
    (demo(HEAD.replace('["en", "pl", "ar"]', '"en"')), None, "languages must be a list"),
    (
        demo(HEAD.replace('languages = ["en", "pl", "ar"]\n', "")),
        None,
        "title is a table of languages, but the file declares no languages",
    ),
    (
        demo() + '[translations.pl]\ntitle = "x"\n',
        None,
        "translations is made from the texts",
    ),
]


@pytest.mark.parametrize(("text", "question", "words"), INVALID)
def test_a_text_missing_in_a_language_names_file_question_and_language(text, question, words):
    with pytest.raises(QuestionnaireError) as caught:
        parse(text, "demo.toml", registry.LOAD_CHECKS)
    error = caught.value
    assert error.source == "demo.toml"
    assert error.question == question
    assert words in error.reason
    assert str(error).startswith("demo.toml: ")


@pytest.mark.parametrize("tag", ["en", "so", "ckb", "pt-BR", "zh-Hant", "sr-Latn-RS", "es-419"])
def test_language_tags_in_canonical_case_are_accepted(tag: str):
    text = (
        demo()
        .replace('["en", "pl", "ar"]', f'["{tag}", "pl", "ar"]')
        .replace("en = ", f'"{tag}" = ')
    )
    assert parse(text, "demo.toml").languages[0] == tag


def test_codes_and_ids_are_the_same_in_every_language():
    q = parse(demo(), "demo.toml")
    assert questions_by_id(q)["fits"].codes() == ["yes", "no"]
    assert q.translations["ar"]["q.fits.choice.yes"] == "نعم"


async def test_adding_a_language_to_a_published_version_needs_a_new_version(store, tmp_path: Path):
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    english = ENGLISH_ONLY
    path = folder / "demo-v1.toml"
    path.write_text(english, encoding="utf-8")
    await registry.publish(store, folder)

    path.write_text(demo(), encoding="utf-8")  # the same version, now in three languages
    with pytest.raises(registry.PublishedVersionChanged) as caught:
        await registry.publish(store, folder)
    assert "version = 2" in str(caught.value)

    path.write_text(english, encoding="utf-8")
    (folder / "demo-v2.toml").write_text(
        demo().replace("version = 1", "version = 2"), encoding="utf-8"
    )
    reg = await registry.publish(store, folder)
    first, second = reg.get("demo", 1), reg.get("demo", 2)
    assert first is not None
    assert second is not None
    assert first.languages == []
    assert second.languages == ["en", "pl", "ar"]
    assert first.title == second.title == "Have your say"


@pytest.fixture
def questionnaires_dir(questionnaires_dir: Path) -> Path:
    """The API fixtures plus the multilingual one."""
    shutil.copy(MULTILINGUAL, questionnaires_dir / "multilingual.toml")
    return questionnaires_dir


async def test_the_definition_carries_every_language(client):
    body = (await client.get("/api/questionnaires/multilingual")).json()
    assert body["languages"] == ["en", "pl", "ar"]
    assert body["title"] == "Your check-in"
    assert body["translations"]["ar"]["q.has_worker.choice.yes"] == "نعم"
    assert body["translations"]["pl"]["q.worker_help.min_label"] == "Wcale"
    single = (await client.get("/api/questionnaires/every-type")).json()
    assert "languages" not in single
    assert "translations" not in single


def answer(questionnaire: str = "multilingual", **extra: object) -> dict[str, object]:
    return {**response_body(questionnaire, age_band="14_15"), **extra}


@pytest.mark.parametrize("language", ["en", "pl", "ar", None])
async def test_a_response_may_name_one_of_its_questionnaires_languages(client, language):
    body = answer() if language is None else answer(language=language)
    response = await client.post("/api/responses", json=body)
    assert response.status_code == 201, response.text
    again = await client.post("/api/responses", json=body)
    assert again.json()["status"] == "duplicate"


LANGUAGE_REFUSED = [
    # (questionnaire, language sent, words in the message)
    ("multilingual", "de", "one of this questionnaire's languages: en, pl, ar"),
    ("multilingual", "AR", "one of this questionnaire's languages"),
    ("multilingual", "", "one of this questionnaire's languages"),
    ("every-type", "en", "this questionnaire has one language"),
]


@pytest.mark.parametrize(("questionnaire", "language", "words"), LANGUAGE_REFUSED)
async def test_any_other_language_is_422_naming_language(client, questionnaire, language, words):
    body = answer(questionnaire, language=language)
    if questionnaire == "every-type":
        body["answers"] = {"fits": "yes"}
    response = await client.post("/api/responses", json=body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["language"]
    assert words in errors[0]["message"]


async def test_a_language_that_is_not_a_string_is_422_naming_language(client):
    response = await client.post("/api/responses", json=answer(language=["ar"]))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["language"]


async def test_the_same_id_in_another_language_is_a_conflict(client):
    body = answer(language="pl")
    assert (await client.post("/api/responses", json=body)).status_code == 201
    response = await client.post("/api/responses", json={**body, "language": "ar"})
    assert response.status_code == 409
