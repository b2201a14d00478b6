"""Customs test fixtures: an app per database with the hub stood in for, tokens, samples."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from stdnum.iso7064 import mod_37_36

from services.customs.app import create_app
from services.customs.config import CustomsSettings
from services.customs.mrn import PATTERN as MRN_LAYOUT
from services.kernel.network import load_network

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DECLARATIONS = FIXTURES / "customs.declaration"
CERTIFICATES = FIXTURES / "customs.certificate-of-origin"
TH_EXPORT = DECLARATIONS / "valid" / "th-export-natural-rubber-laem-chabang-to-saigon.json"
JP_IMPORT = DECLARATIONS / "valid" / "jp-import-thai-jasmine-rice-yokohama-aeo-importer.json"
FORM_D = CERTIFICATES / "valid" / "atiga-form-d-th-to-vn-natural-rubber.json"


def is_valid_mrn(mrn: str) -> bool:
    """An MRN as customs gives them: its layout, and its ISO 7064 MOD 37,36 check character right."""
    return bool(MRN_LAYOUT.fullmatch(mrn)) and bool(mod_37_36.is_valid(mrn))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def auth(token: str, content_type: str = "application/json") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


@pytest.fixture
def tokens(network_file: Path) -> dict[str, str]:
    network = load_network(network_file)
    return {code: p.token for code, p in network.participants.items()} | {"OPERATOR": network.operator_token}


@pytest.fixture
def make_client(database_url: str, network_file: Path, hub: Any, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """A started customs app; settings override the defaults (no random selection, so lanes are predictable)."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        values: dict[str, Any] = {"database_url": database_url, "network_file": network_file, "data_dir": tmp_path,
                                  "hub_url": "http://hub.test", "risk_random_rate": 0.0} | overrides
        client = TestClient(create_app(CustomsSettings(**values), hub_client=hub.client()))
        clients.append(client.__enter__())
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def lodge(client: TestClient, tokens: dict[str, str]) -> Callable[..., Any]:
    """POST a declaration (a dict as JSON, bytes as given) as ``country``; the response."""

    def post(document: dict[str, Any] | bytes, country: str = "TH", content_type: str = "application/json") -> Any:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        return client.post("/declarations", content=body, headers=auth(tokens[country], content_type))

    return post
