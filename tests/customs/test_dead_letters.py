"""A message the hub never takes is retried for as long as the hub itself would wait, then is a
visible dead letter (the record's GET, /metrics, the operator's outbox) that a replay or a
resubmission of the declaration queues again."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from services.kernel.clock import utcnow
from services.kernel.outbox import OutboxMessage
from tests.customs.conftest import FORM_D, TH_EXPORT, auth, load

FAST_RETRIES = {"outbox_retry_base": 0.001, "outbox_retry_cap": 0.002, "outbox_poll_interval": 0.01}
OLD_GIVE_UP = 20
"""The attempts after which the outbox used to drop a message, whatever the hub's outage."""


@pytest.fixture
def fast(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(**FAST_RETRIES)


def _message(client: TestClient, tokens: dict[str, str], mrn: str) -> dict[str, Any]:
    response = client.get(f"/declarations/{mrn}", headers=auth(tokens["TH"]))
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    assert len(messages) == 1
    return messages[0]


def _lodge(client: TestClient, tokens: dict[str, str]) -> Any:
    return client.post("/declarations", json=load(TH_EXPORT), headers=auth(tokens["TH"]))


def _age_queue(client: TestClient, message_id: str, *, hours: float) -> None:
    """Move the message's queue time back, as if it had waited ``hours`` already."""
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.exec(select(OutboxMessage).where(OutboxMessage.message_id == message_id)).one()
        row.created_at = utcnow() - timedelta(hours=hours)
        session.add(row)
        session.commit()


def _metric(client: TestClient, name: str) -> float:
    text = client.get("/metrics").text
    line = next(line for line in text.splitlines() if line.startswith(name + "{"))
    return float(line.rsplit(" ", 1)[1])


def test_a_hub_away_past_the_old_limit_keeps_the_message_then_it_is_a_visible_dead_letter_only_past_max_age(
    fast: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    hub.statuses = [503] * 100_000
    mrn = _lodge(fast, tokens).json()["mrn"]
    eventually(lambda: _message(fast, tokens, mrn)["attempts"] > OLD_GIVE_UP + 5, timeout=30,
               what="more attempts than the old limit")
    waiting = _message(fast, tokens, mrn)
    assert (waiting["state"], waiting["failed_at"]) == ("PENDING", None)
    assert waiting["last_error"] == "hub answered 503"
    assert _metric(fast, "swx_outbox_depth") == 1
    assert _metric(fast, "swx_outbox_dead_letters_waiting") == 0

    _age_queue(fast, waiting["message_id"], hours=24.1)
    eventually(lambda: _message(fast, tokens, mrn)["state"] == "FAILED", what="the dead letter")
    dead = _message(fast, tokens, mrn)
    assert dead["failed_at"] is not None
    assert dead["last_error"].startswith("gave up after ")
    assert dead["last_error"].endswith("hub answered 503")
    assert _metric(fast, "swx_outbox_depth") == 1, "the depth does not hide a dead letter"
    assert _metric(fast, "swx_outbox_dead_letters_waiting") == 1
    assert _metric(fast, "swx_outbox_dead_letters_total") == 1
    assert hub.received == []

    listed = fast.get("/outbox", params={"state": "FAILED"}, headers=auth(tokens["OPERATOR"])).json()
    assert [(m["message_id"], m["subject"], m["failed_at"]) for m in listed["items"]] == [
        (dead["message_id"], f"declaration:{mrn}", dead["failed_at"])]
    assert listed["total"] == 1


def test_the_operator_replays_a_dead_letter_and_it_is_delivered_under_the_same_id(
    fast: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    hub.statuses = [422]  # the hub refuses it for good: a dead letter at once
    mrn = _lodge(fast, tokens).json()["mrn"]
    eventually(lambda: _message(fast, tokens, mrn)["state"] == "REFUSED", what="the refused dead letter")
    assert _metric(fast, "swx_outbox_dead_letters_waiting") == 1
    message_id = _message(fast, tokens, mrn)["message_id"]
    replay = f"/outbox/{message_id}/replay"

    assert fast.post(replay, headers=auth(tokens["TH"])).status_code == 403
    assert fast.get("/outbox", headers=auth(tokens["TH"])).status_code == 403
    assert fast.post("/outbox/5b1e8c3a-0000-4000-8000-000000000000/replay",
                     headers=auth(tokens["OPERATOR"])).status_code == 404
    replayed = fast.post(replay, headers=auth(tokens["OPERATOR"]))
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["state"], replayed.json()["attempts"], replayed.json()["failed_at"]) == ("PENDING", 0, None)
    assert replayed.json()["requeued_at"] is not None

    eventually(lambda: _message(fast, tokens, mrn)["state"] == "SENT", what="delivery of the replay")
    assert [envelope["message_id"] for envelope in hub.received] == [message_id]
    again = fast.post(replay, headers=auth(tokens["OPERATOR"]))
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert _metric(fast, "swx_outbox_dead_letters_waiting") == 0


@pytest.fixture
def impatient(make_client: Callable[..., TestClient]) -> TestClient:
    """Gives up after one attempt the hub answers "later" to: a dead letter the policy gave up on."""
    return make_client(**FAST_RETRIES, outbox_max_attempts=1)


def test_lodging_the_same_declaration_again_queues_its_dead_letter_again_and_says_so(
    impatient: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    fast = impatient
    hub.statuses = [503]
    first = _lodge(fast, tokens).json()
    mrn = first["mrn"]
    eventually(lambda: _message(fast, tokens, mrn)["state"] == "FAILED", what="the dead letter")
    dead = _message(fast, tokens, mrn)

    again = _lodge(fast, tokens)
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["mrn"] == mrn
    assert body["messages"][0]["message_id"] == dead["message_id"]
    assert body["messages"][0]["state"] in ("PENDING", "SENT")
    assert body["messages"][0]["requeued_at"] is not None
    requeued = [entry for entry in body["history"] if entry["status"] == "message:requeued"]
    assert len(requeued) == 1
    assert dead["message_id"] in requeued[0]["note"]

    eventually(lambda: _message(fast, tokens, mrn)["state"] == "SENT", what="delivery after the resubmission")
    assert [envelope["message_id"] for envelope in hub.received] == [dead["message_id"]]
    third = _lodge(fast, tokens).json()
    assert [e["status"] for e in third["history"]].count("message:requeued") == 1, "nothing to requeue once sent"


def test_submitting_the_same_certificate_again_queues_its_dead_letter_again(
    impatient: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    fast = impatient
    mrn = _lodge(fast, tokens).json()["mrn"]
    eventually(lambda: _message(fast, tokens, mrn)["state"] == "SENT", what="the ACDD to reach the hub")
    hub.statuses = [503]  # the hub is away for the e-Form D's only attempt: the policy gives up
    named = load(FORM_D.with_suffix(".json"))["DeclarationID"]
    body = FORM_D.read_bytes().replace(named.encode(), mrn.encode())

    def submit() -> Any:
        return fast.post("/certificates-of-origin", content=body, headers=auth(tokens["TH"]))

    created = submit()
    assert created.status_code == 201, created.text
    url = f"/certificates-of-origin/{created.json()['id']}"

    def certificate_message() -> dict[str, Any]:
        found: dict[str, Any] = fast.get(url, headers=auth(tokens["TH"])).json()["messages"][0]
        return found

    eventually(lambda: certificate_message()["state"] == "FAILED", what="the certificate's dead letter")
    dead = certificate_message()
    again = submit()
    assert again.status_code == 200, again.text
    assert again.json()["messages"][0]["requeued_at"] is not None
    eventually(lambda: certificate_message()["state"] == "SENT", what="delivery after the resubmission")
    assert [e["message_id"] for e in hub.received].count(dead["message_id"]) == 1


def test_lodging_again_leaves_a_message_the_hub_refused_for_the_operator(
    fast: TestClient, tokens: dict[str, str], hub: Any, eventually: Callable[..., None]
) -> None:
    hub.statuses = [422]
    mrn = _lodge(fast, tokens).json()["mrn"]
    eventually(lambda: _message(fast, tokens, mrn)["state"] == "REFUSED", what="the refused dead letter")
    again = _lodge(fast, tokens).json()
    assert again["messages"][0]["state"] == "REFUSED"  # sent again it would only be refused again
    assert "message:requeued" not in [entry["status"] for entry in again["history"]]
    assert hub.received == []
