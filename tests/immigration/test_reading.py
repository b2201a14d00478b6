"""Reading manifests back: the resource, XML by Accept, the per-person answers, the list."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.immigration.decisions import record_api_response
from services.kernel.db import session_scope
from services.kernel.messages.immigration import APIResponse
from services.kernel.validation import validate

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
VALID = ROOT / "immigration.passenger-manifest" / "valid"
TG560_JSON = VALID / "tg560-bkk-han-passengers.json"
VN_ANSWER = ROOT / "immigration.api-response" / "valid" / "vn-answers-tg560-bkk-han-watchlist-no-board-and-refer.json"


def test_resource_shows_journey_persons_and_document(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]]
) -> None:
    created = submit(TG560_JSON, "TH").json()
    body = client.get(f"/manifests/{created['id']}", headers=auth("VN")).json()
    assert body["journey"] == {"id": "TG560", "date": "2026-11-18", "carrier": "TG", "mode": "air"}
    assert (body["departure"]["location"], body["departure"]["country"]) == ("BKK", "TH")
    assert body["arrival"]["date_time"] == "2026-11-18T12:40:00+07:00"
    assert (body["departure"], body["arrival"], body["received_at"]) == (
        created["departure"], created["arrival"], created["received_at"])
    assert (body["list_type"], body["list_type_name"], body["person_count"]) == ("745", "passengers", 8)
    assert body["manifest"] == json.loads(TG560_JSON.read_text())


def test_visa_is_not_taken_for_the_travel_document(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]]
) -> None:
    document = json.loads((VALID / "vn300-sgn-nrt-passengers-with-japanese-visas-and-transit.json").read_text())
    with_visa = next(p for p in document["Person"] if p["TravelDocument"][-1]["TypeCode"] == "V")
    with_visa["TravelDocument"].reverse()  # the visa first, as some carriers list them
    created = submit(json.dumps(document).encode(), "VN").json()
    persons = client.get(f"/manifests/{created['id']}/responses", headers=auth("VN")).json()["persons"]
    stored = next(p for p in persons if p["sequence"] == with_visa["SequenceNumeric"])
    assert stored["document_number"] == next(d["ID"] for d in with_visa["TravelDocument"] if d["TypeCode"] == "P")


def test_xml_is_given_when_asked_for(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]]
) -> None:
    created = submit(VALID / "8m335-rgn-bkk-passengers-paxlst-d05b.edi", "MM").json()
    answer = client.get(f"/manifests/{created['id']}", headers=auth("TH", accept="application/xml"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    report = validate(answer.content, media_type="application/xml", expected_type="immigration.passenger-manifest")
    assert report.valid, report.findings
    assert report.document is not None
    assert report.document.model_dump(mode="json", exclude_none=True) == created["manifest"]
    refused = client.get(f"/manifests/{created['id']}", headers=auth("TH", accept="text/html"))
    assert refused.status_code == 406


def test_responses_are_pending_until_the_answer_is_recorded(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]]
) -> None:
    created = submit(TG560_JSON, "TH").json()
    url = f"/manifests/{created['id']}/responses"
    pending = client.get(url, headers=auth("TH")).json()["persons"]
    assert [(p["decision"], p["reason_code"], p["decided_at"]) for p in pending] == [("pending", None, None)] * 8
    answer = APIResponse.model_validate_json(VN_ANSWER.read_bytes())
    with session_scope(client.app.state.engine) as session:  # type: ignore[attr-defined]
        record_api_response(session, response=answer, for_country="TH")
    persons = {p["sequence"]: p for p in client.get(url, headers=auth("TH")).json()["persons"]}
    assert (persons[5]["decision"], persons[5]["reason_code"]) == ("no-board", "WATCHLIST_MATCH")
    assert persons[5]["remarks"].startswith("Entry ban in force")
    assert (persons[8]["decision"], persons[8]["reason_code"]) == ("refer", "NAME_PARTIAL_MATCH")
    assert {persons[n]["decision"] for n in (1, 2, 3, 4, 6, 7)} == {"board"}
    assert persons[1]["decided_at"] == "2026-11-18T02:21:40+00:00"
    assert (persons[1]["surname"], persons[1]["given_names"], persons[1]["document_number"]) == (
        "NGUYEN", "VAN MINH", "C4821937")
    assert client.get(url, headers=auth("VN")).json()["persons"] == list(persons.values())


def test_other_countries_see_nothing(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]]
) -> None:
    created = submit(TG560_JSON, "TH").json()
    for path in (f"/manifests/{created['id']}", f"/manifests/{created['id']}/responses"):
        assert client.get(path, headers=auth("JP")).status_code == 403
        assert client.get(path, headers=auth("OPERATOR")).status_code == 200
    assert client.get("/manifests", headers=auth("JP")).json()["items"] == []
    missing = client.get("/manifests/no-such-manifest", headers=auth("TH"))
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/problem+json")
    assert client.get(f"/manifests/{created['id']}").status_code == 401


def test_list_is_newest_first_filtered_and_paged(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]]
) -> None:
    ids = []
    for n in range(3):
        document = json.loads(TG560_JSON.read_text()) | {"ID": f"TG560-2026111{n}"}
        ids.append(submit(json.dumps(document).encode(), "TH").json()["id"])
    crew = submit(VALID / "tg560-bkk-han-crew-list.json", "TH").json()["id"]
    other = submit(VALID / "jl31-hnd-bkk-passengers.json", "JP").json()["id"]
    assert [i["id"] for i in client.get("/manifests", headers=auth("TH")).json()["items"]] == [
        other, crew, *reversed(ids)]  # TH submitted four and receives JL31
    page = client.get("/manifests?journey=TG560&limit=2&offset=0", headers=auth("TH")).json()
    rest = client.get("/manifests?journey=TG560&limit=2&offset=2", headers=auth("TH")).json()
    assert [i["id"] for i in page["items"] + rest["items"]] == [crew, *reversed(ids)]
    assert (page["limit"], page["offset"], len(rest["items"])) == (2, 0, 2)
    assert [i["id"] for i in client.get("/manifests", headers=auth("VN")).json()["items"]] == [crew, *reversed(ids)]
    assert len(client.get("/manifests", headers=auth("OPERATOR")).json()["items"]) == 5
    assert client.get("/manifests?journey=JL31", headers=auth("VN")).json()["items"] == []


@pytest.mark.parametrize("query", ["journey=tg%20560", "limit=0", "limit=201", "offset=-1", "limit=many"])
def test_list_refuses_bad_parameters(client: TestClient, auth: Callable[..., dict[str, str]], query: str) -> None:
    response = client.get(f"/manifests?{query}", headers=auth("TH"))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
