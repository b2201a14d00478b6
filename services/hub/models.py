"""Hub tables: every envelope it accepted (which is also its delivery outbox row) and the
timeline of each one's states."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.kernel.clock import utcnow


class HubState(StrEnum):
    """Where a message stands at the hub (section 5 of the architecture); stored as the
    value, in ``hub_message.state`` and on each timeline step."""

    RECEIVED = "RECEIVED"
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    WAITING_FOR_RETRY = "WAITING_FOR_RETRY"
    DELIVERED = "DELIVERED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"


STATES = tuple(HubState)
DUE_STATES = (HubState.QUEUED, HubState.WAITING_FOR_RETRY)
"""States a delivery worker takes up when ``next_attempt_at`` has come (and ``SENDING``
when its lease has run out)."""
REPLAYABLE = (HubState.FAILED,)
"""A dead letter is replayed; a REJECTED message is not: its receiver refused that very
envelope for good, and answers a resend with the same refusal."""


class HubMessage(SQLModel, table=True):
    __tablename__ = "hub_message"
    __table_args__ = (
        UniqueConstraint("sender", "message_id", name="uq_hub_message_sender_message_id"),
        Index("ix_hub_message_due", "state", "next_attempt_at"),
        # one receiver's due messages, oldest first, straight from the index: delivery claims
        # receiver by receiver, so one receiver's backlog is never sorted to find another's
        Index("ix_hub_message_receiver_due", "receiver", "state", "next_attempt_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(index=True, max_length=36)
    conversation_id: str = Field(index=True, max_length=36)
    in_reply_to: str | None = Field(default=None, index=True, max_length=36)
    sender: str = Field(index=True, max_length=2)
    receiver: str = Field(index=True, max_length=2)
    document_type: str = Field(index=True, max_length=64)
    created_at: datetime = Field(description="when the sender created the envelope, in UTC: its offset as "
                                             "signed is only in ``envelope``")
    payload_format: str = Field(max_length=4)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    payload_digest: str = Field(max_length=64)
    signature: str = Field(sa_column=Column(Text, nullable=False))
    envelope: bytes = Field(sa_column=Column(LargeBinary, nullable=False),
                            description="the envelope exactly as its sender signed and sent it: what delivery "
                                        "forwards (the columns above are copies, for filters and display)")
    envelope_media_type: str = Field(max_length=32, description="application/json or application/xml: how "
                                                                "``envelope`` is written, and its Content-Type")
    envelope_digest: str = Field(max_length=64, description="SHA-256 of the signed content: tells a resend "
                                                              "from another message under the same id")
    findings: str | None = Field(default=None, sa_column=Column(Text), description="warnings, as JSON")
    received_at: datetime = Field(default_factory=utcnow)
    queued_at: datetime | None = Field(default=None, description="when an operator last replayed it: its age "
                                                                 "for max_age counts from then")
    state: str = Field(default=HubState.QUEUED, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    lease_owner: str | None = Field(default=None, max_length=36)
    lease_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=2048)
    delivered_at: datetime | None = None
    acknowledged_at: datetime | None = None
    receipt: str | None = Field(default=None, sa_column=Column(Text), description="the signed receipt, as JSON")
    error_signal: str | None = Field(default=None, sa_column=Column(Text),
                                     description="the receiver's signed error signal, as JSON")


class HubTransition(SQLModel, table=True):
    __tablename__ = "hub_transition"

    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="hub_message.id", index=True)
    state: str = Field(max_length=20)
    at: datetime = Field(default_factory=utcnow)
    note: str | None = Field(default=None, max_length=2048)


class HubSuspension(SQLModel, table=True):
    """A participant the operator took out of delivery (maintenance, an incident): messages
    for it wait, unclaimed and without spending attempts, until it is resumed."""

    __tablename__ = "hub_suspension"

    country: str = Field(primary_key=True, max_length=2)
    since: datetime = Field(default_factory=utcnow)
    note: str | None = Field(default=None, max_length=1024)
