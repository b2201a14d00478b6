"""Immigration receives the arrival country's board / no-board answer to a manifest over POST /answers."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.immigration.app import create_app
from services.immigration.config import ImmigrationSettings
from tests.agency_answers.conftest import FIXTURES, MakeAnswer, PostAnswer, auth, load, poster

TG560 = FIXTURES / "immigration.passenger-manifest" / "valid" / "tg560-bkk-han-passengers.json"
ANSWER = FIXTURES / "immigration.api-response" / "valid" / "vn-answers-tg560-bkk-han-watchlist-no-board-and-refer.json"
CUSTOMS_RESPONSE = FIXTURES / "customs.response" / "valid" / "vn-received-acdd-natural-rubber-from-thailand.json"


@pytest.fixture
def client(database_url: str, network_file: Path, hub: Any, tmp_path: Path) -> Iterator[TestClient]:
    settings = ImmigrationSettings(database_url=database_url, network_file=network_file, data_dir=tmp_path,
                                   hub_url="http://hub.test")
    with TestClient(create_app(settings, hub_client=hub.client())) as test_client:
        yield test_client


@pytest.fixture
def submitted(client: TestClient, tokens: dict[str, str], hub: Any,
              eventually: Callable[..., None]) -> tuple[str, dict[str, Any]]:
    """TG560 BKK -> HAN submitted by TH, and the manifest to VN as the hub received it."""
    created = client.post("/manifests", content=TG560.read_bytes(), headers=auth(tokens["TH"]))
    assert created.status_code == 201, created.text
    eventually(lambda: len(hub.received) == 1, what="the manifest to reach the hub")
    assert (hub.received[0]["sender"], hub.received[0]["receiver"]) == ("TH", "VN")
    return created.json()["id"], hub.received[0]


def _persons(client: TestClient, tokens: dict[str, str], manifest_id: str) -> dict[int, dict[str, Any]]:
    response = client.get(f"/manifests/{manifest_id}/responses", headers=auth(tokens["TH"]))
    assert response.status_code == 200, response.text
    return {p["sequence"]: p for p in response.json()["persons"]}


@pytest.mark.parametrize("payload_format", ["xml", "json"])
def test_no_board_decision_shows_on_the_manifest_responses(
    client: TestClient, tokens: dict[str, str], submitted: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
    payload_format: str,
) -> None:
    manifest_id, manifest = submitted
    assert _persons(client, tokens, manifest_id)[5]["decision"] == "pending"
    answer = make_answer(manifest, load(ANSWER), payload_format=payload_format)
    response = poster(client, tokens)(answer)
    assert response.status_code == 201, response.text
    persons = _persons(client, tokens, manifest_id)
    assert (persons[5]["surname"], persons[5]["decision"], persons[5]["reason_code"]) == (
        "WONGSAWAT", "no-board", "WATCHLIST_MATCH")
    assert persons[1]["decision"] == "board"
    [message] = client.get(f"/manifests/{manifest_id}", headers=auth(tokens["TH"])).json()["messages"]
    assert (message["state"], message["answer"]["message_id"]) == ("ACKNOWLEDGED", answer.message_id)


def test_duplicate_answer_and_a_type_immigration_does_not_take(
    client: TestClient, tokens: dict[str, str], submitted: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
) -> None:
    post: PostAnswer = poster(client, tokens)
    answer = make_answer(submitted[1], load(ANSWER))
    assert [post(answer).status_code, post(answer).status_code] == [201, 200]
    refused = post(make_answer(submitted[1], load(CUSTOMS_RESPONSE)))
    assert refused.status_code == 422, refused.text
    assert [e["code"] for e in refused.json()["errors"]] == ["UNKNOWN_DOCUMENT_TYPE"]


def test_answer_for_another_manifest_is_not_found(
    client: TestClient, tokens: dict[str, str], submitted: tuple[str, dict[str, Any]], make_answer: MakeAnswer,
) -> None:
    other = load(ANSWER) | {"ManifestID": "TG560-20261119-BKKHAN"}
    refused = poster(client, tokens)(make_answer(submitted[1], other))
    assert refused.status_code == 404, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
