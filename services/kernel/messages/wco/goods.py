"""The goods item (68A) and what DMS hangs on it, commodity aside (see ``commodity``)."""

from pydantic import Field

from services.kernel.messages import types as t
from services.kernel.messages.wco import codes
from services.kernel.messages.wco.commodity import CommodityType
from services.kernel.messages.wco.datatypes import (
    AmountType,
    Code2,
    Code3,
    Code4,
    Code7,
    Code17,
    DateTimeType,
    Digits2,
    DimensionMeasureType,
    MeasureType,
    PackageQuantityType,
    Sequence5,
    Text9,
    Text35,
    Text70,
    Text256,
    Text512,
)
from services.kernel.messages.wco.parties import DocumentSubmitterType, PartyType, RolePartyType, TraderType


class WriteOffType(t.Message):
    """Write-off (22C): how much of a licence or certificate this item uses up."""

    QuantityQuantity: MeasureType | None = None
    AmountAmount: AmountType | None = None


class ItemAdditionalDocumentType(t.Message):
    """Additional document (02A) of a goods item: a certificate, licence or permit it relies on,
    or the code saying why none is needed."""

    CategoryCode: Code3 | None = Field(default=None, description="document category (first part of its code)")
    EffectiveDateTime: DateTimeType | None = None
    ID: Text70 | None = Field(default=None, description="the document's number, e.g. a certificate of origin's")
    Name: Text35 | None = None
    TypeCode: Code3 | None = Field(default=None, description="document type (second part of its code)")
    LPCOExemptionCode: Code3 | None = Field(
        default=None, description="status of the licence, permit, certificate or other document, or why it is "
                                  "not needed")
    Submitter: DocumentSubmitterType | None = None
    WriteOff: WriteOffType | None = None


class ItemAdditionalInformationType(t.Message):
    """Additional information (03A) on a goods item: a coded or free-text statement."""

    StatementCode: Code17 | None = None
    StatementDescription: Text512 | None = None
    StatementTypeCode: Code3 | None = None


class ChargeDeductionType(t.Message):
    """Charge or deduction (58B) added to or taken from the price in the customs value."""

    ChargesTypeCode: Code3 | None = None
    OtherChargeDeductionAmount: AmountType | None = None


class ItemCustomsValuationType(t.Message):
    """Customs valuation (41A) of a goods item."""

    MethodCode: Code3 | None = Field(default=None, description="WTO valuation method, 1 (transaction value) to 6")
    ChargeDeduction: list[ChargeDeductionType] | None = Field(default=None, min_length=1)


class DestinationType(t.Message):
    """Destination (99B): country and region the goods go to."""

    CountryCode: codes.CountryCode | None = None
    RegionID: Text9 | None = None


class ExportCountryType(t.Message):
    """Export country (95B)."""

    ID: codes.CountryCode | None = None


class GovernmentProcedureType(t.Message):
    """Government procedure (70A): the procedure requested and the one before it, or an
    additional procedure code."""

    CurrentCode: Code7 | None = None
    PreviousCode: Code7 | None = None


class OriginType(t.Message):
    """Origin (92A) of the goods, preferential or not. An item may declare both: the country of
    non-preferential origin and the one whose preferential origin is claimed."""

    CountryCode: codes.CountryCode | None = None
    RegionID: Text9 | None = None
    TypeCode: Code3 | None = Field(default=None,
                                   description="1 non-preferential origin; 2 preferential origin (a preference "
                                               "is claimed on it)")


class PackagingType(t.Message):
    """Packaging (93A): number and kind of packages, marks and sizes."""

    SequenceNumeric: Sequence5
    MarksNumbersID: Text512 | None = None
    QuantityQuantity: PackageQuantityType | None = None
    TypeCode: Code2 | None = Field(default=None, description="UN/ECE Recommendation 21 package type, e.g. BX box")
    PackingMaterialDescription: Text256 | None = None
    LengthMeasure: DimensionMeasureType | None = None
    WidthMeasure: DimensionMeasureType | None = None
    HeightMeasure: DimensionMeasureType | None = None
    VolumeMeasure: MeasureType | None = None


class PreviousDocumentType(t.Message):
    """Previous document (99A): a document the declaration follows on from."""

    CategoryCode: Code3 | None = None
    ID: Text70 | None = None
    TypeCode: Code3 | None = None
    LineNumeric: Sequence5 | None = Field(default=None, description="the line of that document meant")


class UCRType(t.Message):
    """Unique consignment reference (35B)."""

    ID: Text35 | None = None
    TraderAssignedReferenceID: Text35 | None = None


class ValuationAdjustmentType(t.Message):
    """Valuation adjustment (39B): additions and deductions to the price, coded."""

    AdditionCode: Code4 | None = None


class GovernmentAgencyGoodsItemType(t.Message):
    """Government agency goods item (68A): one item of the declaration."""

    CustomsValueAmount: AmountType | None = None
    SequenceNumeric: Sequence5
    StatisticalValueAmount: AmountType | None = None
    TransactionNatureCode: Digits2 | None = None
    AdditionalDocument: list[ItemAdditionalDocumentType] | None = Field(default=None, min_length=1)
    AdditionalInformation: list[ItemAdditionalInformationType] | None = Field(default=None, min_length=1)
    AEOMutualRecognitionParty: list[RolePartyType] | None = Field(default=None, min_length=1)
    Buyer: TraderType | None = None
    Commodity: CommodityType | None = None
    Consignee: PartyType | None = None
    Consignor: PartyType | None = None
    CustomsValuation: ItemCustomsValuationType | None = None
    Destination: DestinationType | None = None
    DomesticDutyTaxParty: list[RolePartyType] | None = Field(default=None, min_length=1)
    ExportCountry: ExportCountryType | None = None
    GovernmentProcedure: list[GovernmentProcedureType] | None = Field(default=None, min_length=1)
    Origin: list[OriginType] | None = Field(default=None, min_length=1)
    Packaging: list[PackagingType] | None = Field(default=None, min_length=1)
    PreviousDocument: list[PreviousDocumentType] | None = Field(default=None, min_length=1)
    Seller: TraderType | None = None
    UCR: UCRType | None = None
    ValuationAdjustment: ValuationAdjustmentType | None = None
