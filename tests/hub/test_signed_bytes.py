"""Signed bytes travel as signed (ARCHITECTURE section 5): the hub stores each envelope exactly
as its sender sent it and delivers those bytes, so the receiver verifies the sender's
signature whatever offset, fraction or JSON spelling the sender chose.

Most cases go through a real VN NSW endpoint (its own app, database and event loop), so the
verification downstream is the receiver's own."""

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select
from sqlmodel import Session

from services.hub.app import MIGRATIONS as HUB_MIGRATIONS
from services.hub.app import SCHEMA as HUB_SCHEMA
from services.hub.app import create_app as create_hub_app
from services.hub.config import HubSettings
from services.hub.models import HubMessage
from services.kernel import canonical
from services.kernel.messages.exchange import Envelope, Receipt
from services.kernel.migrate import alembic_config, upgrade
from services.kernel.network import Network
from services.kernel.registry import REGISTRY
from services.kernel.signing import SignatureInvalid, sign, verify
from services.kernel.validation import validate
from services.nsw.app import create_app as create_nsw_app
from services.nsw.config import NSWSettings
from services.nsw.models import InboxMessage

ACDD = Path(__file__).resolve().parents[2] / "fixtures" / "customs.acdd" / "valid" / \
    "th-to-vn-natural-rubber-laem-chabang-to-saigon.xml"
SETTLED = ("DELIVERED", "ACKNOWLEDGED", "REJECTED", "FAILED")
ENVELOPE = REGISTRY.get("exchange.envelope")


class ToRealApp(httpx.AsyncBaseTransport):
    """The hub's deliveries, handed to a real app running in its own TestClient (its own event
    loop and lifespan), as the network would carry them."""

    def __init__(self, app: TestClient) -> None:
        self.app = app
        self.bodies: list[bytes] = []
        self.media_types: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.bodies.append(body)
        self.media_types.append(request.headers["content-type"])
        headers = {name: request.headers[name] for name in ("authorization", "content-type")}
        answer = await asyncio.to_thread(self.app.post, request.url.path, content=body, headers=headers)
        return httpx.Response(answer.status_code, content=answer.content,
                              headers={"content-type": answer.headers.get("content-type", "application/json")})


def _answers_everything(status: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(status, json={})))


@pytest.fixture
def nsw_vn(tmp_path: Path, settings: HubSettings) -> Iterator[TestClient]:
    """VN's NSW endpoint on its own SQLite file, in the hub's network; the hub it answers and
    the agencies it hands over to are stood in for."""
    nsw_settings = NSWSettings(country="VN", database_url=f"sqlite:///{tmp_path / 'nsw-vn.db'}",
                               network_file=settings.network_file, data_dir=tmp_path / "nsw-vn",
                               hub_url="http://hub.test", customs_url="http://customs.test",
                               immigration_url="http://immigration.test", port_url="http://port.test")
    app = create_nsw_app(nsw_settings, hub_client=_answers_everything(202), agency_client=_answers_everything(200))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def wire(nsw_vn: TestClient) -> ToRealApp:
    return ToRealApp(nsw_vn)


@pytest.fixture
def hub_app(settings: HubSettings, wire: ToRealApp) -> Iterator[TestClient]:
    with TestClient(create_hub_app(settings, delivery_client=httpx.AsyncClient(transport=wire))) as client:
        yield client


def _signed(keys: dict[str, Any], *, created_at: str, payload: str | None = None) -> Envelope:
    text = payload if payload is not None else ACDD.read_text(encoding="utf-8")
    unsigned = Envelope.model_validate({
        "message_id": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()), "sender": "TH", "receiver": "VN",
        "document_type": "customs.acdd/1.0", "created_at": created_at, "payload_format": "xml", "payload": text,
        "payload_digest": canonical.digest(text)})
    return sign(unsigned, private_key=keys["TH"], key_id="TH")


def _send(hub: TestClient, network: Network, body: bytes, *, media_type: str = "application/json") -> httpx.Response:
    return hub.post("/messages", content=body, headers={"Authorization": f"Bearer {network.token_of('TH')}",
                                                        "Content-Type": media_type})


def _settled(hub: TestClient, network: Network, message_id: str, eventually: Callable[..., None]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {network.token_of('TH')}"}

    def record() -> dict[str, Any]:
        found: dict[str, Any] = hub.get(f"/messages/{message_id}", headers=headers).json()
        return found

    eventually(lambda: record()["state"] in SETTLED, what=f"{message_id} delivered or refused")
    return record()


def _stored_at_the_receiver(nsw: TestClient, message_id: str) -> InboxMessage:
    with Session(nsw.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.exec(select(InboxMessage).where(InboxMessage.message_id == message_id)).scalars().one()
        session.expunge(row)
        return row


def _json(data: dict[str, Any], **dumps: Any) -> bytes:
    return json.dumps(data, **({"ensure_ascii": False} | dumps)).encode("utf-8")


def _fields(envelope: Envelope, created_at: str) -> dict[str, Any]:
    """The signed envelope's fields, ``created_at`` written as the sender wrote it."""
    return canonical.json_data(envelope) | {"created_at": created_at}


def _reversed(envelope: Envelope, created_at: str) -> bytes:
    return _json(dict(reversed(_fields(envelope, created_at).items())))


def _spaced(envelope: Envelope, created_at: str) -> bytes:
    text = json.dumps(_fields(envelope, created_at), indent="\t", separators=(" ,  ", " :\t"), ensure_ascii=False)
    return ("\r\n  " + text.replace("\n", "\r\n") + "\n\n").encode("utf-8")


def _solidus_escaped(envelope: Envelope, created_at: str) -> bytes:
    # outside strings JSON has no '/', so escaping every one only respells string values
    return _json(_fields(envelope, created_at)).replace(b"/", b"\\/")


def _plain(envelope: Envelope, created_at: str) -> bytes:
    return _json(_fields(envelope, created_at), indent=1)


SPELLINGS = {
    "offset +07:00": ("2026-12-03T17:00:00+07:00", _plain),
    "offset -05:00": ("2026-12-03T05:00:00-05:00", _plain),
    "offset +05:45": ("2026-12-03T15:45:00+05:45", _plain),
    "half a second, +07:00": ("2026-12-03T17:00:00.5+07:00", _plain),
    "microseconds, -05:00": ("2026-12-03T05:00:00.123456-05:00", _plain),
    "microseconds in UTC": ("2026-12-03T10:00:00.123456Z", _plain),
    "keys in reverse order": ("2026-12-03T10:00:00Z", _reversed),
    "tabs, CRLF and blank lines": ("2026-12-03T17:00:00+07:00", _spaced),
    "escaped solidus": ("2026-12-03T10:00:00Z", _solidus_escaped),
}


@pytest.mark.parametrize(("created_at", "spell"), SPELLINGS.values(), ids=SPELLINGS.keys())
def test_the_receiver_gets_and_verifies_the_bytes_the_sender_signed(
    hub_app: TestClient, nsw_vn: TestClient, wire: ToRealApp, network: Network, keys: dict[str, Any],
    eventually: Callable[..., None], created_at: str, spell: Callable[[Envelope, str], bytes],
) -> None:
    sent = _signed(keys, created_at=created_at)
    body = spell(sent, created_at)
    assert body != canonical.json_text(sent).encode("utf-8"), "the case must not be the canonical spelling"
    accepted = _send(hub_app, network, body)
    assert accepted.status_code == 202, accepted.text
    record = _settled(hub_app, network, sent.message_id, eventually)
    assert record["state"] == "DELIVERED", record["last_error"]
    assert wire.bodies == [body]
    stored = _stored_at_the_receiver(nsw_vn, sent.message_id)
    assert (stored.state, stored.envelope, stored.envelope_media_type) == ("ACCEPTED", body, "application/json")
    receipt = Receipt.model_validate(record["receipt"])
    verify(receipt, public_key_for=network.public_key_for)
    assert (receipt.receiver, receipt.receipt_id, receipt.payload_digest) == ("VN", stored.receipt_id,
                                                                              sent.payload_digest)


def test_u_escapes_and_non_ascii_text_arrive_as_sent(
    hub_app: TestClient, nsw_vn: TestClient, wire: ToRealApp, network: Network, keys: dict[str, Any],
    eventually: Callable[..., None],
) -> None:
    payload = ACDD.read_text(encoding="utf-8").replace("Saigon Tyre Manufacturing JSC", "Sài Gòn Tyre Công ty é")
    sent = _signed(keys, created_at="2026-12-03T17:00:00+07:00", payload=payload)
    body = _json(canonical.json_data(sent), ensure_ascii=True)  # é as \u00e9, ò as \u00f2, ...
    assert b"\\u00e9" in body
    assert _send(hub_app, network, body).status_code == 202
    record = _settled(hub_app, network, sent.message_id, eventually)
    assert record["state"] == "DELIVERED", record["last_error"]
    assert wire.bodies == [body]
    assert _stored_at_the_receiver(nsw_vn, sent.message_id).envelope == body


def test_a_resend_in_another_spelling_is_the_same_message_and_the_first_bytes_travel(
    hub_app: TestClient, wire: ToRealApp, network: Network, keys: dict[str, Any], eventually: Callable[..., None],
) -> None:
    sent = _signed(keys, created_at="2026-12-03T17:00:00.5+07:00")
    first = _plain(sent, "2026-12-03T17:00:00.5+07:00")
    assert _send(hub_app, network, first).status_code == 202
    again = _send(hub_app, network, _reversed(sent, "2026-12-03T17:00:00.500000+07:00"))
    assert again.status_code == 200, again.text
    other = sent.model_copy(update={"created_at": sent.created_at.replace(second=1)})
    resigned = sign(other, private_key=keys["TH"], key_id="TH")
    assert _send(hub_app, network, canonical.json_text(resigned).encode("utf-8")).status_code == 409
    record = _settled(hub_app, network, sent.message_id, eventually)
    assert record["state"] == "DELIVERED", record["last_error"]
    assert wire.bodies == [first]


class VerifyingReceiver:
    """Stands in for VN's endpoint: reads the envelope in the format its Content-Type names,
    checks the sender's signature and answers with VN's signed receipt (400 when it cannot)."""

    def __init__(self, keys: dict[str, Any], network: Network) -> None:
        self.keys, self.network = keys, network
        self.bodies: list[bytes] = []
        self.media_types: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.content)
        self.media_types.append(request.headers["content-type"])
        report = validate(request.content, media_type=request.headers["content-type"], expected_type=ENVELOPE)
        envelope = report.document
        if not report.valid or not isinstance(envelope, Envelope):
            return httpx.Response(400, json={"errors": [f.as_dict() for f in report.findings]})
        try:
            verify(envelope, public_key_for=self.network.public_key_for)
        except SignatureInvalid as invalid:
            return httpx.Response(400, json={"detail": str(invalid)})
        receipt = Receipt(receipt_id=str(uuid.uuid4()), message_id=envelope.message_id, sender=envelope.sender,
                          receiver="VN", received_at=datetime.now(UTC), payload_digest=envelope.payload_digest)
        return httpx.Response(200, content=canonical.json_text(sign(receipt, private_key=self.keys["VN"],
                                                                    key_id="VN")).encode("utf-8"))


def test_an_xml_envelope_travels_as_its_xml_bytes(
    hub_app: TestClient, nsw_vn: TestClient, wire: ToRealApp, network: Network, keys: dict[str, Any],
    eventually: Callable[..., None],
) -> None:
    sent = _signed(keys, created_at="2026-12-03T17:00:00.5+07:00")
    canonical_xml = canonical.xml_bytes(sent, ENVELOPE)
    # as another toolkit might write it: its own declaration, a comment, other indentation
    body = (canonical_xml.replace(b"<?xml version='1.0' encoding='UTF-8'?>",
                                  b'<?xml version="1.0" encoding="utf-8"?>\n<!-- from TH -->')
            .replace(b"\n  <", b"\n\t<").replace(b"17:00:00.500000+07:00", b"17:00:00.5+07:00"))
    assert body != canonical_xml
    accepted = _send(hub_app, network, body, media_type="application/xml")
    assert accepted.status_code == 202, accepted.text
    record = _settled(hub_app, network, sent.message_id, eventually)
    assert record["state"] == "DELIVERED", record["last_error"]
    assert (wire.bodies, wire.media_types) == ([body], ["application/xml"])
    stored = _stored_at_the_receiver(nsw_vn, sent.message_id)
    assert (stored.state, stored.envelope, stored.envelope_media_type) == ("ACCEPTED", body, "application/xml")
    receipt = Receipt.model_validate(record["receipt"])
    verify(receipt, public_key_for=network.public_key_for)
    assert (receipt.receiver, receipt.receipt_id, receipt.payload_digest) == ("VN", stored.receipt_id,
                                                                              sent.payload_digest)


def test_messages_queued_before_the_upgrade_are_delivered_as_delivery_built_them(
    database_url: str, settings: HubSettings, network: Network, keys: dict[str, Any],
    eventually: Callable[..., None],
) -> None:
    command.upgrade(alembic_config(migrations=HUB_MIGRATIONS, url=database_url), "0003")
    queued = _signed(keys, created_at="2026-12-03T10:00:00.25Z")  # UTC, as the agencies' outboxes sign
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(insert(HubMessage.__table__).values(  # type: ignore[attr-defined]
                message_id=queued.message_id, conversation_id=queued.conversation_id, in_reply_to=None,
                sender="TH", receiver="VN", document_type=queued.document_type, created_at=queued.created_at,
                payload_format="xml", payload=queued.payload, payload_digest=queued.payload_digest,
                signature=queued.signature, envelope_digest="0" * 64, received_at=now, state="QUEUED", attempts=0,
                next_attempt_at=now))
        upgrade(HUB_SCHEMA, database_url)
        with engine.connect() as connection:
            stored = connection.execute(select(HubMessage.__table__.c.envelope,  # type: ignore[attr-defined]
                                               HubMessage.__table__.c.envelope_media_type)).one()  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    assert (bytes(stored[0]), stored[1]) == (canonical.json_text(queued).encode("utf-8"), "application/json")
    receiver = VerifyingReceiver(keys, network)
    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver.handler))
    with TestClient(create_hub_app(settings, delivery_client=client)) as hub_app:
        record = _settled(hub_app, network, queued.message_id, eventually)
    assert record["state"] == "DELIVERED", record["last_error"]
    assert receiver.bodies == [canonical.json_text(queued).encode("utf-8")]
