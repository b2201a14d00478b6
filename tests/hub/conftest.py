"""The hub in process, with the receivers' NSW endpoints stood in for by a signing fake."""

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.hub.app import create_app
from services.hub.config import HubSettings
from services.kernel import canonical
from services.kernel.messages.exchange import Envelope, ErrorSignal, Receipt
from services.kernel.network import Network, create_development_network, load_signing_keys
from services.kernel.signing import sign

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ACDD = FIXTURES / "customs.acdd" / "valid" / "th-to-vn-natural-rubber-laem-chabang-to-saigon.xml"
ENDPOINTS = {code: f"http://nsw-{code.lower()}.test" for code in ("JP", "KH", "LA", "MM", "TH", "VN")}


class ReceiverStandIn:
    """Every NSW endpoint at once: records deliveries and answers with the next queued
    behaviour ("receipt" by default): an HTTP status, "receipt", "bad-receipt" (signed by the
    wrong key), "permanent" (a signed error signal), "timeout" or "busy-for-<seconds>" (503
    with that Retry-After)."""

    def __init__(self, keys: dict[str, Any]) -> None:
        self.keys = keys
        self.behaviours: list[int | str] = []
        self.delivered: list[dict[str, Any]] = []
        self.authorizations: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        envelope = json.loads(request.content)
        self.authorizations.append(request.headers.get("authorization", ""))
        behaviour = self.behaviours.pop(0) if self.behaviours else "receipt"
        if behaviour == "timeout":
            raise httpx.ReadTimeout("no answer", request=request)
        if isinstance(behaviour, int):
            return httpx.Response(behaviour, json={"status": behaviour})
        if behaviour.startswith("busy-for-"):  # 503 with Retry-After: the seconds named
            wait = behaviour.removeprefix("busy-for-")
            return httpx.Response(503, json={"status": 503}, headers={"Retry-After": wait})
        receiver = envelope["receiver"]
        if behaviour == "permanent":
            signal = ErrorSignal(error_id=str(uuid.uuid4()), message_id=envelope["message_id"],
                                 sender=envelope["sender"], receiver=receiver, created_at=datetime.now(UTC),
                                 category="permanent", code="DOCUMENT_TYPE_NOT_ACCEPTED",
                                 description="not taken here")
            signed = sign(signal, private_key=self.keys[receiver], key_id=receiver)
            return httpx.Response(422, json={"status": 422, "error_signal": json.loads(canonical.json_text(signed))})
        self.delivered.append(envelope)
        receipt = Receipt(receipt_id=str(uuid.uuid4()), message_id=envelope["message_id"], sender=envelope["sender"],
                          receiver=receiver, received_at=datetime.now(UTC), payload_digest=envelope["payload_digest"])
        signer = "JP" if behaviour == "bad-receipt" else receiver
        return httpx.Response(200, content=canonical.json_text(
            sign(receipt, private_key=self.keys[signer], key_id=signer)).encode())

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


@pytest.fixture
def network(tmp_path: Path) -> Network:
    return create_development_network(tmp_path / "network" / "network.json", endpoints=ENDPOINTS)


@pytest.fixture
def keys(tmp_path: Path, network: Network) -> dict[str, Any]:
    return load_signing_keys(tmp_path / "network" / "network.json")


@pytest.fixture
def receivers(keys: dict[str, Any]) -> ReceiverStandIn:
    return ReceiverStandIn(keys)


@pytest.fixture
def settings(tmp_path: Path, network: Network, database_url: str) -> HubSettings:
    return HubSettings(database_url=database_url, network_file=tmp_path / "network" / "network.json",
                       data_dir=tmp_path, retry_base=0.01, retry_cap=0.05, max_attempts=4, poll_interval=0.05)


@pytest.fixture
def client(settings: HubSettings, receivers: ReceiverStandIn) -> Iterator[TestClient]:
    with TestClient(create_app(settings, delivery_client=receivers.client())) as test_client:
        yield test_client


@pytest.fixture
def envelope(keys: dict[str, Any]) -> Callable[..., Envelope]:
    """A signed envelope carrying a fixture (the TH->VN ACDD unless told otherwise)."""

    def make(sender: str = "TH", receiver: str = "VN", path: Path = ACDD, *, document_type: str = "customs.acdd/1.0",
             in_reply_to: str | None = None, conversation_id: str | None = None, signer: str | None = None,
             payload: str | None = None, message_id: str | None = None) -> Envelope:
        text = payload if payload is not None else path.read_text(encoding="utf-8")
        unsigned = Envelope(message_id=message_id or str(uuid.uuid4()),
                            conversation_id=conversation_id or str(uuid.uuid4()),
                            in_reply_to=in_reply_to, sender=sender, receiver=receiver, document_type=document_type,
                            created_at=datetime.now(UTC), payload_format="xml" if path.suffix == ".xml" else "json",
                            payload=text, payload_digest=canonical.digest(text))
        return sign(unsigned, private_key=keys[signer or sender], key_id=signer or sender)

    return make


@pytest.fixture
def post(client: TestClient, network: Network) -> Callable[..., httpx.Response]:
    def send(envelope: Envelope | dict[str, Any] | str, *, as_country: str | None = None) -> httpx.Response:
        if isinstance(envelope, Envelope):
            country, body = as_country or envelope.sender, canonical.json_text(envelope)
        else:
            country = as_country or "TH"
            body = envelope if isinstance(envelope, str) else json.dumps(envelope)
        return client.post("/messages", content=body.encode(), headers={
            "Authorization": f"Bearer {network.token_of(country)}", "Content-Type": "application/json"})

    return send


@pytest.fixture
def auth(network: Network) -> Callable[[str], dict[str, str]]:
    def headers(country: str) -> dict[str, str]:
        token = network.operator_token if country == "OPERATOR" else network.token_of(country)
        return {"Authorization": f"Bearer {token}"}

    return headers
