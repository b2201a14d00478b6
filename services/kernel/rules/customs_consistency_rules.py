"""Cross-field rules of the goods declaration: counts, totals, masses, numbering, containers
and the direction of trade. ``customs_rules`` puts them into the ``DECLARATION`` tuple."""

import re
from collections.abc import Iterator
from decimal import Decimal

from services.kernel.checkdigits import container_id_is_valid
from services.kernel.findings import Finding, rule_error, rule_warning
from services.kernel.messages.customs import Declaration
from services.kernel.rules import RuleContext
from services.kernel.rules.common import address_country, in_kilograms, sequence_not_consecutive

ITEMS = ("GoodsShipment", "GovernmentAgencyGoodsItem")
CONSIGNMENT = ("GoodsShipment", "Consignment")
_LOOKS_LIKE_CONTAINER = re.compile(r"[A-Z]{4}[0-9]{7}")


def goods_item_quantity_matches(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    count = len(declaration.GoodsShipment.GovernmentAgencyGoodsItem)
    if declaration.GoodsItemQuantity != count:
        yield rule_error(
            "GOODS_ITEM_QUANTITY_MISMATCH",
            f"goods item quantity {declaration.GoodsItemQuantity} differs from the {count} goods items "
            "declared",
            "GoodsItemQuantity",
        )


def invoice_currency_matches(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    currency = declaration.InvoiceAmount.currencyID
    for index, item in enumerate(declaration.GoodsShipment.GovernmentAgencyGoodsItem):
        item_currency = item.Commodity.InvoiceLine.ItemChargeAmount.currencyID
        if item_currency != currency:
            yield rule_error(
                "INVOICE_CURRENCY_MISMATCH",
                f"goods item {item.SequenceNumeric} amount is in {item_currency}, the invoice in {currency}",
                *ITEMS,
                index,
                "Commodity",
                "InvoiceLine",
                "ItemChargeAmount",
                "currencyID",
            )


def invoice_amount_matches_items(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    invoice = declaration.InvoiceAmount
    total = Decimal(0)
    for item in declaration.GoodsShipment.GovernmentAgencyGoodsItem:
        amount = item.Commodity.InvoiceLine.ItemChargeAmount
        if amount.currencyID != invoice.currencyID:
            return  # amounts in other currencies cannot be added up; INVOICE_CURRENCY_MISMATCH says so
        total += amount.value
    if total != invoice.value:
        yield rule_error(
            "INVOICE_AMOUNT_MISMATCH",
            f"invoice amount {invoice.value} {invoice.currencyID} differs from the sum of item amounts "
            f"{total} {invoice.currencyID}",
            "InvoiceAmount",
            "value",
        )


def gross_mass_not_below_net(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    for index, item in enumerate(declaration.GoodsShipment.GovernmentAgencyGoodsItem):
        gross = item.Commodity.GoodsMeasure.GrossMassMeasure
        net = item.Commodity.GoodsMeasure.NetNetWeightMeasure
        if net is None:
            continue
        if gross.unitCode == net.unitCode:
            below = gross.value < net.value
        else:
            gross_kg, net_kg = (
                in_kilograms(gross.value, gross.unitCode),
                in_kilograms(net.value, net.unitCode),
            )
            below = gross_kg is not None and net_kg is not None and gross_kg < net_kg
        if below:
            yield rule_error(
                "GROSS_MASS_BELOW_NET",
                f"goods item {item.SequenceNumeric} gross mass {gross.value} {gross.unitCode} is below "
                f"its net mass {net.value} {net.unitCode}",
                *ITEMS,
                index,
                "Commodity",
                "GoodsMeasure",
                "GrossMassMeasure",
                "value",
            )


def total_gross_mass_matches_items(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    declared = declaration.TotalGrossMassMeasure
    if declared is None:
        return
    unit = declared.unitCode
    total = Decimal(0)
    for item in declaration.GoodsShipment.GovernmentAgencyGoodsItem:
        gross = item.Commodity.GoodsMeasure.GrossMassMeasure
        if gross.unitCode == unit:
            total += gross.value
            continue
        gross_kg, factor = in_kilograms(gross.value, gross.unitCode), in_kilograms(Decimal(1), unit)
        if gross_kg is None or factor is None:
            return  # a unit the rules cannot convert: no comparison rather than a false alarm
        total += gross_kg / factor
    if total != declared.value:
        yield rule_warning(
            "TOTAL_GROSS_MASS_MISMATCH",
            f"total gross mass {declared.value} {unit} differs from the sum of the items' gross mass "
            f"{total.normalize():f} {unit}",
            "TotalGrossMassMeasure",
            "value",
        )


def declaration_sequences_consecutive(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    shipment = declaration.GoodsShipment
    yield from sequence_not_consecutive(shipment.GovernmentAgencyGoodsItem, what="goods item", path=ITEMS)
    for index, item in enumerate(shipment.GovernmentAgencyGoodsItem):
        if item.Packaging:
            yield from sequence_not_consecutive(
                item.Packaging,
                what=f"goods item {item.SequenceNumeric} package",
                path=(*ITEMS, index, "Packaging"),
            )
    if shipment.Consignment is not None and shipment.Consignment.TransportEquipment:
        yield from sequence_not_consecutive(
            shipment.Consignment.TransportEquipment,
            what="transport equipment",
            path=(*CONSIGNMENT, "TransportEquipment"),
        )


def container_check_digits_valid(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    consignment = declaration.GoodsShipment.Consignment
    if consignment is None or not consignment.TransportEquipment:
        return
    for index, equipment in enumerate(consignment.TransportEquipment):
        if _LOOKS_LIKE_CONTAINER.fullmatch(equipment.ID) and not container_id_is_valid(equipment.ID):
            yield rule_error(
                "CONTAINER_CHECK_DIGIT",
                f"container {equipment.ID} fails the ISO 6346 check (category U, J or Z and check digit)",
                *CONSIGNMENT,
                "TransportEquipment",
                index,
                "ID",
            )


def declaration_direction_consistent(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    shipment = declaration.GoodsShipment
    if declaration.TypeCode.startswith("EX"):
        country, _, _ = address_country(declaration.Exporter, "Exporter")
        if country is not None and country != shipment.ExportCountry.ID:
            yield rule_warning(
                "DECLARATION_DIRECTION",
                f"export declaration: export country {shipment.ExportCountry.ID} differs from the exporter's "
                f"address country {country}",
                "GoodsShipment",
                "ExportCountry",
                "ID",
            )
    else:
        country, _, _ = address_country(declaration.Importer, "Importer")
        if country is not None and country != shipment.Destination.CountryCode:
            yield rule_warning(
                "DECLARATION_DIRECTION",
                f"import declaration: destination country {shipment.Destination.CountryCode} differs from "
                f"the importer's address country {country}",
                "GoodsShipment",
                "Destination",
                "CountryCode",
            )
