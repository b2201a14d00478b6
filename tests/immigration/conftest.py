"""Fixtures of the immigration tests: the app on a fresh database, tokens, submitting."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.immigration.app import create_app
from services.immigration.config import ImmigrationSettings
from services.kernel.network import load_network

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "immigration.passenger-manifest"
MEDIA = {".json": "application/json", ".xml": "application/xml", ".edi": "application/edifact",
         ".txt": "application/edifact"}

Submit = Callable[..., httpx.Response]


@pytest.fixture
def settings(database_url: str, network_file: Path, tmp_path: Path) -> ImmigrationSettings:
    return ImmigrationSettings(database_url=database_url, network_file=network_file, data_dir=tmp_path,
                               hub_url="http://hub.test")


@pytest.fixture
def client(settings: ImmigrationSettings, hub: Any) -> Iterator[TestClient]:
    with TestClient(create_app(settings, hub_client=hub.client())) as test_client:
        yield test_client


@pytest.fixture
def tokens(network_file: Path) -> dict[str, str]:
    network = load_network(network_file)
    return {code: p.token for code, p in network.participants.items()} | {"OPERATOR": network.operator_token}


@pytest.fixture
def auth(tokens: dict[str, str]) -> Callable[..., dict[str, str]]:
    def headers(country: str, *, content_type: str | None = None, accept: str | None = None) -> dict[str, str]:
        found = {"Authorization": f"Bearer {tokens[country]}"}
        if content_type:
            found["Content-Type"] = content_type
        if accept:
            found["Accept"] = accept
        return found

    return headers


@pytest.fixture
def submit(client: TestClient, auth: Callable[..., dict[str, str]]) -> Submit:
    """POST a fixture file (by path) or bytes to /manifests as ``country``."""

    def post(body: Path | bytes, country: str, content_type: str | None = None) -> httpx.Response:
        if isinstance(body, Path):
            content_type = content_type or MEDIA[body.suffix]
            body = body.read_bytes()
        return client.post("/manifests", content=body,
                           headers=auth(country, content_type=content_type or "application/json"))

    return post
