"""``customs.response`` 2.0: the WCO Data Model 3.6 customs response (RES) as DMS has it.

One ``CustomsResponse`` holds the responses of one DMS ``MetaData`` wrapper, which may
carry several (DMS: ``Response`` 1..n). Each follows the DMS response (``WCO_RES_2_DMS.xsd``)
element for element: status, errors with structured pointers, amendments, the offices to
contact, and the response's own ``Declaration`` (42A, references and assessed duties). DMS
may add, after it, the declaration in the full DEC structure (in WCO XML a second
``Declaration`` element, in the DEC namespace); here it is ``DECDeclaration``, reusing the
declaration's classes. The response's own strings have no non-blank pattern in DMS, so they
may be empty, as DMS lets them be.
"""

from typing import ClassVar, Literal

from pydantic import Field

from services.kernel.messages import types as t
from services.kernel.messages.wco.datatypes import (
    AmountType,
    DateTimeType,
    Decimal17_3,
    Digits2,
    MeasureType,
    OpenText3,
    OpenText4,
    OpenText8,
    OpenText9,
    OpenText17,
    OpenText35,
    OpenText50,
    OpenText70,
    OpenText512,
    Sequence5,
)
from services.kernel.messages.wco.declaration import DeclarationType
from services.kernel.messages.wco.metadata import MetaDataType, SchemaLocationHintType


class ResponsePointerType(t.Message):
    """Pointer (97A) to the part of the declaration an error, status or amendment is about."""

    SequenceNumeric: Sequence5 | None = Field(default=None, description="which occurrence, e.g. the goods item")
    DocumentSectionCode: OpenText3 | None = Field(default=None, description="WCO class id, e.g. 42A, 68A")
    TagID: OpenText4 | None = Field(default=None, description="WCO tag of the data element")


class ResponseAdditionalInformationType(t.Message):
    """Additional information (03A) from customs, optionally with a time limit."""

    StatementCode: OpenText17 | None = None
    StatementDescription: OpenText512 | None = None
    LimitDateTime: DateTimeType | None = None
    StatementTypeCode: OpenText3 | None = None
    Pointer: list[ResponsePointerType] | None = Field(default=None, min_length=1)


class ResponseAmendmentType(t.Message):
    """Amendment (06A) customs made to the declaration, and where."""

    ChangeReasonCode: OpenText3 | None = None
    Pointer: list[ResponsePointerType] | None = Field(default=None, min_length=1)


class AppealOfficeType(t.Message):
    """Appeal office (07A)."""

    ID: OpenText17 | None = None


class BankType(t.Message):
    """Bank (14A) to pay duties into."""

    ReferenceID: OpenText17 | None = None
    ID: OpenText35 | None = Field(default=None, description="the account")


class OfficeCommunicationType(t.Message):
    """Communication (25A) with a customs office."""

    ID: OpenText50 | None = None
    TypeCode: OpenText3 | None = None


class ContactOfficeType(t.Message):
    """Contact office (35A): the customs office to turn to."""

    ID: OpenText17 | None = None
    Communication: list[OfficeCommunicationType] | None = Field(default=None, min_length=1)


class ErrorType(t.Message):
    """Error (53A): why the declaration was refused, coded, with pointers to where."""

    Description: OpenText512 | None = None
    ValidationCode: OpenText8 | None = Field(default=None, description="the error's code")
    Pointer: list[ResponsePointerType] | None = Field(default=None, min_length=1)


class StatusType(t.Message):
    """Status (12B) of the declaration or of a part of it."""

    EffectiveDateTime: DateTimeType | None = None
    NameCode: OpenText3 | None = None
    ReleaseDateTime: DateTimeType | None = None
    Pointer: list[ResponsePointerType] | None = Field(default=None, min_length=1)


class GuaranteeReferenceType(t.Message):
    """Obligation guarantee (90A) a payment is secured by, by its reference."""

    ReferenceID: OpenText35 | None = None


class DeclarationPaymentType(t.Message):
    """Payment (94A) of the declaration's duties and taxes: assessed, due, paid."""

    ReferenceID: OpenText35 | None = None
    TaxAssessedAmount: AmountType | None = None
    DueDateTime: DateTimeType | None = None
    PaymentAmount: AmountType | None = None
    ObligationGuarantee: list[GuaranteeReferenceType] | None = Field(default=None, min_length=1)


class DeclarationDutyTaxFeeType(t.Message):
    """Duty, tax or fee (50A) of the whole declaration."""

    Payment: DeclarationPaymentType | None = None


class ItemPaymentType(t.Message):
    """Payment (94A) of one duty or tax on a goods item."""

    TaxAssessedAmount: AmountType | None = None
    PaymentAmount: AmountType | None = None


class ItemDutyTaxFeeType(t.Message):
    """Duty, tax or fee (50A) customs assessed on a goods item: base, rate and amount."""

    AdValoremTaxBaseAmount: AmountType | None = Field(default=None,
                                                      description="value the duty or tax is calculated on")
    DeductAmount: AmountType | None = None
    DutyRegimeCode: OpenText3 | None = None
    SpecificTaxBaseQuantity: MeasureType | None = Field(default=None,
                                                        description="quantity a specific duty is calculated on")
    TaxRateNumeric: Decimal17_3 | None = None
    TypeCode: OpenText3 | None = Field(default=None, description="which duty, tax or fee (national code)")
    Payment: ItemPaymentType | None = None


class ResponseCommodityType(t.Message):
    """Commodity (23A) of an assessed goods item: its duties and taxes."""

    DutyTaxFee: list[ItemDutyTaxFeeType] | None = Field(default=None, min_length=1)


class ResponseGoodsItemType(t.Message):
    """Government agency goods item (68A) as the response refers to it."""

    SequenceNumeric: Sequence5
    Commodity: ResponseCommodityType | None = None


class ResponseGoodsShipmentType(t.Message):
    """Goods shipment (67A) as the response refers to it."""

    GovernmentAgencyGoodsItem: list[ResponseGoodsItemType] | None = Field(default=None, min_length=1)


class ResponseDeclarationType(t.Message):
    """Declaration (42A) the response is about: its references, dates and assessed duties."""

    AcceptanceDateTime: DateTimeType | None = None
    CancellationDateTime: DateTimeType | None = None
    FunctionalReferenceID: OpenText35 | None = Field(default=None, description="LRN, the declarant's reference")
    ID: OpenText70 | None = Field(default=None, description="MRN")
    RejectionDateTime: DateTimeType | None = None
    VersionID: OpenText9 | None = Field(default=None, description="version of the declaration answered")
    DutyTaxFee: list[DeclarationDutyTaxFeeType] | None = Field(default=None, min_length=1)
    GoodsShipment: ResponseGoodsShipmentType | None = None


class ResponseType(t.Message):
    """Response (07B): one answer of customs to a declaration."""

    FunctionCode: Digits2 = Field(
        description="what the answer is: 01 accepted, 02 received, 03 rejected, 05 control, 06 documents "
                    "required, 09 cleared, 10 invalidated, 13 tax assessment; national codes besides")
    FunctionalReferenceID: OpenText35 | None = Field(default=None, description="the response's own reference")
    IssueDateTime: DateTimeType | None = None
    AdditionalInformation: list[ResponseAdditionalInformationType] | None = Field(default=None, min_length=1)
    Amendment: list[ResponseAmendmentType] | None = Field(default=None, min_length=1)
    AppealOffice: AppealOfficeType | None = None
    Bank: BankType | None = None
    ContactOffice: list[ContactOfficeType] | None = Field(default=None, min_length=1)
    Error: list[ErrorType] | None = Field(default=None, min_length=1)
    Status: list[StatusType] | None = Field(default=None, min_length=1)
    Declaration: ResponseDeclarationType
    DECDeclaration: DeclarationType | None = Field(
        default=None, description="the declaration in the full DEC structure, e.g. as customs amended it "
                                  "(WCO XML: a second Declaration, in the DEC namespace)")


class CustomsResponse(t.Document):
    """WCO DM 3.6 customs response (RES): the responses of one DMS wrapper, with its metadata."""

    xml_root: ClassVar[str] = "CustomsResponse"

    document_type: Literal["customs.response/2.0"] = "customs.response/2.0"
    MetaData: MetaDataType | None = None
    Response: list[ResponseType] = Field(min_length=1)
    SchemaLocationHint: list[SchemaLocationHintType] | None = Field(default=None, min_length=1)
