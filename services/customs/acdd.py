"""The ASEAN Customs Declaration Document an accepted export declaration produces.

The exporting customs sends it to the destination's customs ahead of the goods, so that
the import side can pre-arrive and risk-assess them (ACDD MIG 1.08). It is built from the
declaration's facts (``declaration_facts``), whatever the declaration's version:

- ``customs.acdd/1.0`` from every declaration; from a 2.0 declaration only what 1.0 can
  hold: identifiers, postcodes and document numbers in 1.0's identifier form (a WCO
  identifier may hold spaces, ``GB AEOC 14273/19``; 1.0's may not), masses to three
  decimals, a transport mode 1.0 knows (else 9, not known);
- ``customs.acdd/1.1`` from a 2.0 declaration when the receiver accepts it: 1.0 plus the
  consignor, every origin of each item with its WCO TypeCode (1 non-preferential, 2
  preferential) and the certificate of origin the item (else the whole declaration) refers
  to: an ``AdditionalDocument`` whose ``TypeCode`` is UN/EDIFACT 1001 861 or 864, e.g. an
  ATIGA e-Form D (``PreferenceCertificateID``, its number).

A 2.0 declaration may lack what an ACDD must state (WCO makes the exporter's name or a goods
item's origin optional); lodging it is then refused with a finding naming the WCO element
(``RequiredBySwx``), rather than sending the destination an ACDD it would refuse. As a last
guard the ACDD built is run through the engine as its receiver will run it.
"""

import re
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import ValidationError

from services.customs.declaration_facts import (
    NON_PREFERENTIAL,
    PREFERENTIAL,
    AnyDeclaration,
    DeclarationFacts,
    Item,
    Party,
    RequiredBySwx,
    facts_of,
    missing,
)
from services.kernel import canonical
from services.kernel.findings import Finding, Layer, Location
from services.kernel.messages.customs import (
    ACDD,
    ACDDV1_1,
    ACDDGoodsItemType,
    ACDDGoodsItemV1_1,
    ACDDOriginType,
    AddressType,
    PartyType,
)
from services.kernel.messages.types import Document, Measure
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.validation import validate

UNKNOWN_MODE: Literal["9"] = "9"
"""UN/ECE Recommendation 19 'mode of transport not known': said rather than guessed when the
declaration has no border transport means."""
MODES_1_0 = frozenset({"1", "2", "3", "4", "5", "7", "8", "9"})
IDENTIFIER_1_0 = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,34}$")
LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
UNIT_1_0 = re.compile(r"^[A-Z0-9]{2,3}$")
MASS_UNIT = "KGM"
"""WCO states goods masses in kilograms (DE 6/1, 6/5); a DMS mass without a unit is in them."""
CODE = "REQUIRED_FOR_ACDD"


def acdd_for(declaration: AnyDeclaration | DeclarationFacts, *, mrn: str, issued_at: datetime,
             version: str = "1.0") -> Document:
    """The ACDD (``version`` 1.0 or 1.1) of export declaration ``declaration``, accepted under ``mrn``;
    RequiredBySwx when the declaration lacks what it must state."""
    facts = declaration if isinstance(declaration, DeclarationFacts) else facts_of(declaration)
    acdd = _acdd_v1_0(facts, mrn=mrn, issued_at=issued_at, discharge_required=version == "1.0")
    if version == "1.0":
        return acdd
    return ACDDV1_1(
        **{name: getattr(acdd, name) for name in ACDD.model_fields
           if name not in ("document_type", "GoodsItem", "DischargeLocationID")},
        DischargeLocationID=acdd.DischargeLocationID if _named_discharge(facts) else None,
        Consignor=party_1_0(facts.consignor, [], role="GoodsShipment/Consignor", root=facts.root)
        if facts.consignor is not None and facts.consignor.name is not None else None,
        GoodsItem=[_item_v1_1(item, facts, base) for item, base in zip(facts.items, acdd.GoodsItem, strict=True)],
    )


def _item_v1_1(item: Item, facts: DeclarationFacts, base: ACDDGoodsItemType) -> ACDDGoodsItemV1_1:
    """The 1.0 item with every origin the item declares (a WCO origin without a TypeCode is its
    non-preferential one, DE 5/15) and the certificate of origin it refers to, if any."""
    origins = [ACDDOriginType(CountryCode=o.country, TypeCode=o.type_code or NON_PREFERENTIAL)  # type: ignore[arg-type]
               for o in item.origins if o.type_code in (None, NON_PREFERENTIAL, PREFERENTIAL)]
    # a certificate (the item's, else the declaration's) is the preference claimed: only on a preferential item
    certificate = facts.certificate_of_origin(item) if item.preferential_origin is not None else None
    reference = certificate.id.strip() if certificate is not None and certificate.id is not None else None
    return ACDDGoodsItemV1_1(
        **{name: getattr(base, name) for name in ACDDGoodsItemType.model_fields}, Origin=origins or None,
        PreferenceCertificateID=reference if reference is not None and IDENTIFIER_1_0.fullmatch(reference) else None)


def checked_acdd(facts: DeclarationFacts, *, mrn: str, issued_at: datetime, receiver: str,
                 accepts: Callable[[str], bool]) -> tuple[Document, MessageType]:
    """The ACDD for ``receiver`` in the newest version it accepts (1.1 for a 2.0 declaration when
    ``accepts("customs.acdd/1.1")``, else 1.0), checked as the receiver will check it."""
    version = "1.1" if facts.is_wco and accepts("customs.acdd/1.1") else "1.0"
    message_type = REGISTRY.get("customs.acdd", version)
    try:
        acdd = acdd_for(facts, mrn=mrn, issued_at=issued_at, version=version)
    except ValidationError as unfit:  # a 2.0 value the ACDD cannot hold (a goods item numbered 0, a huge mass)
        raise RequiredBySwx([_refused(facts, f"the {message_type.key} this declaration produces cannot hold "
                                             f"{'/'.join(map(str, error['loc']))}: {error['msg']}")
                             for error in unfit.errors()]) from None
    report = validate(canonical.json_text(acdd).encode("utf-8"), media_type="application/json",
                      expected_type=message_type, serialized_here=True)
    if report.errors:
        raise RequiredBySwx([_refused(facts, f"the {message_type.key} this declaration produces would be refused by "
                                             f"{receiver}: {f.code} at {f.location or 'the document'}: {f.message}")
                             for f in report.errors])
    return acdd, message_type


def _refused(facts: DeclarationFacts, message: str) -> Finding:
    return Finding(Layer.RULES, "ACDD_WOULD_BE_REFUSED", message, location=Location(pointer=facts.root or "/"))


def _acdd_v1_0(facts: DeclarationFacts, *, mrn: str, issued_at: datetime, discharge_required: bool = True) -> ACDD:
    """The 1.0 ACDD; unless ``discharge_required``, a port of discharge the declaration does not
    name stands as the placeholder ``UNKNOWN_PORT`` (the caller drops it)."""
    problems: list[Finding] = []
    exporter = party_1_0(facts.exporter, problems, role="Exporter", root=facts.root)
    consignee = party_1_0(facts.consignee, problems, role="GoodsShipment/Consignee", root=facts.root)
    declarant = party_1_0(facts.declarant, problems, role="Declarant", root=facts.root)
    discharge = discharge_location(facts, problems) if discharge_required or _named_discharge(facts) \
        else UNKNOWN_PORT
    items = [item_1_0(item, problems) for item in facts.items]
    if problems:
        raise RequiredBySwx(problems)
    assert exporter is not None
    assert consignee is not None
    assert declarant is not None
    assert discharge is not None
    return ACDD(
        ID=f"ACDD-{mrn}", IssueDateTime=issued_at, ExportDeclarationID=mrn,
        ExportCountryCode=facts.export_country, DestinationCountryCode=facts.destination_country,
        Exporter=exporter, Consignee=consignee, Declarant=declarant,
        DepartureDate=facts.issue_date or issued_at.date(),
        TransportModeCode=transport_mode(facts),  # type: ignore[arg-type]  # one of MODES_1_0
        DischargeLocationID=discharge, PermitID=permits(facts) or None,
        GoodsItem=[item for item in items if item is not None],
    )


def transport_mode(facts: DeclarationFacts) -> str:
    mode = facts.transport_mode
    return mode if mode in MODES_1_0 else UNKNOWN_MODE


UNKNOWN_PORT = "ZZZZZ"
"""Stands for a port of discharge not named while the 1.0 fields are built; never sent."""


def _named_discharge(facts: DeclarationFacts) -> bool:
    """Whether the declaration names the port of discharge (1.x: its unloading location; 2.0: the
    named place of C- or D-group trade terms, which lies in the destination)."""
    place = facts.discharge_location
    return place is not None and LOCODE.fullmatch(place.strip()) is not None


def discharge_location(facts: DeclarationFacts, problems: list[Finding]) -> str | None:
    """The port of discharge; without an unloading location (WCO DMS has none), the trade terms'
    named place is the best known."""
    # a 2.0 declaration's E- or F-group trade terms name a place of loading: never the port of discharge
    place = facts.discharge_location if facts.is_wco else facts.discharge_location or facts.trade_terms_location
    if place is not None and LOCODE.fullmatch(place.strip()):
        return place.strip()
    where = f"{facts.root}/GoodsShipment/TradeTerms/LocationID"
    named = facts.trade_terms_location
    problems.append(missing(CODE, where, "an ACDD 1.0 names the port of discharge as a UN/LOCODE, which a WCO "
                                        "declaration gives as the named place of C- or D-group trade terms (CIF, "
                                        "CFR, CPT, CIP, DAP, DPU, DDP)" + ("" if named is None else
                                                                           f"; found {named!r}")))
    return None


def permits(facts: DeclarationFacts) -> list[str]:
    documents = [*(d for item in facts.items for d in item.documents), *facts.documents]
    return [i for i in dict.fromkeys((d.id or "").strip() for d in documents) if IDENTIFIER_1_0.fullmatch(i)]


def party_1_0(party: Party | None, problems: list[Finding], *, role: str, root: str) -> PartyType | None:
    """The party as 1.0 holds it; its name is required, its identifier and address only when 1.0 can hold them."""
    if party is None or party.name is None:
        path = f"{party.path}/Name" if party is not None else f"{root}/{role}/Name"
        problems.append(missing(CODE, path, f"the ACDD names the {role.rsplit('/', 1)[-1].lower()}"))
        return None
    address = party.address
    whole = address is not None and None not in (address.line, address.city, address.country)
    return PartyType(
        ID=party.id if party.id is not None and IDENTIFIER_1_0.fullmatch(party.id) else None, Name=party.name,
        Address=AddressType(Line=address.line, CityName=address.city, CountryCode=address.country,  # type: ignore[arg-type]
                            PostcodeID=address.postcode if address.postcode is not None
                            and IDENTIFIER_1_0.fullmatch(address.postcode) else None)
        if whole and address is not None else None,
    )


def item_1_0(item: Item, problems: list[Finding]) -> ACDDGoodsItemType | None:
    found = len(problems)
    if item.hs_code is None:
        problems.append(missing(CODE, f"{item.path}/Commodity/Classification",
                                f"the ACDD states goods item {item.sequence}'s HS code (a classification of "
                                "type HS, TSP or GN whose ID is a 6 to 10 digit tariff number)"))
    if item.description is None:
        problems.append(missing(CODE, f"{item.path}/Commodity/Description",
                                f"the ACDD describes goods item {item.sequence}"))
    quantity = quantity_1_0(item)
    if quantity is None:
        problems.append(missing(CODE, f"{item.path}/Commodity/GoodsMeasure/NetNetWeightMeasure",
                                f"the ACDD states goods item {item.sequence}'s net (or gross) mass"))
    origin = item.origin
    if origin is None:
        problems.append(missing(CODE, f"{item.path}/Origin/CountryCode",
                                f"the ACDD states goods item {item.sequence}'s country of origin"))
    if len(problems) > found:
        return None
    assert item.hs_code is not None
    assert item.description is not None
    assert quantity is not None
    assert origin is not None
    return ACDDGoodsItemType(SequenceNumeric=item.sequence, HSCode=item.hs_code, Description=item.description,
                             Quantity=quantity, OriginCountryCode=origin.country)


def quantity_1_0(item: Item) -> Measure | None:
    """The net mass, which is what ACDD quantities state (the gross mass when no net mass was
    declared), to the three decimals 1.0 holds."""
    quantity = item.quantity
    if quantity is None:
        return None
    unit = (quantity.unit or MASS_UNIT).split("#", 1)[0]
    value, exponent = quantity.value, quantity.value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -3:
        value = value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    return Measure(value=value, unitCode=unit if UNIT_1_0.fullmatch(unit) else MASS_UNIT)
