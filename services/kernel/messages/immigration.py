"""Immigration message models: advance passenger information (API) and its answer.

Names follow the WCO/IATA/ICAO API guidelines and the UN/EDIFACT PAXLST segments they
come from (noted per field), so a PAXLST message maps onto the model field by field.
"""

from typing import ClassVar, Literal

from pydantic import Field

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
