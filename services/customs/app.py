"""The customs service: goods declarations (MRN, risk lane, ACDD) and certificates of origin.

Run: ``uvicorn --factory services.customs.app:create_app --port 8101``.
"""

from pathlib import Path

import httpx
from fastapi import FastAPI

from services.customs.certificate_endpoints import router as certificate_router
from services.customs.config import CustomsSettings
from services.customs.endpoints import router as declaration_router
from services.kernel.web.service import create_service_app

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: CustomsSettings | None = None, *, hub_client: httpx.AsyncClient | None = None) -> FastAPI:
    settings = settings or CustomsSettings()
    app = create_service_app(
        name="customs", title="swx customs service",
        description="Goods declarations (WCO Data Model) get an MRN and a risk lane; an export to a network "
                    "country sends an ASEAN Customs Declaration Document there. Certificates of origin (ATIGA "
                    "e-Form D, AJCEP Form AJ) are checked against their declaration and sent to the importing country.",
        settings=settings, routers=[declaration_router, certificate_router], migrations=MIGRATIONS,
        hub_client=hub_client,
    )
    app.state.risk_policy = settings.risk_policy()
    return app
