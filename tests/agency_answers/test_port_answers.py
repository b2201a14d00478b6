"""The port service receives the port country's clearances for a vessel call over POST /answers."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.port.app import create_app
from services.port.config import PortSettings
from tests.agency_answers.conftest import FIXTURES, MakeAnswer, PostAnswer, auth, load, poster

CALL = FIXTURES / "port.vessel-call" / "valid" / "khpnh-to-vnsgn-river-container-ship-phuoc-an-28-arrival.json"
CLEARANCE = FIXTURES / "port.clearance" / "valid" / "vnsgn-phuoc-an-28-all-agencies-granted.json"


@pytest.fixture
def client(database_url: str, network_file: Path, hub: Any, tmp_path: Path) -> Iterator[TestClient]:
    settings = PortSettings(database_url=database_url, network_file=network_file, data_dir=tmp_path,
                            hub_url="http://hub.test")
    with TestClient(create_app(settings, hub_client=hub.client())) as test_client:
        yield test_client


@pytest.fixture
def post(client: TestClient, tokens: dict[str, str]) -> PostAnswer:
    return poster(client, tokens)


@pytest.fixture
def submitted(client: TestClient, tokens: dict[str, str], hub: Any,
              eventually: Callable[..., None]) -> tuple[str, dict[str, Any]]:
    """The PHUOC AN 28 call KHPNH -> VNSGN submitted by KH, and its message to VN as the hub received it."""
    created = client.post("/vessel-calls", content=CALL.read_bytes(), headers=auth(tokens["KH"]))
    assert created.status_code == 201, created.text
    eventually(lambda: len(hub.received) == 1, what="the vessel call to reach the hub")
    return created.json()["id"], hub.received[0]


def _call(client: TestClient, tokens: dict[str, str], call_id: str) -> dict[str, Any]:
    response = client.get(f"/vessel-calls/{call_id}", headers=auth(tokens["KH"]))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_clearance_shows_on_the_vessel_call_and_a_duplicate_adds_nothing(
    client: TestClient, tokens: dict[str, str], submitted: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    post: PostAnswer,
) -> None:
    call_id, message = submitted
    answer = make_answer(message, load(CLEARANCE))
    assert post(answer).status_code == 201
    body = _call(client, tokens, call_id)
    assert sorted(c["agency"] for c in body["clearances"]) == ["customs", "immigration", "port-authority",
                                                               "port-health"]
    assert {c["decision"] for c in body["clearances"]} == {"granted"}
    assert (body["messages"][0]["state"], body["messages"][0]["answer"]["document_type"]) == (
        "ACKNOWLEDGED", "port.clearance/1.0")
    again = post(answer)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert len(_call(client, tokens, call_id)["clearances"]) == 4


def test_a_later_clearance_is_the_message_s_answer(
    client: TestClient, tokens: dict[str, str], submitted: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    post: PostAnswer,
) -> None:
    call_id, message = submitted
    first = load(CLEARANCE)
    first["AgencyDecision"] = first["AgencyDecision"][:1]
    second = load(CLEARANCE) | {"ID": "CLR-VNSGN-20261201-0088"}
    second["AgencyDecision"] = second["AgencyDecision"][1:2]
    answers = [make_answer(message, first), make_answer(message, second)]
    assert [post(a).status_code for a in answers] == [201, 201]
    body = _call(client, tokens, call_id)
    assert [c["agency"] for c in body["clearances"]] == ["customs", "immigration"]
    assert body["messages"][0]["answer"]["message_id"] == answers[1].message_id


def test_clearance_for_an_unknown_call_is_not_found(
    submitted: tuple[str, dict[str, Any]], make_answer: MakeAnswer, post: PostAnswer
) -> None:
    refused = post(make_answer(submitted[1], load(CLEARANCE) | {"VesselCallID": "VC-VNSGN-20261201-9999"}))
    assert refused.status_code == 404, refused.text
