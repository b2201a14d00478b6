"""What the customs service reads from a goods declaration, whatever its version.

Lodging (country, LRN, declarant), the risk lane, the ACDD and the certificate-of-origin
checks need a few facts of a declaration; ``facts_of`` reads them from a 1.0/1.1
declaration and from a 2.0 (WCO DM 3.6) one alike, so that no other module branches on
versions. Where the two differ:

- 2.0 follows WCO cardinality, so much that swx needs is optional there. What lodging needs
  (type code, LRN, declarant, the export or destination country that routes it, at least
  one goods item) is refused with a finding naming the WCO element when absent
  (``RequiredBySwx``); what only the ACDD needs is checked when an ACDD is built.
- The direction comes from ``type_codes`` (IM/EX, CO by procedure, national codes).
- The consignee is ``GoodsShipment/Consignee``, else the importer (1.x has only the importer).
- A goods item's tariff number is its first classification of an HS-based list (HS, TSP,
  GN, CV; 1.x: its one classification); its origins are every ``Origin`` with its WCO
  ``TypeCode`` (1 non-preferential, 2 preferential, as DMS codes DE 5/15 and 5/16).
"""

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.kernel.findings import Finding, Layer, Location
from services.kernel.messages.customs import Declaration as DeclarationV1
from services.kernel.messages.wco.declaration import GoodsDeclaration
from services.kernel.messages.wco.goods import GovernmentAgencyGoodsItemType
from services.kernel.rules.declaration_v2_money_rules import CERTIFICATE_OF_ORIGIN_CODES
from services.kernel.rules.wco_common import requested_procedures, shipment_country
from services.kernel.type_codes import Direction, UnknownTypeCode, direction_of

AnyDeclaration = DeclarationV1 | GoodsDeclaration
HS_BASED_LISTS = ("HS", "TSP", "GN", "CV")
"""Classification lists whose codes begin with the HS number, in the order they are preferred."""
HS_NUMBER = re.compile(r"^[0-9]{6}([0-9]{2}|[0-9]{3}|[0-9]{4})?$")
PREFERENTIAL, NON_PREFERENTIAL = "2", "1"
"""UN/EDIFACT 1001 document codes of a certificate of origin (an ATIGA e-Form D is one), as
``AdditionalDocument/TypeCode`` carries them (``N861``: category N, type 861)."""
DESTINATION_TERMS = frozenset({"CPT", "CIP", "CFR", "CIF", "DAP", "DPU", "DDP"})
"""Incoterms 2020 rules whose named place lies in the destination (C- and D-group); an E- or
F-group rule names a place in the export country."""
LODGED_FUNCTIONS = {"9": "original", "14": "advance notification"}


@dataclass(frozen=True)
class Address:
    line: str | None
    city: str | None
    postcode: str | None
    country: str | None


@dataclass(frozen=True)
class Party:
    id: str | None
    name: str | None
    address: Address | None
    path: str
    """JSON Pointer of the party in the declaration, e.g. ``/Declaration/Exporter``."""


@dataclass(frozen=True)
class Origin:
    country: str
    type_code: str | None


@dataclass(frozen=True)
class DocumentRef:
    category: str | None
    type_code: str | None
    id: str | None

    @property
    def is_certificate_of_origin(self) -> bool:
        return self.type_code is not None and self.type_code.strip() in CERTIFICATE_OF_ORIGIN_CODES


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str | None


@dataclass(frozen=True)
class Item:
    sequence: int
    path: str
    hs_code: str | None
    description: str | None
    origins: tuple[Origin, ...]
    quantity: Quantity | None
    """Net mass, else gross mass: what an ACDD states."""
    documents: tuple[DocumentRef, ...]

    @property
    def origin(self) -> Origin | None:
        """The country of origin: the non-preferential one, else the only one given."""
        plain = [o for o in self.origins if o.type_code in (None, NON_PREFERENTIAL)]
        return next(iter(plain or self.origins), None)

    @property
    def preferential_origin(self) -> Origin | None:
        return next((o for o in self.origins if o.type_code == PREFERENTIAL), None)


@dataclass(frozen=True)
class DeclarationFacts:
    document_type: str
    type_code: str
    direction: Direction
    lrn: str
    declarant_key: str
    """Declarant ID, or its name when it has none: with the country and LRN, the idempotency key."""
    export_country: str
    destination_country: str
    invoice: tuple[Decimal, str | None] | None
    declarant: Party | None
    exporter: Party | None
    consignee: Party | None
    consignor: Party | None
    issue_date: dt.date | None
    transport_mode: str | None
    discharge_location: str | None
    trade_terms_location: str | None
    documents: tuple[DocumentRef, ...]
    """Documents of the whole declaration (the items' own are on the items)."""
    items: tuple[Item, ...]
    root: str
    """JSON Pointer prefix of the declaration's own elements: ``""`` (1.x) or ``/Declaration`` (2.0)."""

    @property
    def is_wco(self) -> bool:
        return self.document_type.startswith("customs.declaration/2.")

    @property
    def lodging_country(self) -> str:
        """Whose customs takes the declaration: the export country's for an export, the destination's for an import."""
        return self.export_country if self.direction == "EX" else self.destination_country

    def certificate_of_origin(self, item: Item | None = None) -> DocumentRef | None:
        """The certificate of origin the item (else the whole declaration) refers to."""
        for document in (*(item.documents if item is not None else ()), *self.documents):
            if document.is_certificate_of_origin and document.id:
                return document
        return None


class RequiredBySwx(Exception):
    """Data the declaration's schema lets be absent, but that swx needs; the findings say what and where."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f.message for f in findings))
        self.findings = findings


def missing(code: str, pointer: str, why: str) -> Finding:
    """A finding for an element swx needs at ``pointer`` (a JSON Pointer, which is also the WCO path)."""
    return Finding(Layer.RULES, code, f"{pointer.lstrip('/')} is needed: {why}", location=Location(pointer=pointer))


def facts_of(declaration: AnyDeclaration) -> DeclarationFacts:
    """The facts of ``declaration``; RequiredBySwx when a 2.0 declaration lacks what lodging needs."""
    if isinstance(declaration, GoodsDeclaration):
        return _wco_facts(declaration)
    return _v1_facts(declaration)


# --- 1.0 and 1.1 ---------------------------------------------------------------------------------

def _v1_facts(declaration: DeclarationV1) -> DeclarationFacts:
    shipment = declaration.GoodsShipment
    consignment = shipment.Consignment
    unloading = consignment.UnloadingLocation if consignment is not None else None
    transport = declaration.BorderTransportMeans
    items = tuple(
        Item(sequence=item.SequenceNumeric, path=f"/GoodsShipment/GovernmentAgencyGoodsItem/{index}",
             hs_code=item.Commodity.Classification.ID, description=item.Commodity.Description,
             origins=(Origin(item.Origin.CountryCode, None),),
             quantity=_quantity(item.Commodity.GoodsMeasure.NetNetWeightMeasure
                                or item.Commodity.GoodsMeasure.GrossMassMeasure),
             documents=tuple(DocumentRef(d.CategoryCode, d.TypeCode, d.ID) for d in item.AdditionalDocument or ()))
        for index, item in enumerate(shipment.GovernmentAgencyGoodsItem))
    return DeclarationFacts(
        document_type=declaration.document_type, type_code=declaration.TypeCode,
        direction="EX" if declaration.TypeCode.startswith("EX") else "IM", lrn=declaration.FunctionalReferenceID,
        declarant_key=declaration.Declarant.ID or declaration.Declarant.Name,
        export_country=shipment.ExportCountry.ID, destination_country=shipment.Destination.CountryCode,
        invoice=(declaration.InvoiceAmount.value, declaration.InvoiceAmount.currencyID),
        declarant=_party(declaration.Declarant, "/Declarant"), exporter=_party(declaration.Exporter, "/Exporter"),
        consignee=_party(declaration.Importer, "/Importer"), consignor=None,
        issue_date=declaration.IssueDateTime.date(),
        transport_mode=transport.ModeCode if transport is not None else None,
        discharge_location=unloading.ID if unloading is not None else None,
        trade_terms_location=shipment.TradeTerms.LocationID, documents=(), items=items, root="",
    )


def _quantity(measure: Any) -> Quantity | None:
    return None if measure is None else Quantity(measure.value, measure.unitCode)


# --- 2.0 (WCO DM 3.6) ----------------------------------------------------------------------------

ROOT = "/Declaration"
SHIPMENT = f"{ROOT}/GoodsShipment"


def _party(party: Any, path: str) -> Party | None:
    """A 1.x ``PartyType`` or a WCO party: both name ID, Name and an Address alike."""
    if party is None:
        return None
    address = party.Address
    return Party(id=party.ID, name=party.Name, path=path, address=None if address is None else Address(
        line=address.Line, city=address.CityName, postcode=address.PostcodeID, country=address.CountryCode))


def _wco_facts(document: GoodsDeclaration) -> DeclarationFacts:
    declaration = document.Declaration
    shipment = declaration.GoodsShipment
    goods = list(shipment.GovernmentAgencyGoodsItem or ()) if shipment is not None else []
    problems: list[Finding] = []
    if declaration.FunctionCode not in LODGED_FUNCTIONS:
        problems.append(Finding(
            Layer.RULES, "FUNCTION_CODE_NOT_LODGED",
            f"Declaration/FunctionCode {declaration.FunctionCode} is not a declaration to lodge; customs takes an "
            "original (9) or an advance notification (14); an amendment or a cancellation of a lodged "
            "declaration is not taken here", location=Location(pointer=f"{ROOT}/FunctionCode")))
    lrn = declaration.FunctionalReferenceID
    if lrn is None:
        problems.append(missing("REQUIRED_BY_SWX", f"{ROOT}/FunctionalReferenceID",
                                "the LRN (DE 2/5) identifies the declaration with its declarant"))
    declarant = declaration.Declarant
    declarant_key = declarant.ID or declarant.Name if declarant is not None else None
    if declarant_key is None:
        problems.append(missing("REQUIRED_BY_SWX", f"{ROOT}/Declarant/ID",
                                "the declarant's identifier (DE 3/18), or its name, identifies who lodges it"))
    if not goods:
        problems.append(missing("REQUIRED_BY_SWX", f"{SHIPMENT}/GovernmentAgencyGoodsItem",
                                "a declaration lodged here declares at least one goods item"))
    export_country = shipment_country(shipment, goods, "ExportCountry")
    destination = shipment_country(shipment, goods, "Destination")
    type_code = _stripped(declaration.TypeCode)
    direction = _direction(type_code, goods, export_country, destination, problems)
    for code, where, side in ((export_country, f"{SHIPMENT}/ExportCountry/ID", "export"),
                              (destination, f"{SHIPMENT}/Destination/CountryCode", "destination")):
        if code is None:
            lodged = "an export is lodged with the export country's customs" if side == "export" else \
                "an import is lodged with the destination country's customs"
            why = lodged if (direction == "EX") == (side == "export") else \
                f"customs routes the declaration and its messages by the {side} country"
            problems.append(missing("REQUIRED_BY_SWX", where, why))
    if problems:
        raise RequiredBySwx(problems)
    assert lrn is not None
    assert declarant_key is not None
    assert direction is not None
    assert shipment is not None
    assert export_country is not None
    assert destination is not None
    invoice = declaration.InvoiceAmount
    consignee = _party(shipment.Consignee, f"{SHIPMENT}/Consignee") or \
        _party(shipment.Importer, f"{SHIPMENT}/Importer")
    consignor = _party(shipment.Consignor, f"{SHIPMENT}/Consignor")
    transport = declaration.BorderTransportMeans
    trade_terms = shipment.TradeTerms
    return DeclarationFacts(
        document_type=document.document_type, type_code=type_code or "", direction=direction, lrn=lrn,
        declarant_key=declarant_key, export_country=export_country, destination_country=destination,
        invoice=None if invoice is None else (invoice.value, invoice.currencyID),
        declarant=_party(declarant, f"{ROOT}/Declarant"), exporter=_party(declaration.Exporter,
                                                                                  f"{ROOT}/Exporter"),
        consignee=consignee, consignor=consignor, issue_date=_wco_date(shipment.ExitDateTime)
        or _wco_date(declaration.IssueDateTime),
        transport_mode=transport.ModeCode if transport is not None else None,
        # DMS has no place of unloading; C- and D-group trade terms name a place in the destination
        discharge_location=trade_terms.LocationID if trade_terms is not None
        and trade_terms.ConditionCode in DESTINATION_TERMS else None,
        trade_terms_location=trade_terms.LocationID if trade_terms is not None else None,
        documents=tuple(DocumentRef(d.CategoryCode, d.TypeCode, d.ID) for d in declaration.AdditionalDocument or ()),
        items=tuple(_wco_item(item, index) for index, item in enumerate(goods)), root=ROOT,
    )


def _direction(type_code: str | None, goods: Sequence[GovernmentAgencyGoodsItemType], export_country: str | None,
               destination: str | None, problems: list[Finding]) -> Direction | None:
    if type_code is None:
        problems.append(missing("REQUIRED_BY_SWX", f"{ROOT}/TypeCode",
                                "the declaration type (DE 1/1 and 1/2) says whether goods leave or arrive"))
        return None
    try:
        return direction_of(type_code, procedures=requested_procedures(goods), export_country=export_country,
                            destination_country=destination)
    except UnknownTypeCode as unknown:
        problems.append(Finding(Layer.RULES, "TYPE_CODE_UNKNOWN", f"Declaration/TypeCode: {unknown}",
                                location=Location(pointer=f"{ROOT}/TypeCode")))
        return None


def _wco_item(item: GovernmentAgencyGoodsItemType, index: int) -> Item:
    commodity = item.Commodity
    classifications = list(commodity.Classification or ()) if commodity is not None else []
    hs_code = None
    for listed in HS_BASED_LISTS:
        hs_code = next((c.ID.strip() for c in classifications if _stripped(c.IdentificationTypeCode) == listed
                        and c.ID is not None and HS_NUMBER.fullmatch(c.ID.strip())), None)
        if hs_code is not None:
            break
    measure = commodity.GoodsMeasure if commodity is not None else None
    mass = None if measure is None else (measure.NetNetWeightMeasure or measure.GrossMassMeasure)
    return Item(
        sequence=item.SequenceNumeric, path=f"{SHIPMENT}/GovernmentAgencyGoodsItem/{index}", hs_code=hs_code,
        description=commodity.Description if commodity is not None else None,
        origins=tuple(Origin(o.CountryCode, _stripped(o.TypeCode)) for o in item.Origin or ()
                      if o.CountryCode is not None),
        quantity=_quantity(mass),
        documents=tuple(DocumentRef(d.CategoryCode, d.TypeCode, d.ID) for d in item.AdditionalDocument or ()),
    )


def _stripped(code: str | None) -> str | None:
    """A DMS code without the spaces DMS lets surround it (``" EXA"`` is ``EXA``)."""
    return code.strip() or None if code is not None else None


def _wco_date(element: Any) -> dt.date | None:
    """The date of a WCO ``DateTimeString`` (format 102 ``CCYYMMDD`` or 304, which begins with it)."""
    if element is None:
        return None
    text = element.DateTimeString.value
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
