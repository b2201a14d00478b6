"""Customs message models: WCO Data Model 3.x declaration and response, ACDD, e-Form D.

Names are the WCO Data Model's (class ids in comments) so that a customs engineer reads
them as the standard does; ``STANDARDS.md`` lists where each comes from.
"""


from typing import ClassVar, Literal

from pydantic import Field

from services.kernel.messages import types as t


class AddressType(t.Message):
    """Party address (WCO 04A)."""

    Line: t.Name
    CityName: t.Name
    PostcodeID: t.Identifier | None = None
    CountryCode: t.CountryCode


class PartyType(t.Message):
    """Declarant 57B, Exporter 57A, Importer 74A, Agent 05A."""

    ID: t.Identifier | None = None
    Name: t.Name
    Address: AddressType | None = None


class BorderTransportMeansType(t.Message):
    """Active means of transport crossing the border (WCO 15A)."""

    ModeCode: Literal["1", "2", "3", "4", "5", "7", "8", "9"] = Field(
        description="UN/ECE Recommendation 19: 1 sea, 2 rail, 3 road, 4 air, 5 post, 7 fixed, 8 inland water, 9 unknown"
    )
    ID: t.Identifier | None = None
    RegistrationNationalityCode: t.CountryCode | None = None


class CountryRefType(t.Message):
    ID: t.CountryCode


class DestinationType(t.Message):
    CountryCode: t.CountryCode


class LocationRefType(t.Message):
    ID: t.LocationCode


class TransportEquipmentType(t.Message):
    """A container (ISO 6346 identifier) or other equipment (WCO 31B)."""

    SequenceNumeric: int = Field(ge=1)
    ID: str = Field(min_length=4, max_length=17, pattern=r"^[A-Z0-9]+$")


class ConsignmentType(t.Message):
    """WCO 28A."""

    LoadingLocation: LocationRefType | None = None
    UnloadingLocation: LocationRefType | None = None
    TransportEquipment: list[TransportEquipmentType] | None = Field(default=None, min_length=1)


class TradeTermsType(t.Message):
    """Delivery terms (WCO 22B): an Incoterms 2020 rule and its named place."""

    ConditionCode: str = Field(pattern=r"^[A-Z]{3}$", description="Incoterms 2020 rule")
    LocationID: t.LocationCode


class ClassificationType(t.Message):
    """Commodity classification (WCO 145): the tariff number."""

    ID: t.HSCode
    IdentificationTypeCode: Literal["HS", "TSP"] = Field(
        description="HS: harmonized system code; TSP: national tariff extension of it"
    )


class InvoiceLineType(t.Message):
    ItemChargeAmount: t.Amount


class GoodsMeasureType(t.Message):
    """WCO 65B."""

    GrossMassMeasure: t.Measure
    NetNetWeightMeasure: t.Measure | None = None


class CommodityType(t.Message):
    """WCO 23A."""

    Description: t.Description
    Classification: ClassificationType
    InvoiceLine: InvoiceLineType
    GoodsMeasure: GoodsMeasureType


class GovernmentProcedureType(t.Message):
    """Customs procedure codes (WCO 166): requested and previous."""

    CurrentCode: str = Field(pattern=r"^[0-9A-Z]{2,4}$")
    PreviousCode: str | None = Field(default=None, pattern=r"^[0-9A-Z]{2,4}$")


class OriginType(t.Message):
    CountryCode: t.CountryCode


class PackagingType(t.Message):
    """WCO 93A: package count and UN/ECE Recommendation 21 package type."""

    SequenceNumeric: int = Field(ge=1)
    QuantityQuantity: int = Field(ge=1)
    TypeCode: str = Field(pattern=r"^[0-9A-Z]{2}$")
    MarksNumbersID: t.Name | None = None


class AdditionalDocumentType(t.Message):
    """Permits, licences and certificates (WCO 02A)."""

    CategoryCode: str = Field(pattern=r"^[A-Z0-9]{1,4}$")
    ID: t.Identifier
    TypeCode: str = Field(pattern=r"^[A-Z0-9]{1,4}$")


class GovernmentAgencyGoodsItemType(t.Message):
    """WCO 68A."""

    SequenceNumeric: int = Field(ge=1)
    Commodity: CommodityType
    GovernmentProcedure: list[GovernmentProcedureType] = Field(min_length=1)
    Origin: OriginType
    Packaging: list[PackagingType] | None = Field(default=None, min_length=1)
    AdditionalDocument: list[AdditionalDocumentType] | None = Field(default=None, min_length=1)


class GoodsShipmentType(t.Message):
    """WCO 67A."""

    TransactionNatureCode: str | None = Field(default=None, pattern=r"^[0-9]{1,2}$")
    ExportCountry: CountryRefType
    Destination: DestinationType
    Consignment: ConsignmentType | None = None
    TradeTerms: TradeTermsType
    GovernmentAgencyGoodsItem: list[GovernmentAgencyGoodsItemType] = Field(min_length=1)


class Declaration(t.Document):
    """Goods declaration (WCO 42A), import or export."""

    xml_root: ClassVar[str] = "Declaration"

    document_type: Literal["customs.declaration/1.0"] = "customs.declaration/1.0"
    FunctionCode: Literal["9", "13", "14"] = Field(description="9 original, 13 request, 14 cancel")
    FunctionalReferenceID: t.Identifier = Field(description="LRN, the trader's reference")
    ID: t.Identifier | None = Field(default=None, description="MRN, given by customs on acceptance")
    TypeCode: str = Field(pattern=r"^(IM|EX)[A-Z]?$", description="IM or EX plus procedure letter")
    IssueDateTime: t.DateTime
    DeclarationOfficeID: t.Identifier
    GoodsItemQuantity: int = Field(ge=1)
    TotalPackageQuantity: int | None = Field(default=None, ge=0)
    InvoiceAmount: t.Amount
    TotalGrossMassMeasure: t.Measure | None = None
    Declarant: PartyType
    Exporter: PartyType
    Importer: PartyType
    Agent: PartyType | None = None
    BorderTransportMeans: BorderTransportMeansType | None = None
    GoodsShipment: GoodsShipmentType


class AuthorisationHolderType(t.Message):
    """WCO 19A: an authorisation such as AEO status held by a party (added in 1.1)."""

    ID: t.Identifier
    CategoryCode: str = Field(pattern=r"^[A-Z0-9]{2,4}$")


class DeclarationV1_1(Declaration):
    """Version 1.1 of the goods declaration: adds authorisation holders (AEO)."""

    document_type: Literal["customs.declaration/1.1"] = "customs.declaration/1.1"  # type: ignore[assignment]
    AuthorisationHolder: list[AuthorisationHolderType] | None = Field(default=None, min_length=1)


class ResponseErrorType(t.Message):
    """A rejection reason (WCO RES Error): code and pointer to the offending element."""

    ValidationCode: str = Field(min_length=1, max_length=64)
    Description: t.Description
    Pointer: str | None = Field(default=None, max_length=512)


class DutyTaxFeeType(t.Message):
    """Assessed duty or tax (WCO 50A)."""

    TypeCode: str = Field(pattern=r"^[A-Z0-9]{1,4}$")
    TaxAssessedAmount: t.Amount


class DeclarationRefType(t.Message):
    ID: t.Identifier | None = Field(default=None, description="MRN")
    FunctionalReferenceID: t.Identifier | None = Field(default=None, description="LRN")


class Response(t.Document):
    """Customs response (WCO RES / CUSRES)."""

    xml_root: ClassVar[str] = "Response"

    document_type: Literal["customs.response/1.0"] = "customs.response/1.0"
    FunctionCode: Literal["01", "02", "03", "05", "06", "09", "10", "13"] = Field(
        description="01 accepted, 02 received, 03 rejected, 05 control, 06 documents required, "
        "09 cleared, 10 invalidated, 13 tax assessment"
    )
    ID: t.Identifier
    IssueDateTime: t.DateTime
    IssuingOfficeID: t.Identifier | None = None
    Declaration: DeclarationRefType
    LaneCode: Literal["green", "yellow", "red"] | None = None
    Error: list[ResponseErrorType] | None = Field(default=None, min_length=1)
    DutyTaxFee: list[DutyTaxFeeType] | None = Field(default=None, min_length=1)
    Remarks: t.Remarks | None = None


class ACDDGoodsItemType(t.Message):
    SequenceNumeric: int = Field(ge=1)
    HSCode: t.HSCode
    Description: t.Description
    Quantity: t.Measure
    OriginCountryCode: t.CountryCode


class ACDD(t.Document):
    """ASEAN Customs Declaration Document (ACDD MIG 1.08), sent to the importing country."""

    xml_root: ClassVar[str] = "ACDD"

    document_type: Literal["customs.acdd/1.0"] = "customs.acdd/1.0"
    ID: t.Identifier
    IssueDateTime: t.DateTime
    ExportDeclarationID: t.Identifier = Field(description="MRN of the export declaration")
    ExportCountryCode: t.CountryCode
    DestinationCountryCode: t.CountryCode
    Exporter: PartyType
    Consignee: PartyType
    Declarant: PartyType
    DepartureDate: t.Date
    TransportModeCode: Literal["1", "2", "3", "4", "5", "7", "8", "9"]
    DischargeLocationID: t.LocationCode
    PermitID: list[t.Identifier] | None = Field(default=None, min_length=1)
    GoodsItem: list[ACDDGoodsItemType] = Field(min_length=1)


class ACDDOriginType(t.Message):
    """Origin of an ACDD goods item (WCO 92A), preferential or not."""

    CountryCode: t.CountryCode
    TypeCode: Literal["1", "2"] = Field(description="1 non-preferential origin; 2 preferential origin")


class ACDDGoodsItemV1_1(ACDDGoodsItemType):
    """An ACDD goods item with its declared origins and the preference claimed on it (added in 1.1)."""

    Origin: list[ACDDOriginType] | None = Field(
        default=None, min_length=1, description="origins as the export declaration gives them (WCO 92A)")
    PreferenceCertificateID: t.Identifier | None = Field(
        default=None, description="the certificate of origin (e.g. an ATIGA e-Form D) the preference is claimed "
                                  "under")


class ACDDV1_1(ACDD):
    """ACDD 1.1: adds the consignor, and per item the origins and the preference claim, as a
    WCO DM 3.6 (``customs.declaration`` 2.0) export declaration carries them."""

    document_type: Literal["customs.acdd/1.1"] = "customs.acdd/1.1"  # type: ignore[assignment]
    DischargeLocationID: t.LocationCode | None = Field(  # type: ignore[assignment]
        default=None, description="port of discharge; absent when the declaration does not name it (WCO DM 3.6 "
        "as DMS has it carries no place of unloading, and F-group trade terms name a place of loading)")
    Consignor: PartyType | None = None
    GoodsItem: list[ACDDGoodsItemV1_1] = Field(min_length=1)  # type: ignore[assignment]


class COTransportType(t.Message):
    """Means of transport and route as declared on the certificate (box 3)."""

    DepartureDate: t.Date
    ModeCode: Literal["1", "2", "3", "4", "5", "7", "8", "9"]
    TransportMeansName: t.Name | None = None
    LoadingLocationID: t.LocationCode
    DischargeLocationID: t.LocationCode


class COGoodsItemType(t.Message):
    SequenceNumeric: int = Field(ge=1)
    MarksNumbersID: t.Name | None = None
    Description: t.Description
    HSCode: t.HSCode
    OriginCriterionCode: str = Field(
        pattern=r"^(WO|PE|CTC|CC|CTH|CTSH|PSR|RVC[0-9]{2}|ACU|DMI)$",
        description="WO wholly obtained, PE produced exclusively from originating materials, "
        "RVC40 regional value content, CTH/CTSH/CC change of tariff classification, PSR",
    )
    GrossMassMeasure: t.Measure
    FOBValueAmount: t.Amount
    InvoiceID: t.Identifier
    InvoiceIssueDate: t.Date


class IssuingAuthorityType(t.Message):
    Name: t.Name
    CountryCode: t.CountryCode


class CertificateOfOrigin(t.Document):
    """ATIGA e-Form D or AJCEP Form AJ preferential certificate of origin."""

    xml_root: ClassVar[str] = "CertificateOfOrigin"

    document_type: Literal["customs.certificate-of-origin/1.0"] = "customs.certificate-of-origin/1.0"
    ReferenceID: t.Identifier
    FormTypeCode: Literal["D", "AJ"] = Field(description="D: ATIGA Form D; AJ: AJCEP Form AJ")
    IssueDateTime: t.DateTime
    ExportCountryCode: t.CountryCode
    ImportCountryCode: t.CountryCode
    DeclarationID: t.Identifier | None = Field(
        default=None, description="MRN of the export declaration the certificate covers"
    )
    Exporter: PartyType
    Consignee: PartyType
    Transport: COTransportType
    GoodsItem: list[COGoodsItemType] = Field(min_length=1)
    IssuingAuthority: IssuingAuthorityType
    Remarks: t.Remarks | None = None
