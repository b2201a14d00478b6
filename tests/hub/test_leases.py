"""Crash safety: a message left SENDING by a worker that died is taken up again after its lease."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from services.hub.app import create_app
from services.hub.config import HubSettings
from services.hub.models import HubMessage, HubState
from services.kernel.clock import utcnow
from services.kernel.db import make_engine
from services.kernel.messages.exchange import Envelope
from tests.hub.conftest import ReceiverStandIn


def test_message_left_sending_is_delivered_after_its_lease(
    settings: HubSettings, receivers: ReceiverStandIn, envelope: Callable[..., Envelope], network: Any,
    auth: Callable[[str], dict[str, str]], eventually: Callable[..., None],
) -> None:
    sent = envelope()
    intake_only = settings.model_copy(update={"run_worker": False})
    with TestClient(create_app(intake_only, delivery_client=receivers.client())) as client:
        answer = client.post("/messages", content=sent.model_dump_json().encode(), headers={
            "Authorization": f"Bearer {network.token_of('TH')}", "Content-Type": "application/json"})
        assert answer.status_code == 202
    engine = make_engine(settings.database_for("hub"))
    with Session(engine) as session:  # what a worker killed mid-send leaves behind
        message = session.exec(select(HubMessage)).one()
        message.state, message.attempts = HubState.SENDING, 1
        message.lease_owner, message.lease_until = "a-dead-worker", utcnow() - timedelta(seconds=1)
        session.add(message)
        session.commit()
    engine.dispose()
    with TestClient(create_app(settings, delivery_client=receivers.client())) as client:
        eventually(lambda: client.get(f"/messages/{sent.message_id}", headers=auth("TH")).json()["state"]
                   == "DELIVERED", what="delivery after the lease ran out")
        record = client.get(f"/messages/{sent.message_id}", headers=auth("TH")).json()
    assert record["attempts"] == 2
    assert "lease ran out" in record["timeline"][-2]["note"]
    assert [d["message_id"] for d in receivers.delivered] == [sent.message_id]


def test_a_live_lease_is_not_taken_over(
    settings: HubSettings, receivers: ReceiverStandIn, envelope: Callable[..., Envelope], network: Any,
    auth: Callable[[str], dict[str, str]],
) -> None:
    from services.hub.delivery import DeliveryWorker

    sent = envelope()
    intake_only = settings.model_copy(update={"run_worker": False})
    with TestClient(create_app(intake_only)) as client:
        client.post("/messages", content=sent.model_dump_json().encode(), headers={
            "Authorization": f"Bearer {network.token_of('TH')}", "Content-Type": "application/json"})
    engine = make_engine(settings.database_for("hub"))
    worker = DeliveryWorker(engine=engine, network=network, settings=settings, client=receivers.client())
    first, second = worker.claim_due(10), worker.claim_due(10)
    assert [c.message_id for c in first] == [sent.message_id]
    assert second == []
    engine.dispose()
