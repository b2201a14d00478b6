"""A handover that failed for good is listed for the operator and replayed like the hub's and
the agencies' dead letters: operator only, FAILED only, attempts and age counted afresh."""

from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient

from services.kernel.messages.exchange import Envelope

CLEARANCE = "port.clearance/valid/vnsgn-phuoc-an-28-all-agencies-granted.json"


def test_the_operator_replays_a_failed_handover_and_the_agency_gets_it(
    client: TestClient, deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], agency: Any,
    tokens: dict[str, str], inbox: Callable[..., Any], eventually: Callable[..., None],
) -> None:
    agency.statuses = [404]  # the port service refuses it: failed for good
    message = envelope(CLEARANCE, in_reply_to="2b0f1d5e-8c1a-4f5e-9d41-7d2a3c9e6b10")
    assert deliver(message).status_code == 200
    eventually(lambda: inbox(f"/{message.message_id}")["handover"]["state"] == "FAILED", what="the failure")
    operator = {"Authorization": f"Bearer {tokens['OPERATOR']}"}
    replay = f"/inbox/{message.message_id}/handover/replay"

    failed = client.get("/handovers", headers=operator).json()
    assert [(h["message_id"], h["state"]) for h in failed["items"]] == [(message.message_id, "FAILED")]
    assert failed["items"][0]["failed_at"] is not None
    assert "404" in failed["items"][0]["last_error"]
    counted = 'swx_handover_dead_letters_total{service="nsw-vn"} 1.0'
    assert counted in client.get("/metrics").text
    assert client.get("/handovers", headers={"Authorization": f"Bearer {tokens['VN']}"}).status_code == 403
    assert client.post(replay, headers={"Authorization": f"Bearer {tokens['VN']}"}).status_code == 403
    assert client.post("/inbox/2b0f1d5e-0000-4f5e-9d41-7d2a3c9e6b10/handover/replay",
                       headers=operator).status_code == 404

    replayed = client.post(replay, headers=operator)
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["state"], replayed.json()["attempts"]) == ("PENDING", 0)
    assert replayed.json()["requeued_at"] is not None
    eventually(lambda: inbox(f"/{message.message_id}")["handover"]["state"] == "DONE", what="the replayed handover")
    assert len(agency.requests) == 2
    assert agency.requests[1].content == agency.requests[0].content, "the same signed envelope, handed over again"
    assert client.post(replay, headers=operator).status_code == 409
    assert client.get("/handovers", headers=operator).json()["items"] == []
