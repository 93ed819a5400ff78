"""The inspectors' portal: server-rendered pages under /inspect/ (Jinja templates in
templates/, one CSS file, no scripts). Thin: check the session, call a domain function, render."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from litestar import Litestar, Request, Response, Router, get, post
from litestar.datastructures import Cookie, State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Stream

from survey_service import audit, auth, batches, charts, guides, inspect_api, qr
from survey_service.confidentiality import suppression
from survey_service.inspect_api import NO_STORE
from survey_service.ratelimit import rate_limited
from survey_service.release import review, service, tables
from survey_service.settings import Settings

HTML = "text/html"  # Litestar adds "; charset=utf-8" to text/ types
AUDIENCES = {"young_people": "Young people", "staff": "Social workers (staff)"}
POLICY_NAMES = {name: p.label for name, p in suppression.POLICIES.items()}

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("survey_service", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(audiences=AUDIENCES, policy_names=POLICY_NAMES, actions=audit.ACTIONS)
_CSS = resources.files("survey_service").joinpath("templates/portal.css").read_bytes()


def _secure(request: Request[Any, Any, Any], settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.public_base_url.startswith("https://")


def render(
    request: Request[Any, Any, Any], template: str, status: int = 200, **context: Any
) -> Response[str]:
    secret = getattr(request.state, "session_secret", None)
    html = _env.get_template(template).render(
        inspector=getattr(request.state, "inspector", None),
        csrf=auth.csrf_for(secret) if secret else "",
        path=request.url.path,
        **context,
    )
    return Response(html, status_code=status, media_type=HTML)


def _csrf_ok(request: Request[Any, Any, Any], form: Any) -> bool:
    secret = request.state.session_secret
    return bool(secret) and auth.same(form.get(auth.CSRF_FIELD), auth.csrf_for(secret))


def _forbidden(request: Request[Any, Any, Any]) -> Response[str]:
    return render(
        request,
        "message.html",
        403,
        title="Form expired",
        message="This form was out of date. Go back, reload the page and try again.",
    )


# -- signing in and out (no guard) -------------------------------------------------------------


def _login_page(
    request: Request[Any, Any, Any], settings: Settings, error: str = "", status: int = 200
) -> Response[str]:
    token = auth.new_secret()
    response = render(
        request,
        "login.html",
        status,
        title="Sign in",
        error=error,
        login_csrf=token,
        next=_next(request),
    )
    response.set_cookie(
        Cookie(
            key=auth.LOGIN_COOKIE,
            value=token,
            path="/inspect",
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=_secure(request, settings),
        )
    )
    return response


def _next(request: Request[Any, Any, Any]) -> str:
    wanted = str(request.query_params.get("next", ""))
    # Only somewhere inside the portal: never an open redirect.
    return wanted if wanted.startswith("/inspect/") and "//" not in wanted else "/inspect/"


@get("/login", sync_to_thread=False)
def login_form(request: Request[Any, Any, Any], state: State) -> Response[str]:
    return _login_page(request, state.settings)


@post("/login", status_code=200, guards=[rate_limited("login")])
async def login_submit(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    form = await request.form()
    settings: Settings = state.settings
    if not auth.same(form.get(auth.CSRF_FIELD), request.cookies.get(auth.LOGIN_COOKIE)):
        return _login_page(request, settings, "The sign-in form expired. Please try again.", 403)
    result = await auth.login(
        state.store, settings, str(form.get("username", "")), str(form.get("password", ""))
    )
    if result.secret is None:
        return _login_page(request, settings, result.message, 401)
    response: Response[Any] = Redirect(_next(request), status_code=303)
    for path in auth.COOKIE_PATHS:
        response.set_cookie(
            Cookie(
                key=auth.SESSION_COOKIE,
                value=result.secret,
                path=path,
                max_age=int(settings.session_hours * 3600),
                httponly=True,
                samesite="strict",
                secure=_secure(request, settings),
            )
        )
    response.delete_cookie(auth.LOGIN_COOKIE, path="/inspect")
    return response


@get("/static/portal.css", sync_to_thread=False, cache_control=None)
def stylesheet() -> Response[bytes]:
    return Response(_CSS, media_type="text/css")


# -- pages behind the session ------------------------------------------------------------------


@post("/logout", guards=[auth.page_guard], status_code=303)
async def logout(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    form = await request.form()
    if not _csrf_ok(request, form):
        return _forbidden(request)
    await state.store.delete_credential(auth.secret_hash(request.state.session_secret))
    await audit.record(state.store, request.state.inspector, "logout")
    response: Response[Any] = Redirect("/inspect/login", status_code=303)
    for path in auth.COOKIE_PATHS:
        response.delete_cookie(auth.SESSION_COOKIE, path=path)
    return response


async def _overview(state: State) -> list[batches.Overview]:
    settings: Settings = state.settings
    return await batches.overview(state.store, settings.release, state.today())


@get("/", guards=[auth.page_guard])
async def dashboard(request: Request[Any, Any, Any], state: State) -> Response[str]:
    return render(
        request,
        "dashboard.html",
        title="Dashboard",
        questionnaires=await _overview(state),
        min_batch=state.settings.min_batch,
        reviewer=await review.is_reviewer(state.store, request.state.inspector),
    )


async def _one(state: State, questionnaire: str) -> batches.Overview | None:
    return next((o for o in await _overview(state) if o.id == questionnaire), None)


def _not_found(request: Request[Any, Any, Any]) -> Response[str]:
    return render(
        request,
        "message.html",
        404,
        title="Not found",
        message="There is no questionnaire with this name.",
    )


async def _batches_page(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: str,
    status: int = 200,
    notice: str = "",
    error: str = "",
) -> Response[str]:
    one = await _one(state, questionnaire)
    if one is None:
        return _not_found(request)
    settings: Settings = state.settings
    return render(
        request,
        "batches.html",
        status,
        title=f"Batches: {one.title}",
        q=one,
        min_batch=settings.min_batch,
        delay_days=settings.release_delay_days,
        revisions=await state.store.batch_revisions(questionnaire),
        notice=notice,
        error=error,
    )


@get("/questionnaires/{questionnaire:str}", guards=[auth.page_guard])
async def batches_page(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: FromPath[str],
    released: FromQuery[int | None] = None,
) -> Response[str]:
    notice = ""
    if released is not None:
        batch = await state.store.get_batch(released)
        if batch is not None and batch.questionnaire == questionnaire:
            notice = f"Batch {batch.number} released with {batch.count} responses."
    return await _batches_page(request, state, questionnaire, notice=notice)


@post("/questionnaires/{questionnaire:str}/release", guards=[auth.page_guard], status_code=303)
async def release(
    request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
) -> Response[Any]:
    form = await request.form()
    if not _csrf_ok(request, form):
        return _forbidden(request)
    versions = await inspect_api._versions(state, questionnaire)
    if versions is None:
        return _not_found(request)
    settings: Settings = state.settings
    result = await service.release(
        state.store, versions, settings.release, request.state.inspector, state.today()
    )
    if isinstance(result, service.Refusal):
        return await _batches_page(request, state, questionnaire, 409, error=result.message)
    return Redirect(
        f"/inspect/questionnaires/{quote(questionnaire)}?released={result.number}",
        status_code=303,
    )


@get("/questionnaires/{questionnaire:str}/download/{file:str}", guards=[auth.page_guard])
async def download(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: FromPath[str],
    file: FromPath[str],
    codes: FromQuery[str | None] = None,
) -> Response[Any] | Stream:
    # The handler's own function (a route's .fn is typed Any): same checks and audit as the API.
    answer: Response[Any] | Stream = await inspect_api.export_questionnaire.fn(
        request, state, questionnaire, file, codes
    )
    return answer


@get("/questionnaires/{questionnaire:str}/summary", guards=[auth.page_guard])
async def summary_page(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: FromPath[str],
    policy: FromQuery[str | None] = None,
    by: FromQuery[str | None] = None,
) -> Response[Any]:
    one = await _one(state, questionnaire)
    if one is None:
        return _not_found(request)
    result = await inspect_api.build_summary(state, questionnaire, policy, by)
    if isinstance(result, Response):  # a bad choice in the form: show the plain summary
        result = await inspect_api.build_summary(state, questionnaire, None, None)
        assert isinstance(result, tables.Summary)
    await audit.viewed_summary(
        state.store, request.state.inspector, questionnaire, result.policy, result.by
    )
    versions = await inspect_api._versions(state, questionnaire)
    assert versions is not None
    qis = {q.id: q.text for v in versions for q in v.questions() if q.quasi_identifier}
    drawn = {s.id: charts.chart_svg(s, f"chart-{s.id}") for s in result.questions if s.rows}
    settings: Settings = state.settings
    return render(
        request,
        "summary.html",
        title=f"Summary: {one.title}",
        q=one,
        s=result,
        charts=drawn,
        qis=qis,
        policies=suppression.allowed(settings.suppression_policy),
    )


@get("/questionnaires/{questionnaire:str}/posters", guards=[auth.page_guard])
async def posters(
    request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
) -> Response[str]:
    return await _poster_page(request, state, questionnaire, "posters.html", "QR code and posters")


@get("/questionnaires/{questionnaire:str}/poster", guards=[auth.page_guard])
async def poster(
    request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
) -> Response[str]:
    return await _poster_page(request, state, questionnaire, "poster.html", "A4 poster", "a4")


@get("/questionnaires/{questionnaire:str}/leaflet", guards=[auth.page_guard])
async def leaflet(
    request: Request[Any, Any, Any], state: State, questionnaire: FromPath[str]
) -> Response[str]:
    return await _poster_page(request, state, questionnaire, "poster.html", "A6 leaflet", "a6")


async def _poster_page(
    request: Request[Any, Any, Any],
    state: State,
    questionnaire: str,
    template: str,
    title: str,
    size: str = "",
) -> Response[str]:
    versions = await inspect_api._versions(state, questionnaire)
    if versions is None:
        return _not_found(request)
    settings = state.settings
    base = settings.public_base_url
    private = qr.private_reason(base)
    return render(
        request,
        template,
        title=f"{title}: {versions[-1].title}",
        q=versions[-1],
        size=size,
        link=qr.short_link(base, questionnaire),
        url=qr.target_url(base, questionnaire),
        # No QR code to where phones cannot follow, unless the operator said it is meant.
        refusal=qr.refusal(base, settings.posters_allow_private_url),
        private=private,
    )


@get("/help/{name:str}", guards=[auth.page_guard])
async def help_page(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[str]:
    found = guides.page(name)
    if found is None:
        return render(request, "message.html", 404, title="Not found", message="No such page.")
    title, body = found
    return render(request, "help.html", title=title, body=body)


@get("/audit", guards=[auth.page_guard])
async def audit_page(
    request: Request[Any, Any, Any], state: State, before: FromQuery[int | None] = None
) -> Response[str]:
    if not audit.valid_before(before):
        return render(request, "message.html", 400, title="Audit log", message=audit.BAD_BEFORE)
    entries = await audit.recent(state.store, 100, before)
    older = entries[-1].id if len(entries) == 100 else None
    return render(request, "audit.html", title="Audit log", entries=entries, older=older)


@get("/accounts", guards=[auth.page_guard])
async def accounts(request: Request[Any, Any, Any], state: State) -> Response[str]:
    return render(
        request,
        "accounts.html",
        title="Accounts",
        inspectors=await state.store.list_inspectors(),
        max_failures=state.settings.login_max_failures,
        lockout_minutes=round(state.settings.login_lockout_minutes),
    )


def _login_redirect(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = request.url.path
    if request.method == "GET" and target.startswith("/inspect/") and target != "/inspect/":
        return Redirect(f"/inspect/login?next={quote(target)}", status_code=303)
    return Redirect("/inspect/login", status_code=303)


def portal_router() -> Router:
    return Router(
        path="/inspect",
        route_handlers=[
            login_form,
            login_submit,
            stylesheet,
            logout,
            dashboard,
            batches_page,
            release,
            download,
            summary_page,
            posters,
            poster,
            leaflet,
            help_page,
            audit_page,
            accounts,
        ],
        exception_handlers={auth.LoginRequired: _login_redirect},
        response_headers=NO_STORE,
        include_in_schema=False,
    )


def inspector_routes(settings: Settings) -> list[Router]:
    """Everything on the inspectors' side, for create_app."""
    del settings  # read per request from app.state.settings
    from survey_service import portal_review  # its pages render with this module's helpers

    return [inspect_api.api_router(), portal_router(), portal_review.review_router()]


def format_stamp(value: str) -> str:
    moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%d %b %Y, %H:%M UTC")


_env.filters["when"] = format_stamp
_ = Litestar  # imported for type checkers reading handler signatures
