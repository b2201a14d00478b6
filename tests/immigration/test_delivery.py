"""The manifest reaches the hub for the arrival country, even when the hub is down for a while."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from services.kernel.validation import validate

TG560_JSON = Path(__file__).resolve().parents[2] / "fixtures" / "immigration.passenger-manifest" / "valid" / (
    "tg560-bkk-han-passengers.json")


def test_manifest_is_sent_to_the_arrival_country(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]], tokens: dict[str, str],
    hub: Any, eventually: Callable[..., None],
) -> None:
    created = submit(TG560_JSON, "TH").json()
    eventually(lambda: len(hub.received) == 1, what="the manifest to reach the hub")
    envelope = hub.received[0]
    assert (envelope["sender"], envelope["receiver"], envelope["document_type"]) == (
        "TH", "VN", "immigration.passenger-manifest/1.0")
    assert envelope["message_id"] == created["messages"][0]["message_id"]
    assert hub.authorizations[0] == f"Bearer {tokens['TH']}"
    assert envelope["payload_digest"] == hashlib.sha256(envelope["payload"].encode()).hexdigest()
    report = validate(envelope["payload"].encode(), media_type=f"application/{envelope['payload_format']}",
                      expected_type="immigration.passenger-manifest")
    assert report.valid, report.findings
    assert report.document is not None
    assert report.document.model_dump(mode="json", exclude_none=True) == json.loads(TG560_JSON.read_text())
    eventually(lambda: client.get(f"/manifests/{created['id']}", headers=auth("TH")).json()
               ["messages"][0]["state"] == "SENT", what="the outbox row to be marked sent")


def test_hub_down_delays_but_keeps_the_message(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]], hub: Any,
    eventually: Callable[..., None],
) -> None:
    hub.statuses = [503, 503]
    created = submit(TG560_JSON, "TH")
    assert created.status_code == 201
    eventually(lambda: len(hub.received) == 1, timeout=20, what="delivery after the hub comes back")
    url = f"/manifests/{created.json()['id']}"
    eventually(lambda: client.get(url, headers=auth("TH")).json()["messages"][0]["state"] == "SENT",
               what="the outbox row to be marked sent")
    message = client.get(url, headers=auth("TH")).json()["messages"][0]
    assert message["attempts"] == 3
    assert message["last_error"] is None


def test_health_and_metrics(client: TestClient, submit: Callable[..., Any]) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "service": "immigration", "database": "up"}
    submit(TG560_JSON, "TH")
    submit(b"UNA:+.? 'garbage", "TH", "application/edifact")
    metrics = client.get("/metrics").text
    for outcome, version in (("accepted", "1.0"), ("refused", "1.1")):  # EDIFACT is read as 1.1, garbage too
        assert (f'swx_validations_total{{document_type="immigration.passenger-manifest/{version}",outcome="{outcome}",'
                'service="immigration"} 1.0') in metrics
