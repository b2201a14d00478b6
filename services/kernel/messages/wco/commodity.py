"""The commodity of a goods item (23A): what the goods are, their classification, measures,
value and the duties and taxes on them."""

from pydantic import Field

from services.kernel.messages import types as t
from services.kernel.messages.wco.datatypes import (
    AmountType,
    Code3,
    Decimal17_3,
    Digits4,
    Letters1,
    MeasureType,
    Text17,
    Text18,
    Text512,
)
from services.kernel.messages.wco.transport import ItemTransportEquipmentType


class ClassificationType(t.Message):
    """Classification (21A): one code that classifies the goods. An item usually has several:
    the tariff number and national or additional codes beside it."""

    ID: Text18 | None = Field(default=None, description="the code, e.g. an HS-based tariff number")
    IdentificationTypeCode: Code3 | None = Field(
        default=None,
        description="which list ID comes from, e.g. TSP the tariff number (HS and its national extension), "
                    "TRC a TARIC additional code, TRA a national additional code, GN a Combined Nomenclature "
                    "code, CV a CUS code")


class DangerousGoodsType(t.Message):
    """Dangerous goods (12C), by UN number."""

    UNDGID: Digits4 | None = Field(default=None, description="UN number of the substance")


class PaymentType(t.Message):
    """Payment (94A) of one duty or tax: how, what was assessed, what is paid."""

    MethodCode: Letters1 | None = Field(default=None, description="how the duty or tax is paid (national code)")
    TaxAssessedAmount: AmountType | None = Field(default=None, description="the duty or tax as calculated")
    PaymentAmount: AmountType | None = Field(default=None, description="the amount payable")


class DutyTaxFeeType(t.Message):
    """Duty, tax or fee (50A) on the goods item: its base, its rate and what it comes to.

    An ad valorem duty is ``AdValoremTaxBaseAmount × TaxRateNumeric / 100``; a specific duty
    ``SpecificTaxBaseQuantity × TaxRateNumeric``; ``Payment/TaxAssessedAmount`` is the result.
    """

    AdValoremTaxBaseAmount: AmountType | None = Field(default=None,
                                                      description="value the duty or tax is calculated on")
    DeductAmount: AmountType | None = Field(default=None, description="amount deducted from the duty or tax")
    DutyRegimeCode: Code3 | None = Field(
        default=None, description="the duty regime applied, e.g. a preference or a quota (national code)")
    SpecificTaxBaseQuantity: MeasureType | None = Field(
        default=None, description="quantity a specific duty is calculated on, with its unit")
    TaxRateNumeric: Decimal17_3 | None = Field(
        default=None, description="the rate: a percentage for ad valorem duty, an amount per unit for specific duty")
    TypeCode: Code3 | None = Field(default=None, description="which duty, tax or fee (national code, e.g. A00 "
                                                             "customs duty, B00 VAT)")
    QuotaOrderID: Text17 | None = Field(default=None, description="the tariff quota's order number")
    Payment: PaymentType | None = None


class GoodsMeasureType(t.Message):
    """Goods measure (65A): masses and the tariff's supplementary quantity."""

    GrossMassMeasure: MeasureType | None = None
    NetNetWeightMeasure: MeasureType | None = None
    TariffQuantity: MeasureType | None = Field(default=None,
                                               description="quantity in the tariff's supplementary unit")


class InvoiceLineType(t.Message):
    """Invoice line (79A)."""

    ItemChargeAmount: AmountType | None = Field(default=None, description="the item's price on the invoice")


class CommodityType(t.Message):
    """Commodity (23A)."""

    Description: Text512 | None = None
    Classification: list[ClassificationType] | None = Field(default=None, min_length=1)
    DangerousGoods: list[DangerousGoodsType] | None = Field(default=None, min_length=1)
    DutyTaxFee: list[DutyTaxFeeType] | None = Field(default=None, min_length=1)
    GoodsMeasure: GoodsMeasureType | None = None
    InvoiceLine: InvoiceLineType | None = None
    TransportEquipment: list[ItemTransportEquipmentType] | None = Field(default=None, min_length=1)
