"""One way to build an swx HTTP service: settings, lifespan, database, errors, health.

``create_service_app`` gives every service the same spine: the database checked at start-up
(``swx migrate`` migrates it before the servers start; a server whose database is behind
refuses to start, naming that command), the network directory loaded, the outbox dispatcher
started, problem+json errors, ``/healthz``, ``/metrics`` and the API docs served offline
(``api_docs``). The service adds its own routers, and its own work for the app's lifetime as
``lifespans``: async context managers entered in order once the database, the network and
the outbox are up, and left in reverse order before they go down (the hub's delivery worker,
an NSW endpoint's handover worker).
"""

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel import refdata
from services.kernel.db import make_engine
from services.kernel.http_client import new_http_client
from services.kernel.migrate import Schema, SchemaNotCurrent, require_current, shown_url
from services.kernel.network import load_or_create_network, load_signing_keys
from services.kernel.outbox import OutboxDispatcher
from services.kernel.retry import DEFAULT_MAX_AGE, RetryPolicy
from services.kernel.signing import envelope_signer
from services.kernel.web.api_docs import install_api_docs
from services.kernel.web.contract import install_contract
from services.kernel.web.observability import Metrics, configure_logging, install
from services.kernel.web.problems import add_exception_handlers
from services.kernel.web.ratelimit import install_rate_limit


class ServiceSettings(BaseSettings):
    """Settings every service has. Each service subclasses it with its own ``env_prefix``;
    a value not given with the prefix falls back to the shared ``SWX_`` name (and the
    database to ``DATABASE_URL``), so one environment can configure a whole network."""

    data_dir: Path = Path("var")
    database_url: str | None = None
    network_file: Path | None = None
    hub_url: str | None = None
    max_body_bytes: int = 5 * 1024 * 1024
    outbox_retry_base: float = Field(default=0.5, gt=0, description="bound of the wait after an outbound message's "
                                     "first failed attempt to reach the hub, in seconds; it doubles with each attempt")
    outbox_retry_cap: float = Field(default=60.0, gt=0, description="longest wait between two attempts to reach the "
                                    "hub, in seconds, whether from the backoff or the hub's Retry-After")
    outbox_max_age: float = Field(default=DEFAULT_MAX_AGE, gt=0, description="seconds an outbound message keeps "
                                  "trying to reach the hub before it is a dead letter (FAILED, replayable by the "
                                  "operator); by default as long as the hub keeps trying a receiver")
    outbox_max_attempts: int | None = Field(default=None, ge=1, description="attempts after which an outbound "
                                            "message is a dead letter even before outbox_max_age; unset: only its "
                                            "age counts")
    outbox_poll_interval: float = Field(default=1.0, gt=0, description="seconds before the dispatcher looks again "
                                        "after a round that failed (the database away); otherwise it sleeps until "
                                        "the next outbound message is due, and a new one wakes it")
    log_level: str = "INFO"
    rate_limit_per_second: float = 1000.0
    """Requests a second each credential may make to the routes that take documents (0: no limit)."""
    rate_limit_burst: int = 2000
    """Requests a credential may make at once before the rate applies."""

    def outbox_retry_policy(self) -> RetryPolicy:
        return RetryPolicy(base=self.outbox_retry_base, cap=self.outbox_retry_cap, max_age=self.outbox_max_age,
                           max_attempts=self.outbox_max_attempts)

    @model_validator(mode="after")
    def _shared_fallbacks(self) -> "ServiceSettings":
        if self.database_url is None:
            self.database_url = os.environ.get("DATABASE_URL")
        if self.hub_url is None:
            self.hub_url = os.environ.get("SWX_HUB_URL")
        if self.network_file is None:
            shared = os.environ.get("SWX_NETWORK_FILE")
            self.network_file = Path(shared) if shared else self.data_dir / "network" / "network.json"
        return self

    def database_for(self, service: str) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / f'{service}.db'}"


async def _session(request: Request) -> AsyncIterator[Session]:
    """On SQLite, requests queue in order on an asyncio lock before they touch the database:
    SQLite has one writer at a time, and its own busy handler polls with growing sleeps, so
    under load some requests would wait seconds while later ones went first. The session's
    work runs in the endpoint's worker thread; its end (commit or rollback, then close) runs
    in one more worker-thread trip, never on the loop, and before the lock is let go. A
    session that never began a transaction holds no connection and has nothing to commit:
    it is closed on the loop, with no trip at all (a request refused before it read
    anything). Creating the session costs no I/O: it connects on its first statement."""
    lock: asyncio.Lock | None = request.app.state.write_lock
    async with lock if lock is not None else nullcontext():
        session = Session(request.app.state.engine, expire_on_commit=False)
        try:
            yield session
        except BaseException:
            await _end(session, _roll_back_and_close)
            raise
        await _end(session, _commit_and_close)


async def _end(session: Session, end: Callable[[Session], None]) -> None:
    if session.in_transaction():
        await run_in_threadpool(end, session)
    else:
        session.close()


def _commit_and_close(session: Session) -> None:
    """A commit that fails is rolled back before its error goes on, as an endpoint's is."""
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(_session, scope="function")]
"""The request's unit of work: committed when the endpoint returns, rolled back if it raises."""


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
"""Work a service runs for its app's lifetime, given the app (its ``state`` set up)."""


class StartupRefused(RuntimeError):
    """The service cannot start for a reason its operator mends (a database not migrated,
    or not reachable); the message says which, in a sentence."""


def create_service_app(*, name: str, title: str, description: str, settings: ServiceSettings,
                       routers: Sequence[APIRouter], schema: Schema,
                       hub_client: httpx.AsyncClient | None = None,
                       signing_countries: tuple[str, ...] | None = None, outbox: bool = True,
                       rate_limited: Sequence[tuple[str, str]] = (), lifespans: Sequence[Lifespan] = ()) -> FastAPI:
    """Build the service's app; ``hub_client`` lets tests stand in for the hub.

    ``name`` names the component (``customs``, ``nsw-vn``): its SQLite file and what
    ``swx migrate --component`` takes; ``schema`` is what its database must hold.
    Outbound envelopes are signed with the sender's private key from beside the network
    file: every participant's for the agency services (they act for any country of the
    embedded network), only ``signing_countries``' when given (an NSW endpoint its own).
    ``outbox=False`` for a service without the kernel outbox (the hub has its own).
    ``rate_limited`` names the (method, path) routes each credential is rate-limited on.
    ``lifespans`` run inside the kernel's lifespan, after the database, the network and the
    outbox dispatcher are up (``app.state`` has them) and before they stop."""
    metrics = Metrics(name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.database_for(name)
        _require_current_schema(schema, url, component=name)
        app.state.engine = make_engine(url)
        app.state.write_lock = asyncio.Lock() if app.state.engine.dialect.name == "sqlite" else None
        assert settings.network_file is not None
        app.state.network = load_or_create_network(settings.network_file)
        refdata.preload()
        client = hub_client or new_http_client()  # kept connections: the hub drops duplicates
        dispatcher = None
        if outbox and settings.hub_url:
            signer = envelope_signer(load_signing_keys(settings.network_file, signing_countries))
            dispatcher = OutboxDispatcher(engine=app.state.engine, hub_url=settings.hub_url,
                                          token_for=app.state.network.token_of, client=client, sign=signer,
                                          policy=settings.outbox_retry_policy(), lock=app.state.write_lock,
                                          poll_interval=settings.outbox_poll_interval,
                                          on_dead_letter=metrics.dead_lettered)
            dispatcher.start()
        app.state.dispatcher = dispatcher
        try:
            async with AsyncExitStack() as services_work:
                for each in lifespans:
                    await services_work.enter_async_context(each(app))
                yield
        finally:
            if dispatcher is not None:
                await dispatcher.stop()
            if hub_client is None:
                await client.aclose()
            app.state.engine.dispose()

    # /docs and /redoc come from install_api_docs, with their files served here, not from a CDN
    app = FastAPI(title=title, description=description, version="1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.metrics = metrics
    app.add_middleware(RefusalWithoutTraceback)
    add_exception_handlers(app)
    install_rate_limit(app, rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst,
                       routes=rate_limited, metrics=metrics)
    install(app, metrics, outbox=outbox)
    if outbox:
        from services.kernel.web.outbox_endpoints import router as outbox_router  # it needs this module's SessionDep

        app.include_router(outbox_router)
    for router in routers:
        app.include_router(router)
    install_contract(app)
    install_api_docs(app)
    return app


def _require_current_schema(schema: Schema, url: str, *, component: str) -> None:
    try:
        require_current(schema, url, component=component)
    except SchemaNotCurrent as error:
        raise StartupRefused(str(error)) from None
    except SQLAlchemyError as error:
        raise StartupRefused(f"cannot reach the {component} database ({shown_url(url)}): "
                             f"{str(error).splitlines()[0]}") from None


class RefusalWithoutTraceback:
    """ASGI middleware: a start-up refused (``StartupRefused``) is reported to the server as
    its reason alone. Starlette reports a failed start-up as the whole traceback, which
    uvicorn logs; a refusal is for the operator to mend, and one sentence says how. The
    server still exits non-zero (uvicorn: 3), and the error still reaches a ``TestClient``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold_failure(message: Message) -> None:
            # sent once the error shows whether it is a refusal
            if message["type"] == "lifespan.startup.failed":
                held.append(message)
            else:
                await send(message)

        try:
            await self.app(scope, receive, hold_failure)
        except StartupRefused as refusal:
            held[:] = [{"type": "lifespan.startup.failed", "message": str(refusal)}]
            raise
        finally:
            for message in held:
                await send(message)

