"""The confidentiality rules 4, 5, 7 and 8 (docs/rules.md) as pure functions: no HTTP, no SQL
(cellkey.py and suppression.py: rule 8; kanonymity.py: rule 7)."""

from survey_service.confidentiality.kanonymity import BLANK, KAnonReport, anonymise
from survey_service.confidentiality.safe_questions import AGE_WORDS, IDENTIFYING_WORDS
from survey_service.confidentiality.safe_questions import check as check_safe_questions
from survey_service.confidentiality.screening import HELPLINES, KINDS, looks_personal, screen
from survey_service.confidentiality.suppression import POLICIES, Policy

__all__ = [
    "AGE_WORDS",
    "BLANK",
    "HELPLINES",
    "IDENTIFYING_WORDS",
    "KINDS",
    "POLICIES",
    "KAnonReport",
    "Policy",
    "anonymise",
    "check_safe_questions",
    "looks_personal",
    "screen",
]
