"""The port service over HTTP: submit, idempotency, identity, negotiation, outbox."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.port.app import create_app
from services.port.config import PortSettings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "port.vessel-call"
SAMPLE_JSON = FIXTURES / "valid" / "khpnh-to-vnsgn-river-container-ship-phuoc-an-28-arrival.json"


def _auth(token: str, content_type: str = "application/json") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


def _sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE_JSON.read_text())
    return data


def test_vessel_call_is_stored_and_sent_to_the_port_country(
    client: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    response = client.post("/vessel-calls", content=SAMPLE_JSON.read_bytes(), headers=_auth(tokens["KH"]))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/vessel-calls/{body['id']}"
    assert (body["submitter"], body["port_of_call"], body["port_country"]) == ("KH", "VNSGN", "VN")
    eventually(lambda: len(hub.received) == 1, what="the vessel call to reach the hub")
    envelope = hub.received[0]
    assert (envelope["sender"], envelope["receiver"], envelope["document_type"]) == ("KH", "VN", "port.vessel-call/1.0")
    assert hub.authorizations[0] == f"Bearer {tokens['KH']}"
    eventually(lambda: client.get(f"/vessel-calls/{body['id']}", headers=_auth(tokens["KH"])).json()
               ["messages"][0]["state"] == "SENT", what="the outbox row to be marked sent")


def test_xml_submission_and_xml_answer(client: TestClient, tokens: dict[str, str]) -> None:
    xml = SAMPLE_JSON.with_suffix(".xml").read_bytes()
    created = client.post("/vessel-calls", content=xml, headers=_auth(tokens["KH"], "application/xml"))
    assert created.status_code == 201, created.text
    answer = client.get(f"/vessel-calls/{created.json()['id']}",
                        headers={"Authorization": f"Bearer {tokens['VN']}", "Accept": "application/xml"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    assert b"urn:swx:port.vessel-call:1.0" in answer.content


def test_same_call_twice_returns_the_same_record_and_other_content_conflicts(
    client: TestClient, tokens: dict[str, str]
) -> None:
    first = client.post("/vessel-calls", content=SAMPLE_JSON.read_bytes(), headers=_auth(tokens["KH"]))
    again = client.post("/vessel-calls", content=SAMPLE_JSON.read_bytes(), headers=_auth(tokens["KH"]))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    changed = _sample() | {"MasterName": "Someone Else"}
    conflict = client.post("/vessel-calls", content=json.dumps(changed), headers=_auth(tokens["KH"]))
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"


def test_invalid_call_is_422_with_findings(client: TestClient, tokens: dict[str, str]) -> None:
    broken = _sample() | {"CrewQuantity": 99}
    response = client.post("/vessel-calls", content=json.dumps(broken), headers=_auth(tokens["KH"]))
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422
    assert "CREW_COUNT_MISMATCH" in {e["code"] for e in problem["errors"]}


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, b"{}", 401),
        ({"Authorization": "Bearer not-a-token", "Content-Type": "application/json"}, b"{}", 401),
        ({"Content-Type": "text/plain"}, b"hello", 415),
        ({"Content-Type": "application/json"}, b"{not json", 400),
        ({"Content-Type": "application/xml"}, b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", 400),
    ],
    ids=["no-token", "unknown-token", "media-type", "malformed-json", "doctype"],
)
def test_bad_requests_get_problem_json(
    client: TestClient, tokens: dict[str, str], headers: dict[str, str], body: bytes, status: int
) -> None:
    if "Authorization" not in headers and status != 401:
        headers = headers | {"Authorization": f"Bearer {tokens['KH']}"}
    response = client.post("/vessel-calls", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


def test_body_over_the_limit_is_413(database_url: str, network_file: Path, hub: Any, tmp_path: Path,
                                    tokens: dict[str, str]) -> None:
    settings = PortSettings(database_url=database_url, network_file=network_file, data_dir=tmp_path,
                            max_body_bytes=1024)
    with TestClient(create_app(settings, hub_client=hub.client())) as small:
        response = small.post("/vessel-calls", content=SAMPLE_JSON.read_bytes(), headers=_auth(tokens["KH"]))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_other_countries_neither_see_nor_submit(client: TestClient, tokens: dict[str, str]) -> None:
    created = client.post("/vessel-calls", content=SAMPLE_JSON.read_bytes(), headers=_auth(tokens["KH"]))
    call_id = created.json()["id"]
    assert client.get(f"/vessel-calls/{call_id}", headers=_auth(tokens["JP"])).status_code == 403
    assert client.get(f"/vessel-calls/{call_id}", headers=_auth(tokens["VN"])).status_code == 200
    assert client.get(f"/vessel-calls/{call_id}", headers=_auth(tokens["OPERATOR"])).status_code == 200
    assert client.get("/vessel-calls", headers=_auth(tokens["JP"])).json()["items"] == []
    refused = client.post("/vessel-calls", content=SAMPLE_JSON.read_bytes(), headers=_auth(tokens["TH"]))
    assert refused.status_code == 403


def test_list_filters_and_pages(client: TestClient, tokens: dict[str, str]) -> None:
    for n in range(3):
        document = _sample() | {"ID": f"PA28-2026-{n:03d}"}
        response = client.post("/vessel-calls", content=json.dumps(document), headers=_auth(tokens["KH"]))
        assert response.status_code == 201
    page = client.get("/vessel-calls?limit=2&offset=0", headers=_auth(tokens["KH"])).json()
    rest = client.get("/vessel-calls?limit=2&offset=2", headers=_auth(tokens["KH"])).json()
    assert len(page["items"]) == 2
    assert len(rest["items"]) == 1
    assert client.get("/vessel-calls?port_of_call=JPYOK", headers=_auth(tokens["KH"])).json()["items"] == []
    assert client.get("/vessel-calls?port_of_call=nonsense", headers=_auth(tokens["KH"])).status_code == 400


def test_hub_down_delays_but_keeps_the_message(
    client: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    hub.statuses = [503, 503]
    created = client.post("/vessel-calls", content=SAMPLE_JSON.read_bytes(), headers=_auth(tokens["KH"]))
    assert created.status_code == 201
    eventually(lambda: len(hub.received) == 1, timeout=20, what="delivery after the hub comes back")

    def recorded() -> list[dict[str, Any]]:
        return client.get(f"/vessel-calls/{created.json()['id']}", headers=_auth(tokens["KH"])).json()["messages"]

    # the hub has the message before the outbox writes down the attempt that carried it
    eventually(lambda: recorded()[0]["state"] == "SENT", what="the outbox to record the hand-over")
    assert recorded()[0]["attempts"] == 3


def test_health_and_metrics(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "service": "port", "database": "up"}
    client.post("/vessel-calls", content=SAMPLE_JSON.read_bytes(), headers=_auth(tokens["KH"]))
    metrics = client.get("/metrics").text
    accepted = 'swx_validations_total{document_type="port.vessel-call/1.0",outcome="accepted",service="port"} 1.0'
    assert accepted in metrics
    assert "swx_outbox_depth" in metrics


def test_operator_submits_for_the_last_ports_country(client: TestClient, tokens: dict[str, str], hub: Any,
                                                     eventually: Callable[..., None]) -> None:
    response = client.post("/vessel-calls", content=SAMPLE_JSON.read_bytes(), headers=_auth(tokens["OPERATOR"]))
    assert response.status_code == 201, response.text
    assert response.json()["submitter"] == "KH"
    eventually(lambda: len(hub.received) == 1, what="the operator's call to reach the hub")
    assert hub.received[0]["sender"] == "KH"


def test_twin_submissions_racing_give_one_record(client: TestClient, tokens: dict[str, str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def submit(_: int) -> int:
        return client.post("/vessel-calls", content=SAMPLE_JSON.read_bytes(), headers=_auth(tokens["KH"])).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(submit, range(8)))
    assert statuses == [200] * 7 + [201]
    assert len(client.get("/vessel-calls", headers=_auth(tokens["KH"])).json()["items"]) == 1
