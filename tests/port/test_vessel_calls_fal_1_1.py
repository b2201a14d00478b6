"""The port service takes port.vessel-call 1.1 beside 1.0: stored, forwarded and shown in its own version."""

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

VALID = Path(__file__).resolve().parents[2] / "fixtures" / "port.vessel-call" / "valid"
ARRIVAL = VALID / "khpnh-to-vnsgn-river-container-ship-phuoc-an-28-arrival-fal-1-1.json"
DEPARTURE = VALID / "thlch-to-jpyok-container-ship-siam-harmony-departure-myanmar-crew-fal-1-1.json"


def _auth(token: str, content_type: str = "application/json") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


def _arrival() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ARRIVAL.read_text())
    return data


def test_1_1_arrival_is_forwarded_as_1_1_and_read_back_in_its_namespace(
    client: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    created = client.post("/vessel-calls", content=ARRIVAL.read_bytes(), headers=_auth(tokens["KH"]))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["document_type"], body["warnings"]) == ("port.vessel-call/1.1", [])
    assert body["vessel_call"]["ShipAgent"]["Contact"]["EmailID"] == "ops@saigonmekong-agency.example"
    eventually(lambda: len(hub.received) == 1, what="the 1.1 call to reach the hub")
    envelope = hub.received[0]
    assert (envelope["receiver"], envelope["document_type"]) == ("VN", "port.vessel-call/1.1")
    assert "maritime-declaration-of-health" in envelope["payload"]
    answer = client.get(f"/vessel-calls/{body['id']}",
                        headers={"Authorization": f"Bearer {tokens['VN']}", "Accept": "application/xml"})
    assert answer.status_code == 200
    assert b"urn:swx:port.vessel-call:1.1" in answer.content
    assert b"<AttachedDocument>" in answer.content


def test_1_1_departure_without_eta_is_stored_and_listed_by_its_etd(
    client: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    xml = DEPARTURE.with_suffix(".xml").read_bytes()
    created = client.post("/vessel-calls", content=xml, headers=_auth(tokens["VN"], "application/xml"))
    assert created.status_code == 201, created.text
    assert "EstimatedArrivalDateTime" not in created.json()["vessel_call"]
    [item] = client.get("/vessel-calls", headers=_auth(tokens["VN"])).json()["items"]
    assert item["estimated_arrival"] is None
    assert dt.datetime.fromisoformat(item["estimated_departure"]) == dt.datetime.fromisoformat(
        "2026-11-24T22:00:00+07:00")
    eventually(lambda: len(hub.received) == 1, what="the departure to reach the port's country")
    assert (hub.received[0]["sender"], hub.received[0]["receiver"]) == ("VN", "TH")


def test_expired_crew_document_is_accepted_with_a_warning_on_that_person(
    client: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    data = _arrival()
    data["Crew"][3]["IdentityDocument"]["ExpiryDate"] = "2026-12-01"
    created = client.post("/vessel-calls", content=json.dumps(data), headers=_auth(tokens["KH"]))
    assert created.status_code == 201, created.text
    [warning] = created.json()["warnings"]
    assert (warning["code"], warning["severity"], warning["location"]["pointer"]) == (
        "DOCUMENT_EXPIRED", "warning", "/Crew/3/IdentityDocument/ExpiryDate")
    assert warning["subject"] == "/Crew/3"
    assert "crew member 4 (PHAN)" in warning["message"]
    eventually(lambda: len(hub.received) == 1, what="the call to be forwarded despite the expired document")


def test_arrival_without_eta_is_refused_with_its_rule(client: TestClient, tokens: dict[str, str]) -> None:
    data = _arrival()
    del data["EstimatedArrivalDateTime"]
    response = client.post("/vessel-calls", content=json.dumps(data), headers=_auth(tokens["KH"]))
    assert response.status_code == 422
    assert [(e["code"], e["location"]["pointer"]) for e in response.json()["errors"]] == [
        ("ESTIMATED_TIME_MISSING", "/EstimatedArrivalDateTime")]
