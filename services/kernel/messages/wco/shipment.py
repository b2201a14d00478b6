"""The goods shipment (67A): parties to the trade, terms, invoice, valuation and the goods items."""

from pydantic import Field

from services.kernel.messages import types as t
from services.kernel.messages.wco.datatypes import (
    AmountType,
    Code3,
    DateTimeType,
    Digits2,
    Letters3,
    Text17,
    Text35,
    Text70,
    Text256,
)
from services.kernel.messages.wco.goods import (
    ChargeDeductionType,
    DestinationType,
    ExportCountryType,
    GovernmentAgencyGoodsItemType,
    PreviousDocumentType,
    UCRType,
)
from services.kernel.messages.wco.parties import PartyType, RolePartyType, TraderType
from services.kernel.messages.wco.transport import ShipmentConsignmentType


class ShipmentCustomsValuationType(t.Message):
    """Customs valuation (41A) of the whole shipment: freight and other charges to apportion."""

    FreightChargeAmount: AmountType | None = None
    ChargeDeduction: list[ChargeDeductionType] | None = Field(default=None, min_length=1)


class InvoiceType(t.Message):
    """Invoice (78A)."""

    ID: Text70 | None = None
    IssueDateTime: DateTimeType | None = None


class TradeTermsType(t.Message):
    """Trade terms (22B): the Incoterms rule and its place."""

    ConditionCode: Letters3 | None = Field(default=None, description="Incoterms rule, e.g. FOB, CIF, DAP")
    CountryRelationshipCode: Code3 | None = None
    Description: Text70 | None = None
    LocationID: Text17 | None = Field(default=None, description="the named place, e.g. a UN/LOCODE")
    LocationName: Text256 | None = None


class WarehouseType(t.Message):
    """Warehouse (43B) the goods are stored in or taken from."""

    ID: Text35 | None = None
    TypeCode: Code3 | None = None


class GoodsShipmentType(t.Message):
    """Goods shipment (67A)."""

    ExitDateTime: DateTimeType | None = None
    TransactionNatureCode: Digits2 | None = Field(default=None, description="nature of the transaction, e.g. 1 "
                                                                            "outright purchase or sale")
    AEOMutualRecognitionParty: list[RolePartyType] | None = Field(default=None, min_length=1)
    Buyer: TraderType | None = None
    Consignee: PartyType | None = None
    Consignment: ShipmentConsignmentType | None = None
    Consignor: PartyType | None = None
    CustomsValuation: ShipmentCustomsValuationType | None = None
    Destination: DestinationType | None = None
    DomesticDutyTaxParty: list[RolePartyType] | None = Field(default=None, min_length=1)
    ExportCountry: ExportCountryType | None = None
    GovernmentAgencyGoodsItem: list[GovernmentAgencyGoodsItemType] | None = Field(default=None, min_length=1,
                                                                                 max_length=999)
    Importer: TraderType | None = None
    Invoice: InvoiceType | None = None
    Payer: PartyType | None = None
    PreviousDocument: list[PreviousDocumentType] | None = Field(default=None, min_length=1)
    Seller: TraderType | None = None
    Surety: PartyType | None = None
    TradeTerms: TradeTermsType | None = None
    UCR: UCRType | None = None
    Warehouse: WarehouseType | None = None
