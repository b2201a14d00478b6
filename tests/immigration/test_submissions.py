"""Submitting manifests: every format, real PAXLST files, idempotency, identity, bad input."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.immigration import repository
from services.immigration.app import create_app
from services.immigration.config import ImmigrationSettings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "immigration.passenger-manifest"
VALID, INVALID = FIXTURES / "valid", FIXTURES / "invalid"
TG560_JSON = VALID / "tg560-bkk-han-passengers.json"
PROBLEM = "application/problem+json"


def _tg560() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TG560_JSON.read_text())
    return data


@pytest.mark.parametrize(
    ("fixture", "carrier_country", "persons", "receiver"),
    [
        ("tg560-bkk-han-passengers.json", "TH", 8, "VN"),
        ("jl31-hnd-bkk-passengers.json", "JP", 5, "TH"),
        ("qv445-vte-bkk-passengers-lao-airlines.xml", "LA", 4, "TH"),
        ("mekong-river-cruise-khpnh-vnsgn-passengers.xml", "KH", 4, "VN"),
        ("k6820-pnh-sgn-passengers-cambodia-angkor-air.json", "KH", 5, "VN"),
        ("tg560-bkk-han-crew-list.xml", "TH", 6, "VN"),
        ("vn300-sgn-nrt-passengers-with-japanese-visas-and-transit.json", "VN", 6, "JP"),
        ("8m335-rgn-bkk-passengers-paxlst-d05b.edi", "MM", 6, "TH"),
        ("tg560-bkk-han-passengers-paxlst-d05b-crlf.edi", "TH", 8, "VN"),
    ],
)
def test_manifest_in_each_format_is_stored_person_by_person(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]], fixture: str,
    carrier_country: str, persons: int, receiver: str,
) -> None:
    response = submit(VALID / fixture, carrier_country)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/manifests/{body['id']}"
    assert (body["submitter"], body["arrival"]["country"]) == (carrier_country, receiver)
    assert body["person_count"] == persons
    stored = client.get(f"/manifests/{body['id']}/responses", headers=auth(carrier_country)).json()["persons"]
    assert [p["sequence"] for p in stored] == list(range(1, persons + 1))
    assert [p["surname"] for p in stored] == [p["Surname"] for p in body["manifest"]["Person"]]
    assert {p["decision"] for p in stored} == {"pending"}
    assert [(m["receiver"], m["document_type"]) for m in body["messages"]] == [
        (receiver, f"immigration.passenger-manifest/{'1.1' if fixture.endswith('.edi') else '1.0'}")]


@pytest.mark.parametrize(
    ("name", "persons", "route"),
    [("airline2.edi", 10, ("BRE", "DE", "YEU", "CA")), ("apisMessage.txt", 2, ("ORD", "US", "JFK", "US")),
     ("Test3.txt", 260, ("FRA", "DE", "IAD", "US"))],
)
def test_real_paxlst_files_outside_the_network_are_the_operators_to_submit(
    external: Path, submit: Callable[..., Any], client: TestClient, auth: Callable[..., dict[str, str]], name: str,
    persons: int, route: tuple[str, str, str, str],
) -> None:
    path = external / "paxlst" / name
    refused = submit(path, "TH")
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == PROBLEM
    accepted = submit(path, "OPERATOR")
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    departure, arrival = body["departure"], body["arrival"]
    assert (departure["location"], departure["country"], arrival["location"], arrival["country"]) == route
    assert (body["submitter"], body["person_count"], body["messages"]) == ("OPERATOR", persons, [])
    stored = client.get(f"/manifests/{body['id']}/responses", headers=auth("OPERATOR")).json()["persons"]
    assert len(stored) == persons
    assert client.get(f"/manifests/{body['id']}", headers=auth("TH")).status_code == 403
    as_xml = client.get(f"/manifests/{body['id']}", headers=auth("OPERATOR", accept="application/xml"))
    assert (as_xml.status_code, as_xml.content.count(b"<Person>")) == (200, persons)


def test_real_paxlst_warnings_are_reported_with_the_accepted_manifest(
    external: Path, submit: Callable[..., Any]
) -> None:
    body = submit(external / "paxlst" / "airline2.edi", "OPERATOR").json()
    codes = {w["code"] for w in body["warnings"]}
    assert {"PAXLST_COUNT_MISMATCH", "PAXLST_SEGMENT_COUNT"} <= codes
    assert next(w for w in body["warnings"] if w["code"] == "PAXLST_COUNT_MISMATCH")["location"]["tag"] == "CNT"


def test_operator_acts_for_the_departure_country(submit: Callable[..., Any]) -> None:
    body = submit(TG560_JSON, "OPERATOR").json()
    assert body["submitter"] == "TH"
    assert [m["receiver"] for m in body["messages"]] == ["VN"]
    assert submit(TG560_JSON, "TH").status_code == 200  # the same manifest, now from the carrier itself


def test_arrival_country_submitting_sends_nothing(submit: Callable[..., Any]) -> None:
    response = submit(TG560_JSON, "VN")
    assert response.status_code == 201, response.text
    assert (response.json()["submitter"], response.json()["messages"]) == ("VN", [])


def test_same_manifest_again_returns_the_record_and_other_content_conflicts(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]]
) -> None:
    first, again = submit(TG560_JSON, "TH"), submit(TG560_JSON, "TH")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(again.json()["messages"]) == 1
    changed = _tg560()
    changed["Person"][0]["SeatID"] = "1A"
    conflict = submit(json.dumps(changed).encode(), "TH")
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == PROBLEM
    assert len(client.get("/manifests", headers=auth("TH")).json()["items"]) == 1


def test_manifest_id_reused_for_the_next_days_flight_is_a_new_manifest(submit: Callable[..., Any]) -> None:
    first = submit(TG560_JSON, "TH")
    next_day = _tg560()
    next_day["Transport"] |= {"DepartureDateTime": "2026-11-19T10:45:00+07:00",
                              "ArrivalDateTime": "2026-11-19T12:40:00+07:00"}
    second = submit(json.dumps(next_day).encode(), "TH")
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert second.json()["id"] != first.json()["id"]
    assert second.json()["journey"]["date"] == "2026-11-19"


def test_concurrent_duplicate_is_answered_with_the_first_record(
    submit: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = submit(TG560_JSON, "TH").json()
    real = repository.find_by_key
    calls: list[int] = []

    def racing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)  # the first look finds nothing, as if the other request had not committed yet
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(repository, "find_by_key", racing)
    again = submit(TG560_JSON, "TH")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"]
    assert len(again.json()["messages"]) == 1


@pytest.mark.parametrize(
    ("country", "status"), [("JP", 403), ("LA", 403), ("TH", 201), ("VN", 201), ("OPERATOR", 201)]
)
def test_only_the_ends_of_the_journey_may_submit(submit: Callable[..., Any], country: str, status: int) -> None:
    response = submit(TG560_JSON, country)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic dGg6dGg="])
def test_unauthenticated_submission_is_401(client: TestClient, authorization: str | None) -> None:
    headers = {"Content-Type": "application/json"} | ({"Authorization": authorization} if authorization else {})
    response = client.post("/manifests", content=TG560_JSON.read_bytes(), headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


EXPECTED = json.loads((INVALID / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_fixture_is_refused_with_its_finding(submit: Callable[..., Any], name: str) -> None:
    expected = EXPECTED[name]
    response = submit(INVALID / name, "OPERATOR")
    if expected.get("severity") == "warning":
        assert response.status_code == 201, response.text
        found = {(w["code"], w["subject"]) for w in response.json()["warnings"]}
        assert (expected["code"], expected.get("subject")) in found  # a person's fault is reported on that person
        return
    assert response.status_code == (400 if expected["code"] == "EDIFACT_SYNTAX" else 422), response.text
    assert response.headers["content-type"] == PROBLEM
    assert expected["code"] in {e["code"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("transport", "code", "pointer"),
    [
        ({"ArrivalLocationID": "ZZZ"}, "LOCATION_COUNTRY_UNKNOWN", "/Transport/ArrivalLocationID"),
        ({"DepartureDateTime": None, "ArrivalDateTime": None}, "JOURNEY_DATE_MISSING", "/Transport/DepartureDateTime"),
        ({"DepartureDateTime": "0001-01-01T00:30:00+07:00"}, "SCHEMA_TYPE", "/Transport/DepartureDateTime"),
    ],
    ids=["unknown-airport", "no-date", "before-year-1-in-utc"],
)
def test_journey_the_service_cannot_place_is_422(
    submit: Callable[..., Any], transport: dict[str, Any], code: str, pointer: str
) -> None:
    document = _tg560()
    document["Transport"] = {k: v for k, v in (document["Transport"] | transport).items() if v is not None}
    response = submit(json.dumps(document).encode(), "OPERATOR")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert [(e["code"], e["location"]["pointer"]) for e in response.json()["errors"]] == [(code, pointer)]


@pytest.mark.parametrize("text", ["NGUYEN\u0000", "TRAN\u0007", "SATO\ufffe"])
def test_text_xml_cannot_carry_is_422_with_its_place(submit: Callable[..., Any], text: str) -> None:
    document = _tg560()
    document["Person"][2]["GivenNames"] = text
    response = submit(json.dumps(document).encode(), "TH")
    assert response.status_code == 422, response.text
    assert [(e["code"], e["location"]["pointer"]) for e in response.json()["errors"]] == [
        ("XML_CHARACTER_NOT_ALLOWED", "/Person/2/GivenNames")]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"this is not EDIFACT at all", "application/edifact", 400, "EDIFACT_SYNTAX"),
        (b"UNA:+.? 'UNB+UNOA:4+X+Y+'", "application/edifact", 422, "PAXLST_MISSING_SEGMENT"),
        (b"{not json", "application/json", 400, None),
        (b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", "application/xml", 400, None),
        (b"hello", "text/plain", 415, None),
        (b"hello", None, 415, None),
    ],
    ids=["edifact-garbage", "edifact-without-message", "malformed-json", "doctype", "text-plain", "no-content-type"],
)
def test_bad_bodies_get_problem_json(
    client: TestClient, auth: Callable[..., dict[str, str]], body: bytes, content_type: str | None, status: int,
    code: str | None,
) -> None:
    response = client.post("/manifests", content=body, headers=auth("TH", content_type=content_type))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    if code is not None:
        assert code in {e["code"] for e in problem["errors"]}


@pytest.mark.parametrize("fixture", ["tg560-bkk-han-passengers.json", "tg560-bkk-han-passengers-paxlst-d05b-crlf.edi"])
def test_body_over_the_limit_is_413(
    database_url: str, network_file: Path, hub: Any, tmp_path: Path, auth: Callable[..., dict[str, str]],
    fixture: str,
) -> None:
    settings = ImmigrationSettings(database_url=database_url, network_file=network_file, data_dir=tmp_path,
                                   max_body_bytes=1024)
    path = VALID / fixture
    media = "application/edifact" if path.suffix == ".edi" else "application/json"
    with TestClient(create_app(settings, hub_client=hub.client())) as small:
        response = small.post("/manifests", content=path.read_bytes(), headers=auth("TH", content_type=media))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
