"""Business rules of ``customs.declaration`` 2.0, the WCO DM 3.6 goods declaration (DEC).

The rules of 1.x, moved to the WCO structure, and what 2.0 lets the network check besides.
Here: counts, numbering, classification, places, trade terms, masses, containers and
date-time formats; the money rules (invoice totals, currency exchange, preference claims,
duty arithmetic) are in ``declaration_v2_money_rules``. ``DECLARATION_V2`` joins both.

Every rule was run over 366 real WCO DM 3.6 declarations (HMRC CDS samples) and is held
to what those files show is ordinary practice:

- an amendment (function code 13) lists only the goods items it changes, numbered as in
  the declaration it amends (item 3 alone), so the item count and numbering rules skip it;
- transport equipment and seals may be numbered from 0 (DMS allows it, real files do), and
  packages per item or on across the declaration (real files do both);
- a location is checked against UN/LOCODE only where it has the form of one (CDS writes
  airport codes and national location codes in the same elements);
- Incoterms 2010 terms (DAT) still appear in real contracts: a warning, not an error;
- country and currency codes need no rule: the 2.0 schema enumerates them;
- the 1.x DECLARATION_DIRECTION warning is not carried over: real imports name importers
  established abroad (a US company importing into GB), which WCO allows.

What the real files get wrong stays an error: 31 write invented container numbers whose
ISO 6346 check digit is wrong (CONU1234567), 6 classify under 9702 00 00, HS 2017's heading
that HS 2022 splits into 970210 and 970290.
"""

import functools
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal

from services.kernel import refdata
from services.kernel.checkdigits import container_id_is_valid
from services.kernel.findings import Finding, rule_error, rule_warning
from services.kernel.messages.wco.declaration import GoodsDeclaration
from services.kernel.messages.wco.goods import GovernmentAgencyGoodsItemType
from services.kernel.rules import Rule, RuleContext
from services.kernel.rules.common import CodeField, PointerPath, Sequenced, in_kilograms, unknown_hs_codes
from services.kernel.rules.declaration_v2_money_rules import MONEY_RULES
from services.kernel.rules.wco_common import (
    DECLARATION,
    ITEMS,
    SHIPMENT,
    date_time_findings,
    goods_items,
    is_amendment,
)

__all__ = ["DECLARATION_V2"]

CONSIGNMENT: PointerPath = (*SHIPMENT, "Consignment")
HS_BASED_CLASSIFICATIONS = frozenset({"HS", "TSP"})
"""Classification lists whose codes begin with an HS subheading: HS itself and TSP, the tariff
number (HS and its national extension: AHTN in ASEAN, the CN in the EU and UK)."""
EARLIER_INCOTERMS = {"DAT": "Incoterms 2010 (DPU in 2020)", "DAF": "Incoterms 2000", "DES": "Incoterms 2000",
                     "DEQ": "Incoterms 2000", "DDU": "Incoterms 2000"}
"""Rules of earlier Incoterms editions, which contracts may still name."""
_LOOKS_LIKE_CONTAINER = re.compile(r"[A-Z]{3}[UJZ][0-9]{7}")
_LOOKS_LIKE_LOCODE = re.compile(r"[A-Z]{2}[A-Z2-9]{3}")


def goods_item_quantity_matches(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    declaration = document.Declaration
    declared = declaration.GoodsItemQuantity
    if declared is None or is_amendment(declaration):
        return
    count = len(goods_items(document))
    if declared.value != count:
        yield rule_error("GOODS_ITEM_QUANTITY_MISMATCH",
                         f"goods item quantity {declared.value} differs from the {count} goods items declared",
                         *DECLARATION, "GoodsItemQuantity", "value")


def _numbering_break(entries: Sequence[Sequenced], *, what: str, path: PointerPath,
                     from_zero: bool = False) -> Iterator[Finding]:
    """SEQUENCE_NUMBER_NOT_CONSECUTIVE at the first entry out of order: 1 to n, or 0 to n-1
    where ``from_zero`` allows it (decided by the first entry). Only the first break is reported:
    after a gap every later number is off by one too."""
    first = 0 if from_zero and entries and entries[0].SequenceNumeric == 0 else 1
    for index, entry in enumerate(entries):
        if entry.SequenceNumeric != first + index:
            start = "0 or 1" if from_zero else "1"
            yield rule_error(
                "SEQUENCE_NUMBER_NOT_CONSECUTIVE",
                f"{what} number {index + 1} in the list has sequence number {entry.SequenceNumeric}, expected "
                f"{first + index} (entries are numbered from {start} in order, one up each)",
                *path, index, "SequenceNumeric")
            return


def _packages_numbered(items: Sequence[GovernmentAgencyGoodsItemType]) -> Iterator[Finding]:
    """Packages are numbered 1 to n in each item, or on from the previous item's last
    package (real declarations do both; WCO does not say which)."""
    last = 0
    for index, item in enumerate(items):
        packages = item.Packaging or []
        if packages and packages[0].SequenceNumeric == last + 1 and last:
            numbers = [package.SequenceNumeric for package in packages]
            if numbers == list(range(last + 1, last + 1 + len(packages))):
                last = numbers[-1]
                continue
        yield from _numbering_break(packages, what=f"goods item {item.SequenceNumeric} package",
                                    path=(*ITEMS, index, "Packaging"))
        last = packages[-1].SequenceNumeric if packages else last


def sequences_consecutive(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    declaration = document.Declaration
    items = goods_items(document)
    if not is_amendment(declaration):
        yield from _numbering_break(items, what="goods item", path=ITEMS)
    yield from _packages_numbered(items)
    consignment = declaration.GoodsShipment.Consignment if declaration.GoodsShipment is not None else None
    equipment = (consignment.TransportEquipment or []) if consignment is not None else []
    yield from _numbering_break(equipment, what="transport equipment", path=(*CONSIGNMENT, "TransportEquipment"),
                                from_zero=True)
    for index, unit in enumerate(equipment):
        yield from _numbering_break(unit.Seal or [], what=f"seal of transport equipment {unit.ID or index + 1}",
                                    path=(*CONSIGNMENT, "TransportEquipment", index, "Seal"), from_zero=True)
    carriage = declaration.Consignment
    if carriage is not None:
        yield from _numbering_break(carriage.Itinerary or [], what="itinerary country",
                                    path=(*DECLARATION, "Consignment", "Itinerary"), from_zero=True)


def tariff_numbers_known(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    """HS_CODE_UNKNOWN for an HS or TSP classification whose first six digits are no HS 2022
    subheading (other lists, such as TARIC additional codes, are national and not checked)."""
    fields: list[CodeField] = []
    for index, item in enumerate(goods_items(document)):
        for position, classification in enumerate((item.Commodity.Classification or []) if item.Commodity else []):
            code = (classification.IdentificationTypeCode or "").strip()
            if classification.ID is not None and code in HS_BASED_CLASSIFICATIONS:
                fields.append((classification.ID.strip(), f"goods item {item.SequenceNumeric} {code} code",
                               (*ITEMS, index, "Commodity", "Classification", position, "ID")))
    yield from unknown_hs_codes(fields)


@functools.lru_cache(maxsize=2)
def _countries_with_locodes(codes: frozenset[str]) -> frozenset[str]:
    """The countries the loaded UN/LOCODE list has places of. A place in a country it has none
    of (Bouvet Island, BV, in release 2023-2) cannot be judged."""
    return frozenset(code[:2] for code in codes)


def locations_known(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    """LOCODE_UNKNOWN for a place written as a UN/LOCODE (a country code and three letters or
    digits) that UN/LOCODE does not have; see ``_countries_with_locodes``."""
    declaration = document.Declaration
    shipment = declaration.GoodsShipment
    terms = shipment.TradeTerms if shipment is not None else None
    consignment = shipment.Consignment if shipment is not None else None
    loading = consignment.LoadingLocation if consignment is not None else None
    places = [
        (declaration.IssueLocationID, "issue location", (*DECLARATION, "IssueLocationID")),
        (terms.LocationID if terms is not None else None, "trade terms location",
         (*SHIPMENT, "TradeTerms", "LocationID")),
        (loading.ID if loading is not None else None, "loading location", (*CONSIGNMENT, "LoadingLocation", "ID")),
    ]
    for value, label, path in places:
        code = (value or "").strip()
        if (_LOOKS_LIKE_LOCODE.fullmatch(code) and code[:2] in _countries_with_locodes(refdata.locodes())
                and not refdata.is_locode(code)):
            yield rule_error("LOCODE_UNKNOWN", f"{label} {code!r} is not a known UN/LOCODE", *path)


def trade_terms_known(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    shipment = document.Declaration.GoodsShipment
    terms = shipment.TradeTerms if shipment is not None else None
    if terms is None or terms.ConditionCode is None or refdata.is_incoterm(terms.ConditionCode):
        return
    code, path = terms.ConditionCode, (*SHIPMENT, "TradeTerms", "ConditionCode")
    if code in EARLIER_INCOTERMS:
        yield rule_warning("INCOTERM_SUPERSEDED",
                           f"trade terms {code} is a rule of {EARLIER_INCOTERMS[code]}, not of Incoterms 2020; "
                           "valid if the contract says so", *path)
    else:
        yield rule_error("INCOTERM_UNKNOWN", f"trade terms {code!r} is not an Incoterms 2020 rule "
                                             f"({' '.join(sorted(refdata.INCOTERMS_2020))})", *path)


def gross_mass_not_below_net(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    for index, item in enumerate(goods_items(document)):
        measures = item.Commodity.GoodsMeasure if item.Commodity is not None else None
        gross = measures.GrossMassMeasure if measures is not None else None
        net = measures.NetNetWeightMeasure if measures is not None else None
        if gross is None or net is None:
            continue
        gross_unit, net_unit = gross.unitCode or "KGM", net.unitCode or "KGM"
        if gross_unit == net_unit:
            below = gross.value < net.value
        else:
            gross_kg, net_kg = in_kilograms(gross.value, gross_unit), in_kilograms(net.value, net_unit)
            below = gross_kg is not None and net_kg is not None and gross_kg < net_kg
        if below:
            yield rule_error("GROSS_MASS_BELOW_NET",
                             f"goods item {item.SequenceNumeric} gross mass {gross.value} {gross.unitCode or 'kg'} is "
                             f"below its net mass {net.value} {net.unitCode or 'kg'}",
                             *ITEMS, index, "Commodity", "GoodsMeasure", "GrossMassMeasure", "value")


def total_gross_mass_matches_items(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    """TOTAL_GROSS_MASS_MISMATCH (a warning) when every item gives its gross mass and they do
    not add up to the declaration's total. Units default to kilograms (DMS: DE 6/5, kg)."""
    declaration = document.Declaration
    declared = declaration.TotalGrossMassMeasure
    items = goods_items(document)
    if declared is None or not items or is_amendment(declaration):
        return
    total = Decimal(0)
    for item in items:
        measures = item.Commodity.GoodsMeasure if item.Commodity is not None else None
        gross = measures.GrossMassMeasure if measures is not None else None
        if gross is None:
            return
        kilograms = in_kilograms(gross.value, gross.unitCode or "KGM")
        if kilograms is None:
            return  # a unit the rules cannot convert: no comparison rather than a false alarm
        total += kilograms
    declared_kg = in_kilograms(declared.value, declared.unitCode or "KGM")
    if declared_kg is not None and declared_kg != total:
        yield rule_warning("TOTAL_GROSS_MASS_MISMATCH",
                           f"total gross mass {declared.value} {declared.unitCode or 'kg'} differs from the sum of "
                           f"the items' gross mass, {total.normalize():f} kg",
                           *DECLARATION, "TotalGrossMassMeasure", "value")


def container_check_digits_valid(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    """CONTAINER_CHECK_DIGIT for an equipment ID written as an ISO 6346 container number
    (owner code, category U, J or Z, seven digits) whose check digit is wrong. Other IDs
    (trailers, swap bodies, national references) are not containers and are not checked."""
    shipment = document.Declaration.GoodsShipment
    consignment = shipment.Consignment if shipment is not None else None
    places: list[tuple[str | None, PointerPath]] = [
        (unit.ID, (*CONSIGNMENT, "TransportEquipment", index, "ID"))
        for index, unit in enumerate((consignment.TransportEquipment or []) if consignment is not None else [])]
    for index, item in enumerate(goods_items(document)):
        places.extend((unit.ID, (*ITEMS, index, "Commodity", "TransportEquipment", position, "ID"))
                      for position, unit in enumerate((item.Commodity.TransportEquipment or [])
                                                      if item.Commodity is not None else []))
    for value, path in places:
        code = (value or "").strip()
        if _LOOKS_LIKE_CONTAINER.fullmatch(code) and not container_id_is_valid(code):
            yield rule_error("CONTAINER_CHECK_DIGIT",
                             f"container {code} fails the ISO 6346 check digit", *path)


def date_times_fit_format(document: GoodsDeclaration, context: RuleContext) -> Iterator[Finding]:
    yield from date_time_findings(document)


DECLARATION_V2: tuple[Rule, ...] = (
    goods_item_quantity_matches,
    sequences_consecutive,
    tariff_numbers_known,
    locations_known,
    trade_terms_known,
    gross_mass_not_below_net,
    total_gross_mass_matches_items,
    container_check_digits_valid,
    date_times_fit_format,
    *MONEY_RULES,
)
