"""What the port of call's immigration decides on each person of a FAL 5 / FAL 6 list."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from services.kernel import canonical
from services.kernel.messages.port import Clearance, VesselCallV1_1
from services.kernel.validation import validate
from services.nsw import business_responses
from services.nsw.config import WATCHLIST
from services.nsw.port_decisions import answer_vessel_call, person_outcomes
from services.nsw.watchlist import Watchlist, load_watchlist

VALID = Path(__file__).resolve().parents[2] / "fixtures" / "port.vessel-call" / "valid"
DEPARTURE = VALID / "thlch-to-jpyok-container-ship-siam-harmony-departure-myanmar-crew-fal-1-1.json"
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
WATCHLISTED_DOCUMENT = "FT4471029"
"""A travel document number on the development watchlist (entry WL-2025-0931, no-board)."""


@pytest.fixture(scope="module")
def watchlist() -> Watchlist:
    return load_watchlist(WATCHLIST)


def _departure() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEPARTURE.read_text())
    return data


def _received(data: dict[str, Any], watchlist: Watchlist) -> Clearance:
    """The call as the port of call's NSW takes it: validated (it must pass), then answered."""
    report = validate(json.dumps(data).encode())
    assert report.valid, [f.as_dict() for f in report.errors]
    assert report.document is not None
    found = business_responses.business_response(report.document, country="TH", watchlist=watchlist)
    assert found is not None
    clearance, message_type = found
    assert isinstance(clearance, Clearance)
    assert validate(canonical.xml_bytes(clearance, message_type), expected_type=message_type).valid
    return clearance


def _decisions(clearance: Clearance) -> dict[str, tuple[str, str]]:
    return {d.AgencyCode: (d.DecisionCode, d.Remarks or "") for d in clearance.AgencyDecision}


def test_clean_call_is_granted_by_every_agency(watchlist: Watchlist) -> None:
    decisions = _decisions(_received(_departure(), watchlist))
    assert {agency: decision for agency, (decision, _) in decisions.items()} == {
        "customs": "granted", "immigration": "granted", "port-health": "granted"}
    assert "every identity document valid" in decisions["immigration"][1]


def test_expired_seamans_book_refuses_landing_of_that_crew_member_only(watchlist: Watchlist) -> None:
    data = _departure()
    data["Crew"][10]["IdentityDocument"]["ExpiryDate"] = "2026-10-31"
    decisions = _decisions(_received(data, watchlist))
    decision, remarks = decisions["immigration"]
    assert decision == "refused"
    assert "Landing refused for crew member 11 HTET LIN (DOCUMENT_EXPIRED: " in remarks
    assert "YGN061377 expired on 2026-10-31" in remarks
    assert "The other 19 persons are cleared" in remarks
    assert "None" not in remarks  # a person with one name only is named by it
    assert (decisions["customs"][0], decisions["port-health"][0]) == ("granted", "granted")


def test_impossible_birth_date_refers_the_passenger_to_inspection(watchlist: Watchlist) -> None:
    data = _departure()
    data["Passenger"][1]["BirthDate"] = "2055-02-21"
    decision, remarks = _decisions(_received(data, watchlist))["immigration"]
    assert decision == "pending"
    assert "Pending secondary inspection of passenger 2 WATANABE KEIKO (BIRTH_DATE_AFTER_TRAVEL: " in remarks
    assert "Landing refused" not in remarks


def test_a_person_with_several_reasons_is_named_once_with_each(watchlist: Watchlist) -> None:
    data = _departure()
    data["Crew"][0]["IdentityDocument"]["ID"] = WATCHLISTED_DOCUMENT
    data["Crew"][0]["BirthDate"] = "2030-01-01"
    data["Passenger"][0]["IdentityDocument"]["ExpiryDate"] = "2026-11-01"
    report = validate(json.dumps(data).encode())
    assert isinstance(report.document, VesselCallV1_1)
    outcomes = person_outcomes(report.document, watchlist)
    assert [(o.who, o.landing, [r.split(":", 1)[0] for r in o.reasons]) for o in outcomes] == [
        ("crew member 1 SINGH RAJINDER", "refused", ["WATCHLIST_DOCUMENT_MATCH", "BIRTH_DATE_AFTER_TRAVEL"]),
        ("passenger 1 WATANABE HIROSHI", "refused", ["DOCUMENT_EXPIRED"]),
    ]
    decision, remarks = _decisions(answer_vessel_call(report.document, country="TH", watchlist=watchlist,
                                                      now=NOW, token="T1"))["immigration"]
    assert decision == "refused"
    assert "The other 18 persons are cleared" in remarks
