"""Responses received are handed over to this country's agency service, retried when it is down."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.kernel import canonical
from services.kernel.messages.exchange import Envelope
from services.nsw.app import create_app
from services.nsw.config import NSWSettings

RESPONSE = "customs.response/valid/th-accepted-green-lane-natural-rubber-export.json"
CLEARANCE = "port.clearance/valid/vnsgn-phuoc-an-28-all-agencies-granted.json"


def _answer(envelope: Callable[..., Envelope], relative: str) -> Envelope:
    return envelope(relative, in_reply_to="2b0f1d5e-8c1a-4f5e-9d41-7d2a3c9e6b10")


def test_customs_response_is_handed_to_customs_with_the_country_token_after_a_503(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], agency: Any,
    tokens: dict[str, str], inbox: Callable[..., Any], eventually: Callable[..., None],
) -> None:
    agency.statuses = [503, 200]
    message = _answer(envelope, RESPONSE)
    assert deliver(message).status_code == 200
    eventually(lambda: inbox(f"/{message.message_id}")["handover"]["state"] == "DONE", what="the handover")
    assert len(agency.requests) == 2
    for request in agency.requests:
        assert str(request.url) == "http://customs.test/answers"
        assert request.headers["authorization"] == f"Bearer {tokens['VN']}"
        assert request.headers["content-type"] == "application/json"
        assert request.content == canonical.json_text(message).encode()
    handover = inbox(f"/{message.message_id}")["handover"]
    assert (handover["attempts"], handover["last_error"]) == (2, None)
    assert handover["handed_over_at"] is not None


def test_clearance_refused_by_the_port_service_fails_for_good_with_its_reason(
    deliver: Callable[..., httpx.Response], envelope: Callable[..., Envelope], agency: Any,
    inbox: Callable[..., Any], eventually: Callable[..., None],
) -> None:
    agency.statuses = [404]
    message = _answer(envelope, CLEARANCE)
    assert deliver(message).status_code == 200
    eventually(lambda: inbox(f"/{message.message_id}")["handover"]["state"] == "FAILED", what="the failure")
    assert str(agency.requests[0].url) == "http://port.test/answers"
    handover = inbox(f"/{message.message_id}")["handover"]
    assert handover["attempts"] == 1
    assert "404" in handover["last_error"]
    assert inbox(state="ACCEPTED", document_type="port.clearance/1.0")["items"][0]["handover_state"] == "FAILED"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_an_agency_url_nothing_is_handed_over(
    settings: NSWSettings, hub: Any, agency: Any, envelope: Callable[..., Envelope], tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.delenv("SWX_CUSTOMS_URL", raising=False)
    unconfigured = settings.model_copy(update={"customs_url": None})
    message = _answer(envelope, RESPONSE)
    with TestClient(create_app(unconfigured, hub_client=hub.client(), agency_client=agency.client())) as client:
        response = client.post("/inbox", content=canonical.json_text(message).encode(),
                               headers={"Authorization": f"Bearer {tokens['HUB']}",
                                        "Content-Type": "application/json"})
        assert response.status_code == 200
        detail = client.get(f"/inbox/{message.message_id}", headers={"Authorization": f"Bearer {tokens['VN']}"})
    assert detail.json()["handover"]["state"] == "NONE"
    assert agency.requests == []
