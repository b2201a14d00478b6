"""The immigration service takes a PAXLST into passenger-manifest 1.1 and keeps and forwards
it in that version: the legs, baggage and local times are not lost on the way."""

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from services.immigration import service
from services.kernel.messages.immigration import PassengerManifestV1_1
from services.kernel.network import business_document_types

VALID = Path(__file__).resolve().parents[2] / "fixtures" / "immigration.passenger-manifest" / "valid"
BAGGAGE_PAXLST = VALID / "tg642-bkk-nrt-passengers-with-baggage-paxlst-d02b.edi"


def test_paxlst_is_stored_served_and_forwarded_as_1_1(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]]
) -> None:
    response = submit(BAGGAGE_PAXLST, "TH")
    assert response.status_code == 201, response.text
    body = response.json()
    assert [(m["receiver"], m["document_type"]) for m in body["messages"]] == [
        ("JP", "immigration.passenger-manifest/1.1")]
    stored = body["manifest"]
    assert stored["document_type"] == "immigration.passenger-manifest/1.1"
    assert stored["Transport"]["DepartureDateTime"] == "2026-11-18T23:35:00+07:00"
    assert stored["ItineraryLeg"] == [stored["Transport"]]
    assert stored["Person"][0]["Baggage"]["TagID"] == ["TG217334", "TG217335"]

    xml = client.get(f"/manifests/{body['id']}", headers=auth("TH", accept="application/xml"))
    assert xml.status_code == 200, xml.text
    assert b'xmlns="urn:swx:immigration.passenger-manifest:1.1"' in xml.content
    assert b"<TagID>TG217335</TagID>" in xml.content


def test_the_network_accepts_both_versions() -> None:
    assert {"immigration.passenger-manifest/1.0", "immigration.passenger-manifest/1.1"} <= set(
        business_document_types())


def test_a_journey_known_only_by_local_time_is_placed_on_its_local_date() -> None:
    data = json.loads((VALID / "mekong-river-cruise-khpnh-vnsgn-passengers-local-departure-time-v1-1.json").read_text())
    data["Transport"].pop("ArrivalDateTime")
    manifest = PassengerManifestV1_1.model_validate(data, strict=False)

    journey = service.place_journey(manifest)

    assert (journey.departure, journey.arrival, journey.date) == ("KH", "VN", dt.date(2026, 11, 28))
