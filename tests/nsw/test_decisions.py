"""The NSW's decisions on their own: watchlist screening, customs, port clearance; every answer valid."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from services.kernel import canonical
from services.kernel.findings import MAX_FINDINGS
from services.kernel.messages.customs import CertificateOfOrigin
from services.kernel.messages.immigration import PassengerManifest
from services.kernel.messages.port import VesselCall
from services.kernel.messages.types import Document
from services.kernel.rules.catalogue import RULE_CODES
from services.kernel.validation import validate
from services.nsw import business_responses, person_checks
from services.nsw.config import WATCHLIST, NSWSettings
from services.nsw.customs_decisions import answer_certificate
from services.nsw.immigration_decisions import answer_manifest
from services.nsw.port_decisions import answer_vessel_call
from services.nsw.watchlist import Watchlist, WatchlistSource, load_watchlist

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NOW = dt.datetime(2026, 11, 18, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
ANSWERED = ("customs.acdd", "customs.certificate-of-origin", "immigration.passenger-manifest", "port.vessel-call")


def _document(relative: str) -> Document:
    path = FIXTURES / relative
    media = {".xml": "application/xml", ".json": "application/json", ".edi": "application/edifact"}[path.suffix]
    report = validate(path.read_bytes(), media_type=media)
    assert report.valid, report.findings
    assert report.document is not None
    return report.document


@pytest.fixture(scope="module")
def watchlist() -> Watchlist:
    return load_watchlist(WATCHLIST)


@pytest.mark.parametrize("path", sorted(p for t in ANSWERED for p in (FIXTURES / t / "valid").glob("*.*")),
                         ids=lambda p: p.name)
@pytest.mark.parametrize("country", ["JP", "MM", "VN"])
def test_every_answer_to_every_valid_fixture_validates(path: Path, country: str, watchlist: Watchlist) -> None:
    found = business_responses.business_response(_document(str(path.relative_to(FIXTURES))), country=country,
                                      watchlist=watchlist)
    assert found is not None
    document, message_type = found
    for data, media in ((canonical.xml_bytes(document, message_type), "application/xml"),
                        (canonical.json_text(document).encode(), "application/json")):
        report = validate(data, media_type=media, expected_type=message_type)
        assert report.valid, [f.as_dict() for f in report.findings]


@pytest.mark.parametrize("name", ["tg560-bkk-han-passengers-paxlst-d05b-crlf.edi", "tg560-bkk-han-passengers.xml"])
def test_paxlst_and_xml_manifests_of_tg560_screen_alike(name: str, watchlist: Watchlist) -> None:
    manifest = _document(f"immigration.passenger-manifest/valid/{name}")
    assert isinstance(manifest, PassengerManifest)
    response = answer_manifest(manifest, country="VN", watchlist=watchlist, now=NOW, token="T1")
    flagged = {(d.Surname, d.DecisionCode, d.ReasonCode) for d in response.PersonDecision if d.DecisionCode != "board"}
    assert flagged == {("WONGSAWAT", "no-board", "WATCHLIST_DOCUMENT_MATCH"),
                       ("CHHEANG", "refer", "WATCHLIST_IDENTITY_MATCH")}


def test_expired_passport_is_no_board_for_that_person_while_the_flight_boards(watchlist: Watchlist) -> None:
    manifest = _document("immigration.passenger-manifest/valid/tg560-bkk-han-passengers-one-passport-expired-paxlst"
                         "-d05b.edi")
    assert isinstance(manifest, PassengerManifest)
    response = answer_manifest(manifest, country="VN", watchlist=watchlist, now=NOW, token="T7")
    decided = {d.Surname: (d.DecisionCode, d.ReasonCode) for d in response.PersonDecision}
    assert decided.pop("LE") == ("no-board", "DOCUMENT_EXPIRED")
    assert decided.pop("WONGSAWAT") == ("no-board", "WATCHLIST_DOCUMENT_MATCH")
    assert decided.pop("CHHEANG") == ("refer", "WATCHLIST_IDENTITY_MATCH")
    assert set(decided.values()) == {("board", None)}
    expired = next(d for d in response.PersonDecision if d.Surname == "LE")
    assert expired.Remarks is not None
    assert "C3358172 expired on 2026-10-31" in expired.Remarks


# The rules' person findings; a PAXLST parser warning on a person is decided by the rule its gap trips (below).
PERSON_FIXTURES = {name: spec for name, spec in json.loads(
    (FIXTURES / "immigration.passenger-manifest/invalid/expected.json").read_text()).items()
    if "subject" in spec and spec["code"] in RULE_CODES}


@pytest.mark.parametrize("name", sorted(PERSON_FIXTURES))
def test_each_person_finding_decides_that_person_by_the_table(name: str) -> None:
    spec = PERSON_FIXTURES[name]
    manifest = _document(f"immigration.passenger-manifest/invalid/{name}")
    assert isinstance(manifest, PassengerManifest)
    response = answer_manifest(manifest, country="VN", watchlist=Watchlist([]), now=NOW, token="T8")
    flagged = {(f"/Person/{i}", d.DecisionCode, d.ReasonCode)
               for i, d in enumerate(response.PersonDecision) if d.DecisionCode != "board"}
    assert flagged == {(spec["subject"], person_checks.DECISIONS[spec["code"]], spec["code"])}


def test_a_watchlist_refer_gives_way_to_an_expired_passport(watchlist: Watchlist) -> None:
    data = json.loads((FIXTURES / "immigration.passenger-manifest/valid/tg560-bkk-han-passengers.json").read_text())
    chheang = data["Person"][7]
    assert chheang["Surname"] == "CHHEANG"
    chheang["TravelDocument"][0]["ExpiryDate"] = "2026-11-17"
    chheang["TravelDocument"][0].pop("MRZLine", None)
    response = answer_manifest(PassengerManifest.model_validate(data, strict=False), country="VN",
                               watchlist=watchlist, now=NOW, token="T9")
    decision = response.PersonDecision[7]
    assert (decision.DecisionCode, decision.ReasonCode) == ("no-board", "DOCUMENT_EXPIRED")
    assert decision.Remarks is not None
    assert "WL-2026-0212" in decision.Remarks
    assert "expired on 2026-11-17" in decision.Remarks


def test_every_person_is_decided_however_many_findings_the_manifest_has() -> None:
    data = json.loads((FIXTURES / "immigration.passenger-manifest/valid/tg560-bkk-han-passengers.json").read_text())
    template = data["Person"][1]
    passport = {k: v for k, v in template["TravelDocument"][0].items() if k != "MRZLine"}
    persons = MAX_FINDINGS * 3
    data["Person"] = [template | {"SequenceNumeric": n, "TravelDocument": [passport | {"ExpiryDate": "2026-01-31"}]}
                      for n in range(1, persons + 1)]
    data["TotalPersonQuantity"] = persons
    report = validate(json.dumps(data).encode(), media_type="application/json")
    assert report.valid
    assert len(report.findings) == MAX_FINDINGS + 1  # the list a sender reads is capped ...
    assert isinstance(report.document, PassengerManifest)
    response = answer_manifest(report.document, country="VN", watchlist=Watchlist([]), now=NOW, token="T10")
    assert {d.DecisionCode for d in response.PersonDecision} == {"no-board"}  # ... the decisions never are
    assert len(response.PersonDecision) == persons


def test_watchlist_matches_ignore_case_and_spacing(watchlist: Watchlist) -> None:
    hit = watchlist.screen(surname=" lim ", given_names="boon  keng", birth_date=dt.date(1968, 11, 30), documents=[])
    assert hit is not None
    assert hit.entry.id == "WL-2026-0058"
    assert watchlist.screen(surname="X", given_names=None, birth_date=None, documents=["e 7731592"]) is not None
    assert watchlist.screen(surname="LIM", given_names="BOON KENG", birth_date=dt.date(1968, 11, 29),
                            documents=["E7731593"]) is None


def test_nobody_else_in_the_fixtures_is_on_the_watchlist(watchlist: Watchlist) -> None:
    hits = set()
    for path in sorted((FIXTURES / "immigration.passenger-manifest" / "valid").glob("*.*")):
        manifest = _document(str(path.relative_to(FIXTURES)))
        assert isinstance(manifest, PassengerManifest)
        for person in manifest.Person:
            hit = watchlist.screen(surname=person.Surname, given_names=person.GivenNames,
                                   birth_date=person.BirthDate, documents=[d.ID for d in person.TravelDocument or ()])
            if hit:
                hits.add((manifest.Transport.JourneyID, person.Surname, hit.entry.id))
    assert hits == {("TG560", "WONGSAWAT", "WL-2026-0147"), ("TG560", "CHHEANG", "WL-2026-0212")}


def test_vessel_call_with_a_watchlisted_crew_member_is_refused_by_immigration(watchlist: Watchlist) -> None:
    data = json.loads((FIXTURES / "port.vessel-call/valid/khpnh-to-vnsgn-river-container-ship-phuoc-an-28-arrival"
                       ".json").read_text())
    data["Crew"][5]["IdentityDocument"]["ID"] = "FT4471029"
    call = VesselCall.model_validate(data, strict=False)
    clearance = answer_vessel_call(call, country="VN", watchlist=watchlist, now=NOW, token="T2")
    decisions = {d.AgencyCode: d for d in clearance.AgencyDecision}
    immigration = decisions["immigration"]
    assert immigration.DecisionCode == "refused"
    assert immigration.Remarks is not None
    assert "WL-2025-0931" in immigration.Remarks
    assert "crew member 6" in immigration.Remarks
    assert (decisions["customs"].DecisionCode, decisions["port-health"].DecisionCode) == ("granted", "granted")


def test_fever_reported_on_board_keeps_port_health_pending(watchlist: Watchlist) -> None:
    call = _document("port.vessel-call/valid/thlch-to-jpyok-container-ship-siam-harmony-arrival-with-passengers.json")
    assert isinstance(call, VesselCall)
    clearance = answer_vessel_call(call, country="JP", watchlist=watchlist, now=NOW, token="T3")
    assert [(d.AgencyCode, d.DecisionCode) for d in clearance.AgencyDecision] == [
        ("customs", "granted"), ("immigration", "granted"), ("port-health", "pending")]


def test_certificate_without_declaration_is_answered_by_its_reference() -> None:
    certificate = _document("customs.certificate-of-origin/valid/ajcep-form-aj-kh-to-jp-cotton-garments.json")
    assert isinstance(certificate, CertificateOfOrigin)
    response = answer_certificate(certificate, country="JP", now=NOW, token="T4")
    assert response.FunctionCode == "01"
    assert (response.Declaration.ID, response.Declaration.FunctionalReferenceID) == (None, "KH-AJ-2026-SHV-000731")


def test_wholly_obtained_garments_and_low_value_content_are_rejected() -> None:
    certificate = _document("customs.certificate-of-origin/valid/ajcep-form-aj-kh-to-jp-cotton-garments.json")
    assert isinstance(certificate, CertificateOfOrigin)
    items = [certificate.GoodsItem[0].model_copy(update={"OriginCriterionCode": "WO"}),
             certificate.GoodsItem[1].model_copy(update={"OriginCriterionCode": "RVC35"})]
    response = answer_certificate(certificate.model_copy(update={"GoodsItem": items}), country="JP", now=NOW,
                                  token="T5")
    assert response.FunctionCode == "03"
    assert [(e.ValidationCode, e.Pointer) for e in response.Error or ()] == [
        ("CO_ORIGIN_CRITERION", "/GoodsItem/0/OriginCriterionCode"),
        ("CO_RVC_THRESHOLD", "/GoodsItem/1/OriginCriterionCode")]
    report = validate(canonical.xml_bytes(response, business_responses.CUSTOMS_RESPONSE), media_type="application/xml")
    assert report.valid, report.findings


def test_certificate_for_another_import_country_is_rejected() -> None:
    certificate = _document("customs.certificate-of-origin/valid/atiga-form-d-th-to-vn-natural-rubber.json")
    assert isinstance(certificate, CertificateOfOrigin)
    response = answer_certificate(certificate, country="LA", now=NOW, token="T6")
    assert response.FunctionCode == "03"
    assert response.Error is not None
    assert response.Error[0].ValidationCode == "CO_IMPORT_COUNTRY"


def test_a_changed_watchlist_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.json"
    path.write_text(json.dumps({"entries": []}))
    source = WatchlistSource(path)
    assert source.current().entries == ()
    path.write_text(json.dumps({"entries": [{"id": "WL-1", "surname": "DOE", "document_numbers": ["X1"],
                                             "reason": "test"}]}))
    os.utime(path, ns=(1, 10**18))
    assert [e.id for e in source.current().entries] == ["WL-1"]


def test_settings_name_a_participant_and_fall_back_to_the_shared_agency_urls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SWX_NSW_COUNTRY", "vn")
    monkeypatch.setenv("SWX_CUSTOMS_URL", "http://127.0.0.1:8101/")
    monkeypatch.delenv("SWX_PORT_URL", raising=False)
    monkeypatch.delenv("SWX_NSW_PORT_URL", raising=False)
    settings = NSWSettings()
    assert settings.country == "VN"
    assert settings.agency_url("customs") == "http://127.0.0.1:8101"
    assert settings.agency_url("port") is None
    assert settings.database_for("nsw-vn").endswith("nsw-vn.db")
    with pytest.raises(ValueError, match="one of"):
        NSWSettings(country="US")


EXPIRED_EDI = FIXTURES / ("immigration.passenger-manifest/valid/"
                          "tg560-bkk-han-passengers-one-passport-expired-paxlst-d05b.edi")


@pytest.mark.parametrize(("sent", "altered"), [
    ("DTM+36:310630'", "DTM+36:31-06-30'"),  # expiry unreadable: left out by the parser
    ("+C4821937'", "+C48-21937'"),  # document number malformed: the document is left out
    ("NAT+2+VNM'", "NAT+2+VN'"),  # nationality not alpha-3: left out
    ("DOC+P:110:111+C4821937'", ""),  # no travel document at all
], ids=["expiry", "document-number", "nationality", "no-doc"])
def test_a_person_whose_core_data_cannot_be_read_is_referred_not_boarded(sent: str, altered: str) -> None:
    text = EXPIRED_EDI.read_text()
    assert sent in text
    report = validate(text.replace(sent, altered, 1).encode(), media_type="application/edifact")
    assert report.valid, report.findings
    # the parser's warning about what it left out names the person, as the rule's finding does
    on_first = {f.code for f in report.findings if f.subject == "/Person/0"}
    assert "PERSON_CORE_DATA_MISSING" in on_first
    assert {code for code in on_first if code.startswith("PAXLST_")} == {"PAXLST_BAD_DATE" if "DTM" in sent
                                                                         else "PAXLST_BAD_VALUE"}
    assert isinstance(report.document, PassengerManifest)
    response = answer_manifest(report.document, country="VN", watchlist=Watchlist([]), now=NOW, token="T11")
    first = response.PersonDecision[0]
    assert first.Surname == "NGUYEN"
    assert (first.DecisionCode, first.ReasonCode) == ("refer", "PERSON_CORE_DATA_MISSING")


def test_a_rule_that_fails_refers_everyone_rather_than_boarding_them(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(lines: list[str]) -> None:
        raise RuntimeError("a bug in the MRZ reader")

    manifest = _document("immigration.passenger-manifest/valid/tg560-bkk-han-passengers.json")
    assert isinstance(manifest, PassengerManifest)
    monkeypatch.setattr("services.kernel.rules.immigration_rules.read_mrz", broken)
    response = answer_manifest(manifest, country="VN", watchlist=Watchlist([]), now=NOW, token="T12")
    assert {(d.DecisionCode, d.ReasonCode) for d in response.PersonDecision} == {("refer", "RULE_FAILED")}
