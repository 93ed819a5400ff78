"""Every route on the inspectors' side, for create_app: the JSON API, the portal's pages and
its review pages (the draft preview's router is built with the form app's files)."""

from __future__ import annotations

from litestar import Router

from survey_service.inspector import api, portal, portal_review
from survey_service.settings import Settings


def inspector_routes(settings: Settings) -> list[Router]:
    del settings  # read per request from app.state.settings
    return [api.api_router(), portal.portal_router(), portal_review.review_router()]
