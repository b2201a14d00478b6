"""Certificate of origin 1.1: the printed criteria read and normalised, and the rules of the new boxes.

Each rule test changes one box of a valid 1.1 fixture and runs the whole 1.1 rule set, so it
also shows that no other rule fires on that fault; pointers resolve in the document.
"""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from services.kernel import canonical
from services.kernel.messages.origin import CertificateOfOriginV1_1, origin_criterion
from services.kernel.registry import REGISTRY
from services.kernel.rules.certificate_boxes_rules import CERTIFICATE_OF_ORIGIN_V1_1
from services.kernel.validation import validate
from tests.kernel.test_rules import run, where

VALID = Path(__file__).resolve().parents[2] / "fixtures" / "customs.certificate-of-origin" / "valid"
RUBBER = "atiga-form-d-1-1-th-to-vn-rubber-wo-and-rvc-40"
GEAR_BOXES = "ajcep-form-aj-1-1-jp-to-th-gear-boxes-cth-no-fob"
COFFEE = "atiga-form-d-1-1-th-to-kh-back-to-back-vn-coffee-third-country-invoice"
REPLACEMENT = "atiga-form-d-1-1-kh-to-th-shirts-replacement-partial-cumulation"


def certificate(stem: str, **changes: Any) -> CertificateOfOriginV1_1:
    data = json.loads((VALID / f"{stem}.json").read_text(encoding="utf-8"))
    data.update(changes)
    return CertificateOfOriginV1_1.model_validate(data, strict=False)


def with_item(document: CertificateOfOriginV1_1, index: int, **changes: Any) -> CertificateOfOriginV1_1:
    items = list(document.GoodsItem)
    items[index] = items[index].model_copy(update=changes)
    return document.model_copy(update={"GoodsItem": items})


@pytest.mark.parametrize(
    ("printed", "normalised", "rvc", "partial", "applies_rvc"),
    [
        ("WO", "WO", None, None, False),
        ("RVC 40%", "RVC40", 40, None, True),
        ("40%", "RVC40", 40, None, True),
        ("RVC40", "RVC40", 40, None, True),
        ("RVC", "RVC", None, None, True),
        ("CTH", "CTH", None, None, False),
        ("SP", "SP", None, None, False),
        ("PC 25%", "PC25", None, 25, True),
        ("CTSH + RVC 35%", "CTSH+RVC35", 35, None, True),
        ("ACU", "ACU", None, None, False),
    ],
)
def test_printed_criterion_is_read_into_its_normalised_form(
    printed: str, normalised: str, rvc: int | None, partial: int | None, applies_rvc: bool
) -> None:
    criterion = origin_criterion(printed)
    assert (criterion.normalised, criterion.rvc_percent, criterion.partial_cumulation_percent,
            criterion.applies_rvc) == (normalised, rvc, partial, applies_rvc)


@pytest.mark.parametrize("printed", ["RVC 40%", "40%", "SP", "PC 25%", "CTSH + RVC 35%", "WO+CTH"])
def test_printed_criteria_pass_both_schemas_of_1_1(printed: str) -> None:
    document = with_item(certificate(RUBBER), 1, OriginCriterion=printed)
    message_type = REGISTRY.get("customs.certificate-of-origin", "1.1")
    for body in (canonical.json_text(document).encode(), canonical.xml_bytes(document, message_type)):
        report = validate(body)
        assert not [f for f in report.errors if f.layer == "schema"], report.findings


@pytest.mark.parametrize("printed", ["RVC 40 percent", "rvc 40%", "RVC 4%", "CTH +", "WO + CTH + SP + PE"])
def test_other_criterion_text_is_a_schema_pattern_fault(printed: str) -> None:
    document = json.loads((VALID / f"{RUBBER}.json").read_text(encoding="utf-8"))
    document["GoodsItem"][1]["OriginCriterion"] = printed
    report = validate(json.dumps(document).encode())
    assert [(f.code, f.location.pointer) for f in report.errors] == [
        ("SCHEMA_PATTERN", "/GoodsItem/1/OriginCriterion")]


@pytest.mark.parametrize("stem", [RUBBER, GEAR_BOXES, COFFEE, REPLACEMENT])
def test_valid_1_1_certificate_has_no_finding(stem: str) -> None:
    assert run(CERTIFICATE_OF_ORIGIN_V1_1, certificate(stem)) == []


def test_fob_value_only_where_rvc_is_applied() -> None:
    rubber = certificate(RUBBER)
    missing = with_item(rubber, 1, FOBValueAmount=None)
    extra = with_item(rubber, 0, FOBValueAmount=rubber.GoodsItem[1].FOBValueAmount)
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, missing)) == [("CO_FOB_VALUE_RVC", "/GoodsItem/1/OriginCriterion")]
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, extra)) == [("CO_FOB_VALUE_RVC", "/GoodsItem/0/FOBValueAmount")]
    partial = with_item(certificate(REPLACEMENT), 0, FOBValueAmount=None)
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, partial)) == [("CO_FOB_VALUE_RVC", "/GoodsItem/0/OriginCriterion")]


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"ReplacedReferenceID": None}, "/StatusCode"),
        ({"ReplacedReferenceID": "KH-D-2026-0004518"}, "/ReplacedReferenceID"),
        ({"StatusCode": "original"}, "/ReplacedReferenceID"),
    ],
)
def test_replacement_names_another_certificate_and_an_original_none(changes: dict[str, Any], pointer: str) -> None:
    found = run(CERTIFICATE_OF_ORIGIN_V1_1, certificate(REPLACEMENT, **changes))
    assert where(found) == [("CO_REPLACEMENT_REFERENCE", pointer)]


def test_retroactive_tick_agrees_with_the_issue_date() -> None:
    replacement = certificate(REPLACEMENT)  # issued 9 days after shipment, ticked
    ticks = replacement.SpecialCircumstances
    assert ticks is not None
    unticked = replacement.model_copy(update={"SpecialCircumstances": ticks.model_copy(
        update={"IssuedRetroactivelyIndicator": None})})
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, unticked)) == [("CO_RETROACTIVE_ISSUE", "/IssueDateTime")]
    on_time = replacement.model_copy(update={"Transport": replacement.Transport.model_copy(
        update={"DepartureDate": dt.date(2026, 11, 16)})})
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, on_time)) == [
        ("CO_RETROACTIVE_ISSUE", "/SpecialCircumstances/IssuedRetroactivelyIndicator")]
    a_year_late = replacement.model_copy(update={"Transport": replacement.Transport.model_copy(
        update={"DepartureDate": dt.date(2025, 11, 17)})})
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, a_year_late)) == [("CO_RETROACTIVE_ISSUE", "/IssueDateTime")]


def test_certification_is_on_the_issue_date_and_after_the_exporters_declaration() -> None:
    rubber = certificate(RUBBER)
    other_day = rubber.model_copy(update={"IssuingAuthority": rubber.IssuingAuthority.model_copy(
        update={"CertificationDate": dt.date(2026, 11, 23)})})
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, other_day)) == [
        ("CO_CERTIFICATION_DATE", "/IssuingAuthority/CertificationDate")]


def test_box_11_production_country_is_the_exporting_or_the_original_country() -> None:
    coffee = certificate(COFFEE)  # back-to-back: produced in VN, exported from TH
    declared_th = coffee.model_copy(update={"ExporterDeclaration": coffee.ExporterDeclaration.model_copy(
        update={"ProductionCountryCode": "TH"})})
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, declared_th)) == [
        ("CO_EXPORTER_DECLARATION_MISMATCH", "/ExporterDeclaration/ProductionCountryCode")]


def test_third_country_invoicing_needs_an_invoicer_outside_the_exporting_country() -> None:
    coffee = certificate(COFFEE)
    assert coffee.InvoicingParty is not None
    thai = coffee.model_copy(update={"InvoicingParty": coffee.InvoicingParty.model_copy(update={"CountryCode": "TH"})})
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, thai)) == [
        ("CO_THIRD_COUNTRY_INVOICING", "/InvoicingParty/CountryCode")]
    ticks = coffee.SpecialCircumstances
    assert ticks is not None
    unticked = coffee.model_copy(update={"SpecialCircumstances": ticks.model_copy(
        update={"ThirdCountryInvoicingIndicator": None})})
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, unticked)) == [("CO_THIRD_COUNTRY_INVOICING", "/InvoicingParty")]


def test_back_to_back_rests_on_another_asean_members_original() -> None:
    coffee = certificate(COFFEE)
    assert coffee.OriginalCertificate is not None
    from_china = coffee.model_copy(update={
        "OriginalCertificate": coffee.OriginalCertificate.model_copy(update={"CountryCode": "CN"}),
        "ExporterDeclaration": coffee.ExporterDeclaration.model_copy(update={"ProductionCountryCode": "CN"})})
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, from_china)) == [
        ("CO_BACK_TO_BACK", "/OriginalCertificate/CountryCode")]
    later = coffee.model_copy(update={
        "OriginalCertificate": coffee.OriginalCertificate.model_copy(update={"IssueDate": dt.date(2026, 11, 12)})})
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, later)) == [("CO_BACK_TO_BACK", "/OriginalCertificate/IssueDate")]


def test_partial_cumulation_needs_its_tick_and_form_d() -> None:
    replacement = certificate(REPLACEMENT)
    ticks = replacement.SpecialCircumstances
    assert ticks is not None
    unticked = replacement.model_copy(update={"SpecialCircumstances": ticks.model_copy(
        update={"PartialCumulationIndicator": None})})
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, unticked)) == [
        ("CO_PARTIAL_CUMULATION", "/GoodsItem/0/OriginCriterion")]
    gear_boxes = certificate(GEAR_BOXES)
    on_form_aj = with_item(gear_boxes, 0, OriginCriterion="PC 30%",
                           FOBValueAmount=replacement.GoodsItem[0].FOBValueAmount)
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, on_form_aj)) == [
        ("CO_PARTIAL_CUMULATION", "/GoodsItem/0/OriginCriterion")]
    ticked_only = with_item(replacement, 0, OriginCriterion="RVC 45%")
    assert where(run(CERTIFICATE_OF_ORIGIN_V1_1, ticked_only)) == [
        ("CO_PARTIAL_CUMULATION", "/SpecialCircumstances/PartialCumulationIndicator")]


def test_version_1_0_is_still_served_and_refuses_the_1_1_boxes() -> None:
    assert REGISTRY.versions("customs.certificate-of-origin") == ["1.0", "1.1"]
    old = REGISTRY.get("customs.certificate-of-origin", "1.0")
    assert "SpecialCircumstances" not in old.json_schema["properties"]
    document = json.loads((VALID / "atiga-form-d-th-to-vn-natural-rubber.json").read_text(encoding="utf-8"))
    document["StatusCode"] = "original"
    assert "SCHEMA_UNEXPECTED" in {f.code for f in validate(json.dumps(document).encode()).errors}
