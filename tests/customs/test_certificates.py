"""Certificates of origin: checked against their declaration, kept, sent to the importing country."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kernel.validation import validate
from tests.customs.conftest import CERTIFICATES, DECLARATIONS, FORM_D, TH_EXPORT, auth, load

LINKED = sorted(p for p in (CERTIFICATES / "valid").glob("*.json") if "DeclarationID" in load(p))


@pytest.fixture
def submit(client: TestClient, tokens: dict[str, str]) -> Callable[..., Any]:
    def post(body: bytes, country: str = "TH", content_type: str = "application/json") -> Any:
        return client.post("/certificates-of-origin", content=body, headers=auth(tokens[country], content_type))

    return post


def _declaration_for(certificate: Path) -> Path:
    """The declaration fixture whose ID the certificate fixture names."""
    wanted = load(certificate)["DeclarationID"]
    return next(p for p in (DECLARATIONS / "valid").glob("*.json") if load(p).get("ID") == wanted)


def _naming(certificate: Path, mrn: str) -> bytes:
    """The certificate fixture, naming the MRN customs gave its declaration instead of the fixture's."""
    named = load(certificate.with_suffix(".json"))["DeclarationID"]
    return certificate.read_bytes().replace(named.encode(), mrn.encode())


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("path", LINKED, ids=[p.stem for p in LINKED])
def test_linked_certificate_is_accepted_and_sent_to_the_importing_country(
    lodge: Callable[..., Any], submit: Callable[..., Any], client: TestClient, tokens: dict[str, str], hub: Any,
    eventually: Callable[..., None], path: Path, fmt: str
) -> None:
    exporter = load(path)["ExportCountryCode"]
    declared = lodge(load(_declaration_for(path)), exporter).json()
    mrn = declared["mrn"]
    response = submit(_naming(path.with_suffix(f".{fmt}"), mrn), exporter, f"application/{fmt}")
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/certificates-of-origin/{body['id']}"
    assert body["declaration"] == {"mrn": mrn, "href": f"/declarations/{mrn}"}
    assert body["certificate"]["DeclarationID"] == mrn
    importer = load(path)["ImportCountryCode"]
    version = load(path)["document_type"]  # sent on in the version it came in
    eventually(lambda: any(e["document_type"] == version for e in hub.received),
               what="the certificate to reach the hub")
    envelope = next(e for e in hub.received if e["document_type"] == version)
    assert (envelope["sender"], envelope["receiver"]) == (exporter, importer)
    assert validate(envelope["payload"].encode(), media_type="application/xml").valid
    acdd = next(e for e in hub.received if e["document_type"] == "customs.acdd/1.0")
    assert envelope["conversation_id"] == acdd["conversation_id"]  # one conversation per declaration
    listed = client.get(f"/declarations/{mrn}", headers=auth(tokens[exporter])).json()["certificates_of_origin"]
    assert [c["id"] for c in listed] == [body["id"]]


def test_certificate_without_a_declaration_is_accepted_on_its_own(submit: Callable[..., Any]) -> None:
    path = CERTIFICATES / "valid" / "ajcep-form-aj-kh-to-jp-cotton-garments.json"
    response = submit(path.read_bytes(), "KH")
    assert response.status_code == 201, response.text
    assert response.json()["declaration"] is None
    assert [m["receiver"] for m in response.json()["messages"]] == ["JP"]


@pytest.mark.parametrize(
    ("fixture", "code"),
    [("item-not-in-declaration.json", "CO_ITEM_NOT_IN_DECLARATION"),
     ("exporter-differs-from-declaration.json", "CO_DECLARATION_MISMATCH")],
)
def test_certificate_that_does_not_match_its_declaration_is_422(
    lodge: Callable[..., Any], submit: Callable[..., Any], client: TestClient, fixture: str, code: str
) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    response = submit(_naming(CERTIFICATES / "invalid" / fixture, mrn))
    assert response.status_code == 422, response.text
    assert [e["code"] for e in response.json()["errors"]] == [code]
    assert mrn in response.json()["detail"]
    metrics = client.get("/metrics").text
    counted = 'swx_validations_total{document_type="customs.certificate-of-origin/1.0",outcome="%s",service="customs"}'
    assert f"{counted % 'refused'} 1.0" in metrics
    assert counted % "accepted" not in metrics


def test_certificate_naming_an_unknown_declaration_is_404(submit: Callable[..., Any]) -> None:
    response = submit(FORM_D.read_bytes())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "26TH0300EX0000417" in response.json()["detail"]


def test_only_the_exporting_country_submits_and_only_for_its_own_declarations(
    lodge: Callable[..., Any], submit: Callable[..., Any]
) -> None:
    th_mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    assert submit(_naming(FORM_D, th_mrn), "VN").status_code == 403
    vn_mrn = lodge(load(DECLARATIONS / "valid" / "vn-export-robusta-coffee-cashews-haiphong-to-tokyo.json"),
                   "VN").json()["mrn"]
    foreign = submit(_naming(FORM_D, vn_mrn), "TH")
    assert foreign.status_code == 403
    assert vn_mrn in foreign.json()["detail"]
    assert submit(_naming(FORM_D, th_mrn), "OPERATOR").status_code == 201


def test_invalid_certificate_is_422_and_malformed_400(submit: Callable[..., Any]) -> None:
    invalid = submit((CERTIFICATES / "invalid" / "form-d-to-japan.json").read_bytes(), "VN")
    assert invalid.status_code == 422
    assert "CO_PREFERENCE_SCOPE" in {e["code"] for e in invalid.json()["errors"]}
    assert submit(b"<CertificateOfOrigin", "TH", "application/xml").status_code == 400
    assert submit(b"FormD", "TH", "text/plain").status_code == 415


def test_same_certificate_again_is_the_same_record_and_other_content_conflicts(
    lodge: Callable[..., Any], submit: Callable[..., Any], hub: Any
) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    first = submit(_naming(FORM_D, mrn))
    again = submit(_naming(FORM_D.with_suffix(".xml"), mrn), "TH", "application/xml")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(again.json()["messages"]) == 1
    changed = _naming(FORM_D, mrn).replace(b"WAN HAI 305 V.N118", b"WAN HAI 306 V.N119")
    assert submit(changed).status_code == 409


def test_get_certificate_negotiates_and_keeps_to_its_countries(
    lodge: Callable[..., Any], submit: Callable[..., Any], client: TestClient, tokens: dict[str, str]
) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    created = submit(_naming(FORM_D, mrn)).json()
    url = f"/certificates-of-origin/{created['id']}"
    seen = client.get(url, headers=auth(tokens["VN"])).json()
    assert seen.pop("messages")[0]["message_id"] == created.pop("messages")[0]["message_id"]  # its state moves on
    assert seen == created
    as_xml = client.get(url, headers={"Authorization": f"Bearer {tokens['TH']}", "Accept": "application/xml"})
    assert as_xml.headers["content-type"].startswith("application/xml")
    assert validate(as_xml.content, media_type="application/xml", expected_type="customs.certificate-of-origin").valid
    assert client.get(url, headers=auth(tokens["JP"])).status_code == 403
    assert client.get("/certificates-of-origin/nope", headers=auth(tokens["TH"])).status_code == 404


def test_certificate_json_with_a_control_character_is_422(submit: Callable[..., Any]) -> None:
    data = load(CERTIFICATES / "valid" / "ajcep-form-aj-kh-to-jp-cotton-garments.json")
    data["Exporter"]["Name"] += "\u0007"
    response = submit(json.dumps(data).encode(), "KH")
    assert response.status_code == 422, response.text
    assert [e["code"] for e in response.json()["errors"]] == ["XML_CHARACTER_NOT_ALLOWED"]
