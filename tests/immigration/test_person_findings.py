"""One expired passport no longer refuses a flight: the manifest is accepted with the finding on
that person, forwarded, and the arrival country answers no-board for that person only."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kernel.findings import MAX_FINDINGS
from services.kernel.network import load_network
from services.kernel.validation import validate
from services.nsw.app import create_app as create_nsw_app
from services.nsw.config import NSWSettings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "immigration.passenger-manifest"
EXPIRED_PAXLST = FIXTURES / "valid" / "tg560-bkk-han-passengers-one-passport-expired-paxlst-d05b.edi"
EXPIRED_JSON = FIXTURES / "invalid" / "passport-expired-before-departure.json"
TG560_JSON = FIXTURES / "valid" / "tg560-bkk-han-passengers.json"


def test_expired_passport_is_accepted_with_the_finding_on_that_person(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]]
) -> None:
    response = submit(EXPIRED_PAXLST, "TH")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["person_count"] == 9
    assert [(w["code"], w["severity"], w["subject"]) for w in body["warnings"]] == [
        ("DOCUMENT_EXPIRED", "warning", "/Person/8")]
    assert [(m["receiver"], m["document_type"]) for m in body["messages"]] == [
        ("VN", "immigration.passenger-manifest/1.1")]  # PAXLST is read into 1.1
    persons = client.get(f"/manifests/{body['id']}/responses", headers=auth("TH")).json()["persons"]
    flagged = {p["surname"]: [f["code"] for f in p["findings"]] for p in persons if p["findings"]}
    assert flagged == {"LE": ["DOCUMENT_EXPIRED"]}


def test_every_person_keeps_their_findings_beyond_the_findings_listed(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]]
) -> None:
    document = json.loads(TG560_JSON.read_text())
    template = document["Person"][1]
    passport = {k: v for k, v in template["TravelDocument"][0].items() if k != "MRZLine"}  # expiry: the only fault
    persons = MAX_FINDINGS + 20
    document["Person"] = [template | {"SequenceNumeric": n, "TravelDocument": [
        passport | {"ID": f"C{n:07d}", "ExpiryDate": "2026-01-31"}]} for n in range(1, persons + 1)]
    document["TotalPersonQuantity"] = persons
    response = submit(json.dumps(document).encode(), "TH")
    assert response.status_code == 201, response.text
    assert response.json()["warnings"][-1]["code"] == "FINDINGS_TRUNCATED"
    stored = client.get(f"/manifests/{response.json()['id']}/responses", headers=auth("TH")).json()["persons"]
    assert [[f["code"] for f in p["findings"]] for p in stored] == [["DOCUMENT_EXPIRED"]] * persons


@pytest.fixture
def nsw_vn(tmp_path: Path, network_file: Path, hub: Any) -> tuple[TestClient, Any]:
    """VN's NSW endpoint in process, on a database of its own, with the hub it answers through
    stood in for (a second stand-in, of the same kind as the immigration service's)."""
    vn_hub = type(hub)()
    settings = NSWSettings(country="VN", database_url=f"sqlite:///{tmp_path / 'nsw-vn.db'}", network_file=network_file,
                           data_dir=tmp_path / "nsw", hub_url="http://hub.test")
    return TestClient(create_nsw_app(settings, hub_client=vn_hub.client())), vn_hub


def test_expired_passport_travels_and_comes_back_as_no_board_for_that_person_only(
    client: TestClient, submit: Callable[..., Any], auth: Callable[..., dict[str, str]], hub: Any,
    nsw_vn: tuple[TestClient, Any], network_file: Path, eventually: Callable[..., None],
) -> None:
    created = submit(EXPIRED_PAXLST, "TH").json()
    eventually(lambda: len(hub.received) == 1, what="the manifest to reach the hub")
    forwarded = hub.received[0]
    report = validate(forwarded["payload"].encode(), media_type=f"application/{forwarded['payload_format']}")
    assert report.valid, report.findings
    assert [(f.code, f.subject) for f in report.findings] == [("DOCUMENT_EXPIRED", "/Person/8")]

    nsw, vn_hub = nsw_vn
    with nsw:
        as_the_hub = {"Authorization": f"Bearer {load_network(network_file).hub_token}",
                      "Content-Type": "application/json"}
        received = nsw.post("/inbox", content=json.dumps(forwarded).encode(), headers=as_the_hub)
        assert received.status_code == 200, received.text
        eventually(lambda: len(vn_hub.received) == 1, what="VN's API response to reach the hub")
    answer = vn_hub.received[0]
    assert (answer["document_type"], answer["in_reply_to"]) == ("immigration.api-response/1.0",
                                                               forwarded["message_id"])
    recorded = client.post("/answers", content=json.dumps(answer).encode(),
                           headers=auth("TH", content_type="application/json"))
    assert recorded.status_code == 201, recorded.text

    persons = client.get(f"/manifests/{created['id']}/responses", headers=auth("TH")).json()["persons"]
    decided = {p["surname"]: (p["decision"], p["reason_code"]) for p in persons}
    assert decided.pop("LE") == ("no-board", "DOCUMENT_EXPIRED")
    assert decided.pop("WONGSAWAT") == ("no-board", "WATCHLIST_DOCUMENT_MATCH")
    assert decided.pop("CHHEANG") == ("refer", "WATCHLIST_IDENTITY_MATCH")
    assert set(decided.values()) == {("board", None)}
    expired = next(p for p in persons if p["surname"] == "LE")
    assert "expired on 2026-10-31" in expired["remarks"]


def test_manifest_level_faults_still_refuse_the_whole_manifest(submit: Callable[..., Any]) -> None:
    document = json.loads(EXPIRED_JSON.read_text())
    document["Person"][5]["SequenceNumeric"] = 9  # persons are named by number in the answer: a gap is the manifest's
    response = submit(json.dumps(document).encode(), "TH")
    assert response.status_code == 422, response.text
    assert {e["code"] for e in response.json()["errors"] if e["severity"] == "error"} == {
        "SEQUENCE_NUMBER_NOT_CONSECUTIVE"}


def test_real_paxlst_files_with_expired_passports_validate_with_person_findings(external: Path) -> None:
    for name in ("tamr-flight1.txt", "tamr-flight2.txt"):
        report = validate((external / "paxlst" / name).read_bytes(), media_type="application/edifact")
        assert report.valid, [f.as_dict() for f in report.errors]
        expired = [f for f in report.findings if f.code == "DOCUMENT_EXPIRED"]
        assert expired, name
        for finding in expired:
            assert finding.subject is not None
            assert finding.location.pointer is not None
            assert finding.location.pointer.startswith(finding.subject + "/TravelDocument/")
