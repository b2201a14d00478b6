"""The regional hub: accepts signed envelopes and delivers them to the receivers' NSW endpoints.

Run: ``swx migrate --component hub``, then ``uvicorn --factory services.hub.app:create_app
--port 8100``; more delivery workers sharing its PostgreSQL database: ``swx hub-worker``.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.hub.config import HubSettings
from services.hub.dashboard import router as dashboard_router
from services.hub.delivery import DeliveryWorker, new_delivery_client
from services.hub.endpoints import router
from services.hub.metrics import MessageStates
from services.kernel import resources
from services.kernel.migrate import Schema
from services.kernel.web.service import create_service_app

MIGRATIONS = resources.migrations_dir("services.hub")
SCHEMA = Schema("hub", MIGRATIONS)
"""The hub keeps its own outbox (``hub_message``), none of the kernel's tables."""


def create_app(settings: HubSettings | None = None, *, delivery_client: httpx.AsyncClient | None = None) -> FastAPI:
    """``delivery_client`` lets tests stand in for the receivers' endpoints."""
    settings = settings or HubSettings()

    @asynccontextmanager
    async def delivery(app: FastAPI) -> AsyncIterator[None]:
        """The hub's own delivery worker, unless only separate ``swx hub-worker`` processes deliver."""
        if not settings.run_worker:
            yield
            return
        client = delivery_client or new_delivery_client(settings)
        worker = DeliveryWorker(engine=app.state.engine, network=app.state.network, settings=settings,
                                client=client, lock=app.state.write_lock, woken_by_intake=True)
        worker.start()
        app.state.worker = worker
        try:
            yield
        finally:
            await worker.stop()
            app.state.worker = None
            if delivery_client is None:
                await client.aclose()

    app = create_service_app(
        name="hub", title="swx regional hub",
        description="Routes signed envelopes between the national single windows with store-and-forward "
                    "reliability: signature and payload checks, duplicate elimination, signed receipts, "
                    "retries with backoff, dead letters and replay, and a timeline for every message.",
        settings=settings, routers=[router, dashboard_router], schema=SCHEMA, outbox=False,
        rate_limited=[("POST", "/messages")], lifespans=[delivery],
    )
    app.state.worker = None
    app.state.metrics.registry.register(MessageStates(lambda: getattr(app.state, "engine", None)))
    return app
