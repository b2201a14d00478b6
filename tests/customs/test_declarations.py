"""Lodging declarations over HTTP: MRN, lane, history, release, idempotency, identity, bad input."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.customs import repository
from services.customs.declaration_facts import facts_of
from services.kernel.registry import REGISTRY
from services.kernel.validation import validate
from tests.customs.conftest import DECLARATIONS, FORM_D, JP_IMPORT, TH_EXPORT, auth, is_valid_mrn, load

VALID = sorted((DECLARATIONS / "valid").glob("*.json"))


def _lodger(path: Path) -> str:
    """The country whose customs takes the fixture: export country for an export, destination for an import."""
    data = load(path)
    return facts_of(REGISTRY.get(data["document_type"]).model.model_validate(data, strict=False)).lodging_country


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_every_valid_fixture_is_accepted_with_an_mrn_of_its_country(
    lodge: Callable[..., Any], client: TestClient, tokens: dict[str, str], path: Path, fmt: str
) -> None:
    country = _lodger(path)
    response = lodge(path.with_suffix(f".{fmt}").read_bytes(), country, f"application/{fmt}")
    assert response.status_code == 201, response.text
    body = response.json()
    mrn = body["mrn"]
    assert is_valid_mrn(mrn)
    assert mrn[2:4] == country
    assert response.headers["location"] == f"/declarations/{mrn}"
    numbered = body["declaration"].get("Declaration", body["declaration"])  # 2.0: Declaration/ID
    assert numbered["ID"] == mrn  # customs' own number, whatever ID the trader sent
    assert body["declaration"]["document_type"] == load(path)["document_type"]
    assert [h["status"] for h in body["history"]][:3] == ["lodged", "accepted", f"lane:{body['lane']}"]
    again = client.get(f"/declarations/{mrn}", headers=auth(tokens[country])).json()
    assert [m["message_id"] for m in again.pop("messages")] == [m["message_id"] for m in body.pop("messages")]
    assert again == body  # (the messages' delivery state moves on meanwhile)


def test_green_lane_is_released_at_once(lodge: Callable[..., Any]) -> None:
    body = lodge(load(TH_EXPORT)).json()
    assert (body["lane"], body["status"], body["lane_reasons"]) == ("green", "released", [])
    assert [h["status"] for h in body["history"]] == ["lodged", "accepted", "lane:green", "released"]
    assert all(h["at"] for h in body["history"])


def test_red_lane_waits_under_control_until_an_officer_releases_it(
    make_client: Callable[..., TestClient], tokens: dict[str, str]
) -> None:
    client = make_client(risk_red_hs_chapters="40")
    created = client.post("/declarations", content=TH_EXPORT.read_bytes(), headers=auth(tokens["TH"])).json()
    assert (created["lane"], created["status"]) == ("red", "under-control")
    assert created["lane_reasons"] == ["goods item 1: HS chapter 40 is a red-lane chapter",
                                       "goods item 2: HS chapter 40 is a red-lane chapter"]
    mrn = created["mrn"]
    refused = client.post(f"/declarations/{mrn}/release", headers=auth(tokens["TH"]))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    released = client.post(f"/declarations/{mrn}/release", headers=auth(tokens["OPERATOR"]))
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    assert [h["status"] for h in released.json()["history"]] == [
        "lodged", "accepted", "lane:red", "under-control", "released"]
    assert client.post(f"/declarations/{mrn}/release", headers=auth(tokens["OPERATOR"])).status_code == 409
    assert client.post("/declarations/26TH0000000000000X/release",
                       headers=auth(tokens["OPERATOR"])).status_code == 404


def test_lane_policy_comes_from_the_settings(make_client: Callable[..., TestClient], tokens: dict[str, str]) -> None:
    client = make_client(risk_value_threshold=10_000)
    body = client.post("/declarations", content=TH_EXPORT.read_bytes(), headers=auth(tokens["TH"])).json()
    assert (body["lane"], body["status"]) == ("yellow", "under-control")
    assert body["lane_reasons"] == ["invoice amount 48250.00 USD is above the threshold of 10000"]


def test_same_declaration_again_is_the_same_mrn_in_either_format(lodge: Callable[..., Any]) -> None:
    first = lodge(load(TH_EXPORT))
    again = lodge(load(TH_EXPORT))
    as_xml = lodge(TH_EXPORT.with_suffix(".xml").read_bytes(), "TH", "application/xml")
    other_id = lodge(load(TH_EXPORT) | {"ID": "26TH0300EX0000999"})  # the trader's ID is not customs' MRN
    assert [r.status_code for r in (first, again, as_xml, other_id)] == [201, 200, 200, 200]
    assert {r.json()["mrn"] for r in (first, again, as_xml, other_id)} == {first.json()["mrn"]}
    assert len(again.json()["messages"]) == 1  # the ACDD was queued once


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_the_lodging_answer_is_the_record_as_a_replay_and_get_read_it_back(
    make_client: Callable[..., TestClient], tokens: dict[str, str], path: Path
) -> None:
    """The 201 is written from what lodging stored, not read back: it must be what reading it back gives."""
    client = make_client(hub_url="")  # no dispatcher: the ACDD stays PENDING between the requests
    country = _lodger(path)
    body = path.read_bytes()
    created = client.post("/declarations", content=body, headers=auth(tokens[country]))
    assert created.status_code == 201, created.text
    replay = client.post("/declarations", content=body, headers=auth(tokens[country]))
    shown = client.get(created.headers["location"], headers=auth(tokens[country]))
    assert (replay.status_code, shown.status_code) == (200, 200)
    assert created.content == replay.content
    assert created.json() == shown.json()


def test_other_content_under_the_same_lrn_is_a_conflict(lodge: Callable[..., Any]) -> None:
    first = lodge(load(TH_EXPORT))
    changed = load(TH_EXPORT) | {"DeclarationOfficeID": "THBKK001"}
    conflict = lodge(changed)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert first.json()["mrn"] in conflict.json()["detail"]
    assert lodge(changed | {"FunctionalReferenceID": "TH-SIAMRUB-2026-000418"}).status_code == 201


def test_a_concurrent_duplicate_becomes_a_replay_not_an_error(
    lodge: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = lodge(load(TH_EXPORT)).json()
    real = repository.find_declaration
    calls: list[int] = []

    def not_yet_visible(session: Any, **key: str) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else real(session, **key)  # as if the other request had not committed

    monkeypatch.setattr(repository, "find_declaration", not_yet_visible)
    racing = lodge(load(TH_EXPORT))
    assert racing.status_code == 200, racing.text
    assert racing.json()["mrn"] == first["mrn"]
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("path", "country"),
    [(TH_EXPORT, "VN"), (TH_EXPORT, "JP"), (JP_IMPORT, "TH")],
    ids=["export-by-destination", "export-by-bystander", "import-by-export-country"],
)
def test_only_the_lodging_country_may_lodge(lodge: Callable[..., Any], path: Path, country: str) -> None:
    response = lodge(load(path), country)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_the_operator_lodges_for_any_country(lodge: Callable[..., Any]) -> None:
    response = lodge(load(JP_IMPORT), "OPERATOR")
    assert response.status_code == 201
    assert response.json()["mrn"][2:4] == "JP"


@pytest.mark.parametrize(
    ("fixture", "code"),
    [("goods-item-quantity-mismatch.json", "GOODS_ITEM_QUANTITY_MISMATCH"),
     ("missing-declarant.xml", "SCHEMA_REQUIRED"),
     ("aeo-authorisation-holder-in-version-1-0.json", "SCHEMA_UNEXPECTED")],
)
def test_invalid_declaration_is_422_with_its_findings(lodge: Callable[..., Any], fixture: str, code: str) -> None:
    path = DECLARATIONS / "invalid" / fixture
    response = lodge(path.read_bytes(), "OPERATOR", f"application/{path.suffix[1:]}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert code in {e["code"] for e in response.json()["errors"]}


def test_another_document_type_is_refused(lodge: Callable[..., Any]) -> None:
    response = lodge(FORM_D.read_bytes())
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["WRONG_DOCUMENT_TYPE"]


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, b"{}", 401),
        ({"Authorization": "Bearer not-a-token", "Content-Type": "application/json"}, b"{}", 401),
        ({"Content-Type": "text/plain"}, b"hello", 415),
        ({"Content-Type": "application/json"}, b'{"document_type": "customs.declaration/1.0",', 400),
        ({"Content-Type": "application/xml"}, b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", 400),
        ({"Content-Type": "application/json"}, b"", 400),
    ],
    ids=["no-token", "unknown-token", "media-type", "malformed-json", "doctype", "empty"],
)
def test_bad_requests_get_problem_json(
    client: TestClient, tokens: dict[str, str], headers: dict[str, str], body: bytes, status: int
) -> None:
    if "Authorization" not in headers and status != 401:
        headers = headers | {"Authorization": f"Bearer {tokens['TH']}"}
    response = client.post("/declarations", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


def test_body_over_the_limit_is_413(make_client: Callable[..., TestClient], tokens: dict[str, str]) -> None:
    small = make_client(max_body_bytes=1024)
    response = small.post("/declarations", content=TH_EXPORT.read_bytes(), headers=auth(tokens["TH"]))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_get_answers_json_by_default_and_the_declaration_as_xml_on_request(
    lodge: Callable[..., Any], client: TestClient, tokens: dict[str, str]
) -> None:
    mrn = lodge(load(JP_IMPORT), "JP").json()["mrn"]
    as_json = client.get(f"/declarations/{mrn}", headers=auth(tokens["JP"]))
    assert as_json.headers["content-type"] == "application/json"
    answer = client.get(f"/declarations/{mrn}", headers={"Authorization": f"Bearer {tokens['JP']}",
                                                         "Accept": "application/xml"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    assert b"urn:swx:customs.declaration:1.1" in answer.content
    assert f"<ID>{mrn}</ID>".encode() in answer.content
    report = validate(answer.content, media_type="application/xml", expected_type="customs.declaration")
    assert report.valid, [f.as_dict() for f in report.findings]


def test_declarations_are_seen_by_their_two_countries_only(
    lodge: Callable[..., Any], client: TestClient, tokens: dict[str, str]
) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    statuses = {c: client.get(f"/declarations/{mrn}", headers=auth(tokens[c])).status_code
                for c in ("TH", "VN", "JP", "OPERATOR")}
    assert statuses == {"TH": 200, "VN": 200, "JP": 403, "OPERATOR": 200}
    assert client.get("/declarations/26TH0000000000000X", headers=auth(tokens["TH"])).status_code == 404
    assert client.get(f"/declarations/{mrn}").status_code == 401


def test_list_filters_and_pages_newest_first(
    lodge: Callable[..., Any], client: TestClient, tokens: dict[str, str]
) -> None:
    lrns = [f"TH-SIAMRUB-2026-00{n:04d}" for n in range(3)]
    mrns = [lodge(load(TH_EXPORT) | {"FunctionalReferenceID": lrn}).json()["mrn"] for lrn in lrns]
    coffee = lodge(load(DECLARATIONS / "valid" / "la-export-arabica-coffee-vientiane-to-bangkok-by-road.json"), "LA")
    rice = lodge(load(JP_IMPORT), "JP")
    assert coffee.json()["lane"] == "yellow"  # THB 4,668,000 is above the nominal threshold

    def listed(query: str = "", country: str = "TH") -> list[str]:
        response = client.get(f"/declarations{query}", headers=auth(tokens[country]))
        assert response.status_code == 200, response.text
        return [item["mrn"] for item in response.json()["items"]]

    everything = [rice.json()["mrn"], coffee.json()["mrn"], *reversed(mrns)]
    assert listed() == everything  # TH exports the rubber and the rice, and receives the coffee
    assert listed("?limit=2") == everything[:2]
    assert listed("?limit=2&offset=2") == everything[2:4]
    assert listed("?offset=4") == everything[4:]
    assert listed("?lane=yellow") == [coffee.json()["mrn"]]
    assert listed("?status=under-control") == [coffee.json()["mrn"]]
    assert listed("?status=released&type=EX") == list(reversed(mrns))
    assert listed("?type=IM") == [rice.json()["mrn"]]
    assert listed(f"?lrn={lrns[1]}") == [mrns[1]]
    assert listed(country="VN") == list(reversed(mrns))
    assert listed(country="KH") == []
    assert len(listed(country="OPERATOR")) == 5
    for bad in ("?limit=0", "?limit=201", "?offset=-1", "?lane=blue", "?type=XX", "?status=lodged"):
        assert client.get(f"/declarations{bad}", headers=auth(tokens["TH"])).status_code == 400, bad


def test_metrics_count_validations_by_outcome(lodge: Callable[..., Any], client: TestClient) -> None:
    lodge(load(TH_EXPORT))
    lodge(json.dumps(load(TH_EXPORT) | {"GoodsItemQuantity": 3}).encode())
    metrics = client.get("/metrics").text
    for outcome in ("accepted", "refused"):
        assert (f'swx_validations_total{{document_type="customs.declaration/1.0",outcome="{outcome}",'
                f'service="customs"}} 1.0') in metrics
    assert client.get("/healthz").json() == {"status": "ok", "service": "customs", "database": "up"}


@pytest.mark.parametrize("char", ["\u0001", "\u001f", "\ufffe"])
def test_json_with_a_character_xml_cannot_carry_is_422_not_500(lodge: Callable[..., Any], char: str) -> None:
    data = load(TH_EXPORT)
    data["GoodsShipment"]["GovernmentAgencyGoodsItem"][1]["Commodity"]["Description"] = f"Latex{char}"
    response = lodge(data)
    assert response.status_code == 422, response.text
    assert [(e["code"], e["location"]["pointer"]) for e in response.json()["errors"]] == [
        ("XML_CHARACTER_NOT_ALLOWED", "/GoodsShipment/GovernmentAgencyGoodsItem/1/Commodity/Description")]


def test_line_breaks_and_tabs_are_fine_in_both_forms(lodge: Callable[..., Any], client: TestClient,
                                                     tokens: dict[str, str]) -> None:
    data = load(TH_EXPORT)
    commodity = data["GoodsShipment"]["GovernmentAgencyGoodsItem"][1]["Commodity"]
    commodity["Description"] = "Natural rubber\tlatex,\nprevulcanised"
    mrn = lodge(data).json()["mrn"]
    answer = client.get(f"/declarations/{mrn}", headers={"Authorization": f"Bearer {tokens['TH']}",
                                                         "Accept": "application/xml"})
    assert answer.status_code == 200
    assert b"Natural rubber\tlatex,\nprevulcanised" in answer.content
