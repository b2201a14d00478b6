"""XML envelopes at the NSW endpoint: taken like JSON ones, kept as the bytes the sender signed,
handed over to the agency in those bytes with their media type."""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Text, column, create_engine, insert, select, table
from sqlmodel import Session

from services.kernel import canonical
from services.kernel.messages.exchange import Envelope, Receipt
from services.kernel.migrate import alembic_config, upgrade
from services.kernel.network import load_network
from services.kernel.registry import REGISTRY
from services.kernel.signing import verify
from services.kernel.validation import validate
from services.nsw.app import MIGRATIONS, SCHEMA, create_app
from services.nsw.config import NSWSettings
from services.nsw.models import InboxMessage

ACDD = "customs.acdd/valid/th-to-vn-natural-rubber-laem-chabang-to-saigon.xml"
RESPONSE = "customs.response/valid/th-accepted-green-lane-natural-rubber-export.json"
ENVELOPE = REGISTRY.get("exchange.envelope")
SIGNED_AT = datetime.fromisoformat("2026-12-03T17:00:00.5+07:00")
_INBOX = InboxMessage.__table__  # type: ignore[attr-defined]
BEFORE_THE_UPGRADE = table("inbox_message", column("envelope", Text()), *(
    column(c.name, c.type) for c in _INBOX.c if c.name != "envelope" and c.name in {
        "message_id", "sender", "receiver", "conversation_id", "in_reply_to", "document_type", "payload_format",
        "created_at", "content_digest", "received_at", "state", "answer_status", "answer", "deliveries",
        "last_delivered_at", "handover_state", "handover_attempts", "handover_next_at"}))
"""The inbox table as revision 0001 made it: the envelope JSON as text."""


def as_another_toolkit_writes_it(message: Envelope) -> bytes:
    """The envelope's XML as a sender's own toolkit might write it: another declaration, a
    comment, tabs, and ``created_at`` with its offset and a short fraction."""
    written = canonical.xml_bytes(message, ENVELOPE)
    body = (written.replace(b"<?xml version='1.0' encoding='UTF-8'?>",
                            b'<?xml version="1.0" encoding="utf-8"?>\n<!-- from TH -->')
            .replace(b"\n  <", b"\n\t<").replace(b"17:00:00.500000+07:00", b"17:00:00.5+07:00"))
    assert body != written, "the case must not be the canonical spelling"
    assert b"17:00:00.5+07:00" in body
    return body


def _post(client: TestClient, tokens: dict[str, str], body: bytes, media_type: str) -> httpx.Response:
    return client.post("/inbox", content=body, headers={"Authorization": f"Bearer {tokens['HUB']}",
                                                         "Content-Type": media_type})


def _stored(client: TestClient, message_id: str) -> InboxMessage:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.exec(select(InboxMessage).where(InboxMessage.message_id == message_id)).scalars().one()
        session.expunge(row)
        return row


def test_an_xml_envelope_gets_a_signed_receipt_and_is_kept_as_its_bytes(
    client: TestClient, tokens: dict[str, str], envelope: Callable[..., Envelope], network_file: Path,
    inbox: Callable[..., Any],
) -> None:
    message = envelope(ACDD, created_at=SIGNED_AT)
    body = as_another_toolkit_writes_it(message)
    response = _post(client, tokens, body, "application/xml")
    assert response.status_code == 200, response.text
    receipt = Receipt.model_validate_json(response.content)
    verify(receipt, public_key_for=load_network(network_file).public_key_for)
    assert (receipt.message_id, receipt.receiver, receipt.payload_digest) == (message.message_id, "VN",
                                                                              message.payload_digest)
    stored = _stored(client, message.message_id)
    assert (stored.state, stored.envelope, stored.envelope_media_type) == ("ACCEPTED", body, "application/xml")
    shown = inbox(f"/{message.message_id}")["envelope"]  # read back for display, as JSON
    assert (shown["signature"], shown["payload_digest"]) == (message.signature, message.payload_digest)


def test_an_xml_envelope_in_latin_1_is_kept_byte_for_byte(
    client: TestClient, tokens: dict[str, str], envelope: Callable[..., Envelope],
) -> None:
    payload = (Path(__file__).resolve().parents[2] / "fixtures" / ACDD).read_text(encoding="utf-8")
    message = envelope(ACDD, payload=payload.replace("Saigon Tyre Manufacturing JSC", "Société Caoutchouc"),
                       payload_digest=canonical.digest(payload.replace("Saigon Tyre Manufacturing JSC",
                                                                       "Société Caoutchouc")))
    text = canonical.xml_bytes(message, ENVELOPE).decode("utf-8")
    # the envelope's own declaration only: the payload inside is text and keeps its own
    body = text.replace("encoding='UTF-8'", "encoding='ISO-8859-1'", 1).encode("latin-1", "xmlcharrefreplace")
    assert b"Soci\xe9t\xe9" in body  # not UTF-8: the bytes could not be kept as text
    response = _post(client, tokens, body, "application/xml")
    assert response.status_code == 200, response.text
    assert _stored(client, message.message_id).envelope == body


def test_the_same_envelope_again_in_json_is_a_duplicate_and_the_xml_stays(
    client: TestClient, tokens: dict[str, str], envelope: Callable[..., Envelope], inbox: Callable[..., Any],
) -> None:
    message = envelope(ACDD, created_at=SIGNED_AT)
    body = as_another_toolkit_writes_it(message)
    first = _post(client, tokens, body, "application/xml")
    again = _post(client, tokens, canonical.json_text(message).encode("utf-8"), "application/json")
    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.content == first.content
    assert inbox(f"/{message.message_id}")["deliveries"] == 2
    assert _stored(client, message.message_id).envelope == body


def test_the_same_message_id_with_other_content_in_xml_is_a_conflict(
    deliver: Callable[..., httpx.Response], client: TestClient, tokens: dict[str, str],
    envelope: Callable[..., Envelope],
) -> None:
    message = envelope(ACDD)
    assert deliver(message).status_code == 200
    other = envelope(ACDD, message_id=message.message_id, conversation_id=message.conversation_id,
                     created_at=SIGNED_AT)
    conflict = _post(client, tokens, canonical.xml_bytes(other, ENVELOPE), "application/xml")
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["error_signal"]["code"] == "MESSAGE_ID_CONFLICT"


@pytest.mark.parametrize(("body", "media_type", "status"), [
    (b"<Envelope><message_id>", "application/xml", 400),
    (b"<?xml version='1.0'?><Receipt/>", "application/xml", 422),
    (b"UNA:+.? '", "application/edifact", 415),
    (b"an envelope", "text/plain", 415),
])
def test_what_is_no_envelope_is_a_plain_problem(
    client: TestClient, tokens: dict[str, str], body: bytes, media_type: str, status: int,
) -> None:
    response = _post(client, tokens, body, media_type)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "error_signal" not in response.json()


def test_an_xml_answer_is_handed_over_in_its_xml_bytes(
    client: TestClient, tokens: dict[str, str], envelope: Callable[..., Envelope], agency: Any,
    inbox: Callable[..., Any], eventually: Callable[..., None],
) -> None:
    message = envelope(RESPONSE, in_reply_to="2b0f1d5e-8c1a-4f5e-9d41-7d2a3c9e6b10", created_at=SIGNED_AT)
    body = as_another_toolkit_writes_it(message)
    assert _post(client, tokens, body, "application/xml").status_code == 200
    eventually(lambda: inbox(f"/{message.message_id}")["handover"]["state"] == "DONE", what="the handover")
    [request] = agency.requests
    assert str(request.url) == "http://customs.test/answers"
    assert (request.headers["content-type"], request.content) == ("application/xml", body)


def test_messages_stored_before_the_upgrade_are_json_and_handed_over_as_json(
    database_url: str, settings: NSWSettings, hub: Any, agency: Any, envelope: Callable[..., Envelope],
    eventually: Callable[..., None],
) -> None:
    command.upgrade(alembic_config(migrations=MIGRATIONS, url=database_url), "0001")
    message = envelope(RESPONSE, in_reply_to="2b0f1d5e-8c1a-4f5e-9d41-7d2a3c9e6b10")
    text = canonical.json_text(message)
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(insert(BEFORE_THE_UPGRADE).values(
                message_id=message.message_id, sender="TH", receiver="VN", conversation_id=message.conversation_id,
                in_reply_to=message.in_reply_to, document_type=message.document_type, payload_format="json",
                created_at=message.created_at, envelope=text, content_digest="0" * 64,
                received_at=message.created_at, state="ACCEPTED", answer_status=200, answer="{}", deliveries=1,
                last_delivered_at=message.created_at, handover_state="PENDING", handover_attempts=0,
                handover_next_at=message.created_at))
        upgrade(SCHEMA, database_url)
        with engine.connect() as connection:
            stored = connection.execute(select(InboxMessage.__table__.c.envelope,  # type: ignore[attr-defined]
                                               InboxMessage.__table__.c.envelope_media_type)).one()  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    assert (bytes(stored[0]), stored[1]) == (text.encode("utf-8"), "application/json")
    with TestClient(create_app(settings, hub_client=hub.client(), agency_client=agency.client())):
        eventually(lambda: len(agency.requests) == 1, what="the handover of the row stored before")
    [request] = agency.requests
    assert (request.headers["content-type"], request.content) == ("application/json", text.encode("utf-8"))
    assert validate(request.content, media_type="application/json", expected_type=ENVELOPE).valid
