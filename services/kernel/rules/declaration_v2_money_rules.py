"""Money rules of ``customs.declaration`` 2.0: invoice totals, currency exchange, preference
claims and the duty arithmetic. ``declaration_v2_rules`` puts them into ``DECLARATION_V2``.

Two of them are the network's own conventions and hold where the declaration is lodged
with one of its countries (JP KH LA MM TH VN; the lodging country is the export country
of an export, the destination of an import):

- CURRENCY_EXCHANGE_MISSING: an amount in another currency than the lodging country's
  needs the rate the declarant converted it at (``CurrencyExchange`` with that
  ``CurrencyTypeCode`` and a ``RateNumeric``). The UK's CDS converts at a rate it publishes
  each month and wants none declared; none of its 366 sample declarations gives one (6 of
  them have amounts in EUR, USD or CAD).
- PREFERENCE_CERTIFICATE_MISSING: a preference claimed under ATIGA or AJCEP rests on a
  certificate of origin (e-Form D, Form AJ) the importing customs can check. CDS accepts
  other proofs (statements on origin, importer's knowledge, waivers under its own document
  codes), so its declarations (24 of the samples claim a preference without an 861 or 864
  document) are not held to this.
"""

import re
from collections.abc import Iterator
from decimal import Decimal

from services.kernel.findings import Finding, rule_error
from services.kernel.messages.wco.datatypes import AmountType
from services.kernel.messages.wco.declaration import AdditionalDocumentType, GoodsDeclaration
from services.kernel.messages.wco.goods import GovernmentAgencyGoodsItemType, ItemAdditionalDocumentType
from services.kernel.rules import Rule, RuleContext
from services.kernel.rules.common import PointerPath
from services.kernel.rules.wco_common import (
    DECLARATION,
    ITEMS,
    LOCAL_CURRENCIES,
    duty_fault,
    goods_items,
    is_amendment,
    is_network_country,
    lodging_country,
    walk,
)

__all__ = ["CERTIFICATE_OF_ORIGIN_CODES", "MONEY_RULES"]

CERTIFICATE_OF_ORIGIN_CODES = {"861": "certificate of origin", "864": "preference certificate of origin"}
"""UN/EDIFACT 1001 document codes that reference a certificate of origin, as
``AdditionalDocument/TypeCode`` carries them (the category, e.g. N, beside it): an ATIGA
e-Form D or an AJCEP Form AJ is one, its reference number (``TH-D-2026-0088123``) the
document's ``ID``. A document of either code without an ID references nothing."""
PREFERENTIAL_ORIGIN = "2"
"""``Origin/TypeCode`` 2: the preferential origin the preference is claimed on (1: non-preferential)."""
PREFERENTIAL_REGIME = re.compile(r"^[234][0-9]{2}$")
"""``DutyTaxFee/DutyRegimeCode`` of a preference in the WCO/EU preference list (DE 4/17) DMS
uses: 2xx the generalised system of preferences, 3xx trade agreements, 4xx customs unions
(1xx are the general, non-preferential arrangements)."""


def _item_charge(item: GovernmentAgencyGoodsItemType) -> AmountType | None:
    line = item.Commodity.InvoiceLine if item.Commodity is not None else None
    return line.ItemChargeAmount if line is not None else None


def invoice_currency_matches(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    invoice = document.Declaration.InvoiceAmount
    if invoice is None or invoice.currencyID is None:
        return
    for index, item in enumerate(goods_items(document)):
        charge = _item_charge(item)
        if charge is not None and charge.currencyID not in (None, invoice.currencyID):
            yield rule_error("INVOICE_CURRENCY_MISMATCH",
                             f"goods item {item.SequenceNumeric} amount is in {charge.currencyID}, the invoice in "
                             f"{invoice.currencyID}",
                             *ITEMS, index, "Commodity", "InvoiceLine", "ItemChargeAmount", "currencyID")


def invoice_amount_matches_items(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    """INVOICE_AMOUNT_MISMATCH when every goods item gives its invoiced amount, in the invoice's
    currency, and they do not add up to the invoice amount (an amendment lists only some items)."""
    declaration = document.Declaration
    invoice = declaration.InvoiceAmount
    items = goods_items(document)
    if invoice is None or not items or is_amendment(declaration):
        return
    total = Decimal(0)
    for item in items:
        charge = _item_charge(item)
        if charge is None or charge.currencyID not in (None, invoice.currencyID):
            return  # INVOICE_CURRENCY_MISMATCH says so; amounts in two currencies do not add up
        total += charge.value
    if total != invoice.value:
        currency = f" {invoice.currencyID}" if invoice.currencyID else ""
        yield rule_error("INVOICE_AMOUNT_MISMATCH",
                         f"invoice amount {invoice.value}{currency} differs from the sum of the goods items' amounts, "
                         f"{total}{currency}", *DECLARATION, "InvoiceAmount", "value")


def currency_exchange_given(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    """CURRENCY_EXCHANGE_MISSING, once per foreign currency, at its first amount (see the module docstring)."""
    declaration = document.Declaration
    country = lodging_country(declaration)
    if country is None or not is_network_country(country):
        return
    local = LOCAL_CURRENCIES[country]
    rates = {(entry.CurrencyTypeCode or ""): index for index, entry in enumerate(declaration.CurrencyExchange or [])}
    seen: set[str] = set()
    for amount, path in walk(declaration, AmountType, path=DECLARATION):
        currency = amount.currencyID
        if currency is None or currency == local or currency in seen:
            continue
        seen.add(currency)
        named = _amount_name(document, path)
        if currency not in rates:
            yield rule_error("CURRENCY_EXCHANGE_MISSING",
                             f"{named} is in {currency}, but no CurrencyExchange gives the rate from {currency} to "
                             f"{local}, the currency of {country} customs", *path, "currencyID")
            continue
        entry = (declaration.CurrencyExchange or [])[rates[currency]]
        if entry.RateNumeric is None:
            yield rule_error("CURRENCY_EXCHANGE_MISSING",
                             f"the CurrencyExchange for {currency} gives no RateNumeric (units of {local} per "
                             f"{currency})", *DECLARATION, "CurrencyExchange", rates[currency])


def _amount_name(document: GoodsDeclaration, path: PointerPath) -> str:
    """``InvoiceAmount``, ``goods item 2 ItemChargeAmount``: an amount as a reader finds it."""
    if path[: len(ITEMS)] == ITEMS and len(path) > len(ITEMS):
        item = goods_items(document)[int(path[len(ITEMS)])]
        return f"goods item {item.SequenceNumeric} {path[-1]}"
    return str(path[-1])


def _is_certificate(document: AdditionalDocumentType | ItemAdditionalDocumentType) -> bool:
    return ((document.TypeCode or "").strip() in CERTIFICATE_OF_ORIGIN_CODES
            and bool((document.ID or "").strip()))


def _preference_claim(item: GovernmentAgencyGoodsItemType, index: int) -> tuple[str, PointerPath] | None:
    """What on the item claims a preference, and where; None when nothing does."""
    for position, origin in enumerate(item.Origin or []):
        if (origin.TypeCode or "").strip() == PREFERENTIAL_ORIGIN:
            return (f"preferential origin {origin.CountryCode or ''}".rstrip(),
                    (*ITEMS, index, "Origin", position, "TypeCode"))
    for position, duty in enumerate((item.Commodity.DutyTaxFee or []) if item.Commodity is not None else []):
        regime = (duty.DutyRegimeCode or "").strip()
        if PREFERENTIAL_REGIME.fullmatch(regime):
            return (f"preferential duty regime {regime}",
                    (*ITEMS, index, "Commodity", "DutyTaxFee", position, "DutyRegimeCode"))
    return None


def preference_claim_has_certificate(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    """PREFERENCE_CERTIFICATE_MISSING where an item claims a preference (an ``Origin`` of TypeCode
    2, or a preferential duty regime) and neither it nor the declaration references a
    certificate of origin (``CERTIFICATE_OF_ORIGIN_CODES`` with an ID); see the module docstring."""
    declaration = document.Declaration
    country = lodging_country(declaration)
    if country is None or not is_network_country(country):
        return
    if any(_is_certificate(entry) for entry in declaration.AdditionalDocument or []):
        return
    for index, item in enumerate(goods_items(document)):
        claim = _preference_claim(item, index)
        if claim is None or any(_is_certificate(entry) for entry in item.AdditionalDocument or []):
            continue
        what, path = claim
        yield rule_error("PREFERENCE_CERTIFICATE_MISSING",
                         f"goods item {item.SequenceNumeric} claims {what} but references no certificate of origin: "
                         "an AdditionalDocument of type 861 (or 864) with the certificate's reference number as its "
                         "ID, e.g. the e-Form D's", *path)


def duty_amounts_match(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    """DUTY_AMOUNT_MISMATCH where a duty gives a base, a rate and its assessed amount and the
    amount is not what they make (``wco_common.duty_fault``: the formula and the tolerance)."""
    for index, item in enumerate(goods_items(document)):
        for position, duty in enumerate((item.Commodity.DutyTaxFee or []) if item.Commodity is not None else []):
            payment = duty.Payment
            fault = duty_fault(base=duty.AdValoremTaxBaseAmount, quantity=duty.SpecificTaxBaseQuantity,
                               rate=duty.TaxRateNumeric, deduct=duty.DeductAmount,
                               assessed=payment.TaxAssessedAmount if payment is not None else None)
            if fault is not None:
                yield rule_error("DUTY_AMOUNT_MISMATCH",
                                 f"goods item {item.SequenceNumeric} duty {duty.TypeCode or position + 1}: {fault}",
                                 *ITEMS, index, "Commodity", "DutyTaxFee", position, "Payment", "TaxAssessedAmount",
                                 "value")


MONEY_RULES: tuple[Rule, ...] = (
    invoice_currency_matches,
    invoice_amount_matches_items,
    currency_exchange_given,
    preference_claim_has_certificate,
    duty_amounts_match,
)
