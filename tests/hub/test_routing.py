"""The hub accepts signed, valid envelopes once and delivers them with a signed receipt."""

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from services.hub import repository
from services.hub.app import create_app
from services.hub.config import HubSettings
from services.kernel import canonical
from services.kernel.clock import utcnow
from services.kernel.db import make_engine
from services.kernel.messages.exchange import Envelope, Receipt
from services.kernel.network import Network
from services.kernel.signing import verify
from tests.hub.conftest import FIXTURES, ReceiverStandIn


def _state(client: TestClient, auth: Callable[[str], dict[str, str]], message_id: str, who: str = "TH") -> str:
    return str(client.get(f"/messages/{message_id}", headers=auth(who)).json()["state"])


def test_valid_envelope_is_delivered_with_a_signed_receipt(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope], receivers: ReceiverStandIn,
    auth: Callable[[str], dict[str, str]], eventually: Callable[..., None], network: Any,
) -> None:
    sent = envelope()
    answer = post(sent)
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == f"/messages/{sent.message_id}"
    assert (answer.json()["sender"], answer.json()["receiver"]) == ("TH", "VN")
    eventually(lambda: _state(client, auth, sent.message_id) == "DELIVERED", what="delivery")
    record = client.get(f"/messages/{sent.message_id}", headers=auth("VN")).json()
    assert [step["state"] for step in record["timeline"]] == ["RECEIVED", "QUEUED", "SENDING", "DELIVERED"]
    assert record["receipt"]["receiver"] == "VN"
    assert record["receipt"]["message_id"] == sent.message_id
    verify(Receipt.model_validate(record["receipt"]), public_key_for=network.public_key_for)
    assert [d["message_id"] for d in receivers.delivered] == [sent.message_id]
    assert Envelope.model_validate(receivers.delivered[0]) == sent
    assert receivers.authorizations == [f"Bearer {network.hub_token}"]


def test_resend_returns_the_original_answer_and_delivers_nothing_again(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope], receivers: ReceiverStandIn,
    auth: Callable[[str], dict[str, str]], eventually: Callable[..., None],
) -> None:
    sent = envelope()
    first = post(sent)
    eventually(lambda: _state(client, auth, sent.message_id) == "DELIVERED", what="delivery")
    again = post(sent)
    assert again.status_code == 200
    assert again.json() == first.json()
    other = sent.model_copy(update={"conversation_id": envelope().conversation_id})
    conflict = post(envelope(message_id=sent.message_id, conversation_id=sent.conversation_id))
    assert conflict.status_code == 409, conflict.text
    assert conflict.headers["content-type"] == "application/problem+json"
    assert post(other).status_code == 422  # changed after signing: the signature no longer matches
    assert len(receivers.delivered) == 1


def test_signature_faults_are_refused_with_their_reason(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope], receivers: ReceiverStandIn,
) -> None:
    sent = envelope()
    unsigned = sent.model_copy(update={"signature": None})
    tampered_text = sent.payload.replace("Natural rubber", "Natural ribber")
    assert tampered_text != sent.payload
    tampered = sent.model_copy(update={"payload": tampered_text, "payload_digest": canonical.digest(tampered_text)})
    cases = {
        "SIGNATURE_MISSING": unsigned,
        "SIGNATURE_MISMATCH": tampered,
        "SIGNATURE_NOT_BY_SIGNER": envelope(signer="VN"),
        "PAYLOAD_DIGEST_MISMATCH": sent.model_copy(update={"payload": tampered_text}),
    }
    for code, bad in cases.items():
        answer = post(bad)
        assert answer.status_code == 422, (code, answer.text)
        assert code in [e["code"] for e in answer.json()["errors"]], (code, answer.json())
    assert receivers.delivered == []


def test_a_credential_that_is_not_the_senders_is_forbidden(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope],
) -> None:
    answer = post(envelope(), as_country="VN")
    assert answer.status_code == 403
    assert "TH" in answer.json()["detail"]
    assert "VN" in answer.json()["detail"]
    assert client.post("/messages", content=b"{}", headers={"Content-Type": "application/json"}).status_code == 401


def test_an_invalid_payload_is_never_forwarded(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope], receivers: ReceiverStandIn,
) -> None:
    invalid = FIXTURES / "customs.acdd" / "invalid" / "discharge-location-not-a-locode.xml"
    answer = post(envelope(path=invalid))
    assert answer.status_code == 422
    assert "LOCODE" in json.dumps(answer.json()["errors"])
    wrong_type = post(envelope(document_type="customs.response/1.0"))
    assert wrong_type.status_code == 422
    not_xml = post(envelope(payload="<ACDD"))
    assert not_xml.status_code == 422
    assert post("{not json").status_code == 400
    assert receivers.delivered == []


def test_transient_failures_are_retried_until_delivered(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope], receivers: ReceiverStandIn,
    auth: Callable[[str], dict[str, str]], eventually: Callable[..., None],
) -> None:
    receivers.behaviours = [503, "timeout", "bad-receipt"]
    sent = envelope()
    post(sent)
    eventually(lambda: _state(client, auth, sent.message_id) == "DELIVERED", what="delivery after retries")
    record = client.get(f"/messages/{sent.message_id}", headers=auth("TH")).json()
    assert record["attempts"] == 4
    notes = [step["note"] for step in record["timeline"] if step["state"] == "WAITING_FOR_RETRY"]
    assert len(notes) == 3
    assert "answered 503" in notes[0]
    assert "did not answer" in notes[1]
    assert "receipt" in notes[2]


def test_a_receivers_retry_after_is_honoured_up_to_the_cap(
    settings: HubSettings, receivers: ReceiverStandIn, envelope: Callable[..., Envelope], network: Network,
    eventually: Callable[..., None],
) -> None:
    receivers.behaviours = ["busy-for-40"]
    patient = settings.model_copy(update={"retry_cap": 120.0})
    with TestClient(create_app(patient, delivery_client=receivers.client())) as client:
        sent = envelope()
        client.post("/messages", content=canonical.json_text(sent).encode(), headers={
            "Authorization": f"Bearer {network.token_of('TH')}", "Content-Type": "application/json"})
        headers = {"Authorization": f"Bearer {network.token_of('TH')}"}

        def waiting() -> list[str]:
            record = client.get(f"/messages/{sent.message_id}", headers=headers).json()
            return [step["note"] for step in record["timeline"] if step["state"] == "WAITING_FOR_RETRY"]

        eventually(lambda: waiting() != [], what="the first attempt's outcome")
        assert "answered 503" in waiting()[0]
        delay = float(waiting()[0].rsplit("next attempt in ", 1)[1].removesuffix(" s"))
        assert delay >= 40.0  # the backoff alone, with base 0.01, would wait well under a second
        assert receivers.delivered == []


def test_failed_message_is_replayed_by_the_operator_with_the_same_id(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope], receivers: ReceiverStandIn,
    auth: Callable[[str], dict[str, str]], eventually: Callable[..., None],
) -> None:
    receivers.behaviours = [500, 500, 500, 500]
    sent = envelope()
    post(sent)
    eventually(lambda: _state(client, auth, sent.message_id) == "FAILED", what="the dead letter")
    record = client.get(f"/messages/{sent.message_id}", headers=auth("TH")).json()
    assert record["attempts"] == 4
    assert "answered 500" in record["last_error"]
    assert client.post(f"/messages/{sent.message_id}/replay", headers=auth("TH")).status_code == 403
    replayed = client.post(f"/messages/{sent.message_id}/replay", headers=auth("OPERATOR"))
    assert replayed.status_code == 200
    eventually(lambda: _state(client, auth, sent.message_id) == "DELIVERED", what="delivery after replay")
    assert [d["message_id"] for d in receivers.delivered] == [sent.message_id]
    again = client.post(f"/messages/{sent.message_id}/replay", headers=auth("OPERATOR"))
    assert again.status_code == 409


def test_permanent_error_signal_rejects_the_message(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope], receivers: ReceiverStandIn,
    auth: Callable[[str], dict[str, str]], eventually: Callable[..., None],
) -> None:
    receivers.behaviours = ["permanent"]
    sent = envelope()
    post(sent)
    eventually(lambda: _state(client, auth, sent.message_id) == "REJECTED", what="the rejection")
    record = client.get(f"/messages/{sent.message_id}", headers=auth("TH")).json()
    assert record["error_signal"]["code"] == "DOCUMENT_TYPE_NOT_ACCEPTED"
    assert record["attempts"] == 1
    # the receiver refused this envelope for good and would refuse it again: no replay
    assert client.post(f"/messages/{sent.message_id}/replay", headers=auth("OPERATOR")).status_code == 409


def test_business_answer_acknowledges_the_original(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope],
    auth: Callable[[str], dict[str, str]], eventually: Callable[..., None],
) -> None:
    original = envelope()
    post(original)
    eventually(lambda: _state(client, auth, original.message_id) == "DELIVERED", what="delivery")
    response = FIXTURES / "customs.response" / "valid" / "vn-received-acdd-natural-rubber-from-thailand.json"
    reply = envelope("VN", "TH", response, document_type="customs.response/1.0", in_reply_to=original.message_id,
                     conversation_id=original.conversation_id)
    assert post(reply).status_code == 202
    eventually(lambda: _state(client, auth, original.message_id) == "ACKNOWLEDGED", what="the acknowledgement")
    record = client.get(f"/messages/{original.message_id}", headers=auth("TH")).json()
    assert [r["message_id"] for r in record["replies"]] == [reply.message_id]
    conversation = client.get("/messages", params={"conversation_id": original.conversation_id},
                              headers=auth("TH")).json()
    assert conversation["total"] == 2


def test_callers_see_only_their_own_messages(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope],
    auth: Callable[[str], dict[str, str]], network: Any,
) -> None:
    sent = envelope()
    post(sent)
    assert client.get(f"/messages/{sent.message_id}", headers=auth("JP")).status_code == 404
    # every NSW endpoint holds the hub's token (to check deliveries): it reads nothing here
    hub_token = {"Authorization": f"Bearer {network.hub_token}"}
    assert client.get(f"/messages/{sent.message_id}", headers=hub_token).status_code == 404
    assert client.get("/messages", headers=hub_token).json()["total"] == 0
    assert client.get("/messages", headers=auth("JP")).json()["total"] == 0
    assert client.get("/messages", params={"receiver": "VN"}, headers=auth("TH")).json()["total"] == 1
    assert client.get("/messages", headers=auth("OPERATOR")).json()["total"] == 1
    assert client.get("/messages", params={"state": "LOST"}, headers=auth("TH")).status_code == 400


def test_directory_lists_every_participant_without_credentials(
    client: TestClient, auth: Callable[[str], dict[str, str]],
) -> None:
    listed = client.get("/participants", headers=auth("JP")).json()["participants"]
    assert [p["country"] for p in listed] == ["JP", "KH", "LA", "MM", "TH", "VN"]
    assert all(p["public_key"]["kty"] == "OKP" and p["endpoint"] for p in listed)
    assert "token" not in json.dumps(listed)


def test_metrics_count_messages_by_link_and_state(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope],
    auth: Callable[[str], dict[str, str]], eventually: Callable[..., None],
) -> None:
    sent = envelope()
    post(sent)
    eventually(lambda: _state(client, auth, sent.message_id) == "DELIVERED", what="delivery")
    metrics = client.get("/metrics").text
    assert 'swx_hub_messages{receiver="VN",sender="TH",state="DELIVERED"} 1.0' in metrics


def test_suspended_receiver_waits_until_the_operator_resumes_it(
    client: TestClient, settings: Any, post: Callable[..., Any], envelope: Callable[..., Envelope],
    receivers: ReceiverStandIn, auth: Callable[[str], dict[str, str]], eventually: Callable[..., None],
) -> None:
    assert client.post("/participants/VN/suspend", headers=auth("TH")).status_code == 403
    assert client.post("/participants/XX/suspend", headers=auth("OPERATOR")).status_code == 404
    suspended = client.post("/participants/VN/suspend", params={"note": "maintenance"}, headers=auth("OPERATOR"))
    assert suspended.json()["suspended"]["note"] == "maintenance"
    listed = {p["country"]: p for p in client.get("/participants", headers=auth("TH")).json()["participants"]}
    assert listed["VN"]["suspended"] is not None
    assert listed["JP"]["suspended"] is None
    held, passing = envelope(), envelope("TH", "JP", document_type="customs.acdd/1.0")
    post(held)
    post(passing)
    eventually(lambda: _state(client, auth, passing.message_id) == "DELIVERED", what="JP's delivery")
    engine = make_engine(settings.database_for("hub"))
    try:
        with Session(engine) as session:  # what any worker would claim now: nothing for VN
            assert repository.claim_due(session, limit=100, now=utcnow()) == []
    finally:
        engine.dispose()
    record = client.get(f"/messages/{held.message_id}", headers=auth("TH")).json()
    assert (record["state"], record["attempts"]) == ("QUEUED", 0)  # waiting, spending no attempts
    assert client.post("/participants/VN/resume", headers=auth("OPERATOR")).json()["was_suspended"] is True
    eventually(lambda: _state(client, auth, held.message_id) == "DELIVERED", what="delivery after resume")
    assert sorted(d["message_id"] for d in receivers.delivered) == sorted([held.message_id, passing.message_id])
