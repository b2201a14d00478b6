"""A customs response that comes back for one of this country's declarations fills its outcome."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.customs.service import record_response
from services.kernel.db import session_scope
from services.kernel.messages.customs import Response
from services.kernel.web.problems import NotFound
from tests.customs.conftest import FIXTURES, TH_EXPORT, auth, load

RESPONSES = FIXTURES / "customs.response" / "valid"


def _response(name: str, mrn: str) -> Response:
    data = load(RESPONSES / name)
    data["Declaration"]["ID"] = mrn
    return Response.model_validate(data, strict=False)


def _record(client: TestClient, response: Response, country: str = "TH") -> None:
    with session_scope(client.app.state.engine) as session:
        record_response(session, response=response, for_country=country)


def test_response_fills_the_outcome_and_the_history(
    lodge: Callable[..., Any], client: TestClient, tokens: dict[str, str]
) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    assert client.get(f"/declarations/{mrn}", headers=auth(tokens["TH"])).json()["outcome"] is None
    _record(client, _response("vn-received-acdd-natural-rubber-from-thailand.json", mrn))
    body = client.get(f"/declarations/{mrn}", headers=auth(tokens["TH"])).json()
    outcome = body["outcome"]
    assert (outcome["response_id"], outcome["function_code"], outcome["function"]) == (
        "VN-02CI-RES-2026-0118204", "02", "received")
    assert outcome["remarks"].startswith("ACDD and ATIGA e-Form D")
    assert (outcome["errors"], outcome["duties"], outcome["lane"]) == ([], [], None)
    assert body["history"][-1]["status"] == "response:received"
    assert body["status"] == "released"  # the answer is the other side's; it does not undo the release


def test_latest_response_is_the_outcome_and_a_repeat_changes_nothing(
    lodge: Callable[..., Any], client: TestClient, tokens: dict[str, str]
) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    _record(client, _response("vn-received-acdd-natural-rubber-from-thailand.json", mrn))
    cleared = _response("jp-cleared-with-duty-assessment-thai-rice-yokohama.json", mrn)
    _record(client, cleared)
    _record(client, cleared)
    body = client.get(f"/declarations/{mrn}", headers=auth(tokens["TH"])).json()
    assert [h["status"] for h in body["history"]][-2:] == ["response:received", "response:cleared"]
    outcome = body["outcome"]
    assert (outcome["function"], outcome["lane"]) == ("cleared", "yellow")
    assert outcome["duties"][0] == {"type": "A00", "amount": "8525000", "currency": "JPY"}


def test_rejection_errors_are_kept(lodge: Callable[..., Any], client: TestClient, tokens: dict[str, str]) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    rejected = _response("vn-rejected-export-declaration-hs-code-and-invoice-total.json", mrn)
    _record(client, rejected)
    outcome = client.get(f"/declarations/{mrn}", headers=auth(tokens["VN"])).json()["outcome"]
    assert outcome["function"] == "rejected"
    assert [e["code"] for e in outcome["errors"]] == [e.ValidationCode for e in rejected.Error or ()]


def test_response_for_an_unknown_or_foreign_declaration_is_refused(
    lodge: Callable[..., Any], client: TestClient
) -> None:
    mrn = lodge(load(TH_EXPORT)).json()["mrn"]
    with pytest.raises(NotFound):
        _record(client, _response("vn-received-acdd-natural-rubber-from-thailand.json", "26TH0000000000000X"))
    with pytest.raises(NotFound):
        _record(client, _response("vn-received-acdd-natural-rubber-from-thailand.json", mrn), country="VN")
