"""Health, metrics and structured logs, the same for every service."""

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from services.kernel.db import database_is_up
from services.kernel.outbox import DEAD_LETTERS, OutboxMessage, OutboxState, state_counts


class Metrics:
    """One registry per app, so that several apps (tests, embedded mode) never collide."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("swx_http_requests", "HTTP requests by route and status",
                                ["service", "method", "route", "status"], registry=self.registry)
        self.latency = Histogram("swx_http_request_seconds", "HTTP request latency", ["service", "route"],
                                 registry=self.registry)
        self.validations = Counter("swx_validations", "Documents validated, by type and outcome",
                                   ["service", "document_type", "outcome"], registry=self.registry)
        self.outbox_depth = Gauge("swx_outbox_depth", "Outbound messages not yet handed to the hub, dead letters "
                                  "included", ["service"], registry=self.registry)
        self.dead_letters = Counter("swx_outbox_dead_letters",
                                    "Outbound messages that became dead letters (FAILED or REFUSED)",
                                    ["service"], registry=self.registry)
        self.dead_letters_waiting = Gauge("swx_outbox_dead_letters_waiting", "Dead letters (FAILED or REFUSED outbound "
                                          "messages) now waiting for an operator's replay", ["service"],
                                          registry=self.registry)
        self.service = service

    def validated(self, document_type: str, outcome: str) -> None:
        self.validations.labels(self.service, document_type, outcome).inc()

    def dead_lettered(self, message: OutboxMessage) -> None:
        """Count one more dead letter (the outbox dispatcher's ``on_dead_letter``)."""
        self.dead_letters.labels(self.service).inc()


def configure_logging(level: str = "INFO") -> None:
    """Named events with key=value context, one line each (``outbox.sent message_id=...``)."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")


def install(app: FastAPI, metrics: Metrics, *, outbox: bool = True) -> None:
    # imported here: the module that builds every app imports this one before the dependencies exist
    from services.kernel.web.deps import EngineDep

    if outbox:
        metrics.dead_letters.labels(metrics.service)  # shown as 0 before the first dead letter, not absent

    @app.middleware("http")
    async def _count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.requests.labels(metrics.service, request.method, route, str(response.status_code)).inc()
        metrics.latency.labels(metrics.service, route).observe(time.perf_counter() - started)
        return response

    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness and database check",
                responses={503: {"description": "The database does not answer; retry after Retry-After",
                                 "content": {"application/json": {}}}})
    def healthz(engine: EngineDep) -> JSONResponse:
        """200 when the service and its database answer, 503 otherwise."""
        up = database_is_up(engine)
        body = {"status": "ok" if up else "unavailable", "service": metrics.service,
                "database": "up" if up else "down"}
        return JSONResponse(body, status_code=200 if up else 503, headers=None if up else {"Retry-After": "5"})

    @router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    def prometheus(engine: EngineDep) -> Response:
        try:
            if outbox:
                counts = state_counts(engine)
                metrics.outbox_depth.labels(metrics.service).set(sum(counts.values()) - counts[OutboxState.SENT])
                dead_letters = sum(counts[state] for state in DEAD_LETTERS)
                metrics.dead_letters_waiting.labels(metrics.service).set(dead_letters)
        except Exception:  # metrics must answer even when the database does not
            logging.getLogger("swx.metrics").warning("metrics.outbox_depth_unavailable")
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
