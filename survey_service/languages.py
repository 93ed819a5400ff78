"""Questionnaires in more than one language: language tags, text tables, translation keys; pure.

A file that declares `languages = ["en", "pl", "ar"]` (the first is the default) gives every
text a respondent sees as a table, `text = {en = "…", pl = "…", ar = "…"}`. Loading keeps the
default language's text where a plain string would be, so code that reads `question.text`
sees one language, and collects the others into `translations`: language -> key -> text, with
flat keys such as `title`, `section.0.title`, `q.<id>.text` and
`q.<id>.choice.<code>` (see `_slots`). Codes, ids, phone numbers and web addresses never change
with language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# BCP 47 as councils need it: language, optional script, optional region, in canonical case
# (en, pt-BR, zh-Hant, sr-Latn-RS, ckb). Canonical case lets the app compare tags plainly.
TAG = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|[0-9]{3}))?$")


class TextProblem(ValueError):
    """A problem with a questionnaire's languages; `question` names the question if any."""

    def __init__(self, reason: str, question: str | None = None):
        self.reason, self.question = reason, question
        super().__init__(reason)


# Where a text sits in the raw file: (flat key, what to call it in a message, question id).
Place = tuple[str, str, str | None]
Slot = tuple[dict[str, Any], str, Place]


def split_texts(raw: dict[str, Any]) -> None:
    """Replace each text table in a freshly parsed file by its default language's text and
    put the other languages' texts in raw["translations"]. Raises TextProblem."""
    if "translations" in raw:
        raise TextProblem(
            "translations is made from the texts: write each text as a table "
            '{en = "…", pl = "…"} instead'
        )
    declared = raw.get("languages")
    if declared is None:
        for holder, field, (_, where, question) in _slots(raw):
            if isinstance(holder[field], dict):
                raise TextProblem(
                    f"{where} is a table of languages, but the file declares no "
                    'languages: add languages = ["en", …] at the top, default first',
                    question,
                )
        return
    languages = check_languages(declared)
    default, others = languages[0], languages[1:]
    translations: dict[str, dict[str, str]] = {lang: {} for lang in others}
    for holder, field, (key, where, question) in _slots(raw):
        texts = _table(holder[field], languages, where, question)
        holder[field] = texts[default]
        for lang in others:
            translations[lang][key] = texts[lang]
    if others:
        raw["translations"] = translations


def check_languages(declared: Any) -> list[str]:
    if not isinstance(declared, list) or not declared:
        raise TextProblem('languages must be a list of language tags, like ["en", "pl", "ar"]')
    for tag in declared:
        if not isinstance(tag, str) or not TAG.match(tag):
            raise TextProblem(
                f"languages: {tag!r} is not a language tag like en, so, ar or pt-BR "
                "(lower-case language, then an optional Script and REGION)"
            )
    if len(set(declared)) != len(declared):
        raise TextProblem("languages: a language is listed twice")
    return list(declared)


def _table(value: Any, languages: list[str], where: str, question: str | None) -> dict[str, str]:
    listed = ", ".join(languages)
    if isinstance(value, str):
        raise TextProblem(
            f"{where} is a plain string, but the file declares languages {listed}: write it "
            f'as {{{languages[0]} = "…", …}} (missing: {", ".join(languages[1:]) or "none"})',
            question,
        )
    if not isinstance(value, dict):
        raise TextProblem(f"{where} must be a table of texts by language ({listed})", question)
    unknown = [lang for lang in value if lang not in languages]
    if unknown:
        raise TextProblem(
            f"{where} gives '{unknown[0]}', which is not one of the languages ({listed})", question
        )
    for lang in languages:
        if lang not in value:
            raise TextProblem(f"{where} has no '{lang}' text (languages: {listed})", question)
        text = value[lang]
        if not isinstance(text, str):
            raise TextProblem(f"{where}: the '{lang}' text must be a string", question)
        if not text.strip():
            raise TextProblem(f"{where}: the '{lang}' text is empty", question)
    return {lang: value[lang] for lang in languages}


def _slots(raw: dict[str, Any]) -> Iterator[Slot]:
    """Every respondent-visible text the file gives, with its flat key. Shapes that are wrong
    are skipped here: the struct conversion that follows reports them properly."""
    for field in ("title", "intro"):
        if field in raw:
            yield raw, field, (field, field, None)
    for i, support in enumerate(_dicts(raw.get("support"))):
        for field in ("name", "text"):
            if support.get(field) is not None:
                yield support, field, (f"support.{i}.{field}", f"support {i + 1} {field}", None)
    for i, section in enumerate(_dicts(raw.get("sections"))):
        if "title" in section:
            yield section, "title", (f"section.{i}.title", f"section {i + 1} title", None)
        for question in _dicts(section.get("questions")):
            qid = str(question.get("id", "?"))
            for field in ("text", "hint", "min_label", "max_label"):
                if question.get(field) is not None:
                    yield question, field, (f"q.{qid}.{field}", field, qid)
            for choice in _dicts(question.get("choices")):
                code = str(choice.get("code", "?"))
                if "label" in choice:
                    place = (f"q.{qid}.choice.{code}", f"choice '{code}' label", qid)
                    yield choice, "label", place


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
