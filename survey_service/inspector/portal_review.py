"""The portal's review pages (rule 5): reviewers read released free text, redact words,
approve or withhold each answer, and mark quotes; every inspector reads the quotes. Thin:
check the session and the role, call release/review.py, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from survey_service.export.layout import Layout
from survey_service.http import limits
from survey_service.inspector import auth, portal
from survey_service.inspector.service import InspectorService, Refused
from survey_service.inspector.wire import NO_STORE
from survey_service.questionnaires import Questionnaire
from survey_service.release import review

NOT_A_REVIEWER = (
    "Only reviewers can read free text before it appears in files. Ask whoever runs the "
    "service to give you the role: survey-service inspectors reviewer YOUR-NAME."
)
QUOTES_SHOWN = 10  # approved answers offered for quoting at a time, chosen at random


def _where(questionnaire: str, page: str) -> str:
    return f"/inspect/questionnaires/{quote(questionnaire)}/{page}"


async def _versions(state: State, questionnaire: str) -> list[Questionnaire] | None:
    try:
        return await InspectorService(state.store, state.settings, state.today).versions(
            questionnaire
        )
    except Refused:
        return None


async def _reviewer(request: Request[Any, Any, Any], state: State) -> bool:
    return await review.is_reviewer(state.store, request.state.inspector)


def _not_reviewer(request: Request[Any, Any, Any]) -> Response[str]:
    return portal.render(
        request, "message.html", 403, title="For reviewers", message=NOT_A_REVIEWER
    )


async def _reviewers_only(
    request: Request[Any, Any, Any], state: State, questionnaire: str
) -> list[Questionnaire] | Response[str]:
    """The questionnaire's versions for a reviewer; the page saying why not for anyone else."""
    versions = await _versions(state, questionnaire)
    if versions is None:
        return portal._not_found(request)
    if not await _reviewer(request, state):
        return _not_reviewer(request)
    return versions


async def _review_page(
    request: Request[Any, Any, Any],
    state: State,
    versions: list[Questionnaire],
    status: int = 200,
    notice: str = "",
    again: review.Again | None = None,
    error: str = "",
) -> Response[str]:
    layout = Layout(versions)
    waiting = await review.waiting(state.store, layout)
    return portal.render(
        request,
        "review.html",
        status,
        title=f"Review free text: {layout.latest.title}",
        q=layout.latest,
        items=await review.to_review(state.store, versions, again, state.intake.screener.read_all),
        waiting=sum(waiting.values()),
        page_size=review.PAGE_SIZE,
        notice=notice,
        error=error,
    )


@get("/questionnaires/{questionnaire:str}/review")
async def review_page(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: FromPath[str],
    done: FromQuery[str | None] = None,
    redactions: FromQuery[int] = 0,
    quotable: FromQuery[int] = 0,
) -> Response[str]:
    versions = await _reviewers_only(request, state, questionnaire)
    if isinstance(versions, Response):
        return versions
    notice = ""
    if done in ("approved", "withheld"):
        notice = review.Saved(done, max(redactions, 0), bool(quotable)).message  # type: ignore[arg-type]
    return await _review_page(request, state, versions, notice=notice)


@post(
    "/questionnaires/{questionnaire:str}/review",
    status_code=303,
    request_max_body_size=limits.REVIEW_BODY_BYTES,
)
async def review_submit(
    request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
) -> Response[Any]:
    form = await request.form()
    if not portal._csrf_ok(request, form):
        return portal._forbidden(request)
    versions = await _reviewers_only(request, state, questionnaire)
    if isinstance(versions, Response):
        return versions
    handle = str(form.get("handle", ""))
    chosen = review.decision(
        handle,
        str(form.get("decision", "")),
        [str(v) for v in form.getall("redact", [])],
        str(form.get("phrase", "")),
        form.get("quotable") == "1",
    )
    if isinstance(chosen, list):
        message = "; ".join(f"{e.field}: {e.message}" for e in chosen)
        return portal.render(request, "message.html", 422, title="Check the form", message=message)
    result = await review.decide(state.store, questionnaire, chosen, request.state.inspector)
    if isinstance(result, review.Marked):
        again = review.Again(handle, result.ticked)
        return await _review_page(request, state, versions, 200, again=again)
    if isinstance(result, review.Refused):
        if result.status == 422:
            again = review.Again(handle, chosen.redact, result.errors[0].message)
            return await _review_page(request, state, versions, 422, again=again)
        text = "That answer was reviewed already, by you or another reviewer."
        if result.status == 404:
            text = "There is no such answer to review."
        return await _review_page(request, state, versions, result.status, error=text)
    query: dict[str, str] = {"done": result.state}
    if result.state == "approved":
        query.update(redactions=str(result.markers), quotable=str(int(result.quotable)))
    return Redirect(f"{_where(questionnaire, 'review')}?{urlencode(query)}", status_code=303)


@get("/questionnaires/{questionnaire:str}/quotes")
async def quotes_page(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: FromPath[str],
    changed: FromQuery[str | None] = None,
) -> Response[str]:
    versions = await _versions(state, questionnaire)
    if versions is None:
        return portal._not_found(request)
    return await _quotes_page(request, state, versions, notice=_changed(changed))


def _changed(changed: str | None) -> str:
    return {
        "added": "Marked quotable: it is now in the list below.",
        "removed": "No longer quotable: it stays approved in the files.",
    }.get(changed or "", "")


async def _quotes_page(
    request: Request[Any, Any, Any],
    state: State,
    versions: list[Questionnaire],
    status: int = 200,
    notice: str = "",
    error: str = "",
) -> Response[str]:
    layout = Layout(versions)
    store = state.store
    texts = await review.texts(store, layout)
    reviewer = await _reviewer(request, state)
    could = []
    if reviewer:
        could = await store.texts_to_review(layout.latest.id, QUOTES_SHOWN, "approved")
    return portal.render(
        request,
        "quotes.html",
        status,
        title=f"Quotes: {layout.latest.title}",
        q=layout.latest,
        groups=review.by_question(layout, texts.quotes),
        reviewer=reviewer,
        could=[(t, review.question_text(layout, t.question)) for t in could],
        notice=notice,
        error=error,
    )


@post("/questionnaires/{questionnaire:str}/quotes", status_code=303)
async def quotes_submit(
    request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
) -> Response[Any]:
    form = await request.form()
    if not portal._csrf_ok(request, form):
        return portal._forbidden(request)
    versions = await _reviewers_only(request, state, questionnaire)
    if isinstance(versions, Response):
        return versions
    quotable = form.get("quotable") == "1"
    handle = str(form.get("handle", ""))
    if not await review.mark_quote(
        state.store, questionnaire, handle, quotable, request.state.inspector
    ):
        text = "That answer is not an approved one: only approved answers can be quoted."
        return await _quotes_page(request, state, versions, 409, error=text)
    changed = "added" if quotable else "removed"
    return Redirect(f"{_where(questionnaire, 'quotes')}?changed={changed}", status_code=303)


def review_router() -> Router:
    return Router(
        path="/inspect",
        route_handlers=[review_page, review_submit, quotes_page, quotes_submit],
        guards=[auth.page_guard],
        exception_handlers={auth.LoginRequired: portal._login_redirect},
        response_headers=NO_STORE,
        include_in_schema=False,
    )
