"""Questionnaires as tests read them."""

from __future__ import annotations

from survey_service.questionnaires import Question, Questionnaire


def questions_by_id(q: Questionnaire) -> dict[str, Question]:
    """Every question of a questionnaire (all its sections), by id."""
    return {question.id: question for question in q.questions()}
