"""Health, metrics and structured logs, the same for every service."""

import logging
import time

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    # httpx writes a line for every request a client sends; the services' own events
    # (outbox.sent, message.delivered, handover.*) already say what each send was and came to;
    # at DEBUG they are kept
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)


class RequestMetrics:
    """ASGI middleware: counts every HTTP request by method, route template and status
    (``swx_http_requests``) and times it up to its response's start (``swx_http_request_seconds``).
    Both are taken from the ``http.response.start`` message: the route is in the scope by
    then, matched by the router (``unmatched`` when none was, or when the rate limit answered
    first). A request whose app raised before answering is not counted here (the server's
    error handler, outside, answers it 500). Plain ASGI rather than ``@app.middleware``, whose
    ``BaseHTTPMiddleware`` runs the rest of the app in a task of its own and passes every
    message through a stream: extra work on every request for two numbers."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        metrics = self.metrics

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = getattr(scope.get("route"), "path", "unmatched")
                metrics.requests.labels(metrics.service, scope["method"], route, str(message["status"])).inc()
                metrics.latency.labels(metrics.service, route).observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, counted)


def install(app: FastAPI, metrics: Metrics, *, outbox: bool = True) -> None:
    # imported here: the module that builds every app imports this one before the dependencies exist
    from services.kernel.web.deps import EngineDep

    if outbox:
        metrics.dead_letters.labels(metrics.service)  # shown as 0 before the first dead letter, not absent

    app.add_middleware(RequestMetrics, metrics=metrics)

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
