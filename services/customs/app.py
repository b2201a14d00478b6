"""The customs service: goods declarations (MRN, risk lane, ACDD) and certificates of origin.

Run: ``swx migrate --component customs``, then ``uvicorn --factory services.customs.app:create_app --port 8101``.
"""

import httpx
from fastapi import FastAPI
from sqlmodel import Session

from services.customs.certificate_endpoints import router as certificate_router
from services.customs.config import CustomsSettings
from services.customs.endpoints import router as declaration_router
from services.customs.received_responses import record_customs_answer
from services.kernel import resources
from services.kernel.messages.customs import Response
from services.kernel.messages.exchange import Envelope
from services.kernel.messages.types import Document
from services.kernel.messages.wco.response import CustomsResponse
from services.kernel.migrate import Schema
from services.kernel.outbox import OutboxMessage
from services.kernel.web.answer_intake import answers_router
from services.kernel.web.service import create_service_app

MIGRATIONS = resources.migrations_dir("services.customs")
SCHEMA = Schema("customs", MIGRATIONS, kernel=("outbox", "answers"))


def _record_customs_response(session: Session, document: Document, envelope: Envelope,
                             answered: OutboxMessage) -> None:
    """The importing customs answered one of ``envelope.receiver``'s ACDDs or certificates (1.0 or 2.0)."""
    assert isinstance(document, Response | CustomsResponse)
    record_customs_answer(session, response=document, for_country=envelope.receiver, answered=answered)


def create_app(settings: CustomsSettings | None = None, *, hub_client: httpx.AsyncClient | None = None) -> FastAPI:
    settings = settings or CustomsSettings()
    app = create_service_app(
        name="customs", title="swx customs service",
        description="Goods declarations (WCO Data Model) get an MRN and a risk lane; an export to a network "
                    "country sends an ASEAN Customs Declaration Document there. Certificates of origin (ATIGA "
                    "e-Form D, AJCEP Form AJ) are checked against their declaration and sent to the importing country.",
        settings=settings, schema=SCHEMA, hub_client=hub_client,
        routers=[declaration_router, certificate_router,
                 answers_router({"customs.response": _record_customs_response})],
        rate_limited=[("POST", "/declarations"), ("POST", "/certificates-of-origin")],
    )
    app.state.risk_policy = settings.risk_policy()
    return app
