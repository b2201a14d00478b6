"""What customs sends: the ACDD of an export to a network country, through the outbox to the hub."""

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from services.kernel.messages.customs import ACDD
from services.kernel.validation import validate
from tests.customs.conftest import JP_IMPORT, TH_EXPORT, auth, load


def test_export_to_vietnam_sends_a_valid_acdd_to_vn(
    lodge: Callable[..., Any], client: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    mrn = lodge(TH_EXPORT.with_suffix(".xml").read_bytes(), "TH", "application/xml").json()["mrn"]
    eventually(lambda: len(hub.received) == 1, what="the ACDD to reach the hub")
    envelope = hub.received[0]
    assert (envelope["sender"], envelope["receiver"], envelope["document_type"]) == ("TH", "VN", "customs.acdd/1.0")
    assert hub.authorizations[0] == f"Bearer {tokens['TH']}"
    report = validate(envelope["payload"].encode(), media_type="application/xml", expected_type="customs.acdd")
    assert report.valid, [f.as_dict() for f in report.findings]
    assert isinstance(report.document, ACDD)
    assert (report.document.ID, report.document.ExportDeclarationID) == (f"ACDD-{mrn}", mrn)
    eventually(lambda: client.get(f"/declarations/{mrn}", headers=auth(tokens["TH"])).json()
               ["messages"][0]["state"] == "SENT", what="the outbox row to be marked sent")
    message = client.get(f"/declarations/{mrn}", headers=auth(tokens["TH"])).json()["messages"][0]
    assert message["message_id"] == envelope["message_id"]
    assert (message["receiver"], message["document_type"], message["attempts"]) == ("VN", "customs.acdd/1.0", 1)


def test_import_and_exports_outside_the_network_send_nothing(lodge: Callable[..., Any]) -> None:
    outside = load(TH_EXPORT)
    outside["GoodsShipment"]["Destination"]["CountryCode"] = "CN"
    for response in (lodge(load(JP_IMPORT), "JP"), lodge(outside, "TH")):
        assert response.status_code == 201, response.text
        assert response.json()["messages"] == []


def test_a_hub_answering_503_gets_the_acdd_later(
    lodge: Callable[..., Any], client: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    hub.statuses = [503]
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    eventually(lambda: len(hub.received) == 1, timeout=20, what="delivery after the hub recovers")
    assert hub.received[0]["document_type"] == "customs.acdd/1.0"
    eventually(lambda: client.get(f"/declarations/{mrn}", headers=auth(tokens["TH"])).json()
               ["messages"][0]["state"] == "SENT", what="the outbox row to be marked sent")
    message = client.get(f"/declarations/{mrn}", headers=auth(tokens["TH"])).json()["messages"][0]
    assert message["attempts"] == 2
    assert message["last_error"] is None
