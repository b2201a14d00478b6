"""NSW inbox table: every message the hub delivered, accepted or refused, with its answer."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.kernel.clock import utcnow


class InboxState(StrEnum):
    """What this endpoint made of a delivered message: acknowledged with a signed receipt, or
    refused for good with a signed error signal."""

    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class HandoverState(StrEnum):
    """Where the handover of a received response to this country's agency service stands."""

    NONE = "NONE"
    """Nothing to hand over to: no agency service takes the type, or none is configured."""
    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"
    """Given up (the agency refused it, or the policy's time ran out): the operator may replay it."""


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox_message"
    __table_args__ = (UniqueConstraint("sender", "message_id", name="uq_inbox_message_sender_message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(index=True, max_length=36)
    sender: str = Field(index=True, max_length=2)
    receiver: str = Field(max_length=2)
    conversation_id: str = Field(index=True, max_length=36)
    in_reply_to: str | None = Field(default=None, max_length=36)
    document_type: str = Field(index=True, max_length=64)
    payload_format: str = Field(max_length=4)
    created_at: datetime = Field(description="the envelope's created_at")
    envelope: bytes = Field(sa_column=Column(LargeBinary, nullable=False),
                            description="the envelope exactly as the hub delivered it, the sender's signed bytes: "
                                        "what the handover forwards")
    envelope_media_type: str = Field(max_length=32, description="application/json or application/xml: how "
                                                                "``envelope`` is written, and its Content-Type")
    content_digest: str = Field(max_length=64, description="SHA-256 of the canonical envelope, signature included")
    received_at: datetime = Field(default_factory=utcnow, index=True)
    state: str = Field(index=True, max_length=8, description="ACCEPTED or REJECTED")
    receipt_id: str | None = Field(default=None, max_length=36)
    error_code: str | None = Field(default=None, max_length=64)
    answer_status: int = Field(description="the HTTP status the hub was answered with")
    answer: str = Field(sa_column=Column(Text, nullable=False), description="the answer's body, byte for byte")
    deliveries: int = Field(default=1, description="how often the hub delivered it, duplicates included")
    last_delivered_at: datetime = Field(default_factory=utcnow)
    response_message_id: str | None = Field(default=None, max_length=36,
                                            description="the business response sent back through the hub")
    handover_state: str = Field(default=HandoverState.NONE, index=True, max_length=8)
    handover_attempts: int = 0
    handover_next_at: datetime | None = Field(default=None, index=True)
    handover_last_error: str | None = Field(default=None, max_length=1024)
    handed_over_at: datetime | None = None
    handover_queued_at: datetime | None = Field(default=None, description="when a failed handover was queued again "
                                                "(an operator's replay); its age counts from then, else from "
                                                "received_at")
    handover_failed_at: datetime | None = Field(default=None, description="when the handover failed for good")
