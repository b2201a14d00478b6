"""Business rules: each valid document passes, each broken one gets exactly its finding.

Every test runs the whole rule set of the type, so a test also shows that no other rule
fires on the same fault, and checks that each finding's JSON Pointer resolves in the
document's JSON form.
"""

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.kernel.findings import Finding, Severity
from services.kernel.messages.customs import ResponseErrorType
from services.kernel.messages.types import Document
from services.kernel.registry import REGISTRY
from services.kernel.rules import (
    Rule,
    RuleContext,
    customs_rules,
    exchange_rules,
    immigration_rules,
    port_rules,
)
from services.kernel.rules.catalogue import RULE_CODES

ITEMS = "/GoodsShipment/GovernmentAgencyGoodsItem"
RULES_DIR = Path(customs_rules.__file__).parent


def _resolve(document: Document, pointer: str) -> Any:
    node: Any = document.model_dump(mode="json")
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def run(rules: Iterable[Rule], document: Document, **related: Any) -> list[Finding]:
    context = RuleContext(related=related)
    found = [finding for rule in rules for finding in rule(document, context)]
    for finding in found:
        _resolve(document, finding.location.pointer or "")  # raises when the pointer is wrong
    return found


def where(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return [(finding.code, finding.location.pointer) for finding in findings]


VALID = [
    ("declaration", customs_rules.DECLARATION),
    ("response", customs_rules.RESPONSE),
    ("acdd", customs_rules.ACDD),
    ("certificate", customs_rules.CERTIFICATE_OF_ORIGIN),
    ("manifest", immigration_rules.MANIFEST),
    ("api_response", immigration_rules.API_RESPONSE),
    ("vessel_call", port_rules.VESSEL_CALL),
    ("clearance", port_rules.CLEARANCE),
    ("envelope", exchange_rules.ENVELOPE),
]


@pytest.mark.parametrize(("fixture", "rules"), VALID)
def test_valid_document_has_no_finding(
    fixture: str, rules: tuple[Rule, ...], request: pytest.FixtureRequest
) -> None:
    assert run(rules, request.getfixturevalue(fixture)) == []


@pytest.mark.parametrize(
    "type_id",
    [
        "customs.declaration/1.0",
        "customs.declaration/1.1",
        "customs.declaration/2.0",
        "customs.response/1.0",
        "customs.response/2.0",
        "customs.acdd/1.0",
        "customs.acdd/1.1",
        "customs.certificate-of-origin",
        "immigration.passenger-manifest",
        "immigration.api-response",
        "port.vessel-call",
        "port.clearance",
        "exchange.envelope",
    ],
)
def test_registry_carries_rules_for_every_business_type(type_id: str) -> None:
    assert REGISTRY.get(type_id).rules


def test_catalogue_lists_exactly_the_codes_the_rules_use() -> None:
    used = set()
    for path in RULES_DIR.glob("*.py"):
        used |= set(re.findall(r'rule_(?:error|warning)\(\s*"([A-Z_]+)"', path.read_text(encoding="utf-8")))
    assert used == set(RULE_CODES)


# --- customs declaration ---------------------------------------------------------------


def test_country_unknown_in_party_address_and_origin(declaration: Any) -> None:
    declaration.Importer.Address.CountryCode = "XV"
    declaration.GoodsShipment.GovernmentAgencyGoodsItem[1].Origin.CountryCode = "XX"
    found = run(customs_rules.DECLARATION, declaration)
    assert where(found) == [
        ("COUNTRY_UNKNOWN", "/Importer/Address/CountryCode"),
        ("COUNTRY_UNKNOWN", f"{ITEMS}/1/Origin/CountryCode"),
    ]
    assert "'XV'" in found[0].message


def test_currency_unknown(declaration: Any) -> None:
    declaration.InvoiceAmount.currencyID = "ABC"
    for item in declaration.GoodsShipment.GovernmentAgencyGoodsItem:
        item.Commodity.InvoiceLine.ItemChargeAmount.currencyID = "ABC"
    assert where(run(customs_rules.DECLARATION, declaration)) == [
        ("CURRENCY_UNKNOWN", "/InvoiceAmount/currencyID"),
        *[
            ("CURRENCY_UNKNOWN", f"{ITEMS}/{i}/Commodity/InvoiceLine/ItemChargeAmount/currencyID")
            for i in range(3)
        ],
    ]


def test_locode_unknown_in_trade_terms(declaration: Any) -> None:
    declaration.GoodsShipment.TradeTerms.LocationID = "THZZZ"
    assert where(run(customs_rules.DECLARATION, declaration)) == [
        ("LOCODE_UNKNOWN", "/GoodsShipment/TradeTerms/LocationID")
    ]


@pytest.mark.parametrize("hs_code", ["999999", "85171200"])
def test_hs_code_unknown(declaration: Any, hs_code: str) -> None:
    declaration.GoodsShipment.GovernmentAgencyGoodsItem[2].Commodity.Classification.ID = hs_code
    found = run(customs_rules.DECLARATION, declaration)
    assert where(found) == [("HS_CODE_UNKNOWN", f"{ITEMS}/2/Commodity/Classification/ID")]
    assert "HS 2022" in found[0].message


def test_incoterm_unknown(declaration: Any) -> None:
    declaration.GoodsShipment.TradeTerms.ConditionCode = "DAT"
    assert where(run(customs_rules.DECLARATION, declaration)) == [
        ("INCOTERM_UNKNOWN", "/GoodsShipment/TradeTerms/ConditionCode")
    ]


def test_goods_item_quantity_mismatch(declaration: Any) -> None:
    declaration.GoodsItemQuantity = 4
    found = run(customs_rules.DECLARATION, declaration)
    assert where(found) == [("GOODS_ITEM_QUANTITY_MISMATCH", "/GoodsItemQuantity")]
    assert "4" in found[0].message
    assert "3 goods items" in found[0].message


def test_invoice_amount_mismatch(declaration: Any) -> None:
    declaration.InvoiceAmount.value = Decimal("69050.00")
    found = run(customs_rules.DECLARATION, declaration)
    assert where(found) == [("INVOICE_AMOUNT_MISMATCH", "/InvoiceAmount/value")]
    assert found[0].message == (
        "invoice amount 69050.00 USD differs from the sum of item amounts 69000.00 USD"
    )


def test_invoice_currency_mismatch_replaces_the_sum_check(declaration: Any) -> None:
    declaration.GoodsShipment.GovernmentAgencyGoodsItem[
        1
    ].Commodity.InvoiceLine.ItemChargeAmount.currencyID = "THB"
    assert where(run(customs_rules.DECLARATION, declaration)) == [
        ("INVOICE_CURRENCY_MISMATCH", f"{ITEMS}/1/Commodity/InvoiceLine/ItemChargeAmount/currencyID")
    ]


def test_gross_mass_below_net(declaration: Any) -> None:
    declaration.GoodsShipment.GovernmentAgencyGoodsItem[
        0
    ].Commodity.GoodsMeasure.NetNetWeightMeasure.value = Decimal("200.000")
    found = run(customs_rules.DECLARATION, declaration)
    assert where(found) == [
        ("GROSS_MASS_BELOW_NET", f"{ITEMS}/0/Commodity/GoodsMeasure/GrossMassMeasure/value")
    ]
    assert "180.000 KGM" in found[0].message
    assert "200.000 KGM" in found[0].message


@pytest.mark.parametrize(("gross", "below"), [("0.1", True), ("0.2", False)])
def test_gross_mass_below_net_converts_tonnes(declaration: Any, gross: str, below: bool) -> None:
    measure = declaration.GoodsShipment.GovernmentAgencyGoodsItem[0].Commodity.GoodsMeasure.GrossMassMeasure
    measure.value, measure.unitCode = Decimal(gross), "TNE"
    codes = [finding.code for finding in run(customs_rules.DECLARATION, declaration)]
    assert ("GROSS_MASS_BELOW_NET" in codes) is below


def test_gross_mass_in_unconvertible_units_is_not_compared(declaration: Any) -> None:
    measure = declaration.GoodsShipment.GovernmentAgencyGoodsItem[
        0
    ].Commodity.GoodsMeasure.NetNetWeightMeasure
    measure.value, measure.unitCode = Decimal("500"), "LBR"
    assert run(customs_rules.DECLARATION, declaration) == []


def test_total_gross_mass_mismatch_is_a_warning(declaration: Any) -> None:
    declaration.TotalGrossMassMeasure.value = Decimal("30000.000")
    found = run(customs_rules.DECLARATION, declaration)
    assert where(found) == [("TOTAL_GROSS_MASS_MISMATCH", "/TotalGrossMassMeasure/value")]
    assert found[0].severity is Severity.WARNING
    assert "30630 KGM" in found[0].message


def test_total_gross_mass_in_tonnes_matches(declaration: Any) -> None:
    declaration.TotalGrossMassMeasure.value, declaration.TotalGrossMassMeasure.unitCode = (
        Decimal("30.63"),
        "TNE",
    )
    assert run(customs_rules.DECLARATION, declaration) == []


def test_goods_item_sequence_not_consecutive(declaration: Any) -> None:
    declaration.GoodsShipment.GovernmentAgencyGoodsItem[1].SequenceNumeric = 3
    declaration.GoodsShipment.GovernmentAgencyGoodsItem[2].SequenceNumeric = 4
    found = run(customs_rules.DECLARATION, declaration)
    assert where(found) == [("SEQUENCE_NUMBER_NOT_CONSECUTIVE", f"{ITEMS}/1/SequenceNumeric")]


def test_container_check_digit(declaration: Any) -> None:
    declaration.GoodsShipment.Consignment.TransportEquipment[0].ID = "CSQU3054384"
    assert where(run(customs_rules.DECLARATION, declaration)) == [
        ("CONTAINER_CHECK_DIGIT", "/GoodsShipment/Consignment/TransportEquipment/0/ID")
    ]


def test_equipment_that_is_no_container_is_not_checked(declaration: Any) -> None:
    declaration.GoodsShipment.Consignment.TransportEquipment[0].ID = "70C12345"  # a Thai trailer plate
    assert run(customs_rules.DECLARATION, declaration) == []


def test_export_country_differs_from_exporter_address(declaration: Any) -> None:
    declaration.GoodsShipment.ExportCountry.ID = "KH"
    found = run(customs_rules.DECLARATION, declaration)
    assert where(found) == [("DECLARATION_DIRECTION", "/GoodsShipment/ExportCountry/ID")]
    assert found[0].severity is Severity.WARNING


def test_import_destination_differs_from_importer_address(declaration: Any) -> None:
    declaration.TypeCode = "IMA"
    assert run(customs_rules.DECLARATION, declaration) == []
    declaration.GoodsShipment.Destination.CountryCode = "LA"
    assert where(run(customs_rules.DECLARATION, declaration)) == [
        ("DECLARATION_DIRECTION", "/GoodsShipment/Destination/CountryCode")
    ]


# --- customs response, ACDD, certificate of origin ---------------------------------------


def test_rejection_without_errors(response: Any) -> None:
    response.FunctionCode = "03"
    assert where(run(customs_rules.RESPONSE, response)) == [("RESPONSE_ERRORS_REQUIRED", "/Error")]
    response.Error = [
        ResponseErrorType(ValidationCode="HS_CODE_UNKNOWN", Description="HS 999999 is not HS 2022")
    ]
    assert run(customs_rules.RESPONSE, response) == []


def test_response_duty_currency_unknown(response: Any) -> None:
    response.DutyTaxFee[0].TaxAssessedAmount.currencyID = "VNX"
    assert where(run(customs_rules.RESPONSE, response)) == [
        ("CURRENCY_UNKNOWN", "/DutyTaxFee/0/TaxAssessedAmount/currencyID")
    ]


@pytest.mark.parametrize(
    ("field", "value", "code", "pointer"),
    [
        ("OriginCountryCode", "XX", "COUNTRY_UNKNOWN", "/GoodsItem/1/OriginCountryCode"),
        ("HSCode", "99999900", "HS_CODE_UNKNOWN", "/GoodsItem/1/HSCode"),
        ("SequenceNumeric", 5, "SEQUENCE_NUMBER_NOT_CONSECUTIVE", "/GoodsItem/1/SequenceNumeric"),
    ],
)
def test_acdd_item_rules(acdd: Any, field: str, value: Any, code: str, pointer: str) -> None:
    setattr(acdd.GoodsItem[1], field, value)
    assert where(run(customs_rules.ACDD, acdd)) == [(code, pointer)]


def test_acdd_port_of_discharge_unknown(acdd: Any) -> None:
    acdd.DischargeLocationID = "VNZZZ"
    assert where(run(customs_rules.ACDD, acdd)) == [("LOCODE_UNKNOWN", "/DischargeLocationID")]


@pytest.mark.parametrize(
    ("field", "value", "code", "pointer"),
    [
        ("HSCode", "999999", "HS_CODE_UNKNOWN", "/GoodsItem/0/HSCode"),
        ("SequenceNumeric", 2, "SEQUENCE_NUMBER_NOT_CONSECUTIVE", "/GoodsItem/0/SequenceNumeric"),
    ],
)
def test_certificate_item_rules(certificate: Any, field: str, value: Any, code: str, pointer: str) -> None:
    setattr(certificate.GoodsItem[0], field, value)
    assert where(run(customs_rules.CERTIFICATE_OF_ORIGIN, certificate)) == [(code, pointer)]


def test_certificate_codes_unknown(certificate: Any) -> None:
    certificate.Transport.DischargeLocationID = "VNZZZ"
    certificate.GoodsItem[1].FOBValueAmount.currencyID = "USX"
    certificate.Consignee.Address.CountryCode = "XV"
    assert sorted(where(run(customs_rules.CERTIFICATE_OF_ORIGIN, certificate))) == [
        ("COUNTRY_UNKNOWN", "/Consignee/Address/CountryCode"),
        ("CURRENCY_UNKNOWN", "/GoodsItem/1/FOBValueAmount/currencyID"),
        ("LOCODE_UNKNOWN", "/Transport/DischargeLocationID"),
    ]


def test_certificate_issued_outside_the_export_country(certificate: Any) -> None:
    certificate.IssuingAuthority.CountryCode = "VN"
    assert where(run(customs_rules.CERTIFICATE_OF_ORIGIN, certificate)) == [
        ("CO_COUNTRY_ORIGIN", "/IssuingAuthority/CountryCode")
    ]


@pytest.mark.parametrize(
    ("form", "export_country", "import_country", "pointer"),
    [
        ("D", "TH", "VN", None),
        ("D", "MM", "LA", None),
        ("D", "TH", "JP", "/ImportCountryCode"),
        ("D", "CN", "VN", "/ExportCountryCode"),
        ("AJ", "JP", "VN", None),
        ("AJ", "KH", "JP", None),
        ("AJ", "JP", "US", "/ImportCountryCode"),
        ("AJ", "CN", "JP", "/ExportCountryCode"),
        ("AJ", "TH", "VN", "/FormTypeCode"),
    ],
)
def test_preference_scope(
    make_certificate: Any, form: str, export_country: str, import_country: str, pointer: str | None
) -> None:
    certificate = make_certificate(form=form, export_country=export_country, import_country=import_country)
    expected = [] if pointer is None else [("CO_PREFERENCE_SCOPE", pointer)]
    assert where(run(customs_rules.CERTIFICATE_OF_ORIGIN, certificate)) == expected


def test_certificate_item_not_in_declaration(certificate: Any, declaration: Any) -> None:
    declaration.ID = certificate.DeclarationID
    certificate.GoodsItem[1].HSCode = "401110"  # tyres: not declared
    found = run(customs_rules.CERTIFICATE_OF_ORIGIN, certificate, declaration=declaration)
    assert where(found) == [("CO_ITEM_NOT_IN_DECLARATION", "/GoodsItem/1/HSCode")]
    assert run(customs_rules.CERTIFICATE_OF_ORIGIN, certificate) == []  # no declaration known: no check
    certificate.DeclarationID = None
    assert run(customs_rules.CERTIFICATE_OF_ORIGIN, certificate, declaration=declaration) == []


def test_certificate_differs_from_its_declaration(certificate: Any, declaration: Any) -> None:
    declaration.ID = certificate.DeclarationID
    declaration.Exporter.Name = "SIAM RUBBER &  ELECTRONICS CO., LTD."  # same name, other case and spacing
    assert run(customs_rules.CERTIFICATE_OF_ORIGIN, certificate, declaration=declaration) == []
    declaration.Exporter.Name = "Thai Agro Export Co., Ltd."
    declaration.GoodsShipment.Destination.CountryCode = "KH"
    declaration.ID = "24TH28010EX0000999"
    assert where(run(customs_rules.CERTIFICATE_OF_ORIGIN, certificate, declaration=declaration)) == [
        ("CO_DECLARATION_MISMATCH", "/DeclarationID"),
        ("CO_DECLARATION_MISMATCH", "/Exporter/Name"),
        ("CO_DECLARATION_MISMATCH", "/ImportCountryCode"),
    ]


# --- immigration ------------------------------------------------------------------------


def test_manifest_nationality_unknown_but_stateless_passes(manifest: Any) -> None:
    manifest.Person[1].NationalityCode = "XXA"
    assert run(immigration_rules.MANIFEST, manifest) == []
    manifest.Person[1].TravelDocument[0].IssuerCountryCode = "ABC"
    assert where(run(immigration_rules.MANIFEST, manifest)) == [
        ("COUNTRY_UNKNOWN", "/Person/1/TravelDocument/0/IssuerCountryCode")
    ]


def test_manifest_checks_only_five_letter_locations_as_locodes(manifest: Any) -> None:
    manifest.Person[0].EmbarkationLocationID = "ZZZ"
    manifest.Person[1].EmbarkationLocationID = "THZZZ"
    assert where(run(immigration_rules.MANIFEST, manifest)) == [
        ("LOCODE_UNKNOWN", "/Person/1/EmbarkationLocationID")
    ]


def test_person_sequence_not_consecutive(manifest: Any) -> None:
    manifest.Person[0].SequenceNumeric = 2
    manifest.Person[1].SequenceNumeric = 1
    assert where(run(immigration_rules.MANIFEST, manifest)) == [
        ("SEQUENCE_NUMBER_NOT_CONSECUTIVE", "/Person/0/SequenceNumeric")
    ]


def test_person_count_mismatch_is_a_warning(manifest: Any) -> None:
    manifest.TotalPersonQuantity = 4
    found = run(immigration_rules.MANIFEST, manifest)
    assert where(found) == [("PERSON_COUNT_MISMATCH", "/TotalPersonQuantity")]
    assert found[0].severity is Severity.WARNING


def test_document_expired_before_arrival(manifest: Any) -> None:
    manifest.Person[2].TravelDocument[0].ExpiryDate = dt.date(2024, 3, 20)  # valid on the day itself
    assert run(immigration_rules.MANIFEST, manifest) == []
    manifest.Person[2].TravelDocument[0].ExpiryDate = dt.date(2024, 3, 19)
    found = run(immigration_rules.MANIFEST, manifest)
    assert where(found) == [("DOCUMENT_EXPIRED", "/Person/2/TravelDocument/0/ExpiryDate")]
    assert "2024-03-19" in found[0].message
    assert "2024-03-20" in found[0].message


def test_travel_date_falls_back_to_departure(manifest: Any) -> None:
    manifest.Person[2].TravelDocument[0].ExpiryDate = dt.date(2024, 3, 19)
    manifest.Transport.ArrivalDateTime = None
    manifest.Transport.DepartureDateTime = dt.datetime(2024, 3, 18, 23, 0, tzinfo=dt.UTC)
    assert run(immigration_rules.MANIFEST, manifest) == []
    manifest.Transport.DepartureDateTime = None
    assert run(immigration_rules.MANIFEST, manifest) == []  # no travel date: nothing to compare


def test_birth_date_after_travel(manifest: Any) -> None:
    manifest.Person[2].BirthDate = dt.date(2024, 3, 21)
    assert where(run(immigration_rules.MANIFEST, manifest)) == [
        ("BIRTH_DATE_AFTER_TRAVEL", "/Person/2/BirthDate")
    ]


@pytest.mark.parametrize(
    ("position", "field"),
    [
        (9, "document number"),
        (19, "birth date"),
        (27, "expiry date"),
        (42, "optional data"),
        (43, "composite"),
    ],
)
def test_mrz_check_digit_says_which_check_failed(manifest: Any, position: int, field: str) -> None:
    lines = manifest.Person[0].TravelDocument[0].MRZLine
    lines[1] = lines[1][:position] + ("9" if lines[1][position] != "9" else "8") + lines[1][position + 1 :]
    found = run(immigration_rules.MANIFEST, manifest)
    assert {code for code, _ in where(found)} == {"MRZ_CHECK_DIGIT"}
    assert found[0].location.pointer == "/Person/0/TravelDocument/0/MRZLine/1"
    assert f"{field} check digit" in found[0].message


def test_mrz_format(manifest: Any) -> None:
    manifest.Person[0].TravelDocument[0].MRZLine[1] += "<<"
    assert where(run(immigration_rules.MANIFEST, manifest)) == [
        ("MRZ_FORMAT", "/Person/0/TravelDocument/0/MRZLine")
    ]


def test_mrz_mismatch_with_document_and_person(manifest: Any) -> None:
    manifest.Person[0].TravelDocument[0].ID = "AA1234568"
    manifest.Person[0].BirthDate = dt.date(1985, 5, 13)
    manifest.Person[0].TravelDocument[0].ExpiryDate = dt.date(2029, 7, 15)
    assert where(run(immigration_rules.MANIFEST, manifest)) == [
        ("MRZ_MISMATCH", "/Person/0/TravelDocument/0/ID"),
        ("MRZ_MISMATCH", "/Person/0/BirthDate"),
        ("MRZ_MISMATCH", "/Person/0/TravelDocument/0/ExpiryDate"),
    ]


def test_no_board_without_reason(api_response: Any) -> None:
    api_response.PersonDecision[1].ReasonCode = None
    assert where(run(immigration_rules.API_RESPONSE, api_response)) == [
        ("API_NO_BOARD_REASON", "/PersonDecision/1/ReasonCode")
    ]


# --- port -------------------------------------------------------------------------------


def test_vessel_call_codes_unknown(vessel_call: Any) -> None:
    vessel_call.Ship.FlagStateCode = "XX"
    vessel_call.Crew[1].NationalityCode = "ABC"
    vessel_call.LastPortOfCallID = "KHZZZ"
    vessel_call.Passenger[0].EmbarkationPortID = "KHZZY"
    assert where(run(port_rules.VESSEL_CALL, vessel_call)) == [
        ("COUNTRY_UNKNOWN", "/Ship/FlagStateCode"),
        ("COUNTRY_UNKNOWN", "/Crew/1/NationalityCode"),
        ("LOCODE_UNKNOWN", "/LastPortOfCallID"),
        ("LOCODE_UNKNOWN", "/Passenger/0/EmbarkationPortID"),
    ]


def test_ship_imo_check_digit(vessel_call: Any) -> None:
    vessel_call.Ship.IMOID = "9319467"
    assert where(run(port_rules.VESSEL_CALL, vessel_call)) == [("IMO_CHECK_DIGIT", "/Ship/IMOID")]


def test_crew_count_mismatch(vessel_call: Any) -> None:
    vessel_call.CrewQuantity = 3
    assert where(run(port_rules.VESSEL_CALL, vessel_call)) == [("CREW_COUNT_MISMATCH", "/CrewQuantity")]


def test_passenger_count_mismatch_counts_an_absent_list_as_none(vessel_call: Any) -> None:
    vessel_call.Passenger = None
    found = run(port_rules.VESSEL_CALL, vessel_call)
    assert where(found) == [("PASSENGER_COUNT_MISMATCH", "/PassengerQuantity")]
    assert "0 passengers" in found[0].message
    vessel_call.PassengerQuantity = 0
    assert run(port_rules.VESSEL_CALL, vessel_call) == []


def test_crew_sequence_not_consecutive(vessel_call: Any) -> None:
    vessel_call.Crew[1].SequenceNumeric = 1
    assert where(run(port_rules.VESSEL_CALL, vessel_call)) == [
        ("SEQUENCE_NUMBER_NOT_CONSECUTIVE", "/Crew/1/SequenceNumeric")
    ]


def test_crew_document_expired_before_arrival(vessel_call: Any) -> None:
    vessel_call.Crew[1].IdentityDocument.ExpiryDate = dt.date(2024, 3, 21)
    assert where(run(port_rules.VESSEL_CALL, vessel_call)) == [
        ("DOCUMENT_EXPIRED", "/Crew/1/IdentityDocument/ExpiryDate")
    ]


def test_departure_is_checked_against_its_departure_date(vessel_call: Any) -> None:
    vessel_call.Passenger[0].IdentityDocument.ExpiryDate = dt.date(2024, 3, 22)
    assert run(port_rules.VESSEL_CALL, vessel_call) == []  # arrival on the 22nd
    vessel_call.ArrivalDepartureCode = "departure"  # leaving on the 23rd
    assert where(run(port_rules.VESSEL_CALL, vessel_call)) == [
        ("DOCUMENT_EXPIRED", "/Passenger/0/IdentityDocument/ExpiryDate")
    ]


def test_passenger_born_after_the_call(vessel_call: Any) -> None:
    vessel_call.Passenger[0].BirthDate = dt.date(2024, 4, 1)
    assert where(run(port_rules.VESSEL_CALL, vessel_call)) == [
        ("BIRTH_DATE_AFTER_TRAVEL", "/Passenger/0/BirthDate")
    ]


def test_clearance_agency_decides_twice(clearance: Any) -> None:
    clearance.AgencyDecision.append(
        clearance.AgencyDecision[0].model_copy(update={"DecisionCode": "refused"})
    )
    assert where(run(port_rules.CLEARANCE, clearance)) == [
        ("CLEARANCE_AGENCY_DUPLICATE", "/AgencyDecision/3/AgencyCode")
    ]


def test_clearance_codes(clearance: Any) -> None:
    clearance.IMOID = "8814274"
    clearance.PortOfCallID = "VNZZZ"
    assert where(run(port_rules.CLEARANCE, clearance)) == [
        ("IMO_CHECK_DIGIT", "/IMOID"),
        ("LOCODE_UNKNOWN", "/PortOfCallID"),
    ]


# --- exchange envelope ------------------------------------------------------------------


def test_payload_digest_mismatch(envelope: Any) -> None:
    envelope.payload = envelope.payload.replace("000789", "000790")
    assert where(run(exchange_rules.ENVELOPE, envelope)) == [("PAYLOAD_DIGEST_MISMATCH", "/payload_digest")]


def test_participant_unknown(envelope: Any) -> None:
    envelope.receiver = "SG"
    assert where(run(exchange_rules.ENVELOPE, envelope)) == [("PARTICIPANT_UNKNOWN", "/receiver")]
    envelope.sender = "XX"
    assert where(run(exchange_rules.ENVELOPE, envelope)) == [
        ("COUNTRY_UNKNOWN", "/sender"),
        ("PARTICIPANT_UNKNOWN", "/sender"),
        ("PARTICIPANT_UNKNOWN", "/receiver"),
    ]


def test_sender_is_receiver(envelope: Any) -> None:
    envelope.receiver = "TH"
    assert where(run(exchange_rules.ENVELOPE, envelope)) == [("SENDER_IS_RECEIVER", "/receiver")]
