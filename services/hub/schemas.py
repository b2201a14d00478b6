"""The hub's read models: what its JSON endpoints answer, as the OpenAPI document shows it.

Times are ISO 8601 strings as the hub has always written them. A message's findings,
receipt and error signal are the signed or validated documents as stored.
"""

from typing import Any

from pydantic import BaseModel, Field

from services.hub.models import HubSuspension
from services.kernel.web.contract import ProblemFinding


class Suspension(BaseModel):
    """The operator holds deliveries to a participant back (maintenance, an incident)."""

    since: str
    note: str | None

    @classmethod
    def of(cls, row: HubSuspension | None) -> "Suspension | None":
        return None if row is None else cls(since=row.since.isoformat(), note=row.note)


class MessageSummary(BaseModel):
    message_id: str
    conversation_id: str
    in_reply_to: str | None
    sender: str
    receiver: str
    document_type: str
    state: str
    attempts: int
    received_at: str | None
    delivered_at: str | None
    acknowledged_at: str | None
    last_error: str | None
    receiver_suspended: Suspension | None = Field(
        default=None, description="while the message waits (RECEIVED, QUEUED, SENDING, WAITING_FOR_RETRY): the "
        "operator's suspension of its receiver, which holds it back without spending attempts until resumed")


class TimelineEntry(BaseModel):
    state: str
    at: str | None
    note: str | None


class MessageRecord(MessageSummary):
    """A message's state, timeline, receipt or error signal, findings and answers."""

    created_at: str | None
    payload_format: str
    payload_digest: str
    next_attempt_at: str | None = Field(description="when the next attempt is due, while WAITING_FOR_RETRY")
    findings: list[ProblemFinding]
    receipt: dict[str, Any] | None = Field(description="the receiver's signed exchange.receipt")
    error_signal: dict[str, Any] | None = Field(description="the receiver's signed exchange.error")
    timeline: list[TimelineEntry]
    replies: list[MessageSummary]
    payload: str | None = Field(default=None, description="the payload as sent; only with ?payload=true")


class MessagePage(BaseModel):
    items: list[MessageSummary]
    total: int
    limit: int
    offset: int


class Acceptance(BaseModel):
    """The answer to ``POST /messages``: the same for the first send and every resend."""

    message_id: str
    sender: str
    receiver: str
    document_type: str
    conversation_id: str
    received_at: str
    status: str = Field(description="where the message's state is read")
    warnings: list[ProblemFinding]


class ParticipantEntry(BaseModel):
    country: str
    name: str
    endpoint: str | None
    accepts: list[str]
    public_key: dict[str, Any] = Field(description="Ed25519 public key as a JWK")
    suspended: Suspension | None


class Directory(BaseModel):
    participants: list[ParticipantEntry]


class Suspended(BaseModel):
    country: str
    suspended: Suspension | None


class Resumed(BaseModel):
    country: str
    suspended: None
    was_suspended: bool


class DashboardSession(BaseModel):
    country: str
    name: str
    operator: bool
    may_replay: bool
    replayable_states: list[str]


class LinkCounts(BaseModel):
    sender: str
    receiver: str
    states: dict[str, int]
    delivered: int
    waiting: int
    failed: int


class SuspendedParticipant(Suspension):
    country: str
    name: str


class DashboardLinks(BaseModel):
    links: list[LinkCounts]
    suspended: list[SuspendedParticipant] = Field(description="participants the operator took out of delivery: "
                                                  "messages to them wait until they are resumed")
    totals: dict[str, int]
    groups: dict[str, list[str]]


class DashboardMessages(BaseModel):
    items: list[MessageSummary]
    total: int
    limit: int
