"""Certificates of origin 1.1 at the exporting customs: sent on as 1.1, replaced, cancelled."""

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kernel.validation import validate
from tests.customs.conftest import CERTIFICATES, TH_EXPORT, auth, load

VALID = CERTIFICATES / "valid"
RUBBER = VALID / "atiga-form-d-1-1-th-to-vn-rubber-wo-and-rvc-40.json"
CANCELLED = VALID / "atiga-form-d-1-1-kh-to-th-shirts-cancelled-preference-not-given.json"
REPLACEMENT = VALID / "atiga-form-d-1-1-kh-to-th-shirts-replacement-partial-cumulation.json"
ORIGINAL_REFERENCE = "KH-D-2026-0004410"


def shirts_original() -> dict[str, Any]:
    """The certificate the cancellation fixture cancels, as first submitted: no box 4, no remarks."""
    data = load(CANCELLED)
    data["StatusCode"] = "original"
    del data["OfficialUse"], data["Remarks"]
    return data


@pytest.fixture
def submit(client: TestClient, tokens: dict[str, str]) -> Callable[..., Any]:
    def post(document: dict[str, Any] | bytes, country: str = "KH", content_type: str = "application/json") -> Any:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        return client.post("/certificates-of-origin", content=body, headers=auth(tokens[country], content_type))

    return post


@pytest.fixture
def show(client: TestClient, tokens: dict[str, str]) -> Callable[..., Any]:
    def get(certificate_id: str, country: str = "KH") -> Any:
        response = client.get(f"/certificates-of-origin/{certificate_id}", headers=auth(tokens[country]))
        assert response.status_code == 200, response.text
        return response.json()

    return get


def _sent(hub: Any) -> list[dict[str, Any]]:
    return [e for e in hub.received if e["document_type"].startswith("customs.certificate-of-origin/")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_1_1_certificate_is_checked_against_its_declaration_and_sent_on_as_1_1(
    lodge: Callable[..., Any], submit: Callable[..., Any], hub: Any, eventually: Callable[..., None], fmt: str
) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    body = RUBBER.with_suffix(f".{fmt}").read_bytes().replace(b"26TH0300EX0000417", mrn.encode())
    response = submit(body, "TH", f"application/{fmt}")
    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["replaces"], response.json()["replaced_by"]) == (
        "in-force", None, None)
    assert [m["document_type"] for m in response.json()["messages"]] == ["customs.certificate-of-origin/1.1"]
    eventually(lambda: len(_sent(hub)) == 1, what="the certificate to reach the hub")
    [envelope] = _sent(hub)
    report = validate(envelope["payload"].encode(), media_type="application/xml")
    assert report.valid, report.findings
    assert report.message_type is not None
    assert report.message_type.key == "customs.certificate-of-origin/1.1"


def test_a_1_1_certificate_whose_item_is_not_declared_is_422(
    lodge: Callable[..., Any], submit: Callable[..., Any]
) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    data = load(RUBBER) | {"DeclarationID": mrn}
    data["GoodsItem"][1]["HSCode"] = "400121"
    response = submit(data, "TH")
    assert response.status_code == 422, response.text
    assert [e["code"] for e in response.json()["errors"]] == ["CO_ITEM_NOT_IN_DECLARATION"]


def test_a_replacement_marks_the_certificate_it_replaces(
    submit: Callable[..., Any], show: Callable[..., Any], hub: Any, eventually: Callable[..., None]
) -> None:
    original = submit(shirts_original())
    assert original.status_code == 201, original.text
    replacement = submit(load(REPLACEMENT))
    assert replacement.status_code == 201, replacement.text
    original_id, replacement_id = original.json()["id"], replacement.json()["id"]
    replaced = show(original_id)
    assert replaced["status"] == "replaced"
    assert replaced["replaced_by"] == {"id": replacement_id, "reference_id": "KH-D-2026-0004518",
                                       "href": f"/certificates-of-origin/{replacement_id}"}
    shown = show(replacement_id)
    assert (shown["status"], shown["replaces"]["id"]) == ("in-force", original_id)
    eventually(lambda: len(_sent(hub)) == 2, what="both certificates to reach the hub")
    assert [e["receiver"] for e in _sent(hub)] == ["TH", "TH"]

    again = submit(load(REPLACEMENT))  # the same replacement again is a replay, not a second replacement
    assert (again.status_code, again.json()["id"]) == (200, replacement_id)
    second = load(REPLACEMENT) | {"ReferenceID": "KH-D-2026-0004601"}
    refused = submit(second)
    assert refused.status_code == 409, refused.text
    assert "already replaced by KH-D-2026-0004518" in refused.json()["detail"]


def test_a_replacement_of_an_unknown_certificate_is_404(submit: Callable[..., Any]) -> None:
    response = submit(load(REPLACEMENT))
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert ORIGINAL_REFERENCE in response.json()["detail"]


def test_a_replacement_for_another_import_country_is_409(submit: Callable[..., Any]) -> None:
    assert submit(shirts_original()).status_code == 201
    elsewhere = load(REPLACEMENT) | {"ImportCountryCode": "VN"}
    elsewhere["ExporterDeclaration"]["ImportCountryCode"] = "VN"
    elsewhere["Transport"]["DischargeLocationID"] = "VNSGN"
    response = submit(elsewhere)
    assert response.status_code == 409, response.text
    assert "import into TH" in response.json()["detail"]


def test_a_cancellation_updates_the_certificate_and_goes_to_the_importing_country(
    submit: Callable[..., Any], show: Callable[..., Any], hub: Any, eventually: Callable[..., None]
) -> None:
    original = submit(shirts_original())
    assert original.status_code == 201, original.text
    cancelled = submit(load(CANCELLED))
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["id"] == original.json()["id"]
    shown = show(original.json()["id"])
    assert (shown["status"], shown["certificate"]["StatusCode"]) == ("cancelled", "cancelled")
    assert len(shown["messages"]) == 2
    eventually(lambda: len(_sent(hub)) == 2, what="the cancellation to reach the hub")
    assert "<StatusCode>original</StatusCode>" in _sent(hub)[0]["payload"]
    assert "<StatusCode>cancelled</StatusCode>" in _sent(hub)[1]["payload"]

    again = submit(load(CANCELLED))
    assert again.status_code == 200
    assert len(again.json()["messages"]) == 2  # a replay sends nothing new
    other = load(CANCELLED) | {"Remarks": "Cancelled at the exporter's request."}
    assert submit(other).status_code == 409


def test_a_cancellation_of_an_unknown_certificate_is_404(submit: Callable[..., Any]) -> None:
    response = submit(load(CANCELLED))
    assert response.status_code == 404, response.text
    assert "nothing to cancel" in response.json()["detail"]


def test_a_cancellation_must_describe_the_certificate_it_cancels(submit: Callable[..., Any]) -> None:
    assert submit(shirts_original()).status_code == 201
    other_goods = copy.deepcopy(load(CANCELLED))
    other_goods["GoodsItem"][0]["HSCode"] = "620530"
    response = submit(other_goods)
    assert response.status_code == 409, response.text
    assert "does not describe the certificate it cancels" in response.json()["detail"]


def test_other_content_under_a_used_reference_still_conflicts(submit: Callable[..., Any]) -> None:
    assert submit(shirts_original()).status_code == 201
    changed = shirts_original()
    changed["GoodsItem"][0]["Description"] = "Men's shirts of cotton"
    response = submit(changed)
    assert response.status_code == 409, response.text
    assert "replacement" in response.json()["detail"]
