"""The WCO DM 3.6 models (customs.declaration 2.0, customs.response 2.0, ACDD 1.1) hold what real
declarations carry and refuse the same values as their generated XSD and JSON Schema."""

import copy
import json
from typing import Any

import jsonschema
import pytest
from lxml import etree
from pydantic import ValidationError

from services.kernel import refdata, xmlmap
from services.kernel.messages.customs import ACDDV1_1
from services.kernel.messages.wco.declaration import GoodsDeclaration
from services.kernel.messages.wco.response import CustomsResponse
from services.kernel.registry import REGISTRY

DEC = REGISTRY.get("customs.declaration", "2.0")
RES = REGISTRY.get("customs.response", "2.0")


def declaration() -> dict[str, Any]:
    """A Thai export of jasmine rice to Viet Nam claiming ATIGA preference, as JSON."""
    return {
        "document_type": "customs.declaration/2.0",
        "MetaData": {"WCODataModelVersionCode": "3.6", "WCOTypeName": "DEC", "ResponsibleCountryCode": "TH"},
        "Declaration": {
            "FunctionCode": "9",
            "FunctionalReferenceID": "TH-EXP 2024/0042",
            "IssueDateTime": {"DateTimeString": {"value": "20240312093000+07", "formatCode": "304"}},
            "TypeCode": "EXA",
            "GoodsItemQuantity": {"value": 1},
            "InvoiceAmount": {"value": "25000.00", "currencyID": "USD"},
            "TotalPackageQuantity": {"value": 1500},
            "AuthorisationHolder": [{"ID": "GB AEOC 14273/19", "CategoryCode": "AEOC"}],
            "Exporter": {"Name": "Siam Rice Export Co., Ltd.", "ID": "0105536000011",
                         "Address": {"Line": "99 Rama IV Road", "CityName": "Bangkok", "PostcodeID": "BO1 234",
                                     "CountryCode": "TH"}},
            "GoodsShipment": {
                "Consignee": {"Name": "Saigon Food JSC", "Address": {"CountryCode": "VN"}},
                "GovernmentAgencyGoodsItem": [{
                    "SequenceNumeric": 1,
                    "AdditionalDocument": [{"CategoryCode": "D", "ID": "TH-D-2024-000123", "TypeCode": "FRM"}],
                    "Commodity": {
                        "Description": "Thai Hom Mali jasmine rice, milled",
                        "Classification": [{"ID": "10063030", "IdentificationTypeCode": "TSP"},
                                           {"ID": "A123", "IdentificationTypeCode": "TRC"}],
                        "GoodsMeasure": {"GrossMassMeasure": {"value": "15150.000000", "unitCode": "KGM"},
                                         "NetNetWeightMeasure": {"value": "15000", "unitCode": "KGM"}},
                    },
                    "Origin": [{"CountryCode": "TH", "TypeCode": "1"}, {"CountryCode": "TH", "TypeCode": "2"}],
                    "Packaging": [{"SequenceNumeric": 1, "QuantityQuantity": {"value": 1500}, "TypeCode": "BG"}],
                }],
            },
        },
    }


def xml_of(document: dict[str, Any], model: Any = GoodsDeclaration, namespace: str = DEC.namespace) -> etree._Element:
    return xmlmap.to_xml(model.model_validate(document), namespace=namespace)


def find(root: etree._Element, path: str) -> etree._Element:
    found = root.find("/".join(f"{{{root.nsmap[None]}}}{step}" for step in path.split("/")))
    assert found is not None, path
    return found


def refused_everywhere(document: dict[str, Any], xml: etree._Element, *, schema: Any = DEC) -> None:
    """The model, the JSON Schema and the XSD each refuse the document."""
    with pytest.raises(ValidationError):
        GoodsDeclaration.model_validate(document)
    assert not jsonschema.Draft202012Validator(schema.json_schema).is_valid(document)
    assert not schema.xml_schema.validate(etree.ElementTree(xml))


def test_a_real_shaped_declaration_is_valid_in_every_form_and_round_trips() -> None:
    document = declaration()
    model = GoodsDeclaration.model_validate(document)
    assert jsonschema.Draft202012Validator(DEC.json_schema).is_valid(document)
    xml = xmlmap.to_xml(model, namespace=DEC.namespace)
    assert DEC.xml_schema.validate(etree.ElementTree(xml)), DEC.xml_schema.error_log
    again = GoodsDeclaration.model_validate(xmlmap.from_xml(xml, GoodsDeclaration), strict=False)
    assert again == model
    assert again.model_dump(mode="json", exclude_none=True) == document


def test_identifiers_with_spaces_are_accepted() -> None:
    model = GoodsDeclaration.model_validate(declaration())
    assert model.Declaration.AuthorisationHolder is not None
    assert model.Declaration.AuthorisationHolder[0].ID == "GB AEOC 14273/19"
    assert model.Declaration.FunctionalReferenceID == "TH-EXP 2024/0042"


def test_a_blank_identifier_is_refused_everywhere() -> None:
    document = declaration()
    document["Declaration"]["FunctionalReferenceID"] = "   "
    xml = xml_of(declaration())
    find(xml, "Declaration/FunctionalReferenceID").text = "   "
    refused_everywhere(document, xml)


def test_lexical_forms_of_numbers_are_kept() -> None:
    model = GoodsDeclaration.model_validate(declaration())
    xml = xmlmap.to_xml(model, namespace=DEC.namespace)
    assert find(xml, "Declaration/TotalPackageQuantity").text == "1500"
    assert find(xml, "Declaration/InvoiceAmount").text == "25000.00"
    measure = "Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Commodity/GoodsMeasure/GrossMassMeasure"
    assert find(xml, measure).text == "15150.000000"


def test_a_measure_takes_six_decimals_and_refuses_seven() -> None:
    measure = "Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Commodity/GoodsMeasure/GrossMassMeasure"
    six = declaration()
    six["Declaration"]["GoodsShipment"]["GovernmentAgencyGoodsItem"][0]["Commodity"]["GoodsMeasure"][
        "GrossMassMeasure"]["value"] = "0.000001"
    GoodsDeclaration.model_validate(six)
    xml = xml_of(six)
    assert DEC.xml_schema.validate(etree.ElementTree(xml))

    seven = copy.deepcopy(six)
    seven["Declaration"]["GoodsShipment"]["GovernmentAgencyGoodsItem"][0]["Commodity"]["GoodsMeasure"][
        "GrossMassMeasure"]["value"] = "0.0000001"
    find(xml, measure).text = "0.0000001"
    refused_everywhere(seven, xml)


def test_an_amount_with_four_decimals_is_refused_everywhere() -> None:
    document = declaration()
    document["Declaration"]["InvoiceAmount"]["value"] = "25000.0001"
    xml = xml_of(declaration())
    find(xml, "Declaration/InvoiceAmount").text = "25000.0001"
    refused_everywhere(document, xml)


def test_currency_zzz_is_refused_everywhere() -> None:
    document = declaration()
    document["Declaration"]["InvoiceAmount"]["currencyID"] = "ZZZ"
    xml = xml_of(declaration())
    find(xml, "Declaration/InvoiceAmount").set("currencyID", "ZZZ")
    refused_everywhere(document, xml)


def test_country_zz_is_refused_everywhere_but_customs_territories_are_not() -> None:
    document = declaration()
    origin = document["Declaration"]["GoodsShipment"]["GovernmentAgencyGoodsItem"][0]["Origin"][0]
    for territory in ("XI", "EU", "ZU", "QU"):
        origin["CountryCode"] = territory
        GoodsDeclaration.model_validate(document)
    origin["CountryCode"] = "ZZ"
    xml = xml_of(declaration())
    find(xml, "Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Origin/CountryCode").text = "ZZ"
    refused_everywhere(document, xml)


def test_a_function_code_outside_un_edifact_1225_is_refused_everywhere() -> None:
    document = declaration()
    document["Declaration"]["FunctionCode"] = "99"
    xml = xml_of(declaration())
    find(xml, "Declaration/FunctionCode").text = "99"
    refused_everywhere(document, xml)
    document["Declaration"]["FunctionCode"] = "14"
    assert GoodsDeclaration.model_validate(document).Declaration.FunctionCode == "14"


def test_a_date_time_string_must_be_in_a_wco_form() -> None:
    document = declaration()
    document["Declaration"]["IssueDateTime"]["DateTimeString"]["value"] = "2024-03-12T09:30:00+07:00"
    xml = xml_of(declaration())
    find(xml, "Declaration/IssueDateTime/DateTimeString").text = "2024-03-12T09:30:00+07:00"
    refused_everywhere(document, xml)
    for value, code in (("20240312", "102"), ("20190313134800Z", "304"), ("20230526205509+01", "304")):
        document["Declaration"]["IssueDateTime"]["DateTimeString"] = {"value": value, "formatCode": code}
        GoodsDeclaration.model_validate(document)


def test_an_empty_list_is_refused_rather_than_meaning_nothing() -> None:
    document = declaration()
    document["Declaration"]["AuthorisationHolder"] = []
    with pytest.raises(ValidationError, match="AuthorisationHolder"):
        GoodsDeclaration.model_validate(document)


def test_an_item_declares_both_origins_and_several_classifications() -> None:
    shipment = GoodsDeclaration.model_validate(declaration()).Declaration.GoodsShipment
    assert shipment is not None
    assert shipment.GovernmentAgencyGoodsItem is not None
    item = shipment.GovernmentAgencyGoodsItem[0]
    assert [(o.CountryCode, o.TypeCode) for o in item.Origin or []] == [("TH", "1"), ("TH", "2")]
    assert item.Commodity is not None
    assert [c.IdentificationTypeCode for c in item.Commodity.Classification or []] == ["TSP", "TRC"]


def test_xsd_and_json_schema_list_the_same_country_codes() -> None:
    from_json = DEC.json_schema["$defs"]["OriginType"]["properties"]["CountryCode"]["anyOf"][0]["enum"]
    xsd = etree.parse(str(DEC.xsd_path))
    xs = "{http://www.w3.org/2001/XMLSchema}"
    origin = xsd.find(f"{xs}complexType[@name='OriginType']")
    assert origin is not None
    from_xsd = [e.get("value") for e in origin.iter(f"{xs}enumeration")]
    assert from_json == from_xsd == sorted(refdata.customs_country_codes())
    assert "ZZ" not in from_xsd


def test_a_response_holds_errors_with_pointers_empty_metadata_and_the_dec_declaration() -> None:
    document: dict[str, Any] = {
        "document_type": "customs.response/2.0",
        "MetaData": {"WCODataModelVersionCode": "3.6", "WCOTypeName": "RES", "ResponsibleCountryCode": ""},
        "Response": [{
            "FunctionCode": "03",
            "IssueDateTime": {"DateTimeString": {"value": "20240312100000+07", "formatCode": "304"}},
            "Error": [{"Description": "Origin country unknown", "ValidationCode": "CDS12062",
                       "Pointer": [{"DocumentSectionCode": "42A"}, {"SequenceNumeric": 1, "DocumentSectionCode": "68A"},
                                   {"DocumentSectionCode": "92A", "TagID": "063"}]}],
            "Declaration": {"FunctionalReferenceID": "TH-EXP 2024/0042", "VersionID": "1"},
            "DECDeclaration": {"FunctionCode": "9", "GoodsShipment": {"Consignment": {"ContainerCode": "1"}}},
        }],
    }
    model = CustomsResponse.model_validate(document)
    xml = xmlmap.to_xml(model, namespace=RES.namespace)
    assert RES.xml_schema.validate(etree.ElementTree(xml)), RES.xml_schema.error_log
    assert jsonschema.Draft202012Validator(RES.json_schema).is_valid(document)
    assert CustomsResponse.model_validate(xmlmap.from_xml(xml, CustomsResponse), strict=False) == model


def test_acdd_1_1_carries_consignor_origins_and_the_preference_certificate() -> None:
    party = {"Name": "Siam Rice Export Co., Ltd.", "Address": {"Line": "99 Rama IV Road", "CityName": "Bangkok",
                                                               "CountryCode": "TH"}}
    item = {"SequenceNumeric": 1, "HSCode": "10063030", "Description": "Jasmine rice",
            "Quantity": {"value": "15000", "unitCode": "KGM"}, "OriginCountryCode": "TH",
            "Origin": [{"CountryCode": "TH", "TypeCode": "2"}], "PreferenceCertificateID": "TH-D-2024-000123"}
    document = {
        "document_type": "customs.acdd/1.1", "ID": "ACDD-TH-2024-0042", "IssueDateTime": "2024-03-12T10:00:00+07:00",
        "ExportDeclarationID": "24TH28010EX0000123", "ExportCountryCode": "TH", "DestinationCountryCode": "VN",
        "Exporter": party, "Consignee": party, "Declarant": party, "Consignor": party,
        "DepartureDate": "2024-03-13", "TransportModeCode": "1", "DischargeLocationID": "VNSGN", "GoodsItem": [item],
    }
    model = ACDDV1_1.model_validate_json(json.dumps(document))
    assert model.GoodsItem[0].PreferenceCertificateID == "TH-D-2024-000123"
    acdd = REGISTRY.get("customs.acdd", "1.1")
    assert acdd.xml_schema.validate(etree.ElementTree(xmlmap.to_xml(model, namespace=acdd.namespace)))
    item["Origin"] = [{"CountryCode": "TH", "TypeCode": "3"}]
    with pytest.raises(ValidationError, match="TypeCode"):
        ACDDV1_1.model_validate(document)
