"""Loading questionnaire files: every problem names the file, the question and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_service.questionnaires import (
    QuestionnaireError,
    canonical_bytes,
    content_hash,
    load_dir,
    parse,
)
from tests.conftest import FIXTURE_QUESTIONNAIRES

HEAD = """
id = "demo"
version = 1
audience = "{audience}"
title = "Have your say"
intro = "Anonymous."
[[support]]
name = "Childline"
phone = "0800 1111"
[[sections]]
title = "Views"
"""

CHOICE = """
[[sections.questions]]
id = "q1"
type = "single_choice"
text = "Does this fit?"
choices = [{code = "yes", label = "Yes"}, {code = "no", label = "No"}]
"""


def demo(questions: str, audience: str = "young_people", head: str = HEAD) -> str:
    return head.format(audience=audience) + questions


def test_every_question_type_loads():
    versions = load_dir(FIXTURE_QUESTIONNAIRES)
    every = versions[("every-type", 1)][1]
    types = {q.type for q in every.questions()}
    assert types == {
        "single_choice",
        "multiple_choice",
        "scale",
        "number",
        "short_text",
        "long_text",
    }


INVALID = [
    # (questions TOML, question named, words in the reason)
    (CHOICE + CHOICE, "q1", "duplicate question id"),
    (
        CHOICE.replace(
            'choices = [{code = "yes", label = "Yes"}, {code = "no", label = "No"}]', "choices = []"
        ),
        "q1",
        "choices are empty",
    ),
    (CHOICE.replace('"no", label', '"yes", label'), "q1", "codes repeat"),
    (CHOICE.replace('code = "no"', 'code = "No!"'), "q1", "lower-case"),
    (CHOICE.replace('label = "No"', 'label = " "'), "q1", "empty label"),
    (CHOICE.replace('"single_choice"', '"yes_no"'), "q1", "invalid value 'yes_no' (one of: "),
    (CHOICE.replace('text = "Does this fit?"', 'text = "Fits?"\ncolour = "red"'), "q1", "unknown"),
    (CHOICE.replace('text = "Does this fit?"', 'text = ""'), "q1", "text is empty"),
    (CHOICE.replace('id = "q1"', 'id = "Q 1"'), "Q 1", "must start with a letter"),
    (
        CHOICE + '[[sections.questions]]\nid = "n"\ntype = "number"\ntext = "How many?"\n',
        "n",
        "needs min and max",
    ),
    (
        CHOICE + '[[sections.questions]]\nid = "n"\ntype = "number"\ntext = "How many?"\n'
        "min = 5\nmax = 5\n",
        "n",
        "must be below max",
    ),
    (
        CHOICE + '[[sections.questions]]\nid = "s"\ntype = "scale"\ntext = "How much?"\n'
        "min = 1\nmax = 5\n",
        "s",
        "min_label and max_label",
    ),
    (
        CHOICE + '[[sections.questions]]\nid = "s"\ntype = "scale"\ntext = "How much?"\n'
        'min = 0\nmax = 20\nmin_label = "a"\nmax_label = "b"\n',
        "s",
        "at most 11 points",
    ),
    (
        CHOICE + '[[sections.questions]]\nid = "t"\ntype = "short_text"\ntext = "Say"\nmin = 1\n',
        "t",
        "only for scale and number",
    ),
    (
        CHOICE + '[[sections.questions]]\nid = "t"\ntype = "long_text"\ntext = "Say"\n'
        'choices = [{code = "a", label = "A"}]\n',
        "t",
        "only for choice questions",
    ),
    (
        CHOICE + '[[sections.questions]]\nid = "t"\ntype = "long_text"\ntext = "Why?"\n'
        'show_if = {question = "zz", codes = ["yes"]}\n',
        "t",
        "not an earlier choice question",
    ),
    (
        CHOICE + '[[sections.questions]]\nid = "t"\ntype = "long_text"\ntext = "Why?"\n'
        'show_if = {question = "q1", codes = ["maybe"]}\n',
        "t",
        "not choices of 'q1'",
    ),
    (
        CHOICE + '[[sections.questions]]\nid = "t"\ntype = "long_text"\ntext = "Why?"\n'
        'show_if = {question = "q1", codes = []}\n',
        "t",
        "lists no codes",
    ),
    (
        '[[sections.questions]]\nid = "t"\ntype = "long_text"\ntext = "Why?"\n'
        'show_if = {question = "q1", codes = ["yes"]}\n' + CHOICE,
        "t",
        "earlier choice question",
    ),
    (
        CHOICE.replace('text = "Does this fit?"', 'text = "Fits?"\nrequired = true'),
        "q1",
        "staff questionnaires only",
    ),
    (
        CHOICE.replace(
            '{code = "no", label = "No"}', '{code = "no", label = "No", exclusive = true}'
        ),
        "q1",
        "exclusive is only for multiple_choice",
    ),
    (
        CHOICE.replace('"single_choice"', '"multiple_choice"')
        .replace('label = "Yes"}', 'label = "Yes", exclusive = true}')
        .replace('label = "No"}', 'label = "No", exclusive = true}'),
        "q1",
        "every choice is exclusive",
    ),
    (
        CHOICE.replace('text = "Does this fit?"', 'text = "Fits?"\nquasi_identifier = true')
        + '[[sections.questions]]\nid = "age"\ntype = "short_text"\ntext = "Age band?"\n'
        "quasi_identifier = true\n",
        "age",
        "must be single_choice",
    ),
]


@pytest.mark.parametrize(("questions", "question", "words"), INVALID)
def test_invalid_definitions_name_file_question_and_reason(questions, question, words):
    with pytest.raises(QuestionnaireError) as caught:
        parse(demo(questions), "questionnaires/demo.toml")
    message = str(caught.value)
    assert message.startswith("questionnaires/demo.toml: ")
    assert f"'{question}'" in message
    assert words in message


WHOLE_FILE = [
    (HEAD.replace("version = 1", "version = 0"), "version must be"),
    (HEAD.replace('id = "demo"', 'id = "Demo Survey"'), "id 'Demo Survey'"),
    (HEAD.replace('audience = "{audience}"', 'audience = "parents"'), "audience: invalid value"),
    (HEAD.split("[[support]]")[0] + "[[sections]]\ntitle = 'Views'\n", "support contacts"),
    (HEAD.replace('phone = "0800 1111"', ""), "needs a phone, url or text"),
    (HEAD.split("[[sections]]")[0], "has no sections"),
    (HEAD + "oops = [", "not valid TOML"),
]


@pytest.mark.parametrize(("head", "words"), WHOLE_FILE)
def test_file_level_problems_name_the_file(head, words):
    text = head.format(audience="young_people")
    if "[[sections]]" in text and "questions" not in text:
        text += CHOICE
    with pytest.raises(QuestionnaireError) as caught:
        parse(text, "q.toml")
    assert str(caught.value).startswith("q.toml: ")
    assert words in str(caught.value)


def test_required_is_allowed_for_staff():
    text = demo(
        CHOICE.replace('text = "Does this fit?"', 'text = "Fits?"\nrequired = true'),
        audience="staff",
    )
    assert next(iter(parse(text, "s.toml").questions())).required


def test_every_toml_file_loads_whatever_its_name(tmp_path: Path):
    (tmp_path / "anything at all.toml").write_text(demo(CHOICE), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a questionnaire", encoding="utf-8")
    assert list(load_dir(tmp_path)) == [("demo", 1)]


def test_two_files_with_the_same_version_are_refused(tmp_path: Path):
    (tmp_path / "a.toml").write_text(demo(CHOICE), encoding="utf-8")
    (tmp_path / "b.toml").write_text(demo(CHOICE), encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"defines demo version 1, which .*a\.toml"):
        load_dir(tmp_path)


def test_comments_and_layout_do_not_change_the_content_hash():
    plain = parse(demo(CHOICE), "a.toml")
    commented = parse("# a comment\n\n" + demo(CHOICE).replace("\n", "\n\n"), "b.toml")
    assert canonical_bytes(plain) == canonical_bytes(commented)
    reworded = parse(demo(CHOICE.replace("Does this fit?", "Does it fit?")), "c.toml")
    assert content_hash(reworded) != content_hash(plain)


def test_exclusive_is_kept_and_old_files_hash_as_before():
    many = CHOICE.replace('"single_choice"', '"multiple_choice"')
    flagged = many.replace('label = "No"}', 'label = "No", exclusive = true}')
    q = parse(demo(flagged), "a.toml")
    assert [c.exclusive for c in next(iter(q.questions())).choices or ()] == [False, True]
    # A choice that leaves exclusive out encodes exactly as before the flag existed, so no
    # published version's hash changes.
    assert b"exclusive" not in canonical_bytes(parse(demo(many), "b.toml"))
    assert b'"exclusive":true' in canonical_bytes(q)
