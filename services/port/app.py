"""The port service: ship agents submit vessel calls (IMO FAL 1, 5 and 6).

Run: ``swx migrate --component port``, then ``uvicorn --factory services.port.app:create_app --port 8103``.
"""

import httpx
from fastapi import FastAPI
from sqlmodel import Session

from services.kernel import resources
from services.kernel.messages.exchange import Envelope
from services.kernel.messages.port import Clearance
from services.kernel.messages.types import Document
from services.kernel.migrate import Schema
from services.kernel.outbox import OutboxMessage
from services.kernel.web.answer_intake import answers_router
from services.kernel.web.service import create_service_app
from services.port.config import PortSettings
from services.port.endpoints import router
from services.port.service import record_clearance

MIGRATIONS = resources.migrations_dir("services.port")
SCHEMA = Schema("port", MIGRATIONS, kernel=("outbox", "answers"))


def _record_clearance(session: Session, document: Document, envelope: Envelope, answered: OutboxMessage) -> object:
    """The port country's agencies decided on a call ``envelope.receiver``'s agent made."""
    assert isinstance(document, Clearance)
    return record_clearance(session, clearance=document, submitter=envelope.receiver, answered_subject=answered.subject)


def create_app(settings: PortSettings | None = None, *, hub_client: httpx.AsyncClient | None = None) -> FastAPI:
    return create_service_app(
        name="port", title="swx port service",
        description="Vessel calls (FAL 1 general declaration with FAL 5 crew and FAL 6 passenger lists), "
                    "validated, stored and sent to the country of the port of call.",
        settings=settings or PortSettings(), routers=[router, answers_router({"port.clearance": _record_clearance})],
        schema=SCHEMA, hub_client=hub_client, rate_limited=[("POST", "/vessel-calls")],
    )
