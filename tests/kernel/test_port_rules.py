"""port.vessel-call 1.1 rules (FAL 1, 5 and 6 as the forms have them) and person-level findings."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from services.kernel.findings import Finding, Severity
from services.kernel.messages.port import AttachedDocumentType, VesselCall, VesselCallV1_1
from services.kernel.registry import REGISTRY
from services.kernel.rules import RuleContext, port_rules
from services.kernel.validation import validate

VALID = Path(__file__).resolve().parents[2] / "fixtures" / "port.vessel-call" / "valid"
ARRIVAL = VALID / "khpnh-to-vnsgn-river-container-ship-phuoc-an-28-arrival-fal-1-1.json"
DEPARTURE = VALID / "thlch-to-jpyok-container-ship-siam-harmony-departure-myanmar-crew-fal-1-1.json"
ARRIVAL_1_0 = VALID / "khpnh-to-vnsgn-river-container-ship-phuoc-an-28-arrival.json"


def _call(path: Path) -> VesselCallV1_1:
    return VesselCallV1_1.model_validate_json(path.read_bytes(), strict=True)


def run(call: Any) -> list[Finding]:
    return [f for rule in REGISTRY.get(call.document_type).rules for f in rule(call, RuleContext())]


def where(findings: list[Finding]) -> list[tuple[str, str, str | None]]:
    return [(f.code, f.severity.value, f.location.pointer) for f in findings]


@pytest.fixture
def arrival() -> VesselCallV1_1:
    return _call(ARRIVAL)


@pytest.fixture
def departure() -> VesselCallV1_1:
    return _call(DEPARTURE)


def test_both_1_1_fixtures_pass_every_rule(arrival: VesselCallV1_1, departure: VesselCallV1_1) -> None:
    assert run(arrival) == []
    assert run(departure) == []


def test_1_1_is_served_beside_1_0() -> None:
    assert REGISTRY.versions("port.vessel-call") == ["1.0", "1.1"]
    assert REGISTRY.get("port.vessel-call", "1.0").model is VesselCall
    assert REGISTRY.get("port.vessel-call").model is VesselCallV1_1


def test_arrival_needs_its_eta(arrival: VesselCallV1_1) -> None:
    arrival.EstimatedArrivalDateTime = None
    assert where(run(arrival)) == [("ESTIMATED_TIME_MISSING", "error", "/EstimatedArrivalDateTime")]


def test_departure_needs_its_etd_but_not_an_eta(departure: VesselCallV1_1) -> None:
    assert departure.EstimatedArrivalDateTime is None  # the fixture gives only the ETD
    departure.EstimatedDepartureDateTime = None
    found = run(departure)
    assert where(found) == [("ESTIMATED_TIME_MISSING", "error", "/EstimatedDepartureDateTime")]
    assert "departure from THLCH" in found[0].message


def test_departure_before_arrival(arrival: VesselCallV1_1) -> None:
    assert arrival.EstimatedArrivalDateTime is not None
    arrival.EstimatedDepartureDateTime = arrival.EstimatedArrivalDateTime - dt.timedelta(minutes=1)
    assert where(run(arrival)) == [("DEPARTURE_BEFORE_ARRIVAL", "error", "/EstimatedDepartureDateTime")]


def test_attached_document_listed_twice(arrival: VesselCallV1_1) -> None:
    arrival.AttachedDocument.append(AttachedDocumentType(TypeCode="cargo-declaration", CopyQuantity=1))
    found = run(arrival)
    assert where(found) == [("ATTACHED_DOCUMENT_DUPLICATE", "error", "/AttachedDocument/5/TypeCode")]
    assert "Cargo Declaration (FAL 2)" in found[0].message


def test_crew_list_carried_but_not_declared_as_attached(arrival: VesselCallV1_1) -> None:
    arrival.AttachedDocument = [a for a in arrival.AttachedDocument if a.TypeCode != "crew-list"]
    assert where(run(arrival)) == [("ATTACHED_LIST_UNDECLARED", "error", "/Crew")]


def test_passenger_list_declared_but_not_carried(departure: VesselCallV1_1) -> None:
    departure.Passenger, departure.PassengerQuantity = None, 0
    assert where(run(departure)) == [("ATTACHED_LIST_NOT_CARRIED", "error", "/AttachedDocument/3/TypeCode")]


def test_expired_document_is_a_warning_on_that_person_only(departure: VesselCallV1_1) -> None:
    assert departure.Crew is not None
    departure.Crew[10].IdentityDocument.ExpiryDate = dt.date(2026, 11, 23)  # the day before the ETD
    found = run(departure)
    assert where(found) == [("DOCUMENT_EXPIRED", "warning", "/Crew/10/IdentityDocument/ExpiryDate")]
    assert found[0].subject == "/Crew/10"
    [person] = port_rules.person_findings(departure)
    assert (person.role, person.person.SequenceNumeric, person.person.FamilyName) == ("crew member", 11, "HTET LIN")
    assert "the call is accepted" in person.finding.message
    assert "the call is accepted" not in person.detail


def test_departure_without_eta_checks_documents_on_the_etd(departure: VesselCallV1_1) -> None:
    assert departure.Passenger is not None
    departure.Passenger[0].IdentityDocument.ExpiryDate = dt.date(2026, 11, 24)
    assert run(departure) == []  # valid on the day it leaves
    departure.Passenger[0].BirthDate = dt.date(2026, 11, 25)
    assert where(run(departure)) == [("BIRTH_DATE_AFTER_TRAVEL", "warning", "/Passenger/0/BirthDate")]


def test_person_faults_in_a_1_0_call_are_warnings_too() -> None:
    call = VesselCall.model_validate_json(ARRIVAL_1_0.read_bytes(), strict=True)
    assert call.Crew is not None
    call.Crew[2].IdentityDocument.ExpiryDate = dt.date(2026, 1, 1)
    call.Crew[4].BirthDate = dt.date(2027, 1, 1)
    assert where(run(call)) == [("DOCUMENT_EXPIRED", "warning", "/Crew/2/IdentityDocument/ExpiryDate"),
                                ("BIRTH_DATE_AFTER_TRAVEL", "warning", "/Crew/4/BirthDate")]
    assert all(f.severity is Severity.WARNING for f in run(call))


def test_single_name_is_valid_in_1_1_and_refused_in_1_0() -> None:
    data = json.loads(DEPARTURE.read_text())
    single = [p for p in data["Crew"] if "GivenNames" not in p]
    assert [p["FamilyName"] for p in single] == ["KYAW ZIN THANT", "AUNG MYO MIN", "HTET LIN", "NAING LIN AUNG",
                                                 "SOE WIN"]
    assert validate(DEPARTURE.read_bytes()).valid
    old = json.loads(ARRIVAL_1_0.read_text())
    del old["Crew"][0]["GivenNames"]
    report = validate(json.dumps(old).encode())
    assert [(f.code, f.location.pointer) for f in report.errors] == [("SCHEMA_REQUIRED", "/Crew/0/GivenNames")]


@pytest.mark.parametrize("list_name", ["Crew", "Passenger"])
def test_place_of_birth_is_required_in_1_1(list_name: str) -> None:
    data = json.loads(DEPARTURE.read_text())
    del data[list_name][0]["BirthPlaceName"]
    report = validate(json.dumps(data).encode())
    assert [(f.code, f.location.pointer) for f in report.errors] == [
        ("SCHEMA_REQUIRED", f"/{list_name}/0/BirthPlaceName")]


@pytest.mark.parametrize("telephone", ["+84 28 3940 5521", "+842839405521", "+1 212 555 0100"])
def test_agent_telephone_in_international_form_is_valid(telephone: str) -> None:
    data = json.loads(ARRIVAL.read_text())
    data["ShipAgent"]["Contact"]["TelephoneID"] = telephone
    assert validate(json.dumps(data).encode()).valid


@pytest.mark.parametrize("telephone", ["028 3940 5521", "+0 28 3940", "+84-28", "+84 28 3940 5521 ext 7"])
def test_agent_telephone_without_country_code_is_refused(telephone: str) -> None:
    data = json.loads(ARRIVAL.read_text())
    data["ShipAgent"]["Contact"]["TelephoneID"] = telephone
    assert [f.code for f in validate(json.dumps(data).encode()).errors] == ["SCHEMA_PATTERN"]
