"""Lodging a customs.declaration 2.0 (WCO DM 3.6): as JSON, canonical XML or WCO XML as it is;
its MRN, lane and history like 1.x; its ACDD 1.1 (or 1.0 for a receiver that takes only 1.0);
WCO XML back out; the type codes and missing data it is refused for; the 2.0 responses
recorded on it; and the certificates of origin linked to it."""

import copy
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from services.customs.service import record_response
from services.kernel import canonical, wco_xml
from services.kernel.db import session_scope
from services.kernel.messages.customs import ACDD, ACDDV1_1
from services.kernel.messages.exchange import Envelope
from services.kernel.messages.wco.declaration import GoodsDeclaration
from services.kernel.messages.wco.response import CustomsResponse
from services.kernel.network import load_signing_keys
from services.kernel.registry import REGISTRY
from services.kernel.signing import sign
from services.kernel.validation import validate
from tests.conftest import SHARED
from tests.customs.conftest import FORM_D, TH_EXPORT, auth, is_valid_mrn, load

DECLARATION_V2 = REGISTRY.get("customs.declaration", "2.0")
WCO_DEC = "application/vnd.wco.dec+xml"
DEC_NS = "urn:wco:datamodel:WCO:DEC-DMS:2"
WRAPPER_XSD = SHARED / "external" / "wco-dec" / "schemas" / "customs" / "wrapper_submit.xsd"


def _time(value: str) -> dict[str, Any]:
    return {"DateTimeString": {"value": value, "formatCode": "304"}}


def _address(line: str, city: str, country: str, postcode: str | None = None) -> dict[str, Any]:
    return {"CityName": city, "CountryCode": country, "Line": line} | ({"PostcodeID": postcode} if postcode else {})


def _item(sequence: int, hs: str, description: str, net: str, value: str, *, certificate: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "SequenceNumeric": sequence,
        "Commodity": {
            "Description": description,
            "Classification": [{"ID": hs, "IdentificationTypeCode": "TSP"}],
            "GoodsMeasure": {"NetNetWeightMeasure": {"value": net, "unitCode": "KGM"}},
            "InvoiceLine": {"ItemChargeAmount": {"value": value, "currencyID": "USD"}},
        },
        "GovernmentProcedure": [{"CurrentCode": "10", "PreviousCode": "00"}],
        "Origin": [{"CountryCode": "TH", "TypeCode": "1"}, {"CountryCode": "TH", "TypeCode": "2"}],
    }
    if certificate is not None:
        item["AdditionalDocument"] = [{"CategoryCode": "N", "ID": certificate, "TypeCode": "861"}]
    return item


def th_export(lrn: str = "TH-SIAMRUB-2027-000101", *, certificate: str | None = "TH-D-2026-0088123") -> dict[str, Any]:
    """A TH export of natural rubber to VN as a 2.0 declaration (canonical JSON): both items
    claim ATIGA preferential origin under an e-Form D (document N861)."""
    return {
        "document_type": "customs.declaration/2.0",
        "MetaData": {"WCODataModelVersionCode": "3.6", "WCOTypeName": "DEC", "ResponsibleCountryCode": "TH"},
        "Declaration": {
            "FunctionCode": "9",
            "FunctionalReferenceID": lrn,
            "IssueDateTime": _time("20261120093000+07"),
            "TypeCode": "EXA",
            "GoodsItemQuantity": {"value": 2},
            "DeclarationOfficeID": "THLCH001",
            "InvoiceAmount": {"value": "48250.00", "currencyID": "USD"},
            "BorderTransportMeans": {"ID": "9319466", "IdentificationTypeCode": "10",
                                     "RegistrationNationalityCode": "SG", "ModeCode": "1"},
            "CurrencyExchange": [{"CurrencyTypeCode": "USD", "RateNumeric": "33.45"}],
            "Declarant": {"Name": "Siam Rubber Export Co., Ltd.", "ID": "0105551234567"},
            "Exporter": {"Name": "Siam Rubber Export Co., Ltd.", "ID": "0105551234567",
                         "Address": _address("99 Rama IV Road", "Bangkok", "TH", "10110")},
            "GoodsShipment": {
                "Consignee": {"Name": "Saigon Tyre Manufacturing JSC", "ID": "0301234567",
                              "Address": _address("12 Nguyen Van Linh", "Ho Chi Minh City", "VN")},
                "Consignment": {"ContainerCode": "1", "LoadingLocation": {"ID": "THLCH"},
                                "TransportEquipment": [{"SequenceNumeric": 1, "ID": "CSQU3054383",
                                                        "Seal": [{"SequenceNumeric": 1, "ID": "TH 0451187"}]}]},
                "Consignor": {"Name": "Rayong Rubber Estates Co., Ltd.",
                              "Address": _address("8 Sukhumvit Road", "Rayong", "TH", "21000")},
                "Destination": {"CountryCode": "VN"},
                "ExportCountry": {"ID": "TH"},
                "GovernmentAgencyGoodsItem": [
                    _item(1, "40012220", "Technically specified natural rubber STR 20", "20160.000000", "36000.00",
                          certificate=certificate),
                    _item(2, "40011000", "Natural rubber latex, prevulcanised", "960.5", "12250.00",
                          certificate=certificate),
                ],
                "TradeTerms": {"ConditionCode": "CIF", "LocationID": "VNSGN"},
            },
        },
    }


def wco(data: dict[str, Any]) -> bytes:
    """The declaration as WCO DM 3.6 XML (the DMS MetaData wrapper)."""
    return wco_xml.write_wco(GoodsDeclaration.model_validate(data, strict=False))


def _bare_wco(data: dict[str, Any]) -> bytes:
    """The declaration as a bare WCO ``Declaration`` (no MetaData wrapper)."""
    return wco({key: value for key, value in data.items() if key != "MetaData"})


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def _accepting(network_file: Path, country: str, *, without: set[str]) -> None:
    """Take types off what ``country`` accepts in the network directory."""
    directory = json.loads(network_file.read_text())
    entry = directory["participants"][country]
    entry["accepts"] = [key for key in entry["accepts"] if key not in without]
    network_file.write_text(json.dumps(directory))


def _acdd(hub: Any, eventually: Callable[..., None]) -> tuple[dict[str, Any], ACDD]:
    eventually(lambda: len(hub.received) == 1, what="the ACDD to reach the hub")
    envelope = hub.received[0]
    report = validate(envelope["payload"].encode(), media_type="application/xml", expected_type="customs.acdd")
    assert report.valid, [f.as_dict() for f in report.findings]
    assert isinstance(report.document, ACDD)
    return envelope, report.document


def _problem(response: Any, status: int = 422) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors: list[dict[str, Any]] = response.json().get("errors") or []
    return errors


# --- lodging -------------------------------------------------------------------------------------

def test_a_wco_xml_export_gets_its_mrn_lane_and_history_like_a_json_one(lodge: Callable[..., Any]) -> None:
    response = lodge(wco(th_export()), "TH", WCO_DEC)
    assert response.status_code == 201, response.text
    body = response.json()
    mrn = body["mrn"]
    assert is_valid_mrn(mrn)
    assert mrn[2:4] == "TH"
    assert (body["lrn"], body["type"], body["declarant"]) == ("TH-SIAMRUB-2027-000101", "EXA", "0105551234567")
    assert (body["country"], body["export_country"], body["destination_country"]) == ("TH", "TH", "VN")
    assert (body["lane"], body["status"]) == ("green", "released")
    assert [h["status"] for h in body["history"]] == ["lodged", "accepted", "lane:green", "released"]
    assert body["declaration"]["document_type"] == "customs.declaration/2.0"
    assert body["declaration"]["Declaration"]["ID"] == mrn


def test_the_same_declaration_in_any_form_is_the_same_mrn(lodge: Callable[..., Any], hub: Any) -> None:
    data = th_export()
    first = lodge(wco(data), "TH", "application/xml")
    forms = [lodge(_json(data)), lodge(canonical.xml_bytes(GoodsDeclaration.model_validate(data, strict=False),
                                                           DECLARATION_V2), "TH", "application/xml"),
             lodge(_bare_wco(data), "TH", WCO_DEC)]
    numbered = copy.deepcopy(data)
    numbered["Declaration"]["ID"] = "TRADER-OWN-NUMBER"  # the trader's ID is not customs' MRN
    forms.append(lodge(_json(numbered)))
    assert first.status_code == 201, first.text
    assert [r.status_code for r in forms] == [200, 200, 200, 200], [r.text for r in forms]
    assert {r.json()["mrn"] for r in forms} == {first.json()["mrn"]}
    assert len(forms[-1].json()["messages"]) == 1  # the ACDD was queued once


def test_other_content_under_the_same_lrn_is_a_conflict(lodge: Callable[..., Any]) -> None:
    first = lodge(_json(th_export()))
    changed = th_export()
    changed["Declaration"]["DeclarationOfficeID"] = "THBKK001"
    conflict = lodge(_json(changed))
    assert conflict.status_code == 409, conflict.text
    assert first.json()["mrn"] in conflict.json()["detail"]


def test_risk_reads_the_tariff_number_and_every_origin(make_client: Callable[..., TestClient],
                                                       tokens: dict[str, str]) -> None:
    client = make_client(risk_red_hs_chapters="40", risk_yellow_origin_countries="TH")
    body = client.post("/declarations", content=_json(th_export()), headers=auth(tokens["TH"])).json()
    assert (body["lane"], body["status"]) == ("red", "under-control")
    assert body["lane_reasons"] == ["goods item 1: HS chapter 40 is a red-lane chapter",
                                    "goods item 1: origin TH is a yellow-lane origin",
                                    "goods item 2: HS chapter 40 is a red-lane chapter",
                                    "goods item 2: origin TH is a yellow-lane origin"]


# --- the ACDD ------------------------------------------------------------------------------------

def test_an_export_to_a_country_accepting_acdd_1_1_sends_consignor_origins_and_the_preference_claim(
    lodge: Callable[..., Any], hub: Any, eventually: Callable[..., None]
) -> None:
    mrn = lodge(wco(th_export()), "TH", WCO_DEC).json()["mrn"]
    envelope, acdd = _acdd(hub, eventually)
    assert (envelope["sender"], envelope["receiver"], envelope["document_type"]) == ("TH", "VN", "customs.acdd/1.1")
    assert isinstance(acdd, ACDDV1_1)
    assert (acdd.ID, acdd.ExportDeclarationID, acdd.DestinationCountryCode) == (f"ACDD-{mrn}", mrn, "VN")
    assert acdd.Consignor is not None
    assert acdd.Consignor.Name == "Rayong Rubber Estates Co., Ltd."
    assert acdd.Consignee.Name == "Saigon Tyre Manufacturing JSC"
    assert (str(acdd.DepartureDate), acdd.TransportModeCode, acdd.DischargeLocationID) == ("2026-11-20", "1", "VNSGN")
    assert acdd.PermitID == ["TH-D-2026-0088123"]
    first, second = acdd.GoodsItem
    assert [(o.CountryCode, o.TypeCode) for o in first.Origin or ()] == [("TH", "1"), ("TH", "2")]
    assert (first.PreferenceCertificateID, second.PreferenceCertificateID) == ("TH-D-2026-0088123",) * 2
    assert [(i.HSCode, str(i.Quantity.value), i.Quantity.unitCode, i.OriginCountryCode) for i in acdd.GoodsItem] == [
        ("40012220", "20160.000", "KGM", "TH"), ("40011000", "960.5", "KGM", "TH")]


def test_a_declaration_level_certificate_of_origin_is_the_preference_certificate_of_every_item(
    lodge: Callable[..., Any], hub: Any, eventually: Callable[..., None]
) -> None:
    data = th_export(certificate=None)
    data["Declaration"]["AdditionalDocument"] = [{"CategoryCode": "N", "ID": "TH-D-2026-0088555", "TypeCode": "864"}]
    assert lodge(_json(data)).status_code == 201
    _, acdd = _acdd(hub, eventually)
    assert isinstance(acdd, ACDDV1_1)
    assert [i.PreferenceCertificateID for i in acdd.GoodsItem] == ["TH-D-2026-0088555"] * 2


def test_a_receiver_that_accepts_only_acdd_1_0_gets_1_0(
    make_client: Callable[..., TestClient], network_file: Path, tokens: dict[str, str], hub: Any,
    eventually: Callable[..., None]
) -> None:
    _accepting(network_file, "VN", without={"customs.acdd/1.1"})
    client = make_client()
    assert client.post("/declarations", content=_json(th_export()), headers=auth(tokens["TH"])).status_code == 201
    envelope, acdd = _acdd(hub, eventually)
    assert envelope["document_type"] == "customs.acdd/1.0"
    assert type(acdd) is ACDD
    assert (acdd.Consignee.Name, acdd.PermitID) == ("Saigon Tyre Manufacturing JSC", ["TH-D-2026-0088123"])


def test_a_1x_declaration_still_sends_acdd_1_0(lodge: Callable[..., Any], hub: Any,
                                               eventually: Callable[..., None]) -> None:
    assert lodge(load(TH_EXPORT)).status_code == 201
    envelope, _ = _acdd(hub, eventually)
    assert envelope["document_type"] == "customs.acdd/1.0"


# --- refused, with the WCO element named ----------------------------------------------------------

def _without(data: dict[str, Any], *path: str | int) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    node: Any = changed
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]
    return changed


@pytest.mark.parametrize(("path", "pointer"), [
    (("Declaration", "GoodsShipment", "ExportCountry"), "/Declaration/GoodsShipment/ExportCountry/ID"),
    (("Declaration", "GoodsShipment", "Destination"), "/Declaration/GoodsShipment/Destination/CountryCode"),
    (("Declaration", "FunctionalReferenceID"), "/Declaration/FunctionalReferenceID"),
    (("Declaration", "Declarant"), "/Declaration/Declarant/ID"),
    (("Declaration", "TypeCode"), "/Declaration/TypeCode"),
], ids=["export-country", "destination", "lrn", "declarant", "type-code"])
def test_what_wco_makes_optional_but_lodging_needs_is_refused_by_its_wco_path(
    lodge: Callable[..., Any], path: tuple[str, ...], pointer: str
) -> None:
    errors = _problem(lodge(wco(_without(th_export(), *path)), "TH", WCO_DEC))
    assert [(e["code"], e["location"]["pointer"]) for e in errors] == [("REQUIRED_BY_SWX", pointer)]
    assert pointer.lstrip("/") in errors[0]["message"]


@pytest.mark.parametrize(("path", "pointer"), [
    (("Declaration", "Exporter", "Name"), "/Declaration/Exporter/Name"),
    (("Declaration", "GoodsShipment", "Consignee"), "/Declaration/GoodsShipment/Consignee/Name"),
    (("Declaration", "GoodsShipment", "GovernmentAgencyGoodsItem", 1, "Origin"),
     "/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/1/Origin/CountryCode"),
    (("Declaration", "GoodsShipment", "GovernmentAgencyGoodsItem", 0, "Commodity", "Classification"),
     "/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/0/Commodity/Classification"),
], ids=["exporter-name", "consignee", "origin", "classification"])
def test_what_the_acdd_must_state_is_refused_by_its_wco_path_and_nothing_is_stored(
    lodge: Callable[..., Any], client: TestClient, tokens: dict[str, str], hub: Any, path: tuple[str, ...],
    pointer: str
) -> None:
    errors = _problem(lodge(_json(_without(th_export(), *path))))
    assert [(e["code"], e["location"]["pointer"]) for e in errors] == [("REQUIRED_FOR_ACDD", pointer)]
    assert client.get("/declarations", headers=auth(tokens["TH"])).json()["items"] == []


@pytest.mark.parametrize("trade_terms", [None, {"ConditionCode": "FOB", "LocationID": "THLCH"}],
                         ids=["no-trade-terms", "fob-names-the-loading-port"])
def test_an_acdd_1_1_leaves_out_a_port_of_discharge_the_declaration_does_not_name(
    lodge: Callable[..., Any], hub: Any, eventually: Callable[..., None], trade_terms: dict[str, str] | None
) -> None:
    data = _without(th_export(), "Declaration", "GoodsShipment", "TradeTerms")
    if trade_terms is not None:
        data["Declaration"]["GoodsShipment"]["TradeTerms"] = trade_terms
    assert lodge(_json(data)).status_code == 201
    _, acdd = _acdd(hub, eventually)
    assert isinstance(acdd, ACDDV1_1)
    assert acdd.DischargeLocationID is None


def test_an_acdd_1_0_must_name_the_port_of_discharge_so_lodging_without_one_is_refused(
    make_client: Callable[..., TestClient], network_file: Path, tokens: dict[str, str]
) -> None:
    _accepting(network_file, "VN", without={"customs.acdd/1.1"})
    client = make_client()
    data = _without(th_export(), "Declaration", "GoodsShipment", "TradeTerms")
    errors = _problem(client.post("/declarations", content=_json(data), headers=auth(tokens["TH"])))
    assert [(e["code"], e["location"]["pointer"]) for e in errors] == [
        ("REQUIRED_FOR_ACDD", "/Declaration/GoodsShipment/TradeTerms/LocationID")]
    assert client.get("/declarations", headers=auth(tokens["TH"])).json()["items"] == []


def test_without_a_destination_in_the_network_nothing_the_acdd_needs_is_asked_for(lodge: Callable[..., Any]) -> None:
    data = _without(th_export(), "Declaration", "Exporter", "Name")
    data["Declaration"]["GoodsShipment"]["Destination"]["CountryCode"] = "CN"
    response = lodge(_json(data))
    assert response.status_code == 201, response.text
    assert response.json()["messages"] == []


@pytest.mark.parametrize(("type_code", "procedure", "export", "destination", "lodger", "direction"), [
    ("IMA", "40", "TH", "VN", "VN", "IM"),
    ("COD", "10", "TH", "VN", "TH", "EX"),  # special fiscal territory: direction by the requested procedure
    ("COA", "40", "TH", "VN", "VN", "IM"),
    ("A11", "40", "TH", "VN", "VN", "IM"),  # Viet Nam: A** import
    ("B11", "10", "VN", "JP", "VN", "EX"),  # Viet Nam: B** export
])
def test_type_codes_give_the_direction_and_so_the_lodging_country(
    lodge: Callable[..., Any], type_code: str, procedure: str, export: str, destination: str, lodger: str,
    direction: str
) -> None:
    data = th_export(lrn=f"LRN-{type_code}")
    declaration = data["Declaration"]
    declaration["TypeCode"] = type_code
    declaration["GoodsShipment"]["ExportCountry"]["ID"] = export
    declaration["GoodsShipment"]["Destination"]["CountryCode"] = destination
    for item in declaration["GoodsShipment"]["GovernmentAgencyGoodsItem"]:
        item["GovernmentProcedure"] = [{"CurrentCode": procedure, "PreviousCode": "00"}]
    response = lodge(_json(data), lodger)
    assert response.status_code == 201, response.text
    assert (response.json()["country"], response.json()["type"]) == (lodger, type_code)
    assert bool(response.json()["messages"]) == (direction == "EX")  # an ACDD to the network destination


@pytest.mark.parametrize(("type_code", "procedures", "words"), [
    ("B11", ["10"], "VN export code"),  # a Viet Nam code on goods leaving Thailand
    ("E31", ["10"], "group E"),
    ("COD", ["10", "40"], "point both ways"),
    ("COD", ["00"], "no known exit or entry procedure"),
    ("X99", ["10"], "not known here"),
    ("COR", ["10"], "amendment"),
])
def test_a_type_code_whose_direction_is_not_known_is_refused_saying_what_is_known(
    lodge: Callable[..., Any], type_code: str, procedures: list[str], words: str
) -> None:
    data = th_export()
    data["Declaration"]["TypeCode"] = type_code
    items = data["Declaration"]["GoodsShipment"]["GovernmentAgencyGoodsItem"]
    for item, procedure in zip(items, procedures * 2, strict=False):
        item["GovernmentProcedure"] = [{"CurrentCode": procedure}]
    errors = _problem(lodge(_json(data)))
    assert [(e["code"], e["location"]["pointer"]) for e in errors] == [("TYPE_CODE_UNKNOWN", "/Declaration/TypeCode")]
    assert words in errors[0]["message"]
    assert type_code in errors[0]["message"]


def test_an_amendment_is_not_lodged_as_a_new_declaration(lodge: Callable[..., Any]) -> None:
    data = th_export()
    data["Declaration"]["FunctionCode"] = "13"
    errors = _problem(lodge(wco(data), "TH", WCO_DEC))
    assert [e["code"] for e in errors] == ["FUNCTION_CODE_NOT_LODGED"]


# --- WCO XML out ---------------------------------------------------------------------------------

@pytest.fixture
def lodged(lodge: Callable[..., Any]) -> str:
    response = lodge(wco(th_export()), "TH", WCO_DEC)
    assert response.status_code == 201, response.text
    mrn: str = response.json()["mrn"]
    return mrn


@pytest.mark.parametrize(("query", "accept"), [
    ("?format=wco", "application/json"), ("", WCO_DEC), ("", f"application/json;q=0.5, {WCO_DEC}")])
def test_a_2_0_declaration_comes_back_as_wco_xml_with_its_mrn(
    client: TestClient, tokens: dict[str, str], lodged: str, query: str, accept: str
) -> None:
    response = client.get(f"/declarations/{lodged}{query}", headers=auth(tokens["TH"]) | {"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(WCO_DEC)
    root = etree.fromstring(response.content)
    assert etree.QName(root).localname == "MetaData"
    assert root.findtext(f"{{{DEC_NS}}}Declaration/{{{DEC_NS}}}ID") == lodged
    report = validate(response.content, media_type=WCO_DEC, expected_type=DECLARATION_V2)
    assert report.valid, [f.as_dict() for f in report.findings]
    if WRAPPER_XSD.is_file():  # the published schema set, when ../shared is beside the project
        schema = etree.XMLSchema(etree.parse(str(WRAPPER_XSD)))
        assert schema.validate(etree.fromstring(response.content)), schema.error_log


def test_json_and_canonical_xml_are_still_given_for_a_2_0_declaration(
    client: TestClient, tokens: dict[str, str], lodged: str
) -> None:
    as_json = client.get(f"/declarations/{lodged}", headers=auth(tokens["TH"]))
    assert as_json.json()["mrn"] == lodged
    as_xml = client.get(f"/declarations/{lodged}", headers=auth(tokens["TH"]) | {"Accept": "application/xml"})
    assert as_xml.headers["content-type"].startswith("application/xml")
    assert etree.QName(etree.fromstring(as_xml.content)).namespace == "urn:swx:customs.declaration:2.0"


def test_wco_xml_of_a_1x_declaration_is_not_acceptable(lodge: Callable[..., Any], client: TestClient,
                                                         tokens: dict[str, str]) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    for query, accept in (("?format=wco", "*/*"), ("", WCO_DEC)):
        response = client.get(f"/declarations/{mrn}{query}", headers=auth(tokens["TH"]) | {"Accept": accept})
        _problem(response, 406)
        assert "only for customs.declaration 2.0" in response.json()["detail"]


def test_the_openapi_document_lists_wco_xml_in_and_out(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert WCO_DEC in paths["/declarations"]["post"]["requestBody"]["content"]
    shown = paths["/declarations/{mrn}"]["get"]
    assert WCO_DEC in shown["responses"]["200"]["content"]
    assert "406" in shown["responses"]
    assert any(p["name"] == "format" for p in shown["parameters"])


# --- 2.0 responses recorded ----------------------------------------------------------------------

def _pointer(section: str, *, sequence: int | None = None, tag: str | None = None) -> dict[str, Any]:
    return {"DocumentSectionCode": section} | ({"SequenceNumeric": sequence} if sequence is not None else {}) | (
        {"TagID": tag} if tag else {})


def _duty_response(mrn: str) -> dict[str, Any]:
    """VN clears the goods with duty assessed on item 1 (base, rate, amount) and a lane."""
    return {
        "document_type": "customs.response/2.0",
        "Response": [{
            "FunctionCode": "09", "FunctionalReferenceID": "VN-02CI-RES-2026-0119001",
            "IssueDateTime": _time("20261124101500+07"),
            "AdditionalInformation": [{"StatementDescription": "Cleared; ATIGA preference granted on item 2.",
                                       "StatementTypeCode": "AAI"}],
            "ContactOffice": [{"ID": "02CI"}],
            "Error": [{"ValidationCode": "VNP001", "Description": "No preference: origin criterion not met",
                       "Pointer": [_pointer("42A"), _pointer("67A"), _pointer("68A", sequence=1),
                                   _pointer("92A", tag="063")]}],
            "Status": [{"NameCode": "YEL", "EffectiveDateTime": _time("20261124101500+07"),
                        "Pointer": [_pointer("42A")]}],
            "Declaration": {"FunctionalReferenceID": "TH-SIAMRUB-2027-000101", "ID": mrn, "GoodsShipment": {
                "GovernmentAgencyGoodsItem": [{"SequenceNumeric": 1, "Commodity": {"DutyTaxFee": [{
                    "AdValoremTaxBaseAmount": {"value": "904320000", "currencyID": "VND"},
                    "TaxRateNumeric": "3", "TypeCode": "A00",
                    "Payment": {"TaxAssessedAmount": {"value": "27129600", "currencyID": "VND"}}}]}}]}},
            "DECDeclaration": {"FunctionCode": "9", "CurrencyExchange": [{"CurrencyTypeCode": "USD",
                                                                          "RateNumeric": "25120.00000"}]},
        }],
    }


def test_a_2_0_response_is_recorded_like_a_1_0_one_with_base_rate_and_pointers(
    client: TestClient, tokens: dict[str, str], lodged: str
) -> None:
    response = CustomsResponse.model_validate(_duty_response(lodged), strict=False)
    with session_scope(client.app.state.engine) as session:
        record_response(session, response=response, for_country="TH")
        record_response(session, response=response, for_country="TH")  # again: nothing changes
    body = client.get(f"/declarations/{lodged}", headers=auth(tokens["TH"])).json()
    assert [h["status"] for h in body["history"]][-1:] == ["response:cleared"]
    assert [h["status"] for h in body["history"]].count("response:cleared") == 1
    outcome = body["outcome"]
    assert (outcome["response_id"], outcome["function_code"], outcome["function"]) == (
        "VN-02CI-RES-2026-0119001", "09", "cleared")
    assert (outcome["issued_at"], outcome["issuing_office"], outcome["lane"]) == (
        "2026-11-24T10:15:00+07:00", "02CI", "yellow")
    assert outcome["duties"] == [{"item": 1, "type": "A00", "amount": "27129600", "currency": "VND",
                                  "base": "904320000", "base_currency": "VND", "specific_base": None,
                                  "specific_unit": None, "rate": "3", "regime": None, "payable": None}]
    assert outcome["currency_exchange"] == [{"currency": "USD", "rate": "25120.00000"}]
    assert outcome["errors"] == [{
        "code": "VNP001", "description": "No preference: origin criterion not met",
        "pointer": "42A/67A/68A[1]/92A@063",
        "pointers": [{"section": "42A", "sequence": None, "tag": None},
                     {"section": "67A", "sequence": None, "tag": None},
                     {"section": "68A", "sequence": 1, "tag": None},
                     {"section": "92A", "sequence": None, "tag": "063"}]}]
    assert outcome["remarks"] == "Cleared; ATIGA preference granted on item 2."


@pytest.fixture
def answer_envelope(network_file: Path) -> Callable[..., Envelope]:
    keys = load_signing_keys(network_file)

    def build(original: dict[str, Any], document: dict[str, Any]) -> Envelope:
        message_type = REGISTRY.get(document["document_type"])
        payload = canonical.xml_bytes(message_type.model.model_validate(document, strict=False), message_type)
        text = payload.decode()
        unsigned = Envelope(message_id=str(uuid.uuid4()), conversation_id=original["conversation_id"],
                            in_reply_to=original["message_id"], sender=original["receiver"],
                            receiver=original["sender"], document_type=message_type.key,
                            created_at=datetime.now(UTC), payload_format="xml", payload=text,
                            payload_digest=canonical.digest(text))
        return sign(unsigned, private_key=keys[unsigned.sender], key_id=unsigned.sender)

    return build


def test_a_2_0_answer_posted_by_the_nsw_fills_the_outcome_and_acknowledges_the_acdd(
    client: TestClient, tokens: dict[str, str], lodged: str, hub: Any, eventually: Callable[..., None],
    answer_envelope: Callable[..., Envelope]
) -> None:
    original, _ = _acdd(hub, eventually)
    envelope = answer_envelope(original, _duty_response(lodged))
    posted = client.post("/answers", content=canonical.json_text(envelope).encode(), headers=auth(tokens["TH"]))
    assert posted.status_code == 201, posted.text
    body = client.get(f"/declarations/{lodged}", headers=auth(tokens["TH"])).json()
    assert (body["outcome"]["function"], body["outcome"]["lane"]) == ("cleared", "yellow")
    assert body["messages"][0]["answer"]["document_type"] == "customs.response/2.0"
    other = _duty_response("26TH0000000000000X")
    other["Response"][0]["FunctionalReferenceID"] = "VN-02CI-RES-2026-0119002"
    refused = client.post("/answers", content=canonical.json_text(answer_envelope(original, other)).encode(),
                          headers=auth(tokens["TH"]))
    assert [e["code"] for e in _problem(refused)] == ["ANSWER_NOT_FOR_MESSAGE"]


# --- certificates of origin linked to a 2.0 declaration -------------------------------------------

@pytest.fixture
def certify(client: TestClient, tokens: dict[str, str]) -> Callable[..., Any]:
    def submit(mrn: str, **changes: Any) -> Any:
        certificate = load(FORM_D) | {"DeclarationID": mrn} | changes
        return client.post("/certificates-of-origin", content=_json(certificate), headers=auth(tokens["TH"]))

    return submit


def test_an_e_form_d_is_linked_to_the_2_0_declaration_it_names(certify: Callable[..., Any], lodged: str,
                                                               client: TestClient, tokens: dict[str, str]) -> None:
    response = certify(lodged)
    assert response.status_code == 201, response.text
    assert response.json()["declaration"]["mrn"] == lodged
    shown = client.get(f"/declarations/{lodged}", headers=auth(tokens["TH"])).json()
    assert [c["reference_id"] for c in shown["certificates_of_origin"]] == ["TH-D-2026-0088123"]


def test_an_e_form_d_is_held_against_the_2_0_declarations_items_parties_and_preference_claim(
    certify: Callable[..., Any], lodged: str
) -> None:
    goods = load(FORM_D)["GoodsItem"]
    other_hs = [goods[0], goods[1] | {"HSCode": "400300"}]
    errors = _problem(certify(lodged, GoodsItem=other_hs))
    assert {(e["code"], e["location"]["pointer"]) for e in errors} == {
        ("CO_ITEM_NOT_IN_DECLARATION", "/GoodsItem/1/HSCode"), ("CO_PREFERENCE_NOT_CERTIFIED", "/GoodsItem")}
    errors = _problem(certify(lodged, ReferenceID="TH-D-2026-0099999",
                              Exporter=load(FORM_D)["Exporter"] | {"Name": "Another Exporter Ltd."}))
    assert {(e["code"], e["location"]["pointer"]) for e in errors} == {
        ("CO_DECLARATION_MISMATCH", "/ReferenceID"), ("CO_DECLARATION_MISMATCH", "/Exporter/Name")}
