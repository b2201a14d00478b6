"""A simulated national single-window endpoint: the hub delivers here; receipts and answers go back.

Run one per country: ``SWX_NSW_COUNTRY=VN swx migrate --component nsw``, then
``SWX_NSW_COUNTRY=VN uvicorn --factory services.nsw.app:create_app --port 8116`` (ports
8111-8116 for JP KH LA MM TH VN).
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from sqlalchemy.exc import InterfaceError, OperationalError

from services.kernel import resources
from services.kernel.http_client import new_http_client
from services.kernel.migrate import Schema
from services.kernel.participants import PARTICIPANTS
from services.kernel.web.problems import problem
from services.kernel.web.service import create_service_app
from services.nsw.config import NSWSettings
from services.nsw.endpoints import router
from services.nsw.handover import HandoverWorker
from services.nsw.handover_endpoints import router as handover_router
from services.nsw.station import open_station

log = logging.getLogger("swx.nsw")
MIGRATIONS = resources.migrations_dir("services.nsw")
SCHEMA = Schema("nsw", MIGRATIONS, kernel=("outbox",))
"""An endpoint sends its receipts and answers through the kernel outbox; it receives no answers."""


def create_app(settings: NSWSettings | None = None, *, hub_client: httpx.AsyncClient | None = None,
               agency_client: httpx.AsyncClient | None = None) -> FastAPI:
    """``hub_client`` and ``agency_client`` let tests stand in for the hub and the agency services."""
    settings = settings or NSWSettings()  # the country comes from SWX_NSW_COUNTRY
    country = settings.country

    @asynccontextmanager
    async def handover(app: FastAPI) -> AsyncIterator[None]:
        """The station, and the worker that hands responses over to this country's agencies."""
        app.state.station = open_station(app, settings)
        client = agency_client or new_http_client()  # kept connections: agencies drop duplicate answers
        dead_letters = app.state.handover_dead_letters
        worker = HandoverWorker(engine=app.state.engine, settings=settings,
                                token=app.state.network.token_of(country), client=client, lock=app.state.write_lock,
                                on_dead_letter=dead_letters.labels(app.state.metrics.service).inc)
        app.state.handover = worker
        worker.start()
        try:
            yield
        finally:
            await worker.stop()
            if agency_client is None:
                await client.aclose()

    app = create_service_app(
        name=f"nsw-{country.lower()}", title=f"swx national single window: {PARTICIPANTS[country]}",
        description=f"{PARTICIPANTS[country]}'s simulated NSW endpoint: receives signed envelopes from the hub, "
                    "re-validates and stores them, acknowledges with signed receipts, answers business "
                    "documents through the hub and hands responses to its agencies.",
        settings=settings, routers=[router, handover_router], schema=SCHEMA, hub_client=hub_client,
        signing_countries=(country,), lifespans=[handover],
    )
    app.state.handover_dead_letters = Counter(
        "swx_handover_dead_letters", "Responses this endpoint could not hand over to its agency, given up on "
        "(replayable: GET /handovers?state=FAILED)", ["service"], registry=app.state.metrics.registry)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_unavailable(request: Request, error: Exception) -> JSONResponse:
        if _is_a_bug(error):
            log.error("request.failed path=%s error=%s", request.url.path, str(error).splitlines()[0])
            return problem(500, "Internal error", "the request could not be completed; it has been logged",
                           instance=request.url.path)
        # the hub retries a 503: the message is not lost, only later
        log.warning("database.unavailable path=%s error=%s", request.url.path, str(error).splitlines()[0])
        return problem(503, "Service unavailable", "the inbox database is unavailable; retry later",
                       instance=request.url.path, headers={"Retry-After": "5"})

    return app


def _is_a_bug(error: Exception) -> bool:
    """SQLite reports a missing table or a syntax error as an OperationalError too: those are no outage."""
    text = str(getattr(error, "orig", error)).lower()
    return text.startswith("no such ") or "syntax error" in text
