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
from sqlalchemy import Column, Table, Text, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, func, select

from services.kernel import canonical
from services.kernel.background import BackgroundLoop, NextDue
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


OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
_INSERT = insert(OUTBOX)
"""Built once, its values bound at execution (cheaper than a statement built with its values)."""


@dataclass(frozen=True)
class QueuedMessage:
    """What ``enqueue`` queued: enough to name the message in a log line or a record."""

    message_id: str
    conversation_id: str
    sender: str
    receiver: str
    document_type: str
    subject: str


def enqueue(session: Session, *, document: Document, message_type: MessageType, sender: str, receiver: str,
            subject: str, conversation_id: str | None = None, in_reply_to: str | None = None,
            message_id: str | None = None) -> QueuedMessage:
    """Add the message to the outbox in the caller's transaction, under ``message_id`` when the
    caller chose it (to name it in a row it writes first), else a new one.

    One INSERT, written now (after what the session holds pending, which it flushes first): no
    ORM object is built for a row the request never reads again."""
    payload, now = canonical.xml_bytes(document, message_type).decode("utf-8"), utcnow()
    queued = QueuedMessage(message_id=message_id or str(uuid.uuid4()),
                           conversation_id=conversation_id or str(uuid.uuid4()), sender=sender, receiver=receiver,
                           document_type=message_type.key, subject=subject)
    session.execute(_INSERT, {
        "message_id": queued.message_id, "conversation_id": queued.conversation_id, "in_reply_to": in_reply_to,
        "sender": sender, "receiver": receiver, "document_type": message_type.key, "payload_format": "xml",
        "payload": payload, "payload_digest": canonical.digest(payload), "subject": subject,
        "state": OutboxState.PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now})
    return queued


def envelope_of(row: "OutboxMessage | DueMessage") -> Envelope:
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
class DueMessage:
    """What the dispatcher reads of a due row: the envelope's fields and what the policy weighs."""

    id: int
    message_id: str
    conversation_id: str
    in_reply_to: str | None
    sender: str
    receiver: str
    document_type: str
    payload_format: str
    payload: str
    payload_digest: str
    subject: str
    attempts: int
    created_at: datetime
    requeued_at: datetime | None


DUE_COLUMNS = tuple(OUTBOX.c[name] for name in DueMessage.__dataclass_fields__)
"""Only the columns ``DueMessage`` holds: the dispatcher never builds an ORM object to send a row."""


@dataclass(frozen=True)
class Attempt:
    """What one try to hand a message to the hub came to."""

    state: OutboxState
    """SENT, REFUSED (by the hub, for good) or PENDING (to be tried again, or given up by the policy)."""
    error: str | None = None
    retry_after: float | None = None
    """The seconds the hub's ``Retry-After`` asked for, if it did."""


class OutboxDispatcher(BackgroundLoop):
    """Delivers due outbox rows to the hub's ``POST /messages``.

    A round reads the due rows, sends them to the hub at most ``concurrency`` at a time (the
    rows of one record one after another, in the order they were queued) and records every
    outcome in one transaction. When nothing is due it sleeps until the next row is (a retry's
    ``next_attempt_at``), at most ``max_idle`` seconds: every row is written by a request of
    this service, which wakes it, so there is nothing to poll for. After a round that failed
    (the database unreachable) it looks again after ``poll_interval``.
    """

    name = "outbox"

    def __init__(self, *, engine: Engine, hub_url: str, token_for: Callable[[str], str],
                 client: httpx.AsyncClient, policy: RetryPolicy | None = None, batch: int = 50,
                 sign: Callable[[Envelope], Envelope] | None = None, lock: asyncio.Lock | None = None,
                 poll_interval: float = 1.0, on_dead_letter: Callable[[OutboxMessage], None] | None = None,
                 concurrency: int = 8, max_idle: float = 60.0) -> None:
        self.engine, self.hub_url, self.token_for, self.client = engine, hub_url.rstrip("/"), token_for, client
        self.policy, self.batch, self.sign = policy or RetryPolicy(), batch, sign
        self.on_dead_letter = on_dead_letter
        """Called (outside the transaction, once it committed) for each row that became a dead letter."""
        self.concurrency, self.max_idle = concurrency, max_idle
        self._next_due: NextDue = NextDue.UNKNOWN
        super().__init__(lock=lock, idle_wait=poll_interval)

    async def run_round(self) -> int:
        self._next_due = NextDue.UNKNOWN  # until the round says otherwise: a failed round looks again soon
        return await self.dispatch_due()

    def idle_seconds(self) -> float:
        return self._next_due.seconds(fallback=self.idle_wait, longest=self.max_idle)

    async def dispatch_due(self) -> int:
        """Try every due row once; return how many were tried (the loop looks again at once)."""
        rows = await self.in_turn(self._due_rows)
        if not rows:
            return 0
        attempts: dict[int, Attempt] = {}
        gate = asyncio.Semaphore(self.concurrency)

        async def send_in_order(chain: list[DueMessage]) -> None:
            for row in chain:
                async with gate:
                    attempts[row.id] = await self._attempt(row)

        chains: dict[str, list[DueMessage]] = {}
        for row in rows:
            chains.setdefault(row.subject, []).append(row)
        await asyncio.gather(*(send_in_order(chain) for chain in chains.values()))
        dead = await self.in_turn(self._record, [(row, attempts[row.id]) for row in rows])
        if self.on_dead_letter is not None:
            for message in dead:
                self.on_dead_letter(message)
        return len(rows)

    def _due_rows(self) -> list[DueMessage]:
        """The due rows, oldest first; when there are none, notes when the next one is due."""
        pending = OutboxMessage.state == OutboxState.PENDING
        with session_scope(self.engine) as session:
            statement = (select(*DUE_COLUMNS).where(pending)
                         .where(OutboxMessage.next_attempt_at <= utcnow())
                         .order_by(col(OutboxMessage.id)).limit(self.batch))
            rows = [DueMessage(*values) for values in session.execute(statement)]
            if not rows:
                soonest = session.execute(select(func.min(OutboxMessage.next_attempt_at)).where(pending)).scalar()
                self._next_due = NextDue.at(soonest)
            return rows

    async def _attempt(self, row: DueMessage) -> Attempt:
        try:
            return await self._send(row)
        except Exception as error:  # one row's fault must not hold up the rows behind it
            log.exception("outbox.send_failed message_id=%s", row.message_id)
            return Attempt(OutboxState.PENDING, f"could not be sent: {type(error).__name__}")

    async def _send(self, row: DueMessage) -> Attempt:
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

    def _record(self, outcomes: list[tuple[DueMessage, Attempt]]) -> list[OutboxMessage]:
        """Write the attempts' outcomes in one transaction, each only on a row still ``PENDING``;
        the rows that became dead letters."""
        now = utcnow()
        table = OUTBOX
        still_pending = table.c.state == OutboxState.PENDING
        sent = {row.id: row for row, attempt in outcomes if attempt.state == OutboxState.SENT}
        dead: list[int] = []
        with session_scope(self.engine) as session:
            if sent:
                recorded = session.execute(
                    update(table).where(table.c.id.in_(list(sent)), still_pending)
                    .values(state=OutboxState.SENT, sent_at=now, attempts=table.c.attempts + 1, last_error=None)
                    .returning(table.c.id))
                for row_id in sorted(recorded.scalars()):
                    row = sent[row_id]
                    log.info("outbox.sent message_id=%s receiver=%s type=%s attempts=%d", row.message_id,
                             row.receiver, row.document_type, row.attempts + 1)
            for row, attempt in outcomes:
                if attempt.state != OutboxState.SENT:
                    values = self._unsent(row, attempt, now=now)
                    # and as the round read it: another process's outcome recorded meanwhile stands
                    changed = session.execute(update(table)
                                              .where(table.c.id == row.id, still_pending,
                                                     table.c.attempts == row.attempts)
                                              .values(**values))
                    if not changed.rowcount:  # type: ignore[attr-defined]
                        continue
                    if "state" not in values:
                        log.info("outbox.retry message_id=%s attempts=%d delay=%.1f error=%s", row.message_id,
                                 values["attempts"], (values["next_attempt_at"] - now).total_seconds(), attempt.error)
                    else:
                        log.warning("outbox.dead_letter message_id=%s receiver=%s type=%s state=%s attempts=%d "
                                    "reason=%s", row.message_id, row.receiver, row.document_type, values["state"],
                                    values["attempts"], values["last_error"])
                        dead.append(row.id)
            if not dead:
                return []
            return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(dead))
                                     .order_by(col(OutboxMessage.id))))

    def _unsent(self, row: DueMessage, attempt: Attempt, *, now: datetime) -> dict[str, Any]:
        """The columns an attempt that did not deliver sets: a retry, or a dead letter."""
        attempts = row.attempts + 1
        queued_at = row.requeued_at or row.created_at
        if attempt.state == OutboxState.PENDING and not self.policy.gives_up(
                attempts=attempts, queued_at=queued_at, now=now):
            delay = self.policy.delay(attempts, retry_after=attempt.retry_after)
            return {"attempts": attempts, "last_error": attempt.error,
                    "next_attempt_at": now + timedelta(seconds=delay)}
        error = attempt.error
        if attempt.state == OutboxState.PENDING:
            error = f"gave up after {attempts} attempt(s) in {age(queued_at, now=now):.0f} s: {error}"[:1024]
        state = OutboxState.REFUSED if attempt.state == OutboxState.REFUSED else OutboxState.FAILED
        return {"attempts": attempts, "last_error": error, "state": state, "failed_at": now}
