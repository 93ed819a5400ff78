"""survey_service: anonymised questionnaire collection that works offline."""

__version__ = "0.1.0"
