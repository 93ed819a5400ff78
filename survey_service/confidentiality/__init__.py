"""The confidentiality rules 4, 5, 7 and 8 of DESIGN.md as pure functions: no HTTP, no SQL."""

from survey_service.confidentiality.kanonymity import BLANK, KAnonReport, anonymise
from survey_service.confidentiality.safe_questions import AGE_WORDS, IDENTIFYING_WORDS
from survey_service.confidentiality.safe_questions import check as check_safe_questions
from survey_service.confidentiality.screening import HELPLINES, KINDS, looks_personal, screen
from survey_service.confidentiality.suppression import (
    POLICIES,
    Cell,
    OneWay,
    Policy,
    TwoWay,
    one_way,
    two_way,
)

__all__ = [
    "AGE_WORDS",
    "BLANK",
    "HELPLINES",
    "IDENTIFYING_WORDS",
    "KINDS",
    "POLICIES",
    "Cell",
    "KAnonReport",
    "OneWay",
    "Policy",
    "TwoWay",
    "anonymise",
    "check_safe_questions",
    "looks_personal",
    "one_way",
    "screen",
    "two_way",
]
