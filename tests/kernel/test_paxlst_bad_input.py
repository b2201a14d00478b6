"""PAXLST input that is large or odd on purpose: 5,000 persons, a DTM at an airport nobody
knows, 20 legs and more legs than a manifest takes. Each gives clear findings (no flood of
repeated warnings) and a document or a refusal, never an exception. The time each takes is
measured in the report of the change, not asserted here (no wall-clock assertions)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.kernel.edifact.paxlst import parse_paxlst
from services.kernel.edifact.transport import MAX_LEGS
from services.kernel.edifact.zones import place_in_zone
from services.kernel.messages.immigration import PassengerManifestV1_1

AIRPORTS = ["BKK", "HAN", "SGN", "RGN", "VTE", "PNH", "NRT", "HND", "KIX", "ICN", "TPE", "HKG", "SIN", "KUL",
            "MNL", "CGK", "DPS", "CNX", "HKT", "DAD", "PQC", "LPQ", "MDL", "REP"]


def interchange(header: list[str], persons: int, *, person_extra: str = "") -> bytes:
    body = ["UNH+BIG1+PAXLST:D:05B:UN:IATA'", "BGM+745'", *header]
    for n in range(1, persons + 1):
        body += [f"NAD+FL+++PASSENGER:NUMBER {n}'", "ATT+2++F'", "DTM+329:19900101:102'", "NAT+2+THA'",
                 f"DOC+P+AA{n:07d}'", "DTM+36:20320101:102'", "LOC+91+THA'"]
        if person_extra:
            body.append(person_extra)
    body.append(f"CNT+42:{persons}'")
    segments = ["UNB+UNOA:4+TGAPIS+VNAPIS+261118:0900+BIG1'", *body, f"UNT+{len(body) + 1}+BIG1'", "UNZ+1+BIG1'"]
    return "\n".join(segments).encode()


def flights(count: int) -> list[str]:
    """``count`` consecutive legs around the region's airports, each on its own day and TDT."""
    header = []
    for leg in range(count):
        day = dt.date(2026, 11, 1) + dt.timedelta(days=leg)
        origin, destination = AIRPORTS[leg % len(AIRPORTS)], AIRPORTS[(leg + 1) % len(AIRPORTS)]
        header += [f"TDT+20+TG{100 + leg}+++TG'", f"LOC+125+{origin}'", f"DTM+189:{day:%y%m%d}0800:201'",
                   f"LOC+87+{destination}'", f"DTM+232:{day:%y%m%d}1100:201'"]
    return header


def test_five_thousand_persons_convert_with_one_warning_per_kind_of_unread_segment() -> None:
    result = parse_paxlst(interchange(flights(1), 5000, person_extra="EMP+1+CR1'"))

    assert result.document is not None
    model = PassengerManifestV1_1.model_validate(result.document, strict=False)
    assert (len(model.Person), model.PassengerQuantity) == (5000, 5000)
    assert [(i.code, i.severity) for i in result.issues] == [("PAXLST_SEGMENT_IGNORED", "warning")]
    assert "and 4,999 more EMP segments" in result.issues[0].message


def test_dtm_at_an_unknown_airport_is_one_warning_on_that_dtm_and_no_offset() -> None:
    header = ["TDT+20+VN1+++VN'", "LOC+125+HAN'", "DTM+189:2612010700:201'", "LOC+87+QQZ'",
              "DTM+232:2612010910:201'"]
    result = parse_paxlst(interchange(header, 3))

    assert [(i.code, i.segment_number, i.segment_tag) for i in result.issues] == [
        ("PAXLST_UNKNOWN_TIME_ZONE", 8, "DTM")]
    assert "QQZ" in result.issues[0].message
    assert "ArrivalLocalDateTime" in result.issues[0].message
    assert result.document is not None
    transport = result.document["Transport"]
    assert isinstance(transport, dict)
    assert (transport.get("ArrivalDateTime"), transport["ArrivalLocalDateTime"]) == (None, "2026-12-01T09:10:00")
    # reported once, although the leg is both the reported Transport and an itinerary leg
    assert result.document["ItineraryLeg"] == [transport]


def test_twenty_legs_are_all_kept_with_their_offsets() -> None:
    result = parse_paxlst(interchange(flights(20), 2))

    assert result.issues == []
    model = PassengerManifestV1_1.model_validate(result.document, strict=False)
    assert model.ItineraryLeg is not None
    assert [leg.JourneyID for leg in model.ItineraryLeg] == [f"TG{100 + n}" for n in range(20)]
    assert all(leg.DepartureDateTime is not None and leg.DepartureDateTime.utcoffset() is not None
               for leg in model.ItineraryLeg)
    assert model.ItineraryLeg[3].DepartureDateTime is not None
    assert model.ItineraryLeg[3].DepartureDateTime.isoformat() == "2026-11-04T08:00:00+06:30"  # RGN
    assert model.Transport == model.ItineraryLeg[-1]


def test_more_legs_than_a_manifest_takes_are_refused_with_one_error() -> None:
    result = parse_paxlst(interchange(flights(MAX_LEGS + 1), 1))

    assert result.document is None
    assert [(i.code, i.severity) for i in result.issues] == [("PAXLST_TOO_MANY_LEGS", "error")]
    assert f"{MAX_LEGS + 1:,} legs; at most {MAX_LEGS}" in result.issues[0].message


@pytest.mark.parametrize("when", ["999912312359", "000101010000", "190001010000"])
def test_a_departure_year_far_from_the_message_is_a_bad_date_not_a_crash_or_a_seconds_offset(when: str) -> None:
    header = ["TDT+20+TG560+++TG'", "LOC+125+BKK'", f"DTM+189:{when}:203'", "LOC+87+HAN'",
              "DTM+232:2611181240:201'"]
    result = parse_paxlst(interchange(header, 2))

    assert [(i.code, i.severity, i.segment_tag) for i in result.issues] == [("PAXLST_BAD_DATE", "warning", "DTM")]
    assert "years from the message date" in result.issues[0].message
    assert result.document is not None
    model = PassengerManifestV1_1.model_validate(result.document, strict=False)
    assert model.Transport.DepartureDateTime is None
    assert model.Transport.DepartureLocalDateTime is None


def test_a_time_at_the_end_of_the_calendar_is_kept_local_not_an_overflow() -> None:
    assert place_in_zone(dt.datetime(1, 1, 1, 0, 0), ZoneInfo("Asia/Bangkok")) is None
    assert place_in_zone(dt.datetime(1900, 1, 1, 0, 0), ZoneInfo("Asia/Bangkok")) is None  # LMT +06:42:04
    placed = place_in_zone(dt.datetime(2026, 11, 18, 10, 45), ZoneInfo("Asia/Bangkok"))
    assert placed is not None
    assert placed.moment.utcoffset() == dt.timedelta(hours=7)
