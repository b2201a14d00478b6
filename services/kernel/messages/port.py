"""Port message models: IMO FAL 1 (general declaration) with FAL 5 (crew) and FAL 6
(passengers) as one vessel call, and the per-agency clearance that answers it."""

from typing import ClassVar, Literal

from pydantic import Field

from services.kernel.messages import types as t


class CertificateOfRegistryType(t.Message):
    PortID: t.LocationCode
    IssueDate: t.Date
    ID: t.Identifier


class ShipType(t.Message):
    """FAL 1 boxes 1-7: the ship."""

    Name: t.Name
    IMOID: str = Field(pattern=r"^[0-9]{7}$", description="IMO ship identification number")
    CallSign: str = Field(pattern=r"^[A-Z0-9]{3,9}$")
    FlagStateCode: t.CountryCode
    TypeCode: str | None = Field(default=None, max_length=35)
    GrossTonnage: int = Field(ge=1)
    NetTonnage: int = Field(ge=0)
    CertificateOfRegistry: CertificateOfRegistryType | None = None


class ShipAgentType(t.Message):
    ID: t.Identifier | None = None
    Name: t.Name


class IdentityDocumentType(t.Message):
    TypeCode: Literal["P", "I", "S", "O"] = Field(
        description="P passport, I identity card, S seafarer's identity document, O other"
    )
    ID: str = Field(min_length=1, max_length=20, pattern=r"^[A-Z0-9]+$")
    IssuerCountryCode: t.CountryCode3
    ExpiryDate: t.Date


class CrewMemberType(t.Message):
    """FAL 5: one crew member."""

    SequenceNumeric: int = Field(ge=1)
    FamilyName: t.Name
    GivenNames: t.Name
    RankName: t.Name
    NationalityCode: t.CountryCode3
    BirthDate: t.Date
    BirthPlaceName: t.Name | None = None
    GenderCode: Literal["M", "F", "X", "U"]
    IdentityDocument: IdentityDocumentType


class PassengerType(t.Message):
    """FAL 6: one passenger."""

    SequenceNumeric: int = Field(ge=1)
    FamilyName: t.Name
    GivenNames: t.Name
    NationalityCode: t.CountryCode3
    BirthDate: t.Date
    BirthPlaceName: t.Name | None = None
    GenderCode: Literal["M", "F", "X", "U"]
    IdentityDocument: IdentityDocumentType
    VisaID: t.Identifier | None = None
    EmbarkationPortID: t.LocationCode
    DisembarkationPortID: t.LocationCode
    TransitIndicator: bool


class VesselCall(t.Document):
    """One ship's arrival or departure: FAL 1 with its FAL 5 crew and FAL 6 passenger lists."""

    xml_root: ClassVar[str] = "VesselCall"

    document_type: Literal["port.vessel-call/1.0"] = "port.vessel-call/1.0"
    ID: t.Identifier
    ArrivalDepartureCode: Literal["arrival", "departure"]
    PortOfCallID: t.LocationCode
    EstimatedArrivalDateTime: t.DateTime
    EstimatedDepartureDateTime: t.DateTime | None = None
    Ship: ShipType
    VoyageID: t.Identifier
    MasterName: t.Name
    ShipAgent: ShipAgentType
    LastPortOfCallID: t.LocationCode
    NextPortOfCallID: t.LocationCode | None = None
    PositionInPort: t.Name | None = None
    CargoDescription: t.Description | None = None
    CrewQuantity: int = Field(ge=0, description="FAL 1 number of crew")
    PassengerQuantity: int = Field(ge=0, description="FAL 1 number of passengers")
    Crew: list[CrewMemberType] | None = Field(default=None, min_length=1)
    Passenger: list[PassengerType] | None = Field(default=None, min_length=1)
    Remarks: t.Remarks | None = None


class AgencyDecisionType(t.Message):
    AgencyCode: Literal["customs", "immigration", "port-health", "port-authority"]
    DecisionCode: Literal["granted", "refused", "pending"]
    DecisionDateTime: t.DateTime
    OfficerName: t.Name | None = None
    Remarks: t.Remarks | None = None


class Clearance(t.Document):
    """Clearance decisions of each agency at the port of call for one vessel call."""

    xml_root: ClassVar[str] = "Clearance"

    document_type: Literal["port.clearance/1.0"] = "port.clearance/1.0"
    ID: t.Identifier
    IssueDateTime: t.DateTime
    VesselCallID: t.Identifier
    PortOfCallID: t.LocationCode
    IMOID: str = Field(pattern=r"^[0-9]{7}$")
    AgencyDecision: list[AgencyDecisionType] = Field(min_length=1)
