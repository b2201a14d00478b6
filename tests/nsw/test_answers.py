"""Business responses: what VN answers through the hub, and that every answer is valid."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.kernel.messages.customs import Response
from services.kernel.messages.exchange import Envelope
from services.kernel.messages.immigration import APIResponse
from services.kernel.messages.port import Clearance
from services.kernel.network import load_network
from services.kernel.signing import verify
from services.kernel.validation import validate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MANIFEST = "immigration.passenger-manifest/valid/tg560-bkk-han-passengers.json"
VESSEL_CALL = "port.vessel-call/valid/khpnh-to-vnsgn-river-container-ship-phuoc-an-28-arrival.json"


@pytest.fixture
def answered(
    deliver: Callable[..., httpx.Response], hub: Any, network_file: Path, tokens: dict[str, str],
    eventually: Callable[..., None],
) -> Callable[..., tuple[Envelope, Any]]:
    """Deliver a message; return the envelope VN sent back through the hub and its validated payload."""

    def answer(message: Envelope) -> tuple[Envelope, Any]:
        assert deliver(message).status_code == 200
        eventually(lambda: len(hub.received) == 1, what="the business response to reach the hub")
        report = validate(json.dumps(hub.received[0]).encode(), media_type="application/json",
                          expected_type="exchange.envelope")
        assert report.valid, report.findings
        sent = report.document
        assert isinstance(sent, Envelope)
        verify(sent, public_key_for=load_network(network_file).public_key_for)
        assert hub.authorizations[0] == f"Bearer {tokens['VN']}"
        assert (sent.sender, sent.receiver) == ("VN", message.sender)
        assert (sent.in_reply_to, sent.conversation_id) == (message.message_id, message.conversation_id)
        payload = validate(sent.payload.encode(), media_type=f"application/{sent.payload_format}",
                           expected_type=sent.document_type)
        assert payload.valid, payload.findings
        assert payload.message_type is not None
        assert payload.message_type.key == sent.document_type
        return sent, payload.document

    return answer


def test_manifest_with_a_watchlisted_passenger_gets_no_board_for_exactly_that_person(
    answered: Callable[..., tuple[Envelope, Any]], envelope: Callable[..., Envelope], inbox: Callable[..., Any],
) -> None:
    message = envelope(MANIFEST)
    sent, response = answered(message)
    assert isinstance(response, APIResponse)
    assert (response.ManifestID, response.JourneyID) == ("TG560-20261118-BKKHAN", "TG560")
    decisions = {d.SequenceNumeric: d for d in response.PersonDecision}
    assert len(decisions) == 8
    assert decisions[5].DecisionCode == "no-board"
    assert decisions[5].ReasonCode == "WATCHLIST_DOCUMENT_MATCH"
    assert decisions[5].Remarks is not None
    assert "WL-2026-0147" in decisions[5].Remarks
    assert (decisions[8].DecisionCode, decisions[8].ReasonCode) == ("refer", "WATCHLIST_IDENTITY_MATCH")
    assert {n for n, d in decisions.items() if d.DecisionCode == "board"} == {1, 2, 3, 4, 6, 7}
    assert all(d.ReasonCode is None for n, d in decisions.items() if n not in (5, 8))
    assert inbox(f"/{message.message_id}")["response_message_id"] == sent.message_id


def test_vessel_call_gets_a_clearance_from_three_agencies(
    answered: Callable[..., tuple[Envelope, Any]], envelope: Callable[..., Envelope],
) -> None:
    _, clearance = answered(envelope(VESSEL_CALL, sender="KH"))
    assert isinstance(clearance, Clearance)
    assert (clearance.VesselCallID, clearance.PortOfCallID, clearance.IMOID) == (
        "VC-VNSGN-20261201-0087", "VNSGN", "9835173")
    decisions = {d.AgencyCode: d.DecisionCode for d in clearance.AgencyDecision}
    assert decisions == {"customs": "granted", "immigration": "granted", "port-health": "granted"}


def test_acdd_gets_an_accepting_customs_response_naming_the_export_declaration(
    answered: Callable[..., tuple[Envelope, Any]], envelope: Callable[..., Envelope],
) -> None:
    sent, response = answered(envelope("customs.acdd/valid/th-to-vn-natural-rubber-laem-chabang-to-saigon.xml"))
    assert isinstance(response, Response)
    assert sent.document_type == "customs.response/1.0"
    assert (response.FunctionCode, response.Declaration.ID, response.IssuingOfficeID) == (
        "01", "26TH0300EX0000417", "02CI")
    assert response.Remarks is not None
    assert "ACDD-TH-2026-0004172" in response.Remarks


def test_responses_are_not_answered(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], hub: Any, inbox: Callable[..., Any],
) -> None:
    message = envelope("customs.response/valid/th-accepted-green-lane-natural-rubber-export.json")
    assert deliver(message).status_code == 200
    assert inbox(f"/{message.message_id}")["response"] is None
    assert hub.received == []
