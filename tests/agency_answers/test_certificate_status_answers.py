"""The importing customs' answer follows a 1.1 certificate's status, and the exporting customs keeps it.

The NSW builds the answer (``answer_certificate``) from the certificate as the hub carried
it; the answer goes back to the exporting customs over ``POST /answers``.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.customs.app import create_app
from services.customs.config import CustomsSettings
from services.kernel import canonical
from services.kernel.messages.customs import Response
from services.kernel.messages.origin import CertificateOfOriginV1_1
from services.kernel.validation import validate
from services.nsw import business_responses
from services.nsw.customs_decisions import answer_certificate
from tests.agency_answers.conftest import FIXTURES, MakeAnswer, auth, load, poster

VALID = FIXTURES / "customs.certificate-of-origin" / "valid"
CANCELLED = VALID / "atiga-form-d-1-1-kh-to-th-shirts-cancelled-preference-not-given.json"
REPLACEMENT = VALID / "atiga-form-d-1-1-kh-to-th-shirts-replacement-partial-cumulation.json"
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _certificate(path: Path, **changes: Any) -> CertificateOfOriginV1_1:
    return CertificateOfOriginV1_1.model_validate(load(path) | changes, strict=False)


def _valid(response: Response) -> None:
    report = validate(canonical.xml_bytes(response, business_responses.CUSTOMS_RESPONSE), media_type="application/xml")
    assert report.valid, report.findings


def test_a_cancelled_certificate_is_answered_invalidated_with_the_preference_withdrawn() -> None:
    response = answer_certificate(_certificate(CANCELLED), country="TH", now=NOW, token="C1")
    assert (response.FunctionCode, response.Error) == ("10", None)
    assert response.Remarks is not None
    assert "KH-D-2026-0004410" in response.Remarks
    assert "withdrawn" in response.Remarks
    _valid(response)


def test_a_replacement_is_judged_and_supersedes_the_answer_to_the_replaced_certificate() -> None:
    response = answer_certificate(_certificate(REPLACEMENT), country="TH", now=NOW, token="C2")
    assert response.FunctionCode == "01"  # PC 30% is partial cumulation, not a regional value content below 40 %
    assert response.Remarks is not None
    assert "supersedes the answer to KH-D-2026-0004410" in response.Remarks
    _valid(response)


def test_the_printed_criterion_is_judged_as_the_1_1_form_prints_it() -> None:
    original = _certificate(CANCELLED, StatusCode="original")  # box 8 says RVC 30%
    response = answer_certificate(original, country="TH", now=NOW, token="C3")
    assert [(e.ValidationCode, e.Pointer) for e in response.Error or ()] == [
        ("CO_RVC_THRESHOLD", "/GoodsItem/0/OriginCriterion")]
    item = original.GoodsItem[0].model_copy(update={"OriginCriterion": "WO", "HSCode": "620520"})
    wholly = original.model_copy(update={"GoodsItem": [item]})
    response = answer_certificate(wholly, country="TH", now=NOW, token="C4")
    assert [e.ValidationCode for e in response.Error or ()] == ["CO_ORIGIN_CRITERION"]
    _valid(response)


@pytest.fixture
def client(database_url: str, network_file: Path, hub: Any, tmp_path: Path) -> Iterator[TestClient]:
    settings = CustomsSettings(database_url=database_url, network_file=network_file, data_dir=tmp_path,
                               hub_url="http://hub.test", risk_random_rate=0.0)
    with TestClient(create_app(settings, hub_client=hub.client())) as test_client:
        yield test_client


def test_the_exporting_customs_keeps_the_withdrawal_on_the_cancelled_certificate(
    client: TestClient, tokens: dict[str, str], hub: Any, make_answer: MakeAnswer, eventually: Callable[..., None]
) -> None:
    post_answer = poster(client, tokens)
    original = load(CANCELLED) | {"StatusCode": "original"}
    del original["OfficialUse"], original["Remarks"]

    def submit(document: dict[str, Any]) -> dict[str, Any]:
        response = client.post("/certificates-of-origin", content=json.dumps(document).encode(),
                               headers=auth(tokens["KH"]))
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    def answer(envelope: dict[str, Any]) -> None:
        received = validate(envelope["payload"].encode(), media_type="application/xml").document
        assert isinstance(received, CertificateOfOriginV1_1)
        response = answer_certificate(received, country="TH", now=NOW, token=envelope["message_id"][:8].upper())
        assert post_answer(make_answer(envelope, canonical.json_data(response))).status_code == 201

    certificate_id = submit(original)["id"]
    eventually(lambda: len(hub.received) == 1, what="the certificate to reach the hub")
    answer(hub.received[0])
    shown = client.get(f"/certificates-of-origin/{certificate_id}", headers=auth(tokens["KH"])).json()
    assert shown["outcome"]["function"] == "rejected"  # RVC 30 %

    submit(load(CANCELLED))
    eventually(lambda: len(hub.received) == 2, what="the cancellation to reach the hub")
    answer(hub.received[1])
    shown = client.get(f"/certificates-of-origin/{certificate_id}", headers=auth(tokens["KH"])).json()
    assert (shown["status"], shown["outcome"]["function"]) == ("cancelled", "invalidated")
    assert "withdrawn" in shown["outcome"]["remarks"]

    replacement_id = submit(load(REPLACEMENT))["id"]
    eventually(lambda: len(hub.received) == 3, what="the replacement to reach the hub")
    answer(hub.received[2])
    replaced = client.get(f"/certificates-of-origin/{certificate_id}", headers=auth(tokens["KH"])).json()
    replacing = client.get(f"/certificates-of-origin/{replacement_id}", headers=auth(tokens["KH"])).json()
    assert (replaced["status"], replaced["replaced_by"]["id"]) == ("cancelled", replacement_id)
    assert replacing["outcome"]["function"] == "accepted"
    assert "supersedes the answer to KH-D-2026-0004410" in replacing["outcome"]["remarks"]
