"""Rule 4: a young people's questionnaire that asks for something identifying does not load."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_service.confidentiality import safe_questions
from survey_service.questionnaires import (
    Choice,
    Question,
    Questionnaire,
    QuestionnaireError,
    Section,
    Support,
    load_dir,
)

BUNDLED = Path(__file__).parent.parent / "questionnaires"
YES_NO = [Choice("yes", "Yes"), Choice("no", "No")]


def questionnaire(*questions: Question, audience: str = "young_people") -> Questionnaire:
    return Questionnaire(
        id="demo",
        version=1,
        audience=audience,  # type: ignore[arg-type]
        title="Have your say",
        intro="Anonymous.",
        support=[Support(name="Childline", phone="0800 1111")],
        sections=[Section(title="Views", questions=list(questions))],
    )


def text_question(text: str, qid: str = "q1") -> Question:
    return Question(id=qid, type="short_text", text=text)


def problems(*questions: Question, audience: str = "young_people") -> list[tuple[str | None, str]]:
    return list(safe_questions.check(questionnaire(*questions, audience=audience)))


TEXTS = [
    # (question text, kind it asks for or None)
    ("What is your name?", "a name"),
    ("Your full name", "a name"),
    ("What's your surname?", "a name"),
    ("What do people call you?", "a name"),
    ("Name of your social worker", "a name"),
    ("Which school do you go to?", "a school"),
    ("What school are you at?", "a school"),
    ("Your postcode", "a postcode"),
    ("What is your post code?", "a postcode"),
    ("What is your date of birth?", "a date of birth"),
    ("When is your birthday?", "a date of birth"),
    ("When were you born?", "a date of birth"),
    ("What's your Instagram/Snapchat username?", "a social media handle"),
    ("Your Snapchat user-name", "a social media handle"),
    ("What is your phone number?", "a phone number"),
    ("Mobile number (optional)", "a phone number"),
    ("Your email address", "an email address"),
    ("What is your e-mail?", "an email address"),
    ("What is your home address?", "an address"),
    ("NAME", "a name"),
    # Not identifying: whole words only, and ordinary questions about help and safety.
    ("What would make services better?", None),
    ("Who would you go to for help?", None),
    ("Was the place unnamed?", None),
    ("Did you learn about CSE at school?", None),
    ("Has anyone contacted you by email or text?", None),
    ("Do you feel safe on your phone?", None),
    ("How do you handle worries?", None),
    ("Do you feel safe where you live?", None),
    ("What has helped you feel safer?", None),
    ("How old were you when you first got help?", None),
    ("Did you know about helplines like Childline?", None),
    ("Is there anything else you want to tell us?", None),
]


@pytest.mark.parametrize(("text", "kind"), TEXTS)
def test_identifying_questions_are_found_by_whole_words(text: str, kind: str | None):
    found = problems(text_question(text))
    if kind is None:
        assert found == []
    else:
        assert len(found) == 1
        qid, reason = found[0]
        assert qid == "q1"
        assert reason.startswith(f"rule 4: asks for {kind} (")
        assert reason.endswith("young people's questionnaires must not")


@pytest.mark.parametrize(
    ("qid", "kind"),
    [("first_name", "a name"), ("school_name", "a school"), ("postcode", "a postcode")],
)
def test_ids_count_too(qid: str, kind: str):
    [(_, reason)] = problems(text_question("Tell us", qid=qid))
    assert f"asks for {kind} (" in reason
    assert "in the id" in reason


def test_a_hint_may_warn_against_names():
    q = Question(id="q1", type="long_text", text="Tell us more", hint="Don't write any names")
    assert problems(q) == []


def test_the_reason_says_which_words_matched():
    [(_, reason)] = problems(text_question("What is your name?"))
    assert reason == (
        "rule 4: asks for a name ('name' in the text); young people's questionnaires must not"
    )


@pytest.mark.parametrize("qtype", ["number", "scale"])
@pytest.mark.parametrize(("qid", "text"), [("age", "How many?"), ("q1", "How old are you?")])
def test_an_exact_age_is_refused(qtype: str, qid: str, text: str):
    q = Question(id=qid, type=qtype, text=text, min=12, max=17, min_label="a", max_label="b")
    [(found, reason)] = problems(q)
    assert found == qid
    assert reason.startswith("rule 4: asks for an exact age")
    assert "age bands" in reason


def test_age_bands_and_other_numbers_are_fine():
    bands = Question(
        id="age_band",
        type="single_choice",
        text="How old are you?",
        choices=[Choice("12_13", "12-13"), Choice("14_15", "14-15"), Choice("prefer_not", "-")],
        quasi_identifier=True,
    )
    times = Question(id="times", type="number", text="How many times did you move?", min=0, max=20)
    assert problems(bands, times) == []


def test_a_required_question_is_refused():
    [(_, reason)] = problems(
        Question(id="q1", type="single_choice", text="Ok?", choices=YES_NO, required=True)
    )
    assert reason.startswith("rule 4: is required")


def test_a_quasi_identifier_must_offer_prefer_not_to_say():
    q = Question(
        id="gender", type="single_choice", text="Gender", choices=YES_NO, quasi_identifier=True
    )
    [(_, reason)] = problems(q)
    assert reason.startswith("rule 4: is a quasi-identifier without a 'prefer_not' choice")


def test_staff_questionnaires_are_not_checked():
    q = Question(id="name", type="short_text", text="Your name", required=True)
    assert problems(q, audience="staff") == []


def test_every_problem_is_reported_for_a_question():
    q = Question(id="q1", type="number", text="Your age", min=1, max=99, required=True)
    reasons = [reason for _, reason in problems(q)]
    assert len(reasons) == 2
    assert reasons[0].startswith("rule 4: is required")
    assert reasons[1].startswith("rule 4: asks for an exact age")


def test_the_bundled_questionnaires_pass():
    versions = load_dir(BUNDLED, checks=[safe_questions.check])
    assert any(q.audience == "young_people" for _, q in versions.values())


def test_loading_reports_the_question_and_the_rule(tmp_path: Path):
    source = (BUNDLED / "young-people-v1.toml").read_text(encoding="utf-8")
    bad = source.replace('"Is there anything else you want to tell us?"', '"Your postcode?"')
    assert bad != source
    (tmp_path / "yp.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(
        QuestionnaireError, match=r"question 'anything_else': rule 4: asks for a po"
    ):
        load_dir(tmp_path, checks=[safe_questions.check])


def test_the_package_exports_the_rules():
    import survey_service.confidentiality as conf

    assert conf.check_safe_questions is safe_questions.check
    assert all(hasattr(conf, name) for name in conf.__all__)
