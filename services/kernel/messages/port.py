"""Port message models: IMO FAL 1 (general declaration) with FAL 5 (crew) and FAL 6
(passengers) as one vessel call, and the per-agency clearance that answers it.

Version 1.1 of the vessel call follows the forms where 1.0 did not, so it is a separate
model rather than a subclass (a 1.1 call is not a valid 1.0 call): FAL 5/6 require the
place of birth and allow a person with one name only (no "FNU" filler); the ETA or the ETD
is required by direction (a rule, as XSD cannot condition an element on another's value);
FAL 1 lists its attached documents with their numbers of copies and the agent's contact.
"""

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


TELEPHONE_PATTERN = r"^\+[1-9][0-9 ]{5,22}[0-9]$"
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
ATTACHED_DOCUMENT_NAMES: dict[str, str] = {
    "cargo-declaration": "Cargo Declaration (FAL 2)",
    "ships-stores-declaration": "Ship's Stores Declaration (FAL 3)",
    "crews-effects-declaration": "Crew's Effects Declaration (FAL 4)",
    "crew-list": "Crew List (FAL 5)",
    "passenger-list": "Passenger List (FAL 6)",
    "dangerous-goods-manifest": "Dangerous Goods Manifest (FAL 7)",
    "maritime-declaration-of-health": "Maritime Declaration of Health",
    "security-information": "Pre-arrival security information (ISPS Code)",
    "waste-reception-requirements": "Ship's requirements in terms of waste and residue reception facilities",
}
"""FAL 1 box "Brief description of documents attached": the documents it names, by code."""


class AddressType(t.Message):
    Line: t.Name
    CityName: t.Name
    PostcodeID: t.Identifier | None = None
    CountryCode: t.CountryCode


class ContactType(t.Message):
    """Whom the port's agencies call about the ship: a person, an international telephone number
    (the call crosses a border, so a number without its country code is no use) and an e-mail."""

    Name: t.Name
    TelephoneID: str = Field(pattern=TELEPHONE_PATTERN, max_length=25,
                             description="international form, e.g. +84 28 3829 1234")
    EmailID: str = Field(pattern=EMAIL_PATTERN, max_length=254, description="e.g. ops@agency.example")


class ShipAgentV1_1Type(t.Message):
    """FAL 1 box 9: name and contact details of the ship's agent."""

    ID: t.Identifier | None = None
    Name: t.Name
    Address: AddressType
    Contact: ContactType


class AttachedDocumentType(t.Message):
    """One line of FAL 1 "Brief description of documents attached (indicate number of copies)"."""

    TypeCode: Literal[
        "cargo-declaration", "ships-stores-declaration", "crews-effects-declaration", "crew-list",
        "passenger-list", "dangerous-goods-manifest", "maritime-declaration-of-health", "security-information",
        "waste-reception-requirements",
    ] = Field(description="; ".join(f"{code}: {name}" for code, name in ATTACHED_DOCUMENT_NAMES.items()))
    CopyQuantity: int = Field(ge=1, le=99, description="number of copies")


class CrewMemberV1_1Type(t.Message):
    """FAL 5: one crew member; one name only is a whole name (FamilyName), as in Myanmar."""

    SequenceNumeric: int = Field(ge=1)
    FamilyName: t.Name = Field(description="the family name, or the whole name of a person with one name only")
    GivenNames: t.Name | None = None
    RankName: t.Name
    NationalityCode: t.CountryCode3
    BirthDate: t.Date
    BirthPlaceName: t.Name
    GenderCode: Literal["M", "F", "X", "U"]
    IdentityDocument: IdentityDocumentType


class PassengerV1_1Type(t.Message):
    """FAL 6: one passenger."""

    SequenceNumeric: int = Field(ge=1)
    FamilyName: t.Name = Field(description="the family name, or the whole name of a person with one name only")
    GivenNames: t.Name | None = None
    NationalityCode: t.CountryCode3
    BirthDate: t.Date
    BirthPlaceName: t.Name
    GenderCode: Literal["M", "F", "X", "U"]
    IdentityDocument: IdentityDocumentType
    VisaID: t.Identifier | None = None
    EmbarkationPortID: t.LocationCode
    DisembarkationPortID: t.LocationCode
    TransitIndicator: bool


class VesselCallV1_1(t.Document):
    """Version 1.1: FAL 1, 5 and 6 as the forms have them (see the module docstring)."""

    xml_root: ClassVar[str] = "VesselCall"

    document_type: Literal["port.vessel-call/1.1"] = "port.vessel-call/1.1"
    ID: t.Identifier
    ArrivalDepartureCode: Literal["arrival", "departure"]
    PortOfCallID: t.LocationCode
    EstimatedArrivalDateTime: t.DateTime | None = Field(default=None, description="required for an arrival")
    EstimatedDepartureDateTime: t.DateTime | None = Field(default=None, description="required for a departure")
    Ship: ShipType
    VoyageID: t.Identifier
    MasterName: t.Name
    ShipAgent: ShipAgentV1_1Type
    LastPortOfCallID: t.LocationCode
    NextPortOfCallID: t.LocationCode | None = None
    PositionInPort: t.Name | None = None
    CargoDescription: t.Description | None = None
    CrewQuantity: int = Field(ge=0, description="FAL 1 number of crew")
    PassengerQuantity: int = Field(ge=0, description="FAL 1 number of passengers")
    AttachedDocument: list[AttachedDocumentType] = Field(min_length=1, max_length=len(ATTACHED_DOCUMENT_NAMES))
    Crew: list[CrewMemberV1_1Type] | None = Field(default=None, min_length=1)
    Passenger: list[PassengerV1_1Type] | None = Field(default=None, min_length=1)
    Remarks: t.Remarks | None = None


AnyVesselCall = VesselCall | VesselCallV1_1
"""Either version of the vessel call, as the port service and the port of call handle them."""
AnyCrewMember = CrewMemberType | CrewMemberV1_1Type
AnyPassenger = PassengerType | PassengerV1_1Type


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
