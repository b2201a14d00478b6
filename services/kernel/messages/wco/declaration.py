"""``customs.declaration`` 2.0: the WCO Data Model 3.6 goods declaration (DEC) as DMS has it.

Below the root, every class, field name, order and cardinality is the DMS declaration's
(HMRC's customisation of WCO DM 3.6, ``WCO_DEC_2_DMS.xsd``), so that the JSON reads as WCO
(``doc.Declaration.GoodsShipment.GovernmentAgencyGoodsItem[0].Origin[0].TypeCode``) and the
canonical XML, renamed into the WCO namespaces, is valid WCO XML. DMS makes almost every
element optional; what a declaration must carry for a given procedure is checked by the
business rules, not by the schema.
"""

from typing import ClassVar, Literal

from pydantic import Field

from services.kernel.messages import types as t
from services.kernel.messages.wco import codes
from services.kernel.messages.wco.datatypes import (
    AmountType,
    Code3,
    Code4,
    Code17,
    DateTimeType,
    Decimal12_5,
    ItemCountQuantityType,
    MeasureType,
    PackageQuantityType,
    Sequence5,
    Text4,
    Text5,
    Text17,
    Text35,
    Text70,
    Text256,
    Text512,
)
from services.kernel.messages.wco.metadata import MetaDataType, SchemaLocationHintType
from services.kernel.messages.wco.parties import AgentType, AuthorisationHolderType, OfficeType, PartyType, TraderType
from services.kernel.messages.wco.shipment import GoodsShipmentType
from services.kernel.messages.wco.transport import BorderTransportMeansType, DeclarationConsignmentType


class AuthenticatorType(t.Message):
    """Authenticator (12A): who signs the declaration."""

    Name: Text70 | None = None


class AuthenticationType(t.Message):
    """Authentication (61B): the signature or its equivalent."""

    Authentication: Text256 | None = None
    Authenticator: AuthenticatorType | None = None


class AdditionalDocumentType(t.Message):
    """Additional document (02A) of the whole declaration."""

    CategoryCode: Code3 | None = None
    ID: Text70 | None = None
    TypeCode: Code3 | None = None


class PointerType(t.Message):
    """Pointer (97A): which part of the declaration is meant, by WCO class id and tag."""

    SequenceNumeric: Sequence5 | None = Field(default=None, description="which occurrence, e.g. the goods item")
    DocumentSectionCode: Code3 | None = Field(default=None, description="WCO class id, e.g. 42A, 67A, 68A")
    TagID: Text4 | None = Field(default=None, description="WCO tag of the data element")


class AdditionalInformationType(t.Message):
    """Additional information (03A) on the declaration, optionally pointing at what it is about."""

    StatementCode: Code17 | None = None
    StatementDescription: Text512 | None = None
    StatementTypeCode: Code3 | None = None
    Pointer: list[PointerType] | None = Field(default=None, min_length=1)


class AmendmentType(t.Message):
    """Amendment (06A): why a part of the declaration was changed, and which part."""

    ChangeReasonCode: Code3 | None = None
    Pointer: list[PointerType] | None = Field(default=None, min_length=1)


class CurrencyExchangeType(t.Message):
    """Currency exchange (40A): the rate used to convert an invoice currency."""

    CurrencyTypeCode: codes.CurrencyCode | None = Field(default=None, description="the currency converted from")
    RateNumeric: Decimal12_5 | None = Field(default=None, description="units of local currency per unit of it")


class ObligationGuaranteeType(t.Message):
    """Obligation guarantee (90A): the security given for duties and taxes."""

    AmountAmount: AmountType | None = None
    ID: Text70 | None = None
    ReferenceID: Text35 | None = None
    SecurityDetailsCode: Code3 | None = None
    AccessCode: Code4 | None = None
    GuaranteeOffice: OfficeType | None = None


class DeclarationType(t.Message):
    """Declaration (42A): a goods declaration, import, export or other, with its goods shipment."""

    AcceptanceDateTime: DateTimeType | None = None
    FunctionCode: codes.MessageFunctionCode = Field(
        description="UN/EDIFACT 1225 message function: 9 original, 13 request (with TypeCode INV a request to "
                    "invalidate), 14 advance notification, 1 cancellation")
    FunctionalReferenceID: Text35 | None = Field(default=None, description="LRN, the declarant's reference")
    ID: Text70 | None = Field(default=None, description="MRN, given by customs on acceptance")
    IssueDateTime: DateTimeType | None = None
    IssueLocationID: Text5 | None = None
    TypeCode: Code3 | None = Field(
        default=None, description="declaration type: IM import, EX export, CO special fiscal territory, with the "
                                  "additional type letter (IMA, EXD, COR), or a national code such as B11")
    GoodsItemQuantity: ItemCountQuantityType | None = None
    DeclarationOfficeID: Text17 | None = None
    InvoiceAmount: AmountType | None = None
    LoadingListQuantity: ItemCountQuantityType | None = None
    TotalGrossMassMeasure: MeasureType | None = None
    TotalPackageQuantity: PackageQuantityType | None = None
    SpecificCircumstancesCodeCode: Code3 | None = None
    Authentication: AuthenticationType | None = None
    Submitter: PartyType | None = None
    AdditionalDocument: list[AdditionalDocumentType] | None = Field(default=None, min_length=1)
    AdditionalInformation: list[AdditionalInformationType] | None = Field(default=None, min_length=1)
    Agent: AgentType | None = None
    Amendment: list[AmendmentType] | None = Field(default=None, min_length=1)
    AuthorisationHolder: list[AuthorisationHolderType] | None = Field(default=None, min_length=1)
    BorderTransportMeans: BorderTransportMeansType | None = None
    Consignment: DeclarationConsignmentType | None = None
    CurrencyExchange: list[CurrencyExchangeType] | None = Field(default=None, min_length=1)
    Declarant: TraderType | None = None
    ExitOffice: OfficeType | None = None
    Exporter: TraderType | None = None
    GoodsShipment: GoodsShipmentType | None = None
    ObligationGuarantee: list[ObligationGuaranteeType] | None = Field(default=None, min_length=1)
    PresentationOffice: OfficeType | None = None
    SupervisingOffice: OfficeType | None = None


class GoodsDeclaration(t.Document):
    """WCO DM 3.6 goods declaration (DEC), optionally with the DMS metadata it came in."""

    xml_root: ClassVar[str] = "GoodsDeclaration"

    document_type: Literal["customs.declaration/2.0"] = "customs.declaration/2.0"
    MetaData: MetaDataType | None = None
    Declaration: DeclarationType
    SchemaLocationHint: list[SchemaLocationHintType] | None = Field(default=None, min_length=1)
