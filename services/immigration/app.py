"""The immigration service: carriers submit advance passenger information (API manifests).

Run: ``swx migrate --component immigration``, then
``uvicorn --factory services.immigration.app:create_app --port 8102``.
"""

import httpx
from fastapi import FastAPI
from sqlmodel import Session

from services.immigration import locations
from services.immigration.config import ImmigrationSettings
from services.immigration.decisions import record_api_response
from services.immigration.endpoints import router
from services.kernel import resources
from services.kernel.edifact import zones
from services.kernel.messages.exchange import Envelope
from services.kernel.messages.immigration import APIResponse
from services.kernel.messages.types import Document
from services.kernel.migrate import Schema
from services.kernel.outbox import OutboxMessage
from services.kernel.web.answer_intake import answers_router
from services.kernel.web.service import create_service_app

MIGRATIONS = resources.migrations_dir("services.immigration")
SCHEMA = Schema("immigration", MIGRATIONS, kernel=("outbox", "answers"))


def _record_api_response(session: Session, document: Document, envelope: Envelope, answered: OutboxMessage) -> object:
    """The arrival country's board / no-board / refer for a manifest ``envelope.receiver`` sent."""
    assert isinstance(document, APIResponse)
    return record_api_response(session, response=document, for_country=envelope.receiver,
                               in_reply_to=envelope.in_reply_to)


def create_app(settings: ImmigrationSettings | None = None, *,
               hub_client: httpx.AsyncClient | None = None) -> FastAPI:
    locations.preload()
    zones.preload()  # the PAXLST reader's time zones, so the first PAXLST does not wait for them
    return create_service_app(
        name="immigration", title="swx immigration service",
        description="Advance passenger information: passenger and crew manifests (JSON, XML or UN/EDIFACT "
                    "PAXLST), validated, stored person by person and sent to the arrival country, whose "
                    "board / no-board / refer answers are shown per person.",
        settings=settings or ImmigrationSettings(), schema=SCHEMA, hub_client=hub_client,
        routers=[router, answers_router({"immigration.api-response": _record_api_response})],
        rate_limited=[("POST", "/manifests")],
    )
