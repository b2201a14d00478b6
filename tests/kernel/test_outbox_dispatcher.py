"""The agency outbox's dispatcher: one row it cannot send never holds up the others."""

import asyncio
import uuid
from pathlib import Path

import httpx
from sqlmodel import Session, SQLModel, select

from services.kernel.db import make_engine
from services.kernel.network import MissingSecret
from services.kernel.outbox import OutboxDispatcher, OutboxMessage, OutboxState


def _row(sender: str) -> OutboxMessage:
    return OutboxMessage(message_id=str(uuid.uuid4()), conversation_id=str(uuid.uuid4()), sender=sender,
                         receiver="VN", document_type="customs.acdd/1.0", payload_format="xml", payload="<ACDD/>",
                         payload_digest="0" * 64, subject=f"test:{sender}")


def test_a_sender_without_a_credential_here_waits_and_the_rows_behind_it_go(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    SQLModel.metadata.create_all(engine, tables=[OutboxMessage.__table__])  # type: ignore[list-item]
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
