"""PAXLST (UN/EDIFACT) -> immigration.passenger-manifest: real carrier files and hand-written cases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.kernel.edifact.paxlst import PaxlstResult, looks_like_edifact, parse_paxlst
from services.kernel.messages.immigration import PassengerManifestV1_1

EXTERNAL = Path(__file__).resolve().parents[2].parent / "shared" / "external" / "paxlst"

# Person groups (NAD+FL/FM/DDU/DDT/COT) counted in each file, and the issues each yields as
# (code, segment number, segment tag). All of them are warnings: every file converts.
REAL_FILES = {
    "apisMessage.txt": (2, []),
    "airline2.edi": (
        10,
        [
            ("PAXLST_COUNT_MISMATCH", 112, "CNT"),  # CNT*42:136 for 10 passengers
            ("PAXLST_SEGMENT_COUNT", 113, "UNT"),  # UNT*121 for 111 segments
            ("EDIFACT_CONTROL_REFERENCE", 113, "UNT"),  # UNT ref "140211180 0" vs UNH 1402111800
        ],
    ),
    "Test3.txt": (
        260,
        [
            ("EDIFACT_CHARSET", 852, "NAD"),  # byte 0x87 in "Nov\x87k"
            ("PAXLST_COUNT_MISMATCH", 3132, "CNT"),  # CNT+41:206 on a 260-passenger list
            ("PAXLST_SEGMENT_COUNT", 3133, "UNT"),  # UNT+099 for 3131 segments
        ],
    ),
    "tamr-flight1.txt": (
        10,
        [
            ("PAXLST_BAD_VALUE", 23, "DOC"),  # DOC++433419360: no document type
            ("PAXLST_SEGMENT_COUNT", 182, "UNT"),
        ],
    ),
    "tamr-flight2.txt": (
        10,
        [
            ("PAXLST_BAD_VALUE", 23, "DOC"),  # DOC++482606407: no document type
            ("PAXLST_SEGMENT_COUNT", 181, "UNT"),
        ],
    ),
}


@pytest.fixture(scope="module")
def external_paxlst() -> Path:
    if not EXTERNAL.is_dir():
        reason = f"the shared PAXLST samples are not at {EXTERNAL} (../shared is not checked out beside main)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires them")
        pytest.skip(reason)
    return EXTERNAL


def route(model: PassengerManifestV1_1) -> tuple[str, str, str]:
    transport = model.Transport
    return transport.JourneyID, transport.DepartureLocationID, transport.ArrivalLocationID


def located(result: PaxlstResult) -> list[tuple[str, int | None, str | None]]:
    return sorted((i.code, i.segment_number, i.segment_tag) for i in result.issues)


def manifest(result: PaxlstResult) -> PassengerManifestV1_1:
    assert result.document is not None, result.issues
    return PassengerManifestV1_1.model_validate(result.document, strict=False)


def test_every_shared_sample_is_listed(external_paxlst: Path) -> None:
    samples = {p.name for p in external_paxlst.iterdir() if p.suffix in (".txt", ".edi")}
    assert samples - {"LICENSE-GTAS.txt"} == set(REAL_FILES)


@pytest.mark.parametrize(("file_name", "expected"), REAL_FILES.items(), ids=list(REAL_FILES))
def test_real_carrier_file_converts(
    external_paxlst: Path, file_name: str, expected: tuple[int, list[tuple[str, int, str]]]
) -> None:
    persons, issues = expected
    result = parse_paxlst((external_paxlst / file_name).read_bytes())

    model = manifest(result)
    assert len(model.Person) == persons
    assert [p.SequenceNumeric for p in model.Person] == list(range(1, persons + 1))
    assert located(result) == sorted(issues)
    assert {i.severity for i in result.issues} <= {"warning"}


def test_multi_leg_sample_reports_the_leg_that_arrives(external_paxlst: Path) -> None:
    model = manifest(parse_paxlst((external_paxlst / "apisMessage.txt").read_bytes()))

    assert route(model) == ("AA124", "ORD", "JFK")
    # 18:40 at Chicago O'Hare in February is Central Standard Time.
    assert str(model.Transport.DepartureDateTime) == "2007-02-19 18:40:00-06:00"


def test_undecodable_byte_is_marked_not_guessed(external_paxlst: Path) -> None:
    model = manifest(parse_paxlst((external_paxlst / "Test3.txt").read_bytes()))

    assert "Nov\ufffdk" in [p.Surname for p in model.Person]


# --- hand-written messages -------------------------------------------------------------

UNB = "UNB+UNOC:4+THAIAIRWAYS:ZZ+VNIMMIGRATION:ZZ+250301:0830+TG5600301++APIS'"
HEADER = [
    "UNH+TG560A+PAXLST:D:05B:UN:IATA'",
    "BGM+745+TG560-20250301'",
    "NAD+MS+++THAI AIRWAYS API DESK'",
    "TDT+20+TG560+++TG'",
    "LOC+125+BKK'",
    "DTM+189:2503011005:201'",
    "LOC+87+HAN'",
    "DTM+232:2503011200:201'",
]
PASSENGERS = [
    "NAD+FL+++NGUYEN:THI:MAI'",
    "ATT+2++F'",
    "DTM+329:850412'",
    "LOC+178+BKK'",
    "LOC+179+HAN'",
    "LOC+174+VNM'",
    "LOC+180+:::Hai Phong'",
    "NAT+2+VNM'",
    "RFF+AVF:K7XQ2M'",
    "RFF+SEA:23A'",
    "DOC+P:110:111+C1234567'",
    "DTM+36:300115'",
    "LOC+91+VNM'",
    "NAD+FL+++SRISUK:SOMCHAI'",
    "ATT+2++M'",
    "DTM+329:19721130:102'",
    "NAT+2+THA'",
    "DOC+P+AA1234567'",
    "DTM+36:20290601:102'",
    "LOC+91+THA'",
    "DOC+V+VN2025001'",
    "DTM+36:250430'",
    "LOC+91+VNM'",
    "NAD+FL+++TANAKA:YUKI'",
    "ATT+2++F'",
    "DTM+329:050707'",
    "NAT+2+JPN'",
    "DOC+P+TK1234567'",
    "DTM+36:350707'",
    "LOC+91+JPN'",
]


def interchange(
    body: list[str], *, una: str | None = "UNA:+.? '", unt: str | None = None, line_break: str = "\n"
) -> bytes:
    """An interchange around ``body`` (UNH first); UNT counts right unless ``unt`` says otherwise."""
    count = unt if unt is not None else str(len(body) + 1)
    reference = body[0].split("+")[1]
    segments = [UNB, *body, f"UNT+{count}+{reference}'", "UNZ+1+TG5600301'"]
    return ((una or "") + line_break + line_break.join(segments) + line_break).encode("utf-8")


def passenger_list(*, count: int = 3) -> list[str]:
    return [*HEADER, *PASSENGERS, f"CNT+42:{count}'"]


def test_d05b_passenger_list_maps_every_field() -> None:
    result = parse_paxlst(interchange(passenger_list()))

    assert result.issues == []
    model = manifest(result)
    assert (model.ID, model.ListTypeCode, model.SenderID) == ("TG560-20250301", "745", "THAIAIRWAYS")
    assert model.ReportingPartyName == "THAI AIRWAYS API DESK"
    assert result.document is not None
    # The UNB time is the sender's clock in no named zone: kept as written, without an offset.
    assert result.document["IssueLocalDateTime"] == "2025-03-01T08:30:00"
    assert "IssueDateTime" not in result.document
    # DTM+189/232 are local times at BKK and HAN (both UTC+7).
    assert result.document["Transport"] == {
        "ModeCode": "4",
        "CarrierCode": "TG",
        "JourneyID": "TG560",
        "DepartureLocationID": "BKK",
        "DepartureDateTime": "2025-03-01T10:05:00+07:00",
        "ArrivalLocationID": "HAN",
        "ArrivalDateTime": "2025-03-01T12:00:00+07:00",
    }
    assert result.document["ItineraryLeg"] == [result.document["Transport"]]
    assert (model.TotalPersonQuantity, model.PassengerQuantity, model.CrewQuantity) == (3, 3, None)
    nguyen, srisuk, tanaka = result.document["Person"]  # type: ignore[misc]
    assert nguyen == {
        "SequenceNumeric": 1,
        "RoleCode": "FL",
        "Surname": "NGUYEN",
        "GivenNames": "THI MAI",
        "BirthDate": "1985-04-12",
        "GenderCode": "F",
        "NationalityCode": "VNM",
        "ResidenceCountryCode": "VNM",
        "BirthPlaceName": "Hai Phong",
        "EmbarkationLocationID": "BKK",
        "DisembarkationLocationID": "HAN",
        "ReservationID": "K7XQ2M",
        "SeatID": "23A",
        "TravelDocument": [
            {"TypeCode": "P", "ID": "C1234567", "IssuerCountryCode": "VNM", "ExpiryDate": "2030-01-15"}
        ],
    }
    assert srisuk["BirthDate"] == "1972-11-30"
    assert srisuk["TravelDocument"] == [
        {"TypeCode": "P", "ID": "AA1234567", "IssuerCountryCode": "THA", "ExpiryDate": "2029-06-01"},
        {"TypeCode": "V", "ID": "VN2025001", "IssuerCountryCode": "VNM", "ExpiryDate": "2025-04-30"},
    ]
    # A two-digit birth year goes to this century only when that is not after the message date.
    assert tanaka["BirthDate"] == "2005-07-07"


def test_crew_list() -> None:
    body = [
        "UNH+TG560C+PAXLST:D:05B:UN:IATA'",
        "BGM+250'",
        *HEADER[2:],
        "NAD+FM+++PHROMMA:KITTIPONG'",
        "ATT+2++M'",
        "DTM+329:800101'",
        "NAT+2+THA'",
        "DOC+P+AB9876543'",
        "DTM+36:280101'",
        "LOC+91+THA'",
        "NAD+FM+++SATO:HANAKO'",
        "ATT+2++F'",
        "NAT+2+JPN'",
        "CNT+41:2'",
    ]
    result = parse_paxlst(interchange(body))

    assert result.issues == []
    model = manifest(result)
    assert (model.ID, model.ListTypeCode, model.TotalPersonQuantity) == ("TG560C", "250", 2)
    assert [(p.RoleCode, p.Surname) for p in model.Person] == [("FM", "PHROMMA"), ("FM", "SATO")]


def test_wrong_cnt_count_is_a_warning_and_the_declared_total_is_kept() -> None:
    result = parse_paxlst(interchange(passenger_list(count=5)))

    cnt_number = 1 + len(HEADER) + len(PASSENGERS) + 1
    assert located(result) == [("PAXLST_COUNT_MISMATCH", cnt_number, "CNT")]
    assert result.issues[0].severity == "warning"
    assert "declares 5 persons, but the message lists 3" in result.issues[0].message
    assert manifest(result).TotalPersonQuantity == 5


def test_wrong_unt_count_is_a_warning() -> None:
    result = parse_paxlst(interchange(passenger_list(), unt="7"))

    assert [(i.code, i.severity, i.segment_tag) for i in result.issues] == [
        ("PAXLST_SEGMENT_COUNT", "warning", "UNT")
    ]
    assert result.document is not None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \r\n",
        b"hello world",
        b"\x00\xff\xfe" * 200,
        b"UNA",
        b"UNA:+.? 'UNB+UNOC:4+X+Y+250301:0830+1",
        b"UNB+UNOC:4+X+Y+250301:0830+1+",
        b"'''''",
        b"UNA::::::UNB'",
        b"UNB+UNOC:4'UNH+1+PAXLST'BGM+745?",
        b'{"ID": "TG560"}',
        b"<PassengerManifest/>",
        b"unb+unoc:4+x+y'",
    ],
)
def test_garbage_is_an_error_never_an_exception(data: bytes) -> None:
    result = parse_paxlst(data)

    assert result.document is None
    assert result.issues
    assert {i.severity for i in result.issues} == {"error"}
    assert result.issues[-1].code == "EDIFACT_SYNTAX"


def test_other_message_type_is_refused() -> None:
    body = ["UNH+1+CUSDEC:D:96B:UN'", "BGM+929+TH2025030100001'"]
    result = parse_paxlst(interchange(body))

    assert located(result) == [("PAXLST_NOT_PAXLST", 2, "UNH")]
    assert "CUSDEC" in result.issues[0].message
    assert result.document is None


def test_bad_date_points_at_its_segment_and_the_date_is_left_out() -> None:
    body = passenger_list()
    birth = body.index("DTM+329:850412'")
    body[birth] = "DTM+329:851341'"
    result = parse_paxlst(interchange(body))

    assert located(result) == [("PAXLST_BAD_DATE", birth + 2, "DTM")]
    assert "1985-13-41 is not a calendar date" in result.issues[0].message
    assert manifest(result).Person[0].BirthDate is None


def test_unparseable_departure_time_is_reported_on_the_dtm() -> None:
    body = passenger_list()
    body[body.index("DTM+189:2503011005:201'")] = "DTM+189:25030110:201'"
    result = parse_paxlst(interchange(body))

    assert located(result) == [("PAXLST_BAD_DATE", 7, "DTM")]
    assert manifest(result).Transport.DepartureDateTime is None


@pytest.mark.parametrize("line_break", ["\r", "\r\n", "", "\n  "])
def test_line_breaks_between_segments_do_not_matter(line_break: str) -> None:
    reference = parse_paxlst(interchange(passenger_list()))
    result = parse_paxlst(interchange(passenger_list(), line_break=line_break))

    assert result == reference


def test_una_with_star_and_dollar_separators_and_crlf() -> None:
    # As airline2.edi writes it: element separator '*', segment terminator '$', spaces after tags.
    text = interchange(passenger_list(), una=None).decode()
    text = text.replace("+", "*").replace("'", "$").replace("\n", "\r\n").replace("UNH*", "UNH *")
    result = parse_paxlst(b" UNA:*.? $\r\n" + text.encode())

    assert result == parse_paxlst(interchange(passenger_list()))


def test_release_character_keeps_a_separator_in_a_name() -> None:
    body = passenger_list()
    body[body.index("NAD+FL+++TANAKA:YUKI'")] = "NAD+FL+++O?'BRIEN:YUKI?+ANN'"
    result = parse_paxlst(interchange(body))

    assert [(p.Surname, p.GivenNames) for p in manifest(result).Person][2] == ("O'BRIEN", "YUKI+ANN")


def test_oversized_input_is_refused_before_reading() -> None:
    filler = b"FTX+AAI+++" + b"X" * 60 + b"'"
    data = interchange(passenger_list()) + filler * (6 * 1024 * 1024 // len(filler))
    result = parse_paxlst(data)

    assert len(data) > 6_000_000
    assert [(i.code, i.severity) for i in result.issues] == [("EDIFACT_TOO_LARGE", "error")]
    assert result.document is None


def test_too_many_segments_are_refused() -> None:
    result = parse_paxlst(interchange([*passenger_list(), *["FTX'"] * 100_000]))

    assert [(i.code, i.segment_number) for i in result.issues] == [("EDIFACT_TOO_LARGE", 100_001)]
    assert result.document is None


def test_values_that_cannot_fit_are_left_out_with_a_warning() -> None:
    body = passenger_list()
    body[body.index("NAT+2+VNM'")] = "NAT+2+VN'"
    body[body.index("ATT+2++M'")] = "ATT+2++MALE'"
    body[body.index("DOC+P+TK1234567'")] = "DOC++TK1234567'"
    result = parse_paxlst(interchange(body))

    assert [(i.code, i.segment_tag) for i in result.issues] == [
        ("PAXLST_BAD_VALUE", "NAT"),
        ("PAXLST_BAD_VALUE", "ATT"),
        ("PAXLST_BAD_VALUE", "DOC"),
    ]
    nguyen, srisuk, tanaka = manifest(result).Person
    assert nguyen.NationalityCode is None
    assert srisuk.GenderCode == "U"
    # The expiry and issuer after the dropped DOC must not land on another document.
    assert tanaka.TravelDocument is None


def test_unsupported_list_type_is_an_error() -> None:
    body = passenger_list()
    body[1] = "BGM+266+CLOB'"
    result = parse_paxlst(interchange(body))

    assert located(result) == [("PAXLST_UNSUPPORTED_LIST", 3, "BGM")]
    assert result.document is None


@pytest.mark.parametrize(
    ("removed", "expected"),
    [
        ("BGM+745+TG560-20250301'", "BGM"),
        ("TDT+20+TG560+++TG'", "TDT+20"),
        ("LOC+87+HAN'", "LOC+87"),
    ],
)
def test_missing_mandatory_segment_is_an_error(removed: str, expected: str) -> None:
    body = passenger_list()
    body.remove(removed)
    result = parse_paxlst(interchange(body))

    assert [i.code for i in result.issues if i.severity == "error"] == ["PAXLST_MISSING_SEGMENT"]
    assert expected in next(i.message for i in result.issues if i.severity == "error")
    assert result.document is None


def test_message_without_persons_is_an_error() -> None:
    result = parse_paxlst(interchange([*HEADER, "CNT+42:0'"]))

    assert [i.code for i in result.issues] == ["PAXLST_MISSING_SEGMENT"]
    assert result.document is None


def test_truncated_message_is_an_error() -> None:
    whole = interchange(passenger_list()).decode()
    cut = whole[: whole.index("UNT+")].encode()
    result = parse_paxlst(cut)

    assert [i.code for i in result.issues] == ["PAXLST_MISSING_SEGMENT"]
    assert "UNT" in result.issues[0].message
    assert result.document is None


def test_second_message_in_one_interchange_is_refused() -> None:
    body = [*passenger_list(), "UNT+42+TG560A'", *passenger_list()]
    result = parse_paxlst(interchange(body))

    assert "PAXLST_MULTIPLE_MESSAGES" in [i.code for i in result.issues]
    assert result.document is None


def test_several_legs_report_the_last_arrival() -> None:
    body = [
        "UNH+TG560A+PAXLST:D:05B:UN:IATA'",
        "BGM+745'",
        "TDT+20+TG682+++TG'",
        "LOC+125+NRT'",
        "DTM+189:2503010030:201'",
        "LOC+87+BKK'",
        "DTM+232:2503010530:201'",
        "TDT+20+560+++TG'",
        "LOC+125+BKK'",
        "DTM+189:2503011005:201'",
        "LOC+87+HAN'",
        "DTM+232:2503011200:201'",
        *PASSENGERS,
    ]
    model = manifest(parse_paxlst(interchange(body)))

    assert route(model) == ("TG560", "BKK", "HAN")
    # Without a BGM document number the UNH reference names the manifest.
    assert model.ID == "TG560A"


def test_sea_voyage_with_un_locodes() -> None:
    body = passenger_list()
    body[body.index("TDT+20+TG560+++TG'")] = "TDT+20+0312N+1'"
    body[body.index("LOC+125+BKK'")] = "LOC+125+KHPNH'"
    body[body.index("LOC+87+HAN'")] = "LOC+87+VNSGN'"
    transport = manifest(parse_paxlst(interchange(body))).Transport

    assert (transport.ModeCode, transport.CarrierCode, transport.JourneyID) == ("1", None, "0312N")


def test_latin1_names_are_read_and_control_bytes_flagged() -> None:
    data = interchange(passenger_list()).replace(b"SRISUK", "SRISÜK".encode("latin-1"))
    data = data.replace(b"TANAKA", b"TANAK\x85")
    result = parse_paxlst(data)

    assert [(i.code, i.segment_tag) for i in result.issues] == [("EDIFACT_CHARSET", "NAD")]
    assert [p.Surname for p in manifest(result).Person][1:] == ["SRISÜK", "TANAK\ufffd"]


def test_bgm_function_code_is_not_taken_for_a_document_number() -> None:
    body = passenger_list()
    body[1] = "BGM+745+CP'"
    assert manifest(parse_paxlst(interchange(body))).ID == "TG560A"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"UNA:+.? 'UNB+UNOC:4", True),
        (b"\r\n  UNB+UNOA:4", True),
        (b"UNH+1+PAXLST:D:05B:UN:IATA'", True),
        (b"\xef\xbb\xbfUNB+UNOC:4", True),
        (b"<?xml version='1.0'?>", False),
        (b'{"ID": "UNB"}', False),
        (b"", False),
    ],
)
def test_looks_like_edifact(data: bytes, expected: bool) -> None:
    assert looks_like_edifact(data) is expected
