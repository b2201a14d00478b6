"""Fair claiming: a receiver with a backlog, even one that cannot be reached, never keeps the
messages for the others waiting, and is itself probed only a few messages at a time."""

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from services.hub import repository
from services.hub.app import SCHEMA, create_app
from services.hub.config import HubSettings
from services.hub.delivery import DeliveryWorker
from services.hub.models import HubMessage, HubState, HubSuspension
from services.kernel.clock import utcnow
from services.kernel.db import make_engine
from services.kernel.messages.exchange import Envelope
from services.kernel.migrate import upgrade
from services.kernel.network import Network
from tests.hub.conftest import ReceiverStandIn

BACKLOG = 3000
"""Messages waiting for VN: enough that a claim ordered across all receivers would be all VN's."""


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(SCHEMA, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def seed(engine: Engine, receiver: str, count: int, *, at: datetime, state: HubState = HubState.QUEUED,
         lease_until: datetime | None = None) -> list[int]:
    """``count`` messages for ``receiver``, as intake stores them, due from ``at`` on (one a
    millisecond apart, oldest first); their keys."""
    rows = [{"message_id": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()), "in_reply_to": None,
             "sender": "KH", "receiver": receiver, "document_type": "customs.response/1.0", "created_at": at,
             "payload_format": "json", "payload": "{}", "payload_digest": "0" * 64, "signature": "unsigned",
             "envelope": b"{}", "envelope_media_type": "application/json", "envelope_digest": "0" * 64,
             "received_at": at, "state": state, "attempts": 1 if state == HubState.SENDING else 0,
             "next_attempt_at": at + timedelta(milliseconds=n), "lease_owner": "a-worker" if lease_until else None,
             "lease_until": lease_until} for n in range(count)]
    with engine.begin() as connection:
        keys = connection.execute(insert(HubMessage.__table__).returning(  # type: ignore[attr-defined]
            HubMessage.__table__.c.id, sort_by_parameter_order=True), rows).scalars().all()  # type: ignore[attr-defined]
    return list(keys)


def claimed_receivers(engine: Engine, *, limit: int, turn: int = 0) -> list[str]:
    with Session(engine) as session:
        claimed = [m.receiver for m in repository.claim_due(session, limit=limit, now=utcnow(), turn=turn)]
        session.rollback()
    return claimed


def test_the_first_round_includes_the_message_queued_last_for_another_receiver(
    engine: Engine, settings: HubSettings, network: Network, receivers: ReceiverStandIn,
) -> None:
    now = utcnow()
    seed(engine, "VN", BACKLOG, at=now - timedelta(hours=1))
    (last,) = seed(engine, "TH", 1, at=now)
    worker = DeliveryWorker(engine=engine, network=network, settings=settings, client=receivers.client())
    claims = worker.claim_due(settings.concurrency)
    assert last in [claim.pk for claim in claims]
    assert len(claims) == settings.concurrency  # the rest of the room still goes to VN's backlog
    vn = [claim.pk for claim in claims if claim.receiver == "VN"]
    assert vn == sorted(vn)  # VN's oldest first
    with Session(engine) as session:
        assert session.get(HubMessage, last).state == HubState.SENDING  # type: ignore[union-attr]


def test_suspended_receivers_are_skipped_and_expired_leases_taken_up_again(engine: Engine) -> None:
    now = utcnow()
    seed(engine, "VN", BACKLOG, at=now - timedelta(hours=1))
    seed(engine, "LA", 5, at=now - timedelta(hours=2))  # suspended below: never claimed
    seed(engine, "JP", 1, at=now - timedelta(hours=2), state=HubState.SENDING, lease_until=now + timedelta(minutes=1))
    (crashed,) = seed(engine, "KH", 1, at=now - timedelta(hours=2), state=HubState.SENDING,
                      lease_until=now - timedelta(seconds=1))
    seed(engine, "TH", 1, at=now)
    with Session(engine) as session:
        session.add(HubSuspension(country="LA", note="maintenance"))
        session.commit()
        assert repository.due_receivers(session, now=utcnow()) == ["KH", "TH", "VN"]
    claimed = claimed_receivers(engine, limit=8)
    assert sorted(set(claimed)) == ["KH", "TH", "VN"]
    assert (claimed.count("KH"), claimed.count("TH"), claimed.count("VN")) == (1, 1, 6)
    with Session(engine) as session:
        assert crashed in [m.pk for m in repository.claim_due(session, limit=8, now=utcnow())]


def test_receivers_take_turns_when_the_room_is_smaller_than_their_number(engine: Engine) -> None:
    now = utcnow()
    for receiver in ("JP", "TH", "VN"):
        seed(engine, receiver, 50, at=now - timedelta(minutes=1))
    firsts = [claimed_receivers(engine, limit=1, turn=turn) for turn in range(3)]
    assert sorted(first for (first,) in firsts) == ["JP", "TH", "VN"]


def test_a_receiver_held_back_is_offered_no_more_than_its_cap(engine: Engine) -> None:
    now = utcnow()
    seed(engine, "VN", BACKLOG, at=now - timedelta(hours=1))
    seed(engine, "TH", 3, at=now)
    with Session(engine) as session:
        claimed = [m.receiver for m in repository.claim_due(session, limit=64, now=utcnow(), caps={"VN": 2})]
        assert sorted(claimed) == ["TH", "TH", "TH", "VN", "VN"]
        session.rollback()
        paused = repository.claim_due(session, limit=64, now=utcnow(), caps={"VN": 0})
        assert [m.receiver for m in paused] == ["TH", "TH", "TH"]


def test_workers_sharing_postgresql_claim_different_messages(engine: Engine, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: one delivery worker claims at a time")
    now = utcnow()
    seed(engine, "VN", 100, at=now - timedelta(hours=1))
    seed(engine, "TH", 10, at=now)
    with Session(engine) as first, Session(engine) as second:
        mine = {m.pk for m in repository.claim_due(first, limit=16, now=utcnow())}
        theirs = {m.pk for m in repository.claim_due(second, limit=16, now=utcnow())}  # while the first holds its locks
        assert len(mine) == len(theirs) == 16
        assert not mine & theirs


def test_an_unreachable_receiver_is_probed_a_few_at_a_time_while_the_others_are_served(
    engine: Engine, settings: HubSettings, receivers: ReceiverStandIn, envelope: Callable[..., Envelope],
    network: Network, auth: Callable[[str], dict[str, str]], eventually: Callable[..., None],
) -> None:
    seed(engine, "VN", BACKLOG, at=utcnow() - timedelta(hours=1))
    refused: list[str] = []

    def vn_down(request: httpx.Request) -> httpx.Response:
        if request.url.host == "nsw-vn.test":
            refused.append(request.url.host)
            raise httpx.ConnectError("connection refused", request=request)
        return receivers.handler(request)

    # a pause longer than the test: after the first refusals no delivery to VN starts again
    held_back = settings.model_copy(update={"concurrency": 8, "failing_receiver_pause": 3600.0})
    with TestClient(create_app(held_back, delivery_client=httpx.AsyncClient(
            transport=httpx.MockTransport(vn_down)))) as client:
        for _ in range(2):  # one after the other: the second needs rounds after VN failed
            sent = envelope("KH", "TH", document_type="customs.acdd/1.0")
            accepted = client.post("/messages", content=sent.model_dump_json().encode(), headers={
                "Authorization": f"Bearer {network.token_of('KH')}", "Content-Type": "application/json"})
            assert accepted.status_code == 202, accepted.text
            eventually(lambda m=sent.message_id: client.get(f"/messages/{m}", headers=auth("KH")).json()["state"]
                       == "DELIVERED", what="delivery to TH while VN is down")
    assert 1 <= len(refused) <= held_back.concurrency  # the first round's share, then held back
    with Session(engine) as session:
        tried = session.exec(select(func.sum(HubMessage.attempts)).where(HubMessage.receiver == "VN")).one()
        waiting = session.exec(select(func.count()).select_from(HubMessage).where(
            HubMessage.receiver == "VN", HubMessage.state == HubState.QUEUED)).one()
    assert tried == len(refused)
    assert waiting == BACKLOG - len(refused)  # untried, and so spending none of their attempts


def test_a_receiver_answering_again_is_no_longer_held_back(
    settings: HubSettings, network: Network, receivers: ReceiverStandIn, engine: Engine,
) -> None:
    from services.hub.receipts import Answer

    worker = DeliveryWorker(engine=engine, network=network, settings=settings.model_copy(
        update={"failing_receiver_pause": 3600.0}), client=receivers.client())
    worker._note_outcome("VN", Answer.transient("VN is unreachable: ConnectError"))
    assert worker.caps() == {"VN": 0}
    worker._note_outcome("VN", Answer(HubState.DELIVERED, "receipt verified"))
    assert worker.caps() == {}
