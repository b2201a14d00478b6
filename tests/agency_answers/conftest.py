"""Answers as an NSW endpoint hands them over: signed envelopes posted to ``POST /answers``."""

import json
import uuid
from collections.abc import Callable
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
from services.kernel.registry import REGISTRY
from services.kernel.signing import sign

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

MakeAnswer = Callable[..., Envelope]
PostAnswer = Callable[..., httpx.Response]


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def auth(token: str, content_type: str = "application/json") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


@pytest.fixture
def tokens(network_file: Path) -> dict[str, str]:
    network = load_network(network_file)
    return {code: p.token for code, p in network.participants.items()} | {
        "OPERATOR": network.operator_token, "HUB": network.hub_token}


@pytest.fixture
def private_keys(network_file: Path) -> dict[str, Ed25519PrivateKey]:
    return load_signing_keys(network_file)


@pytest.fixture
def make_answer(private_keys: dict[str, Ed25519PrivateKey]) -> MakeAnswer:
    """A signed answer envelope to ``original`` (an outbound envelope as the hub got it),
    from its receiver back to its sender; ``document`` is the payload's JSON data."""

    def build(original: dict[str, Any], document: dict[str, Any], *, payload_format: str = "xml",
              message_id: str | None = None, signed_by: str | None = None) -> Envelope:
        message_type = REGISTRY.get(*document["document_type"].split("/"))
        typed = message_type.model.model_validate(document, strict=False)
        payload = (canonical.xml_bytes(typed, message_type).decode("utf-8") if payload_format == "xml"
                   else canonical.json_text(typed))
        envelope = Envelope(
            message_id=message_id or str(uuid.uuid4()), conversation_id=original["conversation_id"],
            in_reply_to=original["message_id"], sender=original["receiver"], receiver=original["sender"],
            document_type=message_type.key, created_at=datetime.now(UTC), payload_format=payload_format,
            payload=payload, payload_digest=canonical.digest(payload),
        )
        signer = signed_by or envelope.sender
        return sign(envelope, private_key=private_keys[signer], key_id=signer)

    return build


def poster(client: TestClient, tokens: dict[str, str]) -> PostAnswer:
    """POST an envelope to /answers with the token of ``as_country`` (its receiver by default)."""

    def post(envelope: Envelope, as_country: str | None = None) -> httpx.Response:
        token = tokens[as_country or envelope.receiver]
        return client.post("/answers", content=canonical.json_text(envelope).encode("utf-8"), headers=auth(token))

    return post
