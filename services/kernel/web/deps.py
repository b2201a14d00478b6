"""Typed dependencies: what an endpoint needs from the running service, named in its signature.

The service's lifespan (``service.create_service_app`` and each service's ``app.py``) puts the
parts of a running service on ``app.state``; the functions here are the only readers of it
for requests. An endpoint says what it uses (``settings: SettingsDep``) rather than reaching
into the app, and a test can stand in for any part with ``app.dependency_overrides``.

Every dependency here is ``async def``: none does I/O, and FastAPI runs a plain ``def``
dependency in a worker thread, a trip through the thread pool for each, on every request.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy.engine import Engine

from services.kernel.background import BackgroundLoop
from services.kernel.network import Network
from services.kernel.web.observability import Metrics
from services.kernel.web.service import ServiceSettings, SessionDep
from services.kernel.web.submissions import Intake

__all__ = ["EngineDep", "IntakeDep", "MetricsDep", "NetworkDep", "OutboxWakeDep", "SessionDep", "SettingsDep", "Wake",
           "app_state", "waker"]


def app_state(attribute: str) -> Callable[[Request], Awaitable[Any]]:
    """The dependency that gives what the lifespan keeps as ``app.state.<attribute>``; the
    ``Annotated`` alias that uses it names its type."""

    async def part(request: Request) -> Any:
        return getattr(request.app.state, attribute)

    return part


SettingsDep = Annotated[ServiceSettings, Depends(app_state("settings"))]
"""The service's settings (its own ``BaseSettings`` subclass)."""
NetworkDep = Annotated[Network, Depends(app_state("network"))]
"""The network directory: participants, their tokens' hashes and public keys."""
MetricsDep = Annotated[Metrics, Depends(app_state("metrics"))]
EngineDep = Annotated[Engine, Depends(app_state("engine"))]
"""The database engine, for what runs outside the request's unit of work (health, metrics)."""


async def _intake(settings: SettingsDep, metrics: MetricsDep) -> Intake:
    return Intake(max_bytes=settings.max_body_bytes, metrics=metrics)


IntakeDep = Annotated[Intake, Depends(_intake)]
"""How this service takes a document in: its body limit, and the counts of what it accepts and refuses."""


class Wake:
    """Wakes a background loop (the outbox dispatcher, the hub's delivery worker, the NSW
    handover) once the response is on its way: the request's session has committed by then,
    so the loop finds what the request wrote rather than waiting for its next look. Does
    nothing where the service runs no such loop."""

    def __init__(self, loop: BackgroundLoop | None, background: BackgroundTasks) -> None:
        self._loop, self._background = loop, background

    def __call__(self) -> None:
        if self._loop is not None:
            self._background.add_task(_wake, self._loop)


async def _wake(loop: BackgroundLoop) -> None:
    """A coroutine rather than ``loop.wake`` itself: Starlette runs a plain function given as a
    background task in a worker thread, and waking only schedules the loop's event."""
    loop.wake()


def waker(attribute: str) -> Callable[[Request, BackgroundTasks], Awaitable[Wake]]:
    """The dependency that wakes the loop the lifespan keeps as ``app.state.<attribute>``."""

    async def wake(request: Request, background: BackgroundTasks) -> Wake:
        return Wake(getattr(request.app.state, attribute, None), background)

    return wake


OutboxWakeDep = Annotated[Wake, Depends(waker("dispatcher"))]
"""Wakes the outbox dispatcher, which sends what the request queued to the hub."""
