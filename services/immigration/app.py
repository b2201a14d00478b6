"""The immigration service: carriers submit advance passenger information (API manifests).

Run: ``uvicorn --factory services.immigration.app:create_app --port 8102``.
"""

from pathlib import Path

import httpx
from fastapi import FastAPI

from services.immigration import locations
from services.immigration.config import ImmigrationSettings
from services.immigration.endpoints import router
from services.kernel.web.service import create_service_app

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(settings: ImmigrationSettings | None = None, *,
               hub_client: httpx.AsyncClient | None = None) -> FastAPI:
    locations.preload()
    return create_service_app(
        name="immigration", title="swx immigration service",
        description="Advance passenger information: passenger and crew manifests (JSON, XML or UN/EDIFACT "
                    "PAXLST), validated, stored person by person and sent to the arrival country, whose "
                    "board / no-board / refer answers are shown per person.",
        settings=settings or ImmigrationSettings(), routers=[router], migrations=MIGRATIONS, hub_client=hub_client,
    )
