"""create_app(settings): wires routes, storage, error mapping and headers together; no logic."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator, Callable

from litestar import Litestar
from litestar.datastructures import State

from survey_service import periods, registry
from survey_service.confidentiality import screening
from survey_service.http import limits
from survey_service.http.errors import EXCEPTION_HANDLERS
from survey_service.http.headers import add_security_headers
from survey_service.http.ratelimit import TrustedProxies, limiters_for
from survey_service.inspector import portal_preview, routes
from survey_service.ops import housekeeping, retention
from survey_service.release import schedule
from survey_service.respondent import api, webapp
from survey_service.respondent.intake import Intake
from survey_service.respondent.screener import Screener
from survey_service.settings import Settings
from survey_service.store import Store, open_store

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    today: Callable[[], dt.date] = periods.utc_today,
    whole_process: bool = False,
) -> Litestar:
    """The service. `today` is the only clock for dates (intake, releases): tests move it.
    `whole_process`: the app is all its process runs (a server's worker, not a test suite)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        store = open_store(settings)
        await store.open()
        try:
            reg = await registry.publish(store, settings.questionnaires_dir)
            app.state.registry = reg
            app.state.store = store
            screener = Screener(settings.screening_workers, settings.screening_timeout_seconds)
            await asyncio.to_thread(screening.warm)  # once per process, before any request
            app.state.intake = Intake(
                reg,
                store,
                screener,
                settings.date_precision,
                today=today,
                release_delay_days=settings.release_delay_days,
            )
            background = [
                asyncio.create_task(_refresh_retired(reg, store, settings)),
                asyncio.create_task(retention.purge_daily(store, settings, today)),
                asyncio.create_task(housekeeping.compact_on_schedule(store, settings)),
                asyncio.create_task(housekeeping.sweep_on_schedule(store, settings)),
            ]
            if settings.release_schedule != "manual":
                background.append(
                    asyncio.create_task(schedule.run_forever(store, settings.release, today))
                )
            if whole_process:
                # What start-up made (routes, questionnaires, name lists, compiled patterns)
                # lives as long as the process: frozen, the collector stops walking all of it
                # in every full collection, which a batch of 500 answers set off while being
                # decoded (bench/README.md: batch ingest).
                gc.collect()
                gc.freeze()
            try:
                yield
            finally:
                screener.close()
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)
        finally:
            await store.close()

    return Litestar(
        route_handlers=[
            *api.routes(settings),
            *webapp.webapp_routes(settings),
            *routes.inspector_routes(settings),
            portal_preview.preview_router(),
        ],
        lifespan=[lifespan],
        # Every route's body is capped and timed; the respondent POSTs read theirs themselves,
        # within their own settings (limits.read_body).
        request_max_body_size=limits.FORM_BODY_BYTES,
        middleware=[limits.BodyDeadline(settings.request_timeout_seconds)],
        state=State(
            {
                "settings": settings,
                "limiters": limiters_for(settings),
                "trusted_proxies": TrustedProxies.parse(settings.trusted_proxies),
                "today": today,
            }
        ),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_send=[add_security_headers],
        # The respondent API's document is generated from its structs (api_docs.py), not by
        # Litestar: those routes read and encode their own bodies, so it cannot see them.
        openapi_config=None,
        logging_config=None,
        debug=False,
    )


async def _refresh_retired(reg: registry.Registry, store: Store, settings: Settings) -> None:
    # `survey-service retire` runs in another process; pick its change up without a restart.
    while True:
        await asyncio.sleep(settings.retired_refresh_seconds)
        try:
            reg.set_retired(await store.retired_versions())
        except Exception as exc:  # a failed refresh keeps the last known state
            log.warning("could not refresh retired versions: %s", type(exc).__name__)
