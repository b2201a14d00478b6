"""POST /inbox: signed receipts, duplicates, conflicts and permanent refusals with error signals."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.kernel import canonical
from services.kernel.db import make_engine
from services.kernel.messages.exchange import Envelope, ErrorSignal, Receipt
from services.kernel.network import load_network
from services.kernel.signing import verify
from services.kernel.validation import validate
from services.nsw.app import create_app

ACDD = "customs.acdd/valid/th-to-vn-natural-rubber-laem-chabang-to-saigon.xml"
ACDD_JSON = "customs.acdd/valid/th-to-vn-natural-rubber-laem-chabang-to-saigon.json"


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    found: dict[str, Any] = json.loads(response.content)
    return found


def _signal(response: httpx.Response, network_file: Path, *, code: str) -> ErrorSignal:
    """The problem's error signal, checked: valid, signed by VN, naming ``code``."""
    problem = _problem(response)
    report = validate(json.dumps(problem["error_signal"]).encode(), media_type="application/json",
                      expected_type="exchange.error")
    assert report.valid, report.findings
    signal = report.document
    assert isinstance(signal, ErrorSignal)
    verify(signal, public_key_for=load_network(network_file).public_key_for)
    assert (signal.receiver, signal.category, signal.code) == ("VN", "permanent", code)
    assert problem["status"] == response.status_code
    return signal


def test_valid_acdd_gets_a_signed_receipt_that_verifies(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], network_file: Path
) -> None:
    message = envelope(ACDD)
    response = deliver(message)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    report = validate(response.content, media_type="application/json", expected_type="exchange.receipt")
    assert report.valid, report.findings
    receipt = report.document
    assert isinstance(receipt, Receipt)
    verify(receipt, public_key_for=load_network(network_file).public_key_for)
    assert (receipt.message_id, receipt.sender, receipt.receiver) == (message.message_id, "TH", "VN")
    assert receipt.payload_digest == message.payload_digest


def test_duplicate_returns_the_original_receipt_and_is_stored_once(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], inbox: Callable[..., Any],
    hub: Any,
) -> None:
    message = envelope(ACDD_JSON)
    first, again = deliver(message), deliver(message)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    listed = inbox()
    assert listed["total"] == 1
    assert listed["items"][0]["deliveries"] == 2
    assert listed["items"][0]["receipt_id"] == first.json()["receipt_id"]


def test_same_message_id_with_other_content_is_409_with_a_signed_error_signal(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], inbox: Callable[..., Any],
    network_file: Path,
) -> None:
    message = envelope(ACDD)
    assert deliver(message).status_code == 200
    other = envelope(ACDD_JSON, message_id=message.message_id)
    response = deliver(other)
    assert response.status_code == 409
    signal = _signal(response, network_file, code="MESSAGE_ID_CONFLICT")
    assert signal.message_id == message.message_id
    assert inbox()["items"][0]["deliveries"] == 1


def test_payload_changed_after_signing_is_refused_as_digest_mismatch_and_kept(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], inbox: Callable[..., Any],
    network_file: Path,
) -> None:
    signed = envelope(ACDD)
    tampered = signed.model_copy(update={"payload": signed.payload.replace("20160.000", "2016.000")})
    assert tampered.payload != signed.payload
    response = deliver(tampered)
    assert response.status_code == 422
    _signal(response, network_file, code="PAYLOAD_DIGEST_MISMATCH")
    again = deliver(tampered)
    assert (again.status_code, again.content) == (422, response.content)
    item = inbox()["items"][0]
    assert (item["state"], item["error_code"], item["deliveries"]) == ("REJECTED", "PAYLOAD_DIGEST_MISMATCH", 2)


@pytest.mark.parametrize(("signer", "code"), [("KH", "SIGNATURE_NOT_BY_SIGNER"), (None, "SIGNATURE_MISSING")])
def test_envelope_not_signed_by_its_sender_is_refused(
    signer: str | None, code: str, deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope],
    network_file: Path, hub: Any,
) -> None:
    response = deliver(envelope(ACDD, signer=signer))
    assert response.status_code == 422
    _signal(response, network_file, code=code)
    assert hub.received == []


def test_envelope_for_another_country_is_refused(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], network_file: Path
) -> None:
    response = deliver(envelope(ACDD, receiver="LA"))
    assert response.status_code == 422
    _signal(response, network_file, code="WRONG_RECEIVER")


def test_unknown_document_type_version_is_refused(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], network_file: Path
) -> None:
    response = deliver(envelope(ACDD, document_type="customs.acdd/2.0"))
    assert response.status_code == 422
    _signal(response, network_file, code="UNKNOWN_DOCUMENT_TYPE")


def test_invalid_payload_is_refused_with_its_findings(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], network_file: Path,
    inbox: Callable[..., Any],
) -> None:
    response = deliver(envelope("customs.acdd/invalid/hs-code-not-in-hs-2022.json"))
    assert response.status_code == 422
    signal = _signal(response, network_file, code="PAYLOAD_INVALID")
    assert signal.finding is not None
    assert [f.code for f in signal.finding] == ["HS_CODE_UNKNOWN"]
    assert [e["code"] for e in _problem(response)["errors"]] == ["HS_CODE_UNKNOWN"]
    detail = inbox(f"/{signal.message_id}")
    assert detail["state"] == "REJECTED"
    assert [f["code"] for f in detail["findings"]] == ["HS_CODE_UNKNOWN"]


def test_payload_of_another_type_than_the_envelope_names_is_refused(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], network_file: Path
) -> None:
    response = deliver(envelope(ACDD, document_type="customs.certificate-of-origin/1.0"))
    assert response.status_code == 422
    signal = _signal(response, network_file, code="PAYLOAD_INVALID")
    assert signal.finding is not None
    assert signal.finding[0].code == "WRONG_DOCUMENT_TYPE"


def test_unreadable_body_is_a_plain_problem_without_error_signal(deliver: Callable[..., httpx.Response]) -> None:
    broken = deliver('{"message_id": ')
    assert broken.status_code == 400
    assert "error_signal" not in _problem(broken)
    not_an_envelope = deliver('{"receipt_id": "x"}')
    assert not_an_envelope.status_code == 422
    assert "error_signal" not in _problem(not_an_envelope)


@pytest.mark.parametrize(("caller", "status"), [("VN", 403), ("OPERATOR", 403), ("TH", 403), (None, 401)])
def test_only_the_hub_may_deliver(
    caller: str | None, status: int, deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope],
) -> None:
    response = deliver(envelope(ACDD), caller=caller)
    assert response.status_code == status
    assert "error_signal" not in _problem(response)


def test_unknown_token_is_401(client: TestClient) -> None:
    response = client.post("/inbox", content=b"{}", headers={"Authorization": "Bearer nope",
                                                              "Content-Type": "application/json"})
    assert response.status_code == 401


def test_database_down_is_503_with_retry_after(
    client: TestClient, deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope]
) -> None:
    working = client.app.state.engine  # type: ignore[attr-defined]
    client.app.state.engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")  # type: ignore[attr-defined]
    try:
        response = deliver(envelope(ACDD))
    finally:
        client.app.state.engine.dispose()  # type: ignore[attr-defined]
        client.app.state.engine = working  # type: ignore[attr-defined]
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert "error_signal" not in _problem(response)


def test_type_the_country_does_not_accept_is_refused(
    settings: Any, hub: Any, agency: Any, network_file: Path, envelope: Callable[..., Envelope],
    tokens: dict[str, str],
) -> None:
    directory = json.loads(network_file.read_text())
    accepts = directory["participants"]["VN"]["accepts"]
    directory["participants"]["VN"]["accepts"] = [t for t in accepts if t != "customs.acdd/1.0"]
    network_file.write_text(json.dumps(directory))
    with TestClient(create_app(settings, hub_client=hub.client(), agency_client=agency.client())) as client:
        response = client.post("/inbox", content=canonical.json_text(envelope(ACDD)).encode(),
                               headers={"Authorization": f"Bearer {tokens['HUB']}",
                                        "Content-Type": "application/json"})
    assert response.status_code == 422
    _signal(response, network_file, code="DOCUMENT_TYPE_NOT_ACCEPTED")
