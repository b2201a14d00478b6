"""The transactional outbox: outbound messages are rows written with the domain record.

``enqueue`` adds the row in the caller's transaction, so a message exists exactly when the
record that caused it does. ``OutboxDispatcher`` then POSTs each due row's envelope to the
hub in the background, retrying under the kernel's one ``RetryPolicy``: a hub that is down
delays messages but never blocks a submission or loses one.

A row is ``PENDING`` until the hub took it (``SENT``). It is a dead letter, with its reason
and the time it failed, either ``FAILED`` when the policy gave up (by default after as long
as the hub itself waits) or ``REFUSED`` when the hub refused it for good (a 4xx other than
"later": the hub's decision on that very envelope). A dead letter stays visible on its
record, in ``/metrics`` and in the operator's ``GET /outbox?state=FAILED``, until the
operator replays it (either kind: after the cause is mended) or, for ``FAILED`` only, its
record is submitted again (a refused envelope sent again by the submitter would only be
refused again): ``requeue`` makes it ``PENDING`` with its attempts and age counted afresh,
under the same ``message_id`` (the hub eliminates duplicates, so a message that did arrive
once is not delivered twice).
"""

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy import Column, Text
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, func, select

from services.kernel import canonical
from services.kernel.background import BackgroundLoop
from services.kernel.clock import as_utc, iso, utcnow
from services.kernel.db import session_scope
from services.kernel.messages.exchange import Envelope
from services.kernel.messages.types import Document
from services.kernel.received_answers import ACKNOWLEDGED, answer_summary, answers_to
from services.kernel.registry import MessageType
from services.kernel.retry import RetryPolicy, age, retry_after_seconds, retryable_status

log = logging.getLogger("swx.outbox")



class OutboxState(StrEnum):
    """Where an outbound message stands (see the module's docstring); stored as the value."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    REFUSED = "REFUSED"


DEAD_LETTERS = (OutboxState.FAILED, OutboxState.REFUSED)
"""The states an operator replays: messages that will not go unless somebody acts."""


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
    state: str = Field(default=OutboxState.PENDING, index=True, max_length=8)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, max_length=1024)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    requeued_at: datetime | None = Field(default=None, description="when a dead letter was last queued again (a "
                                                                   "replay or a resubmission); its age counts from "
                                                                   "then, else from created_at")
    failed_at: datetime | None = Field(default=None, description="when it became a dead letter (FAILED or REFUSED)")


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
        created_at=as_utc(row.created_at), payload_format=row.payload_format,  # type: ignore[arg-type]
        payload=row.payload, payload_digest=row.payload_digest,
    )


# --- reading and requeueing ---------------------------------------------------------------
def state_counts(engine: Engine) -> dict[OutboxState, int]:
    """How many rows are in each state (every state named, 0 when none)."""
    with session_scope(engine) as session:
        statement = select(OutboxMessage.state, func.count()).group_by(col(OutboxMessage.state))
        counted = {state: int(n) for state, n in session.exec(statement)}
    return {state: counted.get(state, 0) for state in OutboxState}


def messages_for(session: Session, subject: str) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(OutboxMessage.subject == subject).order_by(col(OutboxMessage.id))
    return list(session.exec(statement))


def list_messages(session: Session, *, state: OutboxState | None, limit: int,
                  offset: int) -> tuple[list[OutboxMessage], int]:
    """A page of the outbox, newest first, and how many rows match in all."""
    where = [] if state is None else [OutboxMessage.state == state]
    total = int(session.exec(select(func.count()).select_from(OutboxMessage).where(*where)).one())
    statement = (select(OutboxMessage).where(*where).order_by(col(OutboxMessage.id).desc())
                 .offset(offset).limit(limit))
    return list(session.exec(statement)), total


def locked_message(session: Session, message_id: str) -> OutboxMessage | None:
    """The row, locked until the transaction ends: a replay and a resubmission never both requeue it."""
    statement = select(OutboxMessage).where(OutboxMessage.message_id == message_id).with_for_update()
    return session.exec(statement).first()


def requeue(row: OutboxMessage, *, by: str) -> None:
    """Make a dead letter ``PENDING`` again, due now, its attempts and age counted afresh."""
    now = utcnow()
    log.info("outbox.requeued message_id=%s receiver=%s by=%s failed_at=%s reason=%s", row.message_id, row.receiver,
             by, iso(row.failed_at), row.last_error)
    row.state, row.attempts, row.next_attempt_at = OutboxState.PENDING, 0, now
    row.requeued_at, row.failed_at = now, None


def requeue_dead_letters(session: Session, subject: str, *, by: str) -> list[OutboxMessage]:
    """Queue again the messages of a record the policy gave up on (when it is submitted again);
    those requeued. A ``REFUSED`` one stays: the hub would refuse it again; the operator decides."""
    statement = (select(OutboxMessage)
                 .where(OutboxMessage.subject == subject, OutboxMessage.state == OutboxState.FAILED)
                 .order_by(col(OutboxMessage.id)).with_for_update())
    rows = list(session.exec(statement))
    for row in rows:
        requeue(row, by=by)
        session.add(row)
    session.flush()
    return rows


def message_summaries(session: Session, subject: str) -> list[dict[str, Any]]:
    """How a record's GET shows its outbound messages: with the latest business answer to
    each, if one came back, and then the state ACKNOWLEDGED (an answer proves delivery,
    even when it overtook the hub's 202). A dead letter shows FAILED, its reason
    (``last_error``) and when it failed."""
    messages = messages_for(session, subject)
    answered = answers_to(session, [m.message_id for m in messages])
    summaries = []
    for m in messages:
        answers = answered.get(m.message_id)
        latest = answers[-1] if answers else None
        summaries.append({
            "message_id": m.message_id, "receiver": m.receiver, "document_type": m.document_type,
            "state": ACKNOWLEDGED if latest is not None else m.state, "attempts": m.attempts,
            "last_error": m.last_error, "failed_at": iso(m.failed_at), "requeued_at": iso(m.requeued_at),
            "answer": None if latest is None else answer_summary(latest),
        })
    return summaries


# --- dispatching --------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    """What one try to hand a message to the hub came to."""

    state: OutboxState
    """SENT, REFUSED (by the hub, for good) or PENDING (to be tried again, or given up by the policy)."""
    error: str | None = None
    retry_after: float | None = None
    """The seconds the hub's ``Retry-After`` asked for, if it did."""


class OutboxDispatcher(BackgroundLoop):
    """Delivers due outbox rows to the hub's ``POST /messages``."""

    name = "outbox"

    def __init__(self, *, engine: Engine, hub_url: str, token_for: Callable[[str], str],
                 client: httpx.AsyncClient, policy: RetryPolicy | None = None, batch: int = 50,
                 sign: Callable[[Envelope], Envelope] | None = None, lock: asyncio.Lock | None = None,
                 poll_interval: float = 1.0, on_dead_letter: Callable[[OutboxMessage], None] | None = None) -> None:
        self.engine, self.hub_url, self.token_for, self.client = engine, hub_url.rstrip("/"), token_for, client
        self.policy, self.batch, self.sign = policy or RetryPolicy(), batch, sign
        self.on_dead_letter = on_dead_letter
        """Called (outside the transaction, once it committed) for each row that became a dead letter."""
        super().__init__(lock=lock, idle_wait=poll_interval)

    async def run_round(self) -> int:
        return await self.dispatch_due()

    async def dispatch_due(self) -> int:
        """Try every due row once; return how many were tried (the loop looks again at once)."""
        rows = await self.in_turn(self._due_rows)
        for row in rows:
            try:
                attempt = await self._send(row)
            except Exception as error:  # one row's fault must not hold up the rows behind it
                log.exception("outbox.send_failed message_id=%s", row.message_id)
                attempt = Attempt(OutboxState.PENDING, f"could not be sent: {type(error).__name__}")
            dead = await self.in_turn(self._record, row.id, attempt)
            if dead is not None and self.on_dead_letter is not None:
                self.on_dead_letter(dead)
        return len(rows)

    def _due_rows(self) -> list[OutboxMessage]:
        with session_scope(self.engine) as session:
            statement = (select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING)
                         .where(OutboxMessage.next_attempt_at <= utcnow())
                         .order_by(col(OutboxMessage.id)).limit(self.batch))
            return list(session.exec(statement))

    async def _send(self, row: OutboxMessage) -> Attempt:
        envelope = envelope_of(row)
        # a credential or key this component lacks is a deployment fault, mended by a restart with
        # its secrets: the message waits for it under the policy, and blocks no other row
        try:
            token = self.token_for(row.sender)
        except LookupError as error:
            return Attempt(OutboxState.PENDING,
                           f"no credential to send as {row.sender} in this component's secrets: {error}")
        if self.sign is not None:
            try:
                envelope = self.sign(envelope)
            except LookupError as error:
                return Attempt(OutboxState.PENDING, f"cannot sign as {row.sender}: {error}")
        body = canonical.json_text(envelope).encode("utf-8")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            response = await self.client.post(f"{self.hub_url}/messages", content=body, headers=headers, timeout=10)
        except httpx.HTTPError as error:
            return Attempt(OutboxState.PENDING, f"hub unreachable: {type(error).__name__}")
        if response.status_code in (200, 201, 202):
            return Attempt(OutboxState.SENT)
        if retryable_status(response.status_code):
            return Attempt(OutboxState.PENDING, f"hub answered {response.status_code}",
                           retry_after_seconds(response.headers.get("retry-after"), now=utcnow()))
        return Attempt(OutboxState.REFUSED, f"hub refused the message ({response.status_code}): {response.text[:500]}")

    def _record(self, row_id: int | None, attempt: Attempt) -> OutboxMessage | None:
        """Write the attempt's outcome; the row if it became a dead letter."""
        with session_scope(self.engine) as session:
            row = session.get(OutboxMessage, row_id)
            if row is None or row.state != OutboxState.PENDING:
                return None
            now = utcnow()
            row.attempts += 1
            row.last_error = attempt.error
            if attempt.state == OutboxState.SENT:
                row.state, row.sent_at = OutboxState.SENT, now
                log.info("outbox.sent message_id=%s receiver=%s type=%s attempts=%d", row.message_id, row.receiver,
                         row.document_type, row.attempts)
                return None
            queued_at = row.requeued_at or row.created_at
            if attempt.state == OutboxState.PENDING and not self.policy.gives_up(
                    attempts=row.attempts, queued_at=queued_at, now=now):
                delay = self.policy.delay(row.attempts, retry_after=attempt.retry_after)
                row.next_attempt_at = now + timedelta(seconds=delay)
                log.info("outbox.retry message_id=%s attempts=%d delay=%.1f error=%s", row.message_id, row.attempts,
                         delay, attempt.error)
                return None
            if attempt.state == OutboxState.PENDING:
                row.last_error = (f"gave up after {row.attempts} attempt(s) in {age(queued_at, now=now):.0f} s: "
                                  f"{attempt.error}")[:1024]
            row.state = OutboxState.REFUSED if attempt.state == OutboxState.REFUSED else OutboxState.FAILED
            row.failed_at = now
            log.warning("outbox.dead_letter message_id=%s receiver=%s type=%s state=%s attempts=%d reason=%s",
                        row.message_id, row.receiver, row.document_type, row.state, row.attempts, row.last_error)
            return row
