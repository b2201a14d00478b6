"""Fixtures of the NSW tests: VN's endpoint on a fresh database, the hub and an agency stood in
for, and envelopes signed like a sender would sign them."""

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from services.kernel import canonical
from services.kernel.messages.exchange import Envelope
from services.kernel.network import load_network, load_signing_keys
from services.kernel.signing import sign
from services.nsw.app import create_app
from services.nsw.config import NSWSettings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


class AgencyStandIn:
    """Stands in for the agency services' ``POST /answers``: records each request, answers with
    the queued statuses (200 by default)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        return httpx.Response(status, json={"status": status})

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


@pytest.fixture
def agency() -> AgencyStandIn:
    return AgencyStandIn()


@pytest.fixture
def settings(database_url: str, network_file: Path, tmp_path: Path) -> NSWSettings:
    return NSWSettings(country="VN", database_url=database_url, network_file=network_file, data_dir=tmp_path,
                       hub_url="http://hub.test", customs_url="http://customs.test",
                       immigration_url="http://immigration.test", port_url="http://port.test")


@pytest.fixture
def client(settings: NSWSettings, hub: Any, agency: AgencyStandIn) -> Iterator[TestClient]:
    with TestClient(create_app(settings, hub_client=hub.client(), agency_client=agency.client())) as test_client:
        yield test_client


@pytest.fixture
def tokens(network_file: Path) -> dict[str, str]:
    network = load_network(network_file)
    return ({code: p.token for code, p in network.participants.items()}
            | {"OPERATOR": network.operator_token, "HUB": network.hub_token})


@pytest.fixture
def keys(network_file: Path) -> dict[str, Ed25519PrivateKey]:
    return load_signing_keys(network_file)


def fixture_payload(relative: str) -> tuple[str, str]:
    """A fixture's text and its payload format, by its path under ``fixtures/``."""
    path = FIXTURES / relative
    return path.read_text(encoding="utf-8"), "xml" if path.suffix == ".xml" else "json"


@pytest.fixture
def envelope(keys: dict[str, Ed25519PrivateKey]) -> Callable[..., Envelope]:
    """An envelope of a fixture document, signed by its sender unless ``signer`` says otherwise
    (``None``: unsigned)."""

    def make(relative: str, *, sender: str = "TH", receiver: str = "VN", document_type: str | None = None,
             signer: str | None = "same", **fields: Any) -> Envelope:
        payload, payload_format = fixture_payload(relative)
        data: dict[str, Any] = {
            "message_id": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()), "sender": sender,
            "receiver": receiver, "document_type": document_type or f"{relative.split('/')[0]}/1.0",
            "created_at": datetime.now(UTC).replace(microsecond=0), "payload_format": payload_format,
            "payload": payload, "payload_digest": canonical.digest(payload),
        } | fields
        built = Envelope(**data)
        if signer is None:
            return built
        key_id = sender if signer == "same" else signer
        return sign(built, private_key=keys[key_id], key_id=key_id)

    return make


@pytest.fixture
def deliver(client: TestClient, tokens: dict[str, str]) -> Callable[..., httpx.Response]:
    """POST an envelope (or raw text) to the inbox as the hub (or as ``caller``)."""

    def post(message: Envelope | str, *, caller: str | None = "HUB") -> httpx.Response:
        body = canonical.json_text(message) if isinstance(message, Envelope) else message
        headers = {"Content-Type": "application/json"}
        if caller is not None:
            headers["Authorization"] = f"Bearer {tokens[caller]}"
        return client.post("/inbox", content=body.encode("utf-8"), headers=headers)

    return post


@pytest.fixture
def inbox(client: TestClient, tokens: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """GET /inbox (or /inbox/{id}) as VN, asserting success."""

    def get(path: str = "", *, as_: str = "VN", **params: Any) -> dict[str, Any]:
        response = client.get(f"/inbox{path}", params=params, headers={"Authorization": f"Bearer {tokens[as_]}"})
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    return get

