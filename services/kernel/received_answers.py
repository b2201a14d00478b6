"""Business answers received for this service's outbound messages (customs.response,
immigration.api-response, port.clearance), kept once per (sender, message_id).

The row is the receiver's duplicate elimination and the link from an outbound message to
its answer (``in_reply_to``); the answer's content goes to the service's own records.
All SQL for the table lives here; functions flush, the request's session commits.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlalchemy import UniqueConstraint, bindparam
from sqlmodel import Field, Session, SQLModel, col, select

from services.kernel.clock import iso, utcnow
from services.kernel.db import insert_values_once
from services.kernel.messages.exchange import Envelope

ACKNOWLEDGED = "ACKNOWLEDGED"
"""How an outbound message shows once an answer to it came back: a state derived from this
table, never stored in the outbox (the exchange protocol's last state, section 5)."""



class ReceivedAnswer(SQLModel, table=True):
    __tablename__ = "received_answer"
    __table_args__ = (UniqueConstraint("sender", "message_id", name="uq_received_answer_sender_message"),)

    id: int | None = Field(default=None, primary_key=True)
    sender: str = Field(max_length=2, description="the answering country")
    receiver: str = Field(max_length=2, description="the country whose message is answered")
    message_id: str = Field(max_length=36, description="the answer's own message id")
    in_reply_to: str = Field(index=True, max_length=36, description="the outbound message it answers")
    conversation_id: str = Field(max_length=36)
    document_type: str = Field(max_length=64)
    payload_digest: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow)


_TABLE = ReceivedAnswer.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    """What a stored answer is compared with and summarised by, read as plain columns (the
    look-up runs for every answer received, nearly always in vain: no ORM object for it)."""

    message_id: str
    in_reply_to: str
    conversation_id: str
    document_type: str
    payload_digest: str
    received_at: datetime


_BY_SENDER_AND_ID = (sqlalchemy.select(_TABLE.c.message_id, _TABLE.c.in_reply_to, _TABLE.c.conversation_id,
                                       _TABLE.c.document_type, _TABLE.c.payload_digest, _TABLE.c.received_at)
                     .where(_TABLE.c.sender == bindparam("sender"), _TABLE.c.message_id == bindparam("message_id")))
"""Built once: every answer received is looked up by it (building the clause costs more than running it)."""


def find_answer(session: Session, *, sender: str, message_id: str) -> KeptAnswer | None:
    row = session.connection().execute(_BY_SENDER_AND_ID, {"sender": sender, "message_id": message_id}).first()
    return None if row is None else KeptAnswer(*row)


def add_answer_once(session: Session, envelope: Envelope) -> int | None:
    """Keep the answer unless one with its (sender, message_id) is stored: the new row's id,
    None when it was stored.

    ``ON CONFLICT DO NOTHING``: two deliveries of one answer racing each other give one row
    and one duplicate, never an integrity error (PostgreSQL makes the second wait for the
    first's transaction, then skips).
    """
    if envelope.in_reply_to is None:
        raise ValueError("an answer names the message it answers (in_reply_to)")
    inserted = insert_values_once(session, _TABLE, {
        "sender": envelope.sender, "receiver": envelope.receiver, "message_id": envelope.message_id,
        "in_reply_to": envelope.in_reply_to, "conversation_id": envelope.conversation_id,
        "document_type": envelope.document_type, "payload_digest": envelope.payload_digest,
        "received_at": utcnow()})
    return None if inserted is None else int(inserted)


def answers_to(session: Session, message_ids: Collection[str]) -> dict[str, list[ReceivedAnswer]]:
    """The answers received for each of ``message_ids`` (by ``in_reply_to``), oldest first."""
    if not message_ids:
        return {}
    statement = (select(ReceivedAnswer).where(col(ReceivedAnswer.in_reply_to).in_(list(message_ids)))
                 .order_by(col(ReceivedAnswer.received_at), col(ReceivedAnswer.id)))
    found: dict[str, list[ReceivedAnswer]] = {}
    for answer in session.exec(statement):
        found.setdefault(answer.in_reply_to, []).append(answer)
    return found


def answer_summary(answer: ReceivedAnswer | KeptAnswer) -> dict[str, Any]:
    """How an outbound message's summary names the answer it got."""
    return {"message_id": answer.message_id, "document_type": answer.document_type,
            "received_at": iso(answer.received_at)}
