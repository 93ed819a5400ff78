"""Rule 5: personal data in free text is replaced by a typed marker; everyday numbers are not."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_service.confidentiality import screening
from survey_service.confidentiality.screening import (
    HELPLINES,
    KINDS,
    is_nhs_number,
    looks_personal,
    screen,
)

# Numbers here are Ofcom's drama ranges, NHS Digital's test range and made-up addresses.
CASES = [
    # email
    ("jo.bloggs@example.com", "[email]"),
    ("email me at jo.bloggs@example.co.uk.", "email me at [email]."),
    ("JO+x@mail.example.org", "[email]"),
    # phone: every usual UK spelling
    ("call 07700 900123 now", "call [phone] now"),
    ("+44 7700 900123", "[phone]"),
    ("+44 (0)7700 900123", "[phone]"),
    ("0044 7700 900123", "[phone]"),
    ("(020) 7946 0018", "[phone]"),
    ("020 7946 0018", "[phone]"),
    ("07700-900-123", "[phone]"),
    ("07700900123", "[phone]"),
    ("0113 496 0000", "[phone]"),
    ("text 07700 900123 or 07700 900456", "text [phone] or [phone]"),
    ("0800123456", "[phone]"),  # ten digits that fail modulus 11: a phone, not an NHS number
    ("+33 6 12 34 56 78", "[phone]"),  # a foreign number is still someone's number
    # helplines are kept
    ("I rang Childline on 0800 1111", "I rang Childline on 0800 1111"),
    ("Samaritans 116 123", "Samaritans 116 123"),
    ("NSPCC 0808 800 5000", "NSPCC 0808 800 5000"),
    ("call 999", "call 999"),
    ("I phoned 111 and 101", "I phoned 111 and 101"),
    ("0800 1111 or 07700 900123", "0800 1111 or [phone]"),
    # postcode
    ("SW1A 1AA", "[postcode]"),
    ("I live near m1 1ae", "I live near [postcode]"),
    ("NW1 2DB.", "[postcode]."),
    ("B33 8TH", "[postcode]"),
    ("cr26xh", "[postcode]"),
    # NHS number
    ("943 476 5919", "[nhs-number]"),
    ("9434765919", "[nhs-number]"),
    ("my nhs no is 401 023 2137", "my nhs no is [nhs-number]"),
    ("943 476 5918", "943 476 5918"),  # fails modulus 11, not a dialled phone either
    # National Insurance number
    ("AB 12 34 56 C", "[ni-number]"),
    ("ni: ab123456c", "ni: [ni-number]"),
    ("QQ 12 34 56 C", "QQ 12 34 56 C"),  # HMRC's specimen: Q is never a first letter
    ("GB 12 34 56 A", "GB 12 34 56 A"),  # a prefix HMRC never issues
    # dates
    ("12/03/2009", "[date]"),
    ("born 12-3-09", "born [date]"),
    ("on 12.03.2009 at", "on [date] at"),
    ("2009-03-12", "[date]"),
    ("3rd March 2009", "[date]"),
    ("March 3, 2009", "[date]"),
    ("on 3 march it started", "on [date] it started"),
    ("the 21st of Sept", "the [date]"),
    ("May 3rd", "[date]"),
    # URLs
    ("https://snapchat.com/add/jo", "[url]"),
    ("see (http://example.com/a?b=1).", "see ([url])."),
    ("go to www.example.com/x, then", "go to [url], then"),
    ("example.co.uk/path", "[url]"),
    ("my tiktok.com page", "my [url] page"),
    # handles, never emails
    ("my insta is @jo_b99", "my insta is [handle]"),
    ("add @Jo.Bloggs on snap", "add [handle] on snap"),
    ("@jo", "[handle]"),
    # several at once
    (
        "I'm 15, text 07700 900123 or jo@example.com, SW1A 1AA",
        "I'm 15, text [phone] or [email], [postcode]",
    ),
    # must not touch
    ("I'm 15", "I'm 15"),
    ("year 10", "year 10"),
    ("it happened 3 times", "it happened 3 times"),
    ("2 or 3 weeks ago", "2 or 3 weeks ago"),
    ("since 2019", "since 2019"),
    ("in March 2019", "in March 2019"),
    ("10/10", "10/10"),
    ("24/7", "24/7"),
    ("aged 12-17", "aged 12-17"),
    ("50% of the time", "50% of the time"),
    ("1 in 3 of us", "1 in 3 of us"),
    ("3.5 hours", "3.5 hours"),
    ("see you @5pm", "see you @5pm"),
    ("b4 5pm", "b4 5pm"),
    ("I may 5 more", "I may 5 more"),
    ("e.g. this, i.e. that", "e.g. this, i.e. that"),
    ("the end.Then more", "the end.Then more"),
    ("at 3:30pm on the 1st", "at 3:30pm on the 1st"),
    ("£20 for 2 hours", "£20 for 2 hours"),
    ("between 13-15 years old", "between 13-15 years old"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_screen(text: str, expected: str):
    assert screen(text) == expected


def test_the_table_is_big_enough():
    assert len(CASES) >= 60


@pytest.mark.parametrize("digits", ["0800 1111", "116 123", "0808 800 5000", "999", "111", "101"])
def test_public_helplines_are_kept(digits: str):
    text = f"I called {digits} last week"
    assert screen(text) == text and looks_personal(text) == []


def test_helplines_are_listed_by_their_digits():
    assert all(d.isdigit() for d in HELPLINES)
    assert HELPLINES["08001111"] == "Childline"


def test_looks_personal_names_each_kind_once_in_a_fixed_order():
    text = "SW1A 1AA, jo@example.com, 07700 900123, 07700 900124, 12/03/2009, @jo"
    assert looks_personal(text) == ["email", "handle", "phone", "postcode", "date"]
    assert looks_personal("nothing here, I'm 15") == []


def test_nhs_modulus_11():
    assert is_nhs_number("9434765919")
    assert not is_nhs_number("9434765918")
    assert not is_nhs_number("943476591")


def test_screening_never_logs(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.DEBUG):
        screen("call 07700 900123 or jo@example.com")
    assert caplog.records == []


# Arbitrary text, and text built from fragments of personal data, so that matches meet.
FRAGMENTS = st.sampled_from(
    [text for text, _ in CASES]
    + ["@", ".", "/", "-", " ", "0", "7", "[phone]", "[", "]", "www.", ".co.uk", "May", "3rd"]
)
MIXED = st.lists(st.one_of(FRAGMENTS, st.text(max_size=5)), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), MIXED))
def test_screening_is_idempotent_and_never_raises(text: str):
    once = screen(text)
    assert screen(once) == once
    assert set(looks_personal(text)) <= set(KINDS)
    assert looks_personal(once) == []


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([t for t, e in CASES if t != e]), st.text(alphabet=" ,;!?", max_size=3))
def test_personal_data_is_gone_after_screening(text: str, padding: str):
    assert looks_personal(screen(padding + text + padding)) == []


# Digits from other scripts (Arabic-Indic, fullwidth) that people's keyboards produce.
OTHER_DIGITS = st.sampled_from(
    ["\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660", "\uff10\uff17\uff17\uff10\uff10"]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), MIXED, OTHER_DIGITS))
def test_skipping_finders_that_cannot_match_never_hides_a_match(text: str):
    # Screening skips a finder when the text lacks what it needs (an @, a dot, a digit); run
    # with every finder and the result must be the same.
    everything = list(screening._FINDERS)
    original = screening._possible
    try:
        screening._possible = lambda _text: everything  # type: ignore[assignment]
        expected = screen(text)
    finally:
        screening._possible = original  # type: ignore[assignment]
    assert screen(text) == expected
