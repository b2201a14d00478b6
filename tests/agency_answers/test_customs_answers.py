"""Customs receives VN's customs response to the ACDD of a TH export declaration over POST /answers."""

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.customs.app import create_app
from services.customs.config import CustomsSettings
from services.kernel import canonical
from services.kernel.db import session_scope
from services.kernel.received_answers import add_answer_once, answers_to
from services.kernel.registry import REGISTRY
from services.kernel.signing import sign
from services.nsw.app import create_app as create_nsw_app
from services.nsw.config import NSWSettings
from tests.agency_answers.conftest import FIXTURES, MakeAnswer, PostAnswer, auth, load, poster

TH_EXPORT = FIXTURES / "customs.declaration" / "valid" / "th-export-natural-rubber-laem-chabang-to-saigon.json"
RECEIVED = FIXTURES / "customs.response" / "valid" / "vn-received-acdd-natural-rubber-from-thailand.json"
CLEARANCE = FIXTURES / "port.clearance" / "valid" / "vnsgn-phuoc-an-28-all-agencies-granted.json"


@pytest.fixture
def client(database_url: str, network_file: Path, hub: Any, tmp_path: Path) -> Iterator[TestClient]:
    settings = CustomsSettings(database_url=database_url, network_file=network_file, data_dir=tmp_path,
                               hub_url="http://hub.test", risk_random_rate=0.0)
    with TestClient(create_app(settings, hub_client=hub.client())) as test_client:
        yield test_client


@pytest.fixture
def post(client: TestClient, tokens: dict[str, str]) -> PostAnswer:
    return poster(client, tokens)


@pytest.fixture
def exported(client: TestClient, tokens: dict[str, str], hub: Any,
             eventually: Callable[..., None]) -> tuple[str, dict[str, Any]]:
    """A TH export declaration lodged, and its ACDD to VN as the hub received it."""
    lodged = client.post("/declarations", content=TH_EXPORT.read_bytes(), headers=auth(tokens["TH"]))
    assert lodged.status_code == 201, lodged.text
    eventually(lambda: len(hub.received) == 1, what="the ACDD to reach the hub")
    acdd = hub.received[0]
    assert (acdd["sender"], acdd["receiver"], acdd["document_type"]) == ("TH", "VN", "customs.acdd/1.0")
    return lodged.json()["mrn"], acdd


def _response(mrn: str, **changes: Any) -> dict[str, Any]:
    data = load(RECEIVED) | changes
    data["Declaration"] = data["Declaration"] | {"ID": mrn}
    return data


def _declaration(client: TestClient, tokens: dict[str, str], mrn: str) -> dict[str, Any]:
    response = client.get(f"/declarations/{mrn}", headers=auth(tokens["TH"]))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _codes(response: Any) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def test_customs_response_fills_the_outcome_and_acknowledges_the_acdd(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    post: PostAnswer,
) -> None:
    mrn, acdd = exported
    answer = make_answer(acdd, _response(mrn))
    response = post(answer)
    assert response.status_code == 201, response.text
    assert response.json() == {"status": "recorded", "message_id": answer.message_id, "in_reply_to": acdd["message_id"],
                               "document_type": "customs.response/1.0"}
    body = _declaration(client, tokens, mrn)
    assert (body["outcome"]["response_id"], body["outcome"]["function"]) == ("VN-02CI-RES-2026-0118204", "received")
    assert body["history"][-1]["status"] == "response:received"
    [message] = body["messages"]
    assert (message["message_id"], message["state"]) == (acdd["message_id"], "ACKNOWLEDGED")
    assert message["answer"]["message_id"] == answer.message_id
    assert message["answer"]["document_type"] == "customs.response/1.0"
    assert message["answer"]["received_at"]


def test_outbound_message_without_an_answer_has_none(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]]
) -> None:
    [message] = _declaration(client, tokens, exported[0])["messages"]
    assert message["state"] != "ACKNOWLEDGED"
    assert message["answer"] is None


def test_same_answer_again_is_a_duplicate_and_recorded_once(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    post: PostAnswer,
) -> None:
    mrn, acdd = exported
    answer = make_answer(acdd, _response(mrn))
    assert post(answer).status_code == 201
    again = post(answer)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "duplicate"
    assert (again.json()["message_id"], again.json()["in_reply_to"]) == (answer.message_id, acdd["message_id"])
    history = [h["status"] for h in _declaration(client, tokens, mrn)["history"]]
    assert history.count("response:received") == 1


def test_same_message_id_with_other_content_conflicts(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    post: PostAnswer,
) -> None:
    mrn, acdd = exported
    first = make_answer(acdd, _response(mrn))
    assert post(first).status_code == 201
    other = make_answer(acdd, _response(mrn, ID="VN-02CI-RES-2026-0118999", FunctionCode="09"),
                        message_id=first.message_id)
    conflict = post(other)
    assert conflict.status_code == 409, conflict.text
    assert conflict.headers["content-type"] == "application/problem+json"
    assert _declaration(client, tokens, mrn)["outcome"]["function"] == "received"


def test_tampered_payload_is_refused(
    exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer, post: PostAnswer
) -> None:
    mrn, acdd = exported
    answer = make_answer(acdd, _response(mrn))
    tampered = answer.model_copy(update={"payload": answer.payload.replace("<FunctionCode>02", "<FunctionCode>09")})
    assert tampered.payload != answer.payload
    refused = post(tampered)
    assert refused.status_code == 422, refused.text
    assert _codes(refused) == ["PAYLOAD_DIGEST_MISMATCH"]


@pytest.mark.parametrize(("signed_by", "code"), [("KH", "SIGNATURE_NOT_BY_SIGNER"), (None, "SIGNATURE_MISMATCH")])
def test_answer_not_signed_by_its_sender_is_refused(
    exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer, post: PostAnswer, signed_by: str | None, code: str
) -> None:
    mrn, acdd = exported
    answer = make_answer(acdd, _response(mrn), signed_by=signed_by)
    if signed_by is None:  # VN's key id, but the envelope changed after signing
        answer = answer.model_copy(update={"conversation_id": "00000000-0000-4000-8000-000000000000"})
    refused = post(answer)
    assert refused.status_code == 422, refused.text
    assert _codes(refused) == [code]


def test_only_the_receiver_posts_its_answers(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    post: PostAnswer,
) -> None:
    mrn, acdd = exported
    answer = make_answer(acdd, _response(mrn))
    for someone_else in ("VN", "KH", "OPERATOR", "HUB"):
        assert post(answer, as_country=someone_else).status_code == 403, someone_else
    body = canonical.json_text(answer).encode()
    assert client.post("/answers", content=body, headers={"Content-Type": "application/json"}).status_code == 401
    unknown = client.post("/answers", content=body, headers=auth("swx-th-not-a-token"))
    assert unknown.status_code == 401
    assert _declaration(client, tokens, mrn)["outcome"] is None


def test_envelope_must_be_json_or_xml_and_valid(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer
) -> None:
    mrn, acdd = exported
    answer = make_answer(acdd, _response(mrn))
    xml = canonical.xml_bytes(answer, REGISTRY.get("exchange.envelope"))
    for other_type in ("text/plain", "application/edifact", "application/x-www-form-urlencoded"):
        refused = client.post("/answers", content=xml, headers=auth(tokens["TH"], other_type))
        assert refused.status_code == 415, other_type
        assert refused.headers["content-type"] == "application/problem+json"
    assert client.post("/answers", content=b"{", headers=auth(tokens["TH"])).status_code == 400
    assert client.post("/answers", content=b"<Envelope>", headers=auth(tokens["TH"], "application/xml")
                       ).status_code == 400
    no_digest = canonical.json_data(answer)
    del no_digest["payload_digest"]
    refused = client.post("/answers", content=json.dumps(no_digest), headers=auth(tokens["TH"]))
    assert refused.status_code in (400, 422), refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    xml_no_digest = re.sub(rb"<payload_digest>[0-9a-f]+</payload_digest>", b"", xml)
    assert xml_no_digest != xml
    refused = client.post("/answers", content=xml_no_digest, headers=auth(tokens["TH"], "application/xml"))
    assert refused.status_code in (400, 422), refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    tampered = xml.replace(b"VN-02CI-RES-2026-0118204", b"VN-02CI-RES-2026-0118205")
    assert tampered != xml
    refused = client.post("/answers", content=tampered, headers=auth(tokens["TH"], "application/xml"))
    assert refused.status_code == 422, refused.text
    assert _declaration(client, tokens, mrn)["outcome"] is None
    recorded = client.post("/answers", content=xml, headers=auth(tokens["TH"], "application/xml"))
    assert recorded.status_code == 201, recorded.text
    assert _declaration(client, tokens, mrn)["outcome"]["response_id"] == "VN-02CI-RES-2026-0118204"
    again = client.post("/answers", content=canonical.json_text(answer).encode(), headers=auth(tokens["TH"]))
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")


def test_a_type_customs_does_not_take_is_refused(
    exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer, post: PostAnswer
) -> None:
    refused = post(make_answer(exported[1], load(CLEARANCE)))
    assert refused.status_code == 422, refused.text
    assert _codes(refused) == ["UNKNOWN_DOCUMENT_TYPE"]


def test_payload_not_of_the_named_type_is_refused(
    exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer, post: PostAnswer, private_keys: Any
) -> None:
    mrn, acdd = exported
    clearance = make_answer(acdd, load(CLEARANCE))
    relabelled = sign(clearance.model_copy(update={"document_type": "customs.response/1.0"}),
                      private_key=private_keys["VN"], key_id="VN")
    refused = post(relabelled)
    assert refused.status_code == 422, refused.text
    assert _codes(refused) == ["WRONG_DOCUMENT_TYPE"]
    invalid = make_answer(acdd, _response(mrn))
    broken = invalid.payload.replace("<FunctionCode>02</FunctionCode>", "<FunctionCode>XX</FunctionCode>")
    assert broken != invalid.payload
    resigned = sign(invalid.model_copy(update={"payload": broken, "payload_digest": canonical.digest(broken)}),
                    private_key=private_keys["VN"], key_id="VN")
    refused = post(resigned)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["layer"] in ("schema", "rules")


def test_answer_naming_an_unknown_declaration_is_refused_and_leaves_no_trace(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    post: PostAnswer,
) -> None:
    mrn, acdd = exported
    stray = make_answer(acdd, _response("26TH0000000000000X"))
    refused = post(stray)
    assert refused.status_code == 422, refused.text  # it replies to the ACDD of another declaration
    assert _codes(refused) == ["ANSWER_NOT_FOR_MESSAGE"]
    assert refused.headers["content-type"] == "application/problem+json"
    assert _declaration(client, tokens, mrn)["messages"][0]["answer"] is None
    corrected = make_answer(acdd, _response(mrn), message_id=stray.message_id)
    assert post(corrected).status_code == 201  # the refused id was not kept


def test_answer_must_reply_to_a_message_sent_to_its_sender(
    exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer, post: PostAnswer
) -> None:
    mrn, acdd = exported
    unknown = make_answer(acdd | {"message_id": "00000000-0000-4000-8000-000000000001"}, _response(mrn))
    assert post(unknown).status_code == 404
    from_elsewhere = make_answer(acdd | {"receiver": "KH"}, _response(mrn))
    refused = post(from_elsewhere)
    assert refused.status_code == 422, refused.text
    assert _codes(refused) == ["ANSWER_NOT_FROM_RECEIVER"]


def test_a_racing_second_insert_of_one_answer_is_skipped(
    client: TestClient, exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer
) -> None:
    mrn, acdd = exported
    answer = make_answer(acdd, _response(mrn))
    with session_scope(client.app.state.engine) as session:  # type: ignore[attr-defined]
        assert add_answer_once(session, answer) is not None
    with session_scope(client.app.state.engine) as session:  # type: ignore[attr-defined]
        assert add_answer_once(session, answer) is None  # ON CONFLICT DO NOTHING, no integrity error
        assert [a.message_id for a in answers_to(session, [acdd["message_id"]])[acdd["message_id"]]] == [
            answer.message_id]


def test_an_answer_naming_another_declaration_is_refused(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    post: PostAnswer, hub: Any, eventually: Callable[..., None],
) -> None:
    mrn, acdd = exported
    other = load(TH_EXPORT) | {"FunctionalReferenceID": "TH-SIAMRUB-2026-OTHER"}
    lodged = client.post("/declarations", content=json.dumps(other).encode(), headers=auth(tokens["TH"]))
    assert lodged.status_code == 201, lodged.text
    other_mrn = lodged.json()["mrn"]
    # VN answers the first declaration's ACDD, but its payload names the second declaration
    refused = post(make_answer(acdd, _response(other_mrn)))
    assert refused.status_code == 422, refused.text
    assert _codes(refused) == ["ANSWER_NOT_FOR_MESSAGE"]
    assert _declaration(client, tokens, other_mrn)["outcome"] is None
    assert _declaration(client, tokens, mrn)["outcome"] is None


def test_a_certificate_answer_is_kept_on_the_certificate_beside_the_acdd_answer(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    post: PostAnswer, hub: Any, eventually: Callable[..., None],
) -> None:
    mrn, acdd = exported
    certificate = load(FIXTURES / "customs.certificate-of-origin" / "valid" /
                       "atiga-form-d-th-to-vn-natural-rubber.json")
    certificate["DeclarationID"] = mrn
    issued = client.post("/certificates-of-origin", content=json.dumps(certificate).encode(),
                         headers=auth(tokens["TH"]))
    assert issued.status_code == 201, issued.text
    eventually(lambda: len(hub.received) == 2, what="the certificate to reach the hub")
    form_d = hub.received[1]
    refusal = _response(mrn, ID="VN-02CI-RES-2026-0118300", FunctionCode="03",
                        Error=[{"ValidationCode": "CO_ORIGIN_CRITERION", "Description": "WO does not fit HS 40"}])
    assert post(make_answer(form_d, refusal)).status_code == 201
    assert post(make_answer(acdd, _response(mrn))).status_code == 201  # the ACDD's answer comes last
    body = _declaration(client, tokens, mrn)
    assert body["outcome"]["function"] == "received"
    [shown] = body["certificates_of_origin"]
    assert (shown["outcome"]["function"], shown["outcome"]["errors"][0]["code"]) == ("rejected", "CO_ORIGIN_CRITERION")
    assert "certificate:rejected" in [h["status"] for h in body["history"]]
    direct = client.get(f"/certificates-of-origin/{shown['id']}", headers=auth(tokens["TH"])).json()
    assert direct["outcome"]["response_id"] == "VN-02CI-RES-2026-0118300"


def test_same_message_id_answering_another_message_conflicts(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    post: PostAnswer,
) -> None:
    mrn, acdd = exported
    first = make_answer(acdd, _response(mrn))
    assert post(first).status_code == 201
    elsewhere = make_answer(acdd | {"conversation_id": "00000000-0000-4000-8000-00000000000c"}, _response(mrn),
                            message_id=first.message_id)
    assert post(elsewhere).status_code == 409


class ToCustoms(httpx.AsyncBaseTransport):
    """The NSW's handovers, posted to the real customs app (its own TestClient: its own event
    loop and lifespan), as the network would carry them."""

    def __init__(self, customs: TestClient) -> None:
        self.customs = customs
        self.requests: list[tuple[str, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.requests.append((request.headers["content-type"], body))
        headers = {name: request.headers[name] for name in ("authorization", "content-type")}
        answer = await asyncio.to_thread(self.customs.post, request.url.path, content=body, headers=headers)
        return httpx.Response(answer.status_code, content=answer.content,
                              headers={"content-type": answer.headers.get("content-type", "application/json")})


def test_an_xml_answer_handed_over_by_the_real_nsw_is_recorded(
    client: TestClient, tokens: dict[str, str], exported: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    private_keys: Any, network_file: Path, tmp_path: Path, hub: Any, eventually: Callable[..., None],
) -> None:
    mrn, acdd = exported
    answer = make_answer(acdd, _response(mrn)).model_copy(
        update={"created_at": datetime.fromisoformat("2026-12-03T17:02:00.25+07:00"), "signature": None})
    signed = sign(answer, private_key=private_keys["VN"], key_id="VN")
    body = canonical.xml_bytes(signed, REGISTRY.get("exchange.envelope")).replace(
        b"17:02:00.250000+07:00", b"17:02:00.25+07:00")
    assert b"17:02:00.25+07:00" in body  # as VN's toolkit wrote it, not as the kernel would
    wire = ToCustoms(client)
    settings = NSWSettings(country="TH", database_url=f"sqlite:///{tmp_path / 'nsw-th.db'}",
                           network_file=network_file, data_dir=tmp_path / "nsw-th", hub_url="http://hub.test",
                           customs_url="http://customs.test")
    with TestClient(create_nsw_app(settings, hub_client=hub.client(),
                                   agency_client=httpx.AsyncClient(transport=wire))) as nsw_th:
        delivered = nsw_th.post("/inbox", content=body, headers=auth(tokens["HUB"], "application/xml"))
        assert delivered.status_code == 200, delivered.text

        def handover() -> dict[str, Any]:
            found = nsw_th.get(f"/inbox/{signed.message_id}", headers=auth(tokens["TH"])).json()["handover"]
            assert isinstance(found, dict)
            return found

        eventually(lambda: handover()["state"] in ("DONE", "FAILED"), what="the handover to customs")
        assert handover()["state"] == "DONE", handover()["last_error"]
    assert wire.requests == [("application/xml", body)]
    outcome = _declaration(client, tokens, mrn)["outcome"]
    assert (outcome["response_id"], outcome["function"]) == ("VN-02CI-RES-2026-0118204", "received")
