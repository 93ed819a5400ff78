"""Rule 5's review step, pure: the words of a screened answer, which of them a reviewer sees
highlighted (and why), and the answer with the chosen ones redacted."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey_service.confidentiality import redaction


def flagged(text: str) -> dict[str, tuple[str | None, bool]]:
    return {w.text: (w.suspect, w.sure) for w in redaction.read(text).words if w.suspect}


# (answer as stored, {word: (what it may be, ticked from the start)} for every highlighted word)
HIGHLIGHTS = [
    # What today's screening would replace: sure, so the form ticks it already.
    ("my social worker Karen Jones was kind", {"Karen": ("name", True), "Jones": ("name", True)}),
    ("see www.example.com for it", {"www.example.com": ("url", True)}),
    # What only the form's hints suggest: highlighted, left for the reviewer to decide.
    # (Names in the server's lists are sure: these are in none of them.)
    ("me and zorb went", {"zorb": ("maybe_name", False)}),
    ("Wibbleton was there", {"Wibbleton": ("maybe_name", False)}),
    ("Sometimes it was hard", {"Sometimes": ("maybe_name", False)}),  # often wrong: left to decide
    ("the code was 4417 2290 11", {k: ("maybe_number", False) for k in ("4417", "2290", "11")}),
    ("add me at x@", {"x": ("maybe_contact", False)}),
    # Left alone: helplines, common words, what screening already replaced, ordinary words.
    ("Childline 0800 1111 helped", {}),
    ("My mum and dad were there", {}),
    ("[name] said [phone] was theirs", {}),
    ("It was fine", {}),
]


@pytest.mark.parametrize(("text", "expected"), HIGHLIGHTS)
def test_the_review_page_highlights_what_may_still_identify_someone(text, expected):
    assert flagged(text) == expected


def test_a_reading_gives_back_the_text_word_by_word_and_markers_are_not_words():
    text = "Hi, [name] met O'Neil (Jean-Paul) at 07700.900."
    reading = redaction.read(text)
    assert [w.text for w in reading.words] == [
        "Hi",
        "met",
        "O'Neil",
        "Jean-Paul",
        "at",
        "07700.900",
    ]
    assert [w.index for w in reading.words] == list(range(6))
    assert "".join(w.before + w.text for w in reading.words) + reading.after == text
    assert reading.words[1].before == ", [name] "
    labelled = {w.text: w.label for w in reading.words if w.suspect}
    assert labelled == {
        "O'Neil": "a name",  # in the server's lists of names
        "Jean-Paul": "maybe a name",
        "07700.900": "maybe a number that identifies someone",
    }


# (answer, words chosen by index, the text as approved, markers made)
REDACTIONS = [
    ("Karen Jones helped me", {0, 1}, "[redacted] helped me", 1),  # one marker for a name
    ("Karen, Jones helped", {0, 1}, "[redacted], [redacted] helped", 2),  # punctuation between
    ("ask Karen at Oak Road", {1, 3, 4}, "ask [redacted] at [redacted]", 2),
    ("it was fine", set(), "it was fine", 0),
    ("[name] and Sam came", {0}, "[name] [redacted] Sam came", 1),  # indexes skip markers
    ("end with Sam.", {2}, "end with [redacted].", 1),
    ("Sam", {0, 7, -1}, "[redacted]", 1),  # indexes past the words change nothing
]


@pytest.mark.parametrize(("text", "chosen", "approved", "markers"), REDACTIONS)
def test_chosen_words_become_one_marker_per_run(text, chosen, approved, markers):
    assert redaction.redact(text, chosen) == (approved, markers)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_redacting_every_word_leaves_no_letter_or_digit_outside_a_marker(text):
    out, _ = redaction.redact(text, set(range(len(redaction.words(text)))))
    outside = re.sub(r"\[[a-z_]+\]", "", out)
    assert not any(ch.isalnum() for ch in outside)


# (answer, what a reviewer typed, the words it names)
PHRASES = [
    ("Ask Karen Jones or karen jones", "karen  JONES", {1, 2, 4, 5}),
    ("Ask Karen Jones", "Karen, Jones", {1, 2}),  # punctuation typed between is no matter
    ("Ask Joanne", "Jo", set()),  # a whole word or nothing
    ("Ask Karen", "Bob", set()),
    ("Ask Karen", "  ", set()),
]


@pytest.mark.parametrize(("text", "phrase", "expected"), PHRASES)
def test_typed_words_are_found_wherever_they_appear(text, phrase, expected):
    assert redaction.find(text, phrase) == expected
