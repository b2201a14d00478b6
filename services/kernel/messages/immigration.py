"""Immigration message models: advance passenger information (API) and its answer.

Names follow the WCO/IATA/ICAO API guidelines and the UN/EDIFACT PAXLST segments they
come from (noted per field), so a PAXLST message maps onto the model field by field.
"""

import datetime as dt
import re
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from services.kernel.messages import types as t

Gender = Literal["M", "F", "X", "U"]


class TravelDocumentType(t.Message):
    """DOC, DTM+36 and LOC+91 of a PAXLST person group."""

    TypeCode: str = Field(
        pattern=r"^[A-Z]{1,2}$", description="P passport, V visa, I identity card, A/C/AC crew documents"
    )
    ID: str = Field(min_length=1, max_length=20, pattern=r"^[A-Z0-9]+$")
    IssuerCountryCode: t.CountryCode3 | None = Field(default=None, description="LOC+91 issuing state")
    ExpiryDate: t.Date | None = Field(default=None, description="DTM+36")
    MRZLine: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=3,
        description="Machine readable zone lines (ICAO 9303 TD1: 3x30, TD2: 2x36, TD3: 2x44)",
    )


class PersonType(t.Message):
    """One NAD person group of a PAXLST message."""

    SequenceNumeric: int = Field(ge=1)
    RoleCode: Literal["FL", "FM", "DDU", "DDT", "COT", "ZZZ"] = Field(
        description="NAD qualifier: FL passenger, FM crew, DDU/DDT in transit, COT crew in transit"
    )
    Surname: t.Name
    GivenNames: t.Name | None = None
    BirthDate: t.Date | None = Field(default=None, description="DTM+329")
    GenderCode: Gender | None = Field(default=None, description="ATT+2")
    NationalityCode: t.CountryCode3 | None = Field(default=None, description="NAT+2")
    ResidenceCountryCode: t.CountryCode3 | None = Field(default=None, description="LOC+174")
    BirthPlaceName: t.Name | None = Field(default=None, description="LOC+180")
    EmbarkationLocationID: t.PortOrAirportCode | None = Field(default=None, description="LOC+178")
    DisembarkationLocationID: t.PortOrAirportCode | None = Field(default=None, description="LOC+179")
    ReservationID: t.Identifier | None = Field(default=None, description="RFF+AVF PNR locator")
    SeatID: str | None = Field(default=None, max_length=8, description="RFF+SEA")
    TravelDocument: list[TravelDocumentType] | None = Field(default=None, min_length=1)


class TransportType(t.Message):
    """TDT, LOC+125/87 and DTM+189/232: the flight or voyage."""

    ModeCode: Literal["1", "4"] = Field(description="UN/ECE Recommendation 19: 1 sea, 4 air")
    CarrierCode: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2,3}$")
    JourneyID: str = Field(min_length=1, max_length=17, pattern=r"^[A-Z0-9]+$", description="TDT+20")
    DepartureLocationID: t.PortOrAirportCode = Field(description="LOC+125")
    DepartureDateTime: t.DateTime | None = Field(default=None, description="DTM+189")
    ArrivalLocationID: t.PortOrAirportCode = Field(description="LOC+87")
    ArrivalDateTime: t.DateTime | None = Field(default=None, description="DTM+232")


class PassengerManifest(t.Document):
    """Advance passenger (or crew) list, as PAXLST carries it."""

    xml_root: ClassVar[str] = "PassengerManifest"

    document_type: Literal["immigration.passenger-manifest/1.0"] = "immigration.passenger-manifest/1.0"
    ID: t.Identifier = Field(description="BGM document number or UNH reference")
    ListTypeCode: Literal["745", "250", "336"] = Field(
        description="BGM: 745 passenger list, 250 crew list, 336 master crew list"
    )
    IssueDateTime: t.DateTime | None = None
    SenderID: t.Name | None = Field(default=None, description="UNB sender identification")
    ReportingPartyName: t.Name | None = Field(default=None, description="NAD+MS contact")
    Transport: TransportType
    TotalPersonQuantity: int | None = Field(default=None, ge=0, description="CNT+42 or CNT+41")
    Person: list[PersonType] = Field(min_length=1)


LOCAL_DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$"
_LOCAL_DATETIME = re.compile(LOCAL_DATETIME_PATTERN)


def _local_datetime(value: Any) -> Any:
    """A wall-clock time without offset: offset-less text, or a naive ``datetime``."""
    if isinstance(value, str):
        if not _LOCAL_DATETIME.fullmatch(value):
            raise PydanticCustomError(
                "string_pattern_mismatch", "{what} must match {pattern}",
                {"what": "a local date-time without UTC offset (e.g. 2026-03-29T01:30:00)",
                 "pattern": LOCAL_DATETIME_PATTERN})
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("value_type", "{value} is not a valid {what}",
                                      {"value": value, "what": "local date-time"}) from None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise PydanticCustomError("value_type", "a local date-time carries no UTC offset", {})
    return value


LocalDateTime = Annotated[
    dt.datetime,
    BeforeValidator(_local_datetime),
    WithJsonSchema({"type": "string", "pattern": LOCAL_DATETIME_PATTERN, t.XSD_HINT: "dateTime"}),
]
"""The local time of a place whose UTC offset is not known (PAXLST DTM times are local times
at their airport or port): kept as written rather than given a false offset."""

REFERENCE_PATTERN = r"^[A-Z0-9][A-Z0-9/._-]{0,69}$"
BAGGAGE_TAG_PATTERN = r"^[A-Z0-9]{1,17}$"


class TransportV1_1Type(TransportType):
    """Version 1.1 of a leg: a time whose place has no known time zone is kept as the local
    time the message gave (``...LocalDateTime``), never with an invented offset; a time
    whose offset is known is ``...DateTime`` as in 1.0. At most one of the two per end: the
    schemas cannot say so, the business rule ``LEG_TIME_TWICE`` refuses both at once."""

    DepartureLocalDateTime: LocalDateTime | None = Field(
        default=None, description="DTM+189 as written, when the departure place's time zone is not known")
    ArrivalLocalDateTime: LocalDateTime | None = Field(
        default=None, description="DTM+232 as written, when the arrival place's time zone is not known")


class ReferenceType(t.Message):
    """An RFF segment: its qualifier (UN/EDIFACT 1153) and reference."""

    TypeCode: str = Field(pattern=r"^[A-Z0-9]{1,3}$",
                          description="RFF qualifier: TN transaction reference, ABO originator's reference, "
                                      "AEA authorisation, CR customer reference ...")
    ID: str = Field(min_length=1, max_length=70, pattern=REFERENCE_PATTERN, description="RFF reference")
    RevisionID: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,6}$", description="RFF revision (1060)")


class CommunicationType(t.Message):
    """A COM segment of the reporting party (NAD+MS)."""

    ID: str = Field(min_length=1, max_length=512, description="number or address")
    TypeCode: str = Field(pattern=r"^[A-Z]{2}$", description="TE telephone, FX fax, EM e-mail ...")


class BaggageType(t.Message):
    """MEA+CT (pieces), MEA+WT (weight) and FTX+BAG (tag numbers) of one person."""

    PieceQuantity: int | None = Field(default=None, ge=0, description="MEA+CT")
    GrossMassMeasure: t.Measure | None = Field(default=None, description="MEA+WT, e.g. KGM or LBR")
    TagID: list[Annotated[str, Field(pattern=BAGGAGE_TAG_PATTERN)]] | None = Field(
        default=None, min_length=1, description="FTX+BAG bag tag numbers")


class PersonV1_1Type(PersonType):
    """Version 1.1 of a person: the place of first arrival, every reference and the baggage."""

    FirstArrivalLocationID: t.PortOrAirportCode | None = Field(
        default=None, description="LOC+22 place of first arrival in the country, where the person is cleared")
    Reference: list[ReferenceType] | None = Field(
        default=None, min_length=1, description="RFF other than AVF and SEA (ABO, AEA, CR ...)")
    Baggage: BaggageType | None = None


MANIFEST_V1_1: Final = "immigration.passenger-manifest/1.1"


class PassengerManifestV1_1(PassengerManifest):
    """Version 1.1: a PAXLST message as it is, every leg and time kept.

    ``Transport`` is the leg reported to the country of arrival (the last leg that arrives);
    ``ItineraryLeg`` is every leg of the message in order, that one among them. Local times
    carry their place's UTC offset, or are ``...LocalDateTime`` when the zone is not known.
    A 1.1 manifest holds everything a 1.0 one does, so code that reads 1.0 reads it too.
    """

    document_type: Literal["immigration.passenger-manifest/1.1"] = MANIFEST_V1_1  # type: ignore[assignment]
    IssueLocalDateTime: LocalDateTime | None = Field(
        default=None, description="UNB preparation date and time as written (no time zone)")
    Reference: list[ReferenceType] | None = Field(default=None, min_length=1, description="RFF+TN ...")
    ReportingPartyContact: list[CommunicationType] | None = Field(
        default=None, min_length=1, description="COM of NAD+MS")
    # The 1.0 fields narrowed to their 1.1 types (a 1.1 leg or person is a 1.0 one plus more;
    # mypy sees list invariance only).
    Transport: TransportV1_1Type
    ItineraryLeg: list[TransportV1_1Type] | None = Field(
        default=None, min_length=1, description="every TDT+20 leg with its LOC and DTM, in message order")
    PassengerQuantity: int | None = Field(default=None, ge=0, description="CNT+42")
    CrewQuantity: int | None = Field(default=None, ge=0, description="CNT+41")
    Person: list[PersonV1_1Type] = Field(min_length=1)  # type: ignore[assignment]


class PersonDecisionType(t.Message):
    SequenceNumeric: int = Field(ge=1)
    Surname: t.Name
    GivenNames: t.Name | None = None
    TravelDocumentID: str | None = Field(default=None, max_length=20, pattern=r"^[A-Z0-9]+$")
    DecisionCode: Literal["board", "no-board", "refer"]
    ReasonCode: str | None = Field(default=None, pattern=r"^[A-Z0-9_]{1,32}$")
    Remarks: t.Remarks | None = None


class APIResponse(t.Document):
    """Board / no-board / refer per person (the API guidelines carry it in CUSRES)."""

    xml_root: ClassVar[str] = "APIResponse"

    document_type: Literal["immigration.api-response/1.0"] = "immigration.api-response/1.0"
    ID: t.Identifier
    IssueDateTime: t.DateTime
    ManifestID: t.Identifier
    JourneyID: str = Field(min_length=1, max_length=17, pattern=r"^[A-Z0-9]+$")
    PersonDecision: list[PersonDecisionType] = Field(min_length=1)
