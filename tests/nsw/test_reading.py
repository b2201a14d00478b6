"""GET /inbox: filters, paging, the full record, and who may read it."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.kernel.messages.exchange import Envelope

ACDD = "customs.acdd/valid/th-to-vn-natural-rubber-laem-chabang-to-saigon.json"
CALL = "port.vessel-call/valid/khpnh-to-vnsgn-river-container-ship-phuoc-an-28-arrival.json"


@pytest.fixture
def received(deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope]) -> list[Envelope]:
    """Four messages: an ACDD and a vessel call accepted, a refused ACDD, a duplicate."""
    messages = [envelope(ACDD), envelope(CALL, sender="KH"), envelope(ACDD, signer="KH")]
    for message in messages:
        deliver(message)
    deliver(messages[0])
    return messages


def test_inbox_lists_newest_first_with_filters_and_paging(
    received: list[Envelope], inbox: Callable[..., Any]
) -> None:
    everything = inbox()
    assert everything["total"] == 3
    assert [i["message_id"] for i in everything["items"]] == [m.message_id for m in reversed(received)]
    acdd, call, refused = received
    assert [i["message_id"] for i in inbox(sender="KH")["items"]] == [call.message_id]
    assert [i["message_id"] for i in inbox(state="REJECTED")["items"]] == [refused.message_id]
    assert inbox(document_type="customs.acdd/1.0")["total"] == 2
    assert [i["message_id"] for i in inbox(conversation_id=acdd.conversation_id)["items"]] == [acdd.message_id]
    page = inbox(limit=1, offset=1)
    assert (page["total"], [i["message_id"] for i in page["items"]]) == (3, [call.message_id])
    item = inbox(state="ACCEPTED", sender="TH")["items"][0]
    assert item["deliveries"] == 2
    assert item["receipt_id"]
    assert item["response_message_id"]
    assert item["error_code"] is None
    assert item["handover_state"] == "NONE"
    assert inbox(state="REJECTED")["items"][0]["error_code"] == "SIGNATURE_NOT_BY_SIGNER"


def test_a_message_shows_its_envelope_answer_and_response(received: list[Envelope], inbox: Callable[..., Any]) -> None:
    acdd, _, refused = received
    detail = inbox(f"/{acdd.message_id}")
    assert detail["envelope"]["payload_digest"] == acdd.payload_digest
    assert detail["receipt"]["receipt_id"] == detail["receipt_id"]
    assert detail["error_signal"] is None
    assert detail["findings"] == []
    assert detail["response"]["document_type"] == "customs.response/1.0"
    assert detail["response"]["message_id"] == detail["response_message_id"]
    rejected = inbox(f"/{refused.message_id}")
    assert rejected["receipt"] is None
    assert rejected["error_signal"]["code"] == "SIGNATURE_NOT_BY_SIGNER"
    assert rejected["findings"][0]["code"] == "SIGNATURE_NOT_BY_SIGNER"


@pytest.mark.parametrize(("reader", "status"), [("VN", 200), ("OPERATOR", 200), ("HUB", 403), ("TH", 403)])
def test_only_the_country_the_operator_and_the_hub_read_the_inbox(
    reader: str, status: int, client: TestClient, tokens: dict[str, str], received: list[Envelope]
) -> None:
    headers = {"Authorization": f"Bearer {tokens[reader]}"}
    assert client.get("/inbox", headers=headers).status_code == status
    assert client.get(f"/inbox/{received[0].message_id}", headers=headers).status_code == status


def test_unknown_message_is_404_and_bad_filters_are_400(client: TestClient, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['VN']}"}
    assert client.get("/inbox/5f0b3c9e-2a7d-4c1e-8f6a-0d9e3b7c1a24", headers=headers).status_code == 404
    assert client.get("/inbox", params={"limit": 1001}, headers=headers).status_code == 400
    assert client.get("/inbox", params={"state": "LOST"}, headers=headers).status_code == 400
    assert client.get("/inbox").status_code == 401
