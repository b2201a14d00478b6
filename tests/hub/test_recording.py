"""Recording outcomes, one at a time or several in one transaction: an original and its
answer, delivered in either order, end with the original ACKNOWLEDGED exactly once."""

import contextlib
import logging
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from services.hub import repository
from services.hub.app import SCHEMA
from services.hub.config import HubSettings
from services.hub.delivery import Claim, DeliveryWorker
from services.hub.models import HubMessage, HubState, HubTransition
from services.hub.receipts import Answer
from services.kernel.clock import utcnow
from services.kernel.db import make_engine
from services.kernel.migrate import upgrade
from services.kernel.network import Network
from tests.hub.conftest import ReceiverStandIn

DELIVERED = Answer(HubState.DELIVERED, "receipt signed by the receiver", '{"receipt": true}')


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(SCHEMA, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def worker(engine: Engine, network: Network, settings: HubSettings, receivers: ReceiverStandIn) -> DeliveryWorker:
    return DeliveryWorker(engine=engine, network=network, settings=settings, client=receivers.client())


def queue(engine: Engine, *, sender: str, receiver: str, in_reply_to: str | None = None, at: datetime) -> str:
    message_id = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(insert(HubMessage.__table__).values(  # type: ignore[attr-defined]
            message_id=message_id, conversation_id=message_id, in_reply_to=in_reply_to, sender=sender,
            receiver=receiver, document_type="customs.response/1.0", created_at=at, payload_format="json",
            payload="{}", payload_digest="0" * 64, signature="unsigned", envelope=b"{}",
            envelope_media_type="application/json", envelope_digest="0" * 64, received_at=at, state=HubState.QUEUED,
            attempts=0, next_attempt_at=at))
    return message_id


def original_and_answer(engine: Engine, worker: DeliveryWorker) -> tuple[Claim, Claim]:
    now = utcnow()
    original = queue(engine, sender="TH", receiver="VN", at=now)
    answer = queue(engine, sender="VN", receiver="TH", in_reply_to=original, at=now)
    claims = {claim.message_id: claim for claim in worker.claim_due(10)}
    return claims[original], claims[answer]


def timeline(engine: Engine, message_id: str) -> list[tuple[str, str | None]]:
    with Session(engine) as session:
        message = session.exec(select(HubMessage).where(HubMessage.message_id == message_id)).one()
        steps = session.exec(select(HubTransition).where(HubTransition.message_pk == message.id)
                             .order_by(HubTransition.id)).all()  # type: ignore[arg-type]
        assert message.state == steps[-1].state
        return [(step.state, step.note) for step in steps]


@pytest.mark.parametrize("answer_first", [False, True])
def test_an_original_and_its_answer_recorded_together(engine: Engine, worker: DeliveryWorker,
                                                      answer_first: bool) -> None:
    original, answer = original_and_answer(engine, worker)
    batch = [(answer, DELIVERED), (original, DELIVERED)] if answer_first else [(original, DELIVERED),
                                                                               (answer, DELIVERED)]
    worker.record_all(batch)
    steps = timeline(engine, original.message_id)
    assert [state for state, _ in steps][-2:] == ["DELIVERED", "ACKNOWLEDGED"]
    assert [state for state, _ in steps].count("ACKNOWLEDGED") == 1
    assert [state for state, _ in timeline(engine, answer.message_id)][-1] == "DELIVERED"


def test_an_answer_delivered_before_its_original(engine: Engine, worker: DeliveryWorker) -> None:
    original, answer = original_and_answer(engine, worker)
    worker.record(answer, DELIVERED)
    assert timeline(engine, original.message_id)[-1][0] == "SENDING"
    worker.record(original, DELIVERED)
    assert timeline(engine, original.message_id)[-2:] == [
        ("DELIVERED", DELIVERED.reason), ("ACKNOWLEDGED", "its answer had already been delivered")]


def test_an_original_delivered_before_its_answer(engine: Engine, worker: DeliveryWorker) -> None:
    original, answer = original_and_answer(engine, worker)
    worker.record(original, DELIVERED)
    worker.record(answer, DELIVERED)
    assert timeline(engine, original.message_id)[-1] == (
        "ACKNOWLEDGED", f"answered by customs.response/1.0 {answer.message_id}, delivered to TH")


def test_a_lost_lease_is_not_recorded_and_the_rest_of_the_batch_is(engine: Engine, worker: DeliveryWorker) -> None:
    original, answer = original_and_answer(engine, worker)
    taken_over = Claim(**{**original.__dict__, "lease_owner": "another-worker"})
    worker.record_all([(taken_over, DELIVERED), (answer, DELIVERED)])
    assert timeline(engine, original.message_id)[-1][0] == "SENDING"
    assert timeline(engine, answer.message_id)[-1][0] == "DELIVERED"


def test_what_an_outcome_says_is_said_once_the_batch_is_committed(
        engine: Engine, worker: DeliveryWorker, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A batch that fails is recorded again one outcome at a time: its log lines come once."""
    original, answer = original_and_answer(engine, worker)
    add_steps = repository.add_steps

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(repository, "add_steps", failing)
    with caplog.at_level(logging.INFO, logger="swx.hub.delivery"), pytest.raises(RuntimeError):
        worker.record_all([(original, DELIVERED), (answer, DELIVERED)])
    assert "message.delivered" not in caplog.text
    monkeypatch.setattr(repository, "add_steps", add_steps)
    with caplog.at_level(logging.INFO, logger="swx.hub.delivery"):
        worker.record(original, DELIVERED)
        worker.record(answer, DELIVERED)
    assert caplog.text.count("message.delivered") == 2
    assert caplog.text.count("message.acknowledged") == 1


def test_two_batches_each_completing_the_other_s_original_do_not_deadlock(
        engine: Engine, worker: DeliveryWorker, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each batch delivers an original and the answer to the other batch's original: both
    lock the same rows, in the same order."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: batches are recorded one after the other")
    now = utcnow()
    first = queue(engine, sender="TH", receiver="VN", at=now)
    second = queue(engine, sender="VN", receiver="TH", at=now)
    answers_first = queue(engine, sender="VN", receiver="TH", in_reply_to=first, at=now)
    answers_second = queue(engine, sender="TH", receiver="VN", in_reply_to=second, at=now)
    claims = {claim.message_id: claim for claim in worker.claim_due(10)}
    release = repository.release
    both_released_one = threading.Barrier(2)

    def release_then_meet(*args: Any, **kwargs: Any) -> bool:
        released = release(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):  # with locks taken in order, one waits first
            both_released_one.wait(timeout=2)
        return released

    monkeypatch.setattr(repository, "release", release_then_meet)
    batches = [[(claims[first], DELIVERED), (claims[answers_second], DELIVERED)],
               [(claims[second], DELIVERED), (claims[answers_first], DELIVERED)]]
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(worker.record_all, batch) for batch in batches]:
            done.result()
    for original in (first, second):
        states = [state for state, _ in timeline(engine, original)]
        assert (states[-1], states.count("ACKNOWLEDGED")) == ("ACKNOWLEDGED", 1)
