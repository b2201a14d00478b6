"""PAXLST as the real messages carry it: local times with their airport's UTC offset, every
leg, references, counts, baggage, a trailer after UNZ; on the shared real files and on the
hand-written fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.kernel import canonical
from services.kernel.edifact.paxlst import PaxlstResult, parse_paxlst
from services.kernel.messages.immigration import PassengerManifestV1_1
from services.kernel.registry import REGISTRY
from services.kernel.validation import validate

VALID = Path(__file__).resolve().parents[2] / "fixtures" / "immigration.passenger-manifest" / "valid"
V1_1 = REGISTRY.get("immigration.passenger-manifest", "1.1")


def manifest(result: PaxlstResult) -> PassengerManifestV1_1:
    assert result.document is not None, result.issues
    return PassengerManifestV1_1.model_validate(result.document, strict=False)


def legs(model: PassengerManifestV1_1) -> list[tuple[str, str, str, str, str]]:
    """(journey, from, departure time, to, arrival time) per leg, times as written in JSON."""
    data = canonical.json_data(model)
    return [(leg["JourneyID"], leg["DepartureLocationID"],
             leg.get("DepartureDateTime") or leg.get("DepartureLocalDateTime", ""), leg["ArrivalLocationID"],
             leg.get("ArrivalDateTime") or leg.get("ArrivalLocalDateTime", "")) for leg in data["ItineraryLeg"]]


def codes(result: PaxlstResult) -> list[tuple[str, str, int | None, str | None]]:
    return [(i.code, i.severity, i.segment_number, i.segment_tag) for i in result.issues]


# --- the shared real files ----------------------------------------------------------------

# Every leg of each file, with the offset its airport had on that date (IANA zone via airportsdata).
REAL_LEGS = {
    "apisMessage.txt": [  # two legs: Atlanta (EST) -> Chicago (CST), Chicago -> New York
        ("AA123", "ATL", "2007-02-19T15:40:00-05:00", "ORD", "2007-02-19T17:40:00-06:00"),
        ("AA124", "ORD", "2007-02-19T18:40:00-06:00", "JFK", "2007-02-19T19:55:00-05:00"),
    ],
    "Test3.txt": [  # STANDARDS.md's own example: FRA 2017-01-27 17:25 is 17:25+01:00
        ("UA0989", "FRA", "2017-01-27T17:25:00+01:00", "IAD", "2017-01-28T07:10:00-05:00"),
    ],
    "airline2.edi": [  # Bremen in May is on summer time (CEST)
        ("TN506", "BRE", "2014-05-11T13:40:00+02:00", "YEU", "2014-05-11T17:00:00-05:00"),
    ],
    "tamr-flight1.txt": [  # Santiago de Chile in January is on its summer time (-03:00)
        ("LA532", "SCL", "2020-01-19T23:00:00-03:00", "JFK", "2020-01-20T07:40:00-05:00"),
    ],
    "tamr-flight2.txt": [  # Keflavik keeps UTC all year (the model writes a zero offset as Z)
        ("FI615", "KEF", "2020-02-26T12:00:00Z", "JFK", "2020-02-26T18:00:00-05:00"),
    ],
}


@pytest.mark.parametrize(("file_name", "expected"), REAL_LEGS.items(), ids=list(REAL_LEGS))
def test_real_file_keeps_every_leg_with_its_airports_offsets(
    external: Path, file_name: str, expected: list[tuple[str, ...]]
) -> None:
    model = manifest(parse_paxlst((external / "paxlst" / file_name).read_bytes()))

    assert legs(model) == expected
    # The leg reported to the country of arrival is the last one that arrives.
    assert canonical.json_data(model)["Transport"] == canonical.json_data(model)["ItineraryLeg"][-1]


def test_real_file_references_counts_and_contacts_are_kept(external: Path) -> None:
    model = manifest(parse_paxlst((external / "paxlst" / "apisMessage.txt").read_bytes()))

    assert [(r.TypeCode, r.ID, r.RevisionID) for r in model.Reference or ()] == [("TN", "AJYTR1070219", "001")]
    assert [(c.TypeCode, c.ID) for c in model.ReportingPartyContact or ()] == [
        ("TE", "703-555-1212"), ("FX", "703-555-4545")]
    assert (model.PassengerQuantity, model.CrewQuantity) == (2, None)
    clark = model.Person[0]
    assert clark.ReservationID == "TYR123"
    assert [(r.TypeCode, r.ID) for r in clark.Reference or ()] == [
        ("ABO", "ABC123"), ("AEA", "1234567890ABC"), ("CR", "20060907NY123")]
    assert [r.ID for r in model.Person[1].Reference or ()] == ["TYL009"]


def test_real_file_crew_count_and_first_arrival_are_kept(external: Path) -> None:
    model = manifest(parse_paxlst((external / "paxlst" / "Test3.txt").read_bytes()))

    # CNT+41 is the crew count even on a passenger list: kept as the crew count it says it is.
    assert (model.PassengerQuantity, model.CrewQuantity) == (None, 206)
    assert {p.FirstArrivalLocationID for p in model.Person} == {"IAD"}  # LOC+22


def test_real_file_baggage_is_kept(external: Path) -> None:
    model = manifest(parse_paxlst((external / "paxlst" / "tamr-flight1.txt").read_bytes()))

    cannon = next(p for p in model.Person if p.Surname == "CANNON")
    assert cannon.Baggage is not None
    assert cannon.Baggage.PieceQuantity == 4
    assert cannon.Baggage.GrossMassMeasure is not None
    assert (str(cannon.Baggage.GrossMassMeasure.value), cannon.Baggage.GrossMassMeasure.unitCode) == ("0", "KGM")
    assert cannon.Baggage.TagID == ["2660003", "2660004", "SU0005", "2660006"]
    # FTX+BAG+++2660009:2 is two consecutive tags (the next passenger's is 2660011)
    crouch_before = model.Person[[p.Surname for p in model.Person].index("CROUCH") - 1]
    assert crouch_before.Baggage is not None
    assert crouch_before.Baggage.TagID == ["2660009", "2660010"]
    assert sum(len(p.Baggage.TagID or ()) for p in model.Person if p.Baggage) == 16  # 15 FTX+BAG segments
    assert model.PassengerQuantity == 10


@pytest.mark.parametrize("file_name", list(REAL_LEGS))
def test_real_file_with_a_trailer_after_unz_is_read_with_a_warning(external: Path, file_name: str) -> None:
    data = (external / "paxlst" / file_name).read_bytes()
    plain = parse_paxlst(data)
    trailed = parse_paxlst(data + b"\r\nNNNN\r\nEND OF MESSAGE 0042'\r\n")

    assert trailed.document == plain.document
    extra = [i for i in trailed.issues if i not in plain.issues]
    assert [(i.code, i.severity, i.segment_tag) for i in extra] == [("EDIFACT_TRAILING_DATA", "warning", "UNZ")]
    assert "NNNN END OF MESSAGE 0042" in extra[0].message


# --- the hand-written fixtures ---------------------------------------------------------------


def fixture(name: str) -> PaxlstResult:
    return parse_paxlst((VALID / name).read_bytes())


def test_summer_time_change_gives_each_side_its_offset() -> None:
    # Paris put its clocks forward in the night of 28 to 29 March 2026; New York had on 8 March.
    result = fixture("af-cdg-jfk-cdg-crew-rotation-across-summer-time-paxlst-d05b.edi")
    model = manifest(result)

    assert result.issues == []
    assert legs(model) == [
        ("AF22", "CDG", "2026-03-28T19:30:00+01:00", "JFK", "2026-03-28T22:00:00-04:00"),
        ("AF23", "JFK", "2026-03-29T23:15:00-04:00", "CDG", "2026-03-30T12:35:00+02:00"),
    ]
    assert (model.ListTypeCode, model.CrewQuantity, model.TotalPersonQuantity) == ("250", 2, 2)


def test_airport_without_a_known_zone_keeps_its_local_time_and_no_offset() -> None:
    result = fixture("vn1-han-lth-passengers-airport-without-time-zone-paxlst-d05b.edi")
    model = manifest(result)

    assert codes(result) == [("PAXLST_UNKNOWN_TIME_ZONE", "warning", 9, "DTM")]
    assert "DTM segment 9" in result.issues[0].message
    assert "LTH" in result.issues[0].message
    transport = model.Transport
    assert transport.ArrivalDateTime is None
    assert transport.ArrivalLocalDateTime is not None
    assert transport.ArrivalLocalDateTime.tzinfo is None
    assert canonical.json_data(model)["Transport"]["ArrivalLocalDateTime"] == "2026-12-01T09:10:00"
    assert canonical.json_data(model)["Transport"]["DepartureDateTime"] == "2026-12-01T07:00:00+07:00"
    # Lossless both ways: the local time comes back from XML and JSON as it was.
    xml = canonical.xml_bytes(model, V1_1)
    assert b"<ArrivalLocalDateTime>2026-12-01T09:10:00</ArrivalLocalDateTime>" in xml
    assert validate(xml).document == model
    assert validate(canonical.json_text(model).encode()).document == model


def test_three_legs_are_kept_and_the_last_one_is_reported() -> None:
    result = fixture("aa1-mia-iad-jfk-cdg-three-legs-paxlst-d05b.edi")
    model = manifest(result)

    assert result.issues == []
    assert legs(model) == [
        ("AA1668", "MIA", "2026-11-03T14:30:00-05:00", "IAD", "2026-11-03T17:00:00-05:00"),
        ("AA4601", "IAD", "2026-11-03T18:15:00-05:00", "JFK", "2026-11-03T19:35:00-05:00"),
        ("AA44", "JFK", "2026-11-03T22:05:00-05:00", "CDG", "2026-11-04T11:20:00+01:00"),
    ]
    assert (model.Transport.JourneyID, model.Transport.ArrivalLocationID) == ("AA44", "CDG")
    assert [(r.TypeCode, r.ID, r.RevisionID) for r in model.Reference or ()] == [("TN", "AA1031126", "002")]
    assert [c.TypeCode for c in model.ReportingPartyContact or ()] == ["TE", "EM"]
    assert [(p.FirstArrivalLocationID, [r.ID for r in p.Reference or ()]) for p in model.Person] == [
        ("CDG", ["AA0000517"]), ("CDG", ["AA0000518"])]


def test_baggage_pieces_weight_and_tags_and_both_counts_are_kept() -> None:
    result = fixture("tg642-bkk-nrt-passengers-with-baggage-paxlst-d02b.edi")
    model = manifest(result)

    assert result.issues == []
    baggage = [canonical.json_data(model)["Person"][i].get("Baggage") for i in range(3)]
    assert baggage == [
        # FTX+BAG+++TG217334:2 is two consecutive tags
        {"PieceQuantity": 2, "GrossMassMeasure": {"value": "37.5", "unitCode": "KGM"},
         "TagID": ["TG217334", "TG217335"]},
        {"PieceQuantity": 1, "GrossMassMeasure": {"value": "48", "unitCode": "LBR"}, "TagID": ["0217998143"]},
        {"PieceQuantity": 0},
    ]
    assert (model.PassengerQuantity, model.CrewQuantity, model.TotalPersonQuantity) == (3, 14, 3)


def test_times_the_clock_change_skips_or_repeats_are_flagged() -> None:
    result = parse_paxlst(b"UNA:+.? 'UNB+UNOA:4+AF+FR+261024:1200+1'UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'"
                          b"TDT+20+AF1+++AF'LOC+125+CDG'DTM+189:2603290230:201'LOC+87+LHR'DTM+232:2610250130:201'"
                          b"NAD+FL+++MARTIN:LEA'UNT+9+1'UNZ+1+1'")
    model = manifest(result)

    assert [(i.code, i.segment_number) for i in result.issues] == [
        ("PAXLST_AMBIGUOUS_TIME", 6), ("PAXLST_AMBIGUOUS_TIME", 8)]
    assert "does not exist" in result.issues[0].message
    assert "happened twice" in result.issues[1].message
    assert legs(model) == [("AF1", "CDG", "2026-03-29T02:30:00+01:00", "LHR", "2026-10-25T01:30:00+01:00")]


def test_segments_without_a_place_in_the_model_are_reported_once_per_kind() -> None:
    persons = "".join(f"NAD+FL+++PERSON:NUMBER {n}'EMP+1+PILOT'GEI+4+173'ATT+9++X'" for n in range(1, 4))
    result = parse_paxlst(b"UNB+UNOA:4+TG+VN+261118:0900+1'UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'"
                          b"TDT+20+TG560+++TG'LOC+125+BKK'DTM+189:2611181045:201'LOC+87+HAN'"
                          b"DTM+232:2611181240:201'LOC+42+BKK'" + persons.encode() + b"UNT+21+1'UNZ+1+1'")

    ignored = [(i.segment_number, i.message) for i in result.issues if i.code == "PAXLST_SEGMENT_IGNORED"]
    assert [number for number, _ in ignored] == [9, 11, 12, 13]
    assert "LOC segment 9 (LOC+42)" in ignored[0][1]
    assert "EMP segment 11 (EMP) and 2 more EMP segments" in ignored[1][1]
    assert "ATT segment 13 (ATT+9) and 2 more" in ignored[3][1]
    assert {i.severity for i in result.issues} == {"warning"}
    assert len(manifest(result).Person) == 3


def test_only_the_first_unz_ends_the_interchange_and_a_released_one_does_not() -> None:
    body = (b"UNB+UNOA:4+TG+VN+261118:0900+1'UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'TDT+20+TG560+++TG'"
            b"LOC+125+BKK'LOC+87+HAN'NAD+FL+++O?'UNZ+SULLIVAN:ANN'UNT+7+1'UNZ+1+1'")
    clean = parse_paxlst(body)
    assert clean.issues == []
    assert manifest(clean).Person[0].Surname == "O'UNZ"

    trailed = parse_paxlst(body + b"ZCZC'UNZ+9+9'")
    assert codes(trailed) == [("EDIFACT_TRAILING_DATA", "warning", 9, "UNZ")]
    assert trailed.document == clean.document


def test_unz_cut_short_is_still_truncated() -> None:
    result = parse_paxlst(b"UNB+UNOA:4+TG+VN+261118:0900+1'UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'UNT+2+1'UNZ+1+")

    assert [(i.code, i.severity) for i in result.issues] == [("EDIFACT_SYNTAX", "error")]
    assert "truncated" in result.issues[0].message


def test_a_manifest_known_only_by_local_times_still_has_its_documents_checked() -> None:
    fixture = VALID / "mekong-river-cruise-khpnh-vnsgn-passengers-local-departure-time-v1-1.json"
    data = json.loads(fixture.read_text(encoding="utf-8"))
    transport = data["Transport"]
    transport["ArrivalLocalDateTime"] = transport.pop("ArrivalDateTime")[:19]  # no known zone at either end
    data["Person"][0]["TravelDocument"][0]["ExpiryDate"] = "2026-11-01"
    report = validate(json.dumps(data).encode(), media_type="application/json")
    assert report.valid, report.findings
    expired = [f for f in report.findings if f.code == "DOCUMENT_EXPIRED"]
    assert [f.subject for f in expired] == ["/Person/0"]


def test_a_leg_end_with_both_an_offset_time_and_a_local_time_is_refused() -> None:
    data = json.loads((VALID / "tg202-tg560-hkt-bkk-han-passengers-two-legs-v1-1.json").read_text())
    data["ItineraryLeg"][0]["ArrivalLocalDateTime"] = "2026-11-18T08:30:00"  # beside its ArrivalDateTime
    report = validate(json.dumps(data).encode(), media_type="application/json")

    assert [(f.code, f.location.pointer) for f in report.errors] == [
        ("LEG_TIME_TWICE", "/ItineraryLeg/0/ArrivalLocalDateTime")]
