"""VN answers an ACDD 1.1 (from a WCO declaration) with a customs.response 2.0 (WCO DM 3.6 RES)
when the sender accepts it, and with 1.0 otherwise; an ACDD 1.0 keeps its 1.0 answer."""

import datetime as dt
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from lxml import etree

from services.kernel import canonical, wco_xml
from services.kernel.messages.customs import Response
from services.kernel.messages.exchange import Envelope
from services.kernel.messages.wco.response import CustomsResponse
from services.kernel.signing import sign
from services.kernel.validation import validate
from services.nsw.wco_customs_response import wco_time
from tests.conftest import SHARED
from tests.nsw.conftest import FIXTURES

ACDD_1_0 = FIXTURES / "customs.acdd" / "valid" / "th-to-vn-natural-rubber-laem-chabang-to-saigon.json"
RES_SCHEMAS = SHARED / "external" / "wco-dec" / "schemas"


def acdd_1_1(**changes: Any) -> dict[str, Any]:
    """The TH->VN ACDD as 1.1: a consignor, and both items claiming ATIGA preference under an e-Form D."""
    data: dict[str, Any] = json.loads(ACDD_1_0.read_text(encoding="utf-8")) | {"document_type": "customs.acdd/1.1"}
    data["Consignor"] = {"Name": "Rayong Rubber Estates Co., Ltd."}
    for item in data["GoodsItem"]:
        item["Origin"] = [{"CountryCode": "TH", "TypeCode": "1"}, {"CountryCode": "TH", "TypeCode": "2"}]
        item["PreferenceCertificateID"] = "TH-D-2026-0088123"
    return data | changes


@pytest.fixture
def send(keys: dict[str, Ed25519PrivateKey], deliver: Callable[..., httpx.Response], hub: Any,
         eventually: Callable[..., None]) -> Callable[..., tuple[Envelope, Any]]:
    """Deliver ``document`` from TH to VN; the envelope VN answered with and its validated payload."""

    def answered(document: dict[str, Any]) -> tuple[Envelope, Any]:
        payload = json.dumps(document)
        message = sign(Envelope(message_id=str(uuid.uuid4()), conversation_id=str(uuid.uuid4()), sender="TH",
                                receiver="VN", document_type=document["document_type"],
                                created_at=dt.datetime.now(dt.UTC), payload_format="json", payload=payload,
                                payload_digest=canonical.digest(payload)), private_key=keys["TH"], key_id="TH")
        assert deliver(message).status_code == 200
        eventually(lambda: len(hub.received) == 1, what="the business response to reach the hub")
        sent = Envelope.model_validate(hub.received[0], strict=False)
        assert (sent.sender, sent.receiver, sent.in_reply_to) == ("VN", "TH", message.message_id)
        report = validate(sent.payload.encode(), media_type=f"application/{sent.payload_format}",
                          expected_type=sent.document_type)
        assert report.valid, [f.as_dict() for f in report.findings]
        return sent, report.document

    return answered


@pytest.fixture
def th_takes_response_1_0_only(network_file: Path) -> None:
    """TH's directory entry without customs.response/2.0 (set before VN's endpoint starts and reads it)."""
    directory = json.loads(network_file.read_text())
    entry = directory["participants"]["TH"]
    entry["accepts"] = [key for key in entry["accepts"] if key != "customs.response/2.0"]
    network_file.write_text(json.dumps(directory))


def test_an_acdd_1_1_is_accepted_with_a_wco_response(send: Callable[..., tuple[Envelope, Any]]) -> None:
    sent, response = send(acdd_1_1())
    assert sent.document_type == "customs.response/2.0"
    assert isinstance(response, CustomsResponse)
    assert (response.MetaData is not None and response.MetaData.WCOTypeName) == "RES"
    (answer,) = response.Response
    assert (answer.FunctionCode, answer.Declaration.ID, answer.Error) == ("01", "26TH0300EX0000417", None)
    assert answer.FunctionalReferenceID is not None
    assert answer.FunctionalReferenceID.startswith("VN-RES-")
    assert [o.ID for o in answer.ContactOffice or ()] == ["02CI"]
    assert answer.IssueDateTime is not None
    stamp = answer.IssueDateTime.DateTimeString
    assert (stamp.formatCode, stamp.value[-3:]) == ("304", "+07")  # Viet Nam's local time, as DMS writes it
    (remarks,) = answer.AdditionalInformation or ()
    assert remarks.StatementTypeCode == "AAI"
    assert remarks.StatementDescription is not None
    assert "accepted for pre-arrival processing" in remarks.StatementDescription
    assert "goods items 1, 2 under certificate of origin TH-D-2026-0088123" in remarks.StatementDescription


def test_a_rejected_acdd_1_1_points_at_the_wco_elements_of_its_declaration(
    send: Callable[..., tuple[Envelope, Any]]
) -> None:
    _, response = send(acdd_1_1(DischargeLocationID="THLCH"))
    (answer,) = response.Response
    assert answer.FunctionCode == "03"
    errors = [(e.ValidationCode, [(p.DocumentSectionCode, p.TagID) for p in e.Pointer or ()])
              for e in answer.Error or ()]
    assert errors == [("ACDDDISC", [("42A", None), ("67A", None), ("22B", "L002")])]
    assert "THLCH" in (answer.Error or [])[0].Description


def test_the_wco_answer_is_valid_wco_xml(send: Callable[..., tuple[Envelope, Any]]) -> None:
    _, response = send(acdd_1_1(DestinationCountryCode="KH"))
    written = wco_xml.write_wco(response)
    again = validate(written, media_type=wco_xml.WCO_RES_MEDIA_TYPE, expected_type="customs.response")
    assert again.valid, [f.as_dict() for f in again.findings]
    assert canonical.json_data(again.document) == canonical.json_data(response)  # type: ignore[arg-type]
    if not RES_SCHEMAS.is_dir():
        return  # the published schema set is test data in ../shared, beside the project
    wrapper = (b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
               b'targetNamespace="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2" elementFormDefault="qualified">'
               b'<xs:include schemaLocation="wco/notification/DocumentMetaData_2_DMS.xsd"/>'
               b'<xs:import namespace="urn:wco:datamodel:WCO:RES-DMS:2" '
               b'schemaLocation="wco/notification/WCO_RES_2_DMS.xsd"/></xs:schema>')
    schema = etree.XMLSchema(etree.fromstring(wrapper, base_url=str(RES_SCHEMAS / "res_wrapper.xsd")))
    assert schema.validate(etree.fromstring(written)), schema.error_log


def test_a_sender_that_does_not_accept_2_0_gets_the_1_0_answer(
    th_takes_response_1_0_only: None, send: Callable[..., tuple[Envelope, Any]]
) -> None:
    sent, response = send(acdd_1_1())
    assert sent.document_type == "customs.response/1.0"
    assert isinstance(response, Response)
    assert (response.FunctionCode, response.Declaration.ID) == ("01", "26TH0300EX0000417")
    assert response.Remarks is not None
    assert "under certificate of origin TH-D-2026-0088123" in response.Remarks


def test_an_acdd_1_0_keeps_its_1_0_answer(send: Callable[..., tuple[Envelope, Any]]) -> None:
    sent, response = send(json.loads(ACDD_1_0.read_text(encoding="utf-8")))
    assert sent.document_type == "customs.response/1.0"
    assert isinstance(response, Response)
    assert response.Remarks is not None
    assert "certificate" not in response.Remarks


@pytest.mark.parametrize(("offset", "written"), [
    (dt.timedelta(hours=7), "20261120101500+07"), (dt.timedelta(hours=9), "20261120101500+09"),
    (dt.timedelta(hours=6, minutes=30), "20261120034500Z"),  # Myanmar: DMS writes whole hours only
    (dt.timedelta(0), "20261120101500Z")])
def test_dms_date_times_carry_a_whole_hour_offset_or_utc(offset: dt.timedelta, written: str) -> None:
    moment = dt.datetime(2026, 11, 20, 10, 15, tzinfo=dt.timezone(offset))
    assert wco_time(moment).DateTimeString.value == written
