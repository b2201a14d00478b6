"""Business rules of the goods declaration (WCO DM DEC) and the customs response (RES).

Here are the declaration's code-list rules; its cross-field rules live in
``customs_consistency_rules`` and the ACDD and certificate-of-origin rules in
``customs_origin_rules``. This module exports every customs tuple the registry reads.
"""

from collections.abc import Iterator

from services.kernel import refdata
from services.kernel.findings import Finding, rule_error
from services.kernel.messages.customs import Declaration, Response
from services.kernel.rules import Rule, RuleContext
from services.kernel.rules.common import (
    CodeField,
    address_country,
    unknown_countries,
    unknown_currencies,
    unknown_hs_codes,
    unknown_locodes,
)
from services.kernel.rules.customs_consistency_rules import (
    container_check_digits_valid,
    declaration_direction_consistent,
    declaration_sequences_consecutive,
    goods_item_quantity_matches,
    gross_mass_not_below_net,
    invoice_amount_matches_items,
    invoice_currency_matches,
    total_gross_mass_matches_items,
)
from services.kernel.rules.customs_origin_rules import ACDD, CERTIFICATE_OF_ORIGIN

__all__ = ["ACDD", "CERTIFICATE_OF_ORIGIN", "DECLARATION", "RESPONSE"]

ITEMS = ("GoodsShipment", "GovernmentAgencyGoodsItem")
CONSIGNMENT = ("GoodsShipment", "Consignment")


def declaration_countries_known(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    shipment = declaration.GoodsShipment
    transport = declaration.BorderTransportMeans
    fields: list[CodeField] = [
        address_country(declaration.Declarant, "Declarant"),
        address_country(declaration.Exporter, "Exporter"),
        address_country(declaration.Importer, "Importer"),
        address_country(declaration.Agent, "Agent"),
        (
            transport.RegistrationNationalityCode if transport is not None else None,
            "border transport means nationality",
            ("BorderTransportMeans", "RegistrationNationalityCode"),
        ),
        (shipment.ExportCountry.ID, "export country", ("GoodsShipment", "ExportCountry", "ID")),
        (
            shipment.Destination.CountryCode,
            "destination country",
            ("GoodsShipment", "Destination", "CountryCode"),
        ),
    ]
    fields.extend(
        (
            item.Origin.CountryCode,
            f"goods item {item.SequenceNumeric} origin country",
            (*ITEMS, index, "Origin", "CountryCode"),
        )
        for index, item in enumerate(shipment.GovernmentAgencyGoodsItem)
    )
    yield from unknown_countries(fields)


def declaration_currencies_known(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    fields: list[CodeField] = [
        (declaration.InvoiceAmount.currencyID, "invoice currency", ("InvoiceAmount", "currencyID"))
    ]
    fields.extend(
        (
            item.Commodity.InvoiceLine.ItemChargeAmount.currencyID,
            f"goods item {item.SequenceNumeric} currency",
            (*ITEMS, index, "Commodity", "InvoiceLine", "ItemChargeAmount", "currencyID"),
        )
        for index, item in enumerate(declaration.GoodsShipment.GovernmentAgencyGoodsItem)
    )
    yield from unknown_currencies(fields)


def declaration_locations_known(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    shipment = declaration.GoodsShipment
    consignment = shipment.Consignment
    loading = consignment.LoadingLocation if consignment is not None else None
    unloading = consignment.UnloadingLocation if consignment is not None else None
    yield from unknown_locodes(
        [
            (
                shipment.TradeTerms.LocationID,
                "trade terms location",
                ("GoodsShipment", "TradeTerms", "LocationID"),
            ),
            (
                loading.ID if loading is not None else None,
                "loading location",
                (*CONSIGNMENT, "LoadingLocation", "ID"),
            ),
            (
                unloading.ID if unloading is not None else None,
                "unloading location",
                (*CONSIGNMENT, "UnloadingLocation", "ID"),
            ),
        ]
    )


def declaration_hs_codes_known(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_hs_codes(
        (
            item.Commodity.Classification.ID,
            f"goods item {item.SequenceNumeric} HS code",
            (*ITEMS, index, "Commodity", "Classification", "ID"),
        )
        for index, item in enumerate(declaration.GoodsShipment.GovernmentAgencyGoodsItem)
    )


def trade_terms_incoterm_known(declaration: Declaration, context: RuleContext) -> Iterator[Finding]:
    code = declaration.GoodsShipment.TradeTerms.ConditionCode
    if not refdata.is_incoterm(code):
        yield rule_error(
            "INCOTERM_UNKNOWN",
            f"trade terms {code!r} is not an Incoterms 2020 rule "
            f"({' '.join(sorted(refdata.INCOTERMS_2020))})",
            "GoodsShipment",
            "TradeTerms",
            "ConditionCode",
        )


def response_currencies_known(response: Response, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_currencies(
        (
            duty.TaxAssessedAmount.currencyID,
            f"duty {duty.TypeCode} currency",
            ("DutyTaxFee", index, "TaxAssessedAmount", "currencyID"),
        )
        for index, duty in enumerate(response.DutyTaxFee or ())
    )


def rejection_carries_errors(response: Response, context: RuleContext) -> Iterator[Finding]:
    if response.FunctionCode == "03" and not response.Error:
        yield rule_error(
            "RESPONSE_ERRORS_REQUIRED",
            "a rejection (function code 03) must give at least one Error saying what is wrong",
            "Error",
        )


DECLARATION: tuple[Rule, ...] = (
    declaration_countries_known,
    declaration_currencies_known,
    declaration_locations_known,
    declaration_hs_codes_known,
    trade_terms_incoterm_known,
    goods_item_quantity_matches,
    invoice_currency_matches,
    invoice_amount_matches_items,
    gross_mass_not_below_net,
    total_gross_mass_matches_items,
    declaration_sequences_consecutive,
    container_check_digits_valid,
    declaration_direction_consistent,
)
RESPONSE: tuple[Rule, ...] = (response_currencies_known, rejection_carries_errors)
