"""The agency outbox's dispatcher: one row it cannot send never holds up the others; the
rows of one record go in order; an idle dispatcher sleeps until its next due row."""

import asyncio
import json
import uuid
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from services.kernel.clock import utcnow
from services.kernel.db import make_engine
from services.kernel.network import MissingSecret
from services.kernel.outbox import OUTBOX, OutboxDispatcher, OutboxMessage, OutboxState
from services.kernel.retry import RetryPolicy


def _row(sender: str) -> OutboxMessage:
    return OutboxMessage(message_id=str(uuid.uuid4()), conversation_id=str(uuid.uuid4()), sender=sender,
                         receiver="VN", document_type="customs.acdd/1.0", payload_format="xml", payload="<ACDD/>",
                         payload_digest="0" * 64, subject=f"test:{sender}")


def test_a_sender_without_a_credential_here_waits_and_the_rows_behind_it_go(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    SQLModel.metadata.create_all(engine, tables=[OUTBOX])
    with Session(engine) as session:
        session.add(_row("JP"))  # first in line, and this component holds no JP token
        session.add(_row("TH"))
        session.commit()
    posted: list[str] = []

    def hub(request: httpx.Request) -> httpx.Response:
        posted.append(request.headers["authorization"])
        return httpx.Response(202, json={})

    def token_for(country: str) -> str:
        if country != "TH":
            raise MissingSecret(f"no {country} token")
        return "th-token"

    async def one_round() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(hub)) as client:
            dispatcher = OutboxDispatcher(engine=engine, hub_url="http://hub.test", token_for=token_for, client=client)
            await dispatcher.dispatch_due()

    asyncio.run(one_round())
    with Session(engine) as session:
        rows = {row.sender: row for row in session.exec(select(OutboxMessage))}
    assert posted == ["Bearer th-token"]
    assert rows["TH"].state == OutboxState.SENT
    assert rows["JP"].state == OutboxState.PENDING  # waits for its secret under the policy, not silently dropped
    assert "no credential to send as JP" in (rows["JP"].last_error or "")
    engine.dispose()


def _outbox(tmp_path: Path, rows: list[OutboxMessage]) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    SQLModel.metadata.create_all(engine, tables=[OUTBOX])
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
    return engine


def test_the_rows_of_one_record_go_in_the_order_they_were_queued_and_all_outcomes_are_recorded(
        tmp_path: Path) -> None:
    rows = [_row("TH") for _ in range(6)]
    for i, row in enumerate(rows):
        row.subject = f"record:{i % 2}"
    queued = {subject: [row.message_id for row in rows if row.subject == subject]
              for subject in ("record:0", "record:1")}
    engine = _outbox(tmp_path, rows)
    posted: list[str] = []

    async def hub(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content)["message_id"])
        await asyncio.sleep(0.01 if len(posted) % 2 else 0)  # answers that overtake one another
        return httpx.Response(202, json={})

    async def one_round() -> int:
        async with httpx.AsyncClient(transport=httpx.MockTransport(hub)) as client:
            dispatcher = OutboxDispatcher(engine=engine, hub_url="http://hub.test", token_for=lambda _: "t",
                                          client=client, concurrency=4)
            return await dispatcher.dispatch_due()

    assert asyncio.run(one_round()) == 6
    for in_order in queued.values():
        assert [m for m in posted if m in in_order] == in_order
    with Session(engine) as session:
        stored = list(session.exec(select(OutboxMessage)))
    assert {(row.state, row.attempts) for row in stored} == {(OutboxState.SENT, 1)}
    assert all(row.sent_at is not None for row in stored)
    engine.dispose()


def test_with_nothing_due_the_dispatcher_sleeps_until_the_next_retry_and_at_most_max_idle(tmp_path: Path) -> None:
    engine = _outbox(tmp_path, [_row("TH")])
    answers = [503, 202]

    def hub(request: httpx.Request) -> httpx.Response:
        return httpx.Response(answers.pop(0), json={}, headers={"Retry-After": "5"})

    async def rounds() -> list[float]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(hub)) as client:
            dispatcher = OutboxDispatcher(engine=engine, hub_url="http://hub.test", token_for=lambda _: "t",
                                          client=client, policy=RetryPolicy(base=5, cap=10), poll_interval=1.0,
                                          max_idle=60.0)
            slept = [dispatcher.idle_seconds()]  # nothing read yet: the poll interval
            assert await dispatcher.run_round() == 1  # 503: retried in 5 to 10 s, as Retry-After asks
            assert await dispatcher.run_round() == 0
            slept.append(dispatcher.idle_seconds())
            with Session(engine) as session:
                row = session.exec(select(OutboxMessage)).one()
                row.next_attempt_at = utcnow()
                session.add(row)
                session.commit()
            assert await dispatcher.run_round() == 1  # sent
            assert await dispatcher.run_round() == 0
            slept.append(dispatcher.idle_seconds())  # nothing pending
            return slept

    first, retry, nothing = asyncio.run(rounds())
    assert first == 1.0
    assert 4.5 <= retry <= 10.1
    assert nothing == 60.0
    engine.dispose()
