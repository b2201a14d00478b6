"""The transactional outbox: outbound messages are rows written with the domain record.

``enqueue`` adds the row in the caller's transaction, so a message exists exactly when the
record that caused it does. ``OutboxDispatcher`` then POSTs each due row's envelope to the
hub in the background, retrying with capped exponential backoff and jitter; a hub that is
down delays messages but never blocks a submission or loses one.
"""

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy import Column, Text
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, func, select

from services.kernel import canonical
from services.kernel.answers import ACKNOWLEDGED, answer_summary, answers_to
from services.kernel.background import BackgroundLoop
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.kernel.messages.exchange import Envelope
from services.kernel.messages.types import Document
from services.kernel.registry import MessageType

log = logging.getLogger("swx.outbox")
T = TypeVar("T")

PENDING, SENT, FAILED = "PENDING", "SENT", "FAILED"



class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True, index=True, max_length=36)
    conversation_id: str = Field(max_length=36)
    in_reply_to: str | None = Field(default=None, max_length=36)
    sender: str = Field(max_length=2)
    receiver: str = Field(max_length=2)
    document_type: str = Field(max_length=64)
    payload_format: str = Field(max_length=4)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    payload_digest: str = Field(max_length=64)
    subject: str = Field(index=True, max_length=64, description="the domain record it belongs to")
    state: str = Field(default=PENDING, index=True, max_length=8)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, max_length=1024)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


def enqueue(session: Session, *, document: Document, message_type: MessageType, sender: str, receiver: str,
            subject: str, conversation_id: str | None = None, in_reply_to: str | None = None) -> OutboxMessage:
    """Add the message to the outbox in the caller's transaction."""
    payload = canonical.xml_bytes(document, message_type).decode("utf-8")
    row = OutboxMessage(
        message_id=str(uuid.uuid4()), conversation_id=conversation_id or str(uuid.uuid4()),
        in_reply_to=in_reply_to, sender=sender, receiver=receiver, document_type=message_type.key,
        payload_format="xml", payload=payload, payload_digest=canonical.digest(payload), subject=subject,
    )
    session.add(row)
    session.flush()
    return row


def envelope_of(row: OutboxMessage) -> Envelope:
    return Envelope(
        message_id=row.message_id, conversation_id=row.conversation_id, in_reply_to=row.in_reply_to,
        sender=row.sender, receiver=row.receiver, document_type=row.document_type,
        created_at=row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC),
        payload_format=row.payload_format,  # type: ignore[arg-type]
        payload=row.payload, payload_digest=row.payload_digest,
    )


def outbox_depth(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).where(OutboxMessage.state == PENDING)).one())


def messages_for(session: Session, subject: str) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(OutboxMessage.subject == subject).order_by(col(OutboxMessage.id))
    return list(session.exec(statement))


def message_summaries(session: Session, subject: str) -> list[dict[str, Any]]:
    """How a record's GET shows its outbound messages: with the latest business answer to
    each, if one came back, and then the state ACKNOWLEDGED (an answer proves delivery,
    even when it overtook the hub's 202)."""
    messages = messages_for(session, subject)
    answered = answers_to(session, [m.message_id for m in messages])
    summaries = []
    for m in messages:
        answers = answered.get(m.message_id)
        latest = answers[-1] if answers else None
        summaries.append({
            "message_id": m.message_id, "receiver": m.receiver, "document_type": m.document_type,
            "state": ACKNOWLEDGED if latest is not None else m.state, "attempts": m.attempts,
            "last_error": m.last_error,
            "answer": None if latest is None else answer_summary(latest),
        })
    return summaries


def backoff(attempts: int, *, base: float = 0.5, cap: float = 60.0) -> float:
    """Capped exponential backoff with full jitter (AWS architecture blog's 'full jitter')."""
    return random.uniform(0, min(cap, base * 2 ** attempts))


class OutboxDispatcher(BackgroundLoop):
    """Delivers due outbox rows to the hub's ``POST /messages``."""

    name = "outbox"

    def __init__(self, *, engine: Engine, hub_url: str, token_for: Callable[[str], str],
                 client: httpx.AsyncClient, max_attempts: int = 20, batch: int = 50,
                 sign: Callable[[Envelope], Envelope] | None = None, lock: asyncio.Lock | None = None) -> None:
        self.engine, self.hub_url, self.token_for, self.client = engine, hub_url.rstrip("/"), token_for, client
        self.max_attempts, self.batch, self.sign = max_attempts, batch, sign
        super().__init__(lock=lock)

    async def run_round(self) -> int:
        return await self.dispatch_due()

    async def dispatch_due(self) -> int:
        """Send every due row once; return how many were handed over (or finally refused)."""
        rows = await self.in_turn(self._due_rows)
        done = 0
        for row in rows:
            outcome = await self._send(row)
            await self.in_turn(self._record, row.id, outcome)
            done += outcome[0] in (SENT, FAILED)
        return done

    def _due_rows(self) -> list[OutboxMessage]:
        with session_scope(self.engine) as session:
            statement = (select(OutboxMessage).where(OutboxMessage.state == PENDING)
                         .where(OutboxMessage.next_attempt_at <= utcnow())
                         .order_by(col(OutboxMessage.id)).limit(self.batch))
            return list(session.exec(statement))

    async def _send(self, row: OutboxMessage) -> tuple[str, str | None]:
        envelope = envelope_of(row)
        try:
            token = self.token_for(row.sender)
        except KeyError:
            return FAILED, f"{row.sender} is not a participant of this network: no credential to send with"
        if self.sign is not None:
            try:
                envelope = self.sign(envelope)
            except LookupError as error:
                return FAILED, f"cannot sign: {error}"
        body = canonical.json_text(envelope).encode("utf-8")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            response = await self.client.post(f"{self.hub_url}/messages", content=body, headers=headers, timeout=10)
        except httpx.HTTPError as error:
            return PENDING, f"hub unreachable: {type(error).__name__}"
        if response.status_code in (200, 201, 202):
            return SENT, None
        if response.status_code in (408, 425, 429) or response.status_code >= 500:
            return PENDING, f"hub answered {response.status_code}"
        return FAILED, f"hub refused the message ({response.status_code}): {response.text[:500]}"

    def _record(self, row_id: int | None, outcome: tuple[str, str | None]) -> None:
        state, error = outcome
        with session_scope(self.engine) as session:
            row = session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error = error
            if state == SENT:
                row.state, row.sent_at = SENT, utcnow()
                log.info("outbox.sent message_id=%s receiver=%s type=%s", row.message_id, row.receiver,
                         row.document_type)
            elif state == FAILED or row.attempts >= self.max_attempts:
                row.state = FAILED
                log.warning("outbox.failed message_id=%s attempts=%d error=%s", row.message_id, row.attempts, error)
            else:
                row.next_attempt_at = utcnow() + timedelta(seconds=backoff(row.attempts))
                log.info("outbox.retry message_id=%s attempts=%d error=%s", row.message_id, row.attempts, error)
