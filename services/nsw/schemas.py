"""NSW inbox read models: a stored message in the list and in full. Times are ISO 8601."""

from typing import Any

from pydantic import BaseModel, Field

from services.kernel.web.contract import ProblemFinding


class InboxItem(BaseModel):
    message_id: str
    conversation_id: str
    in_reply_to: str | None
    sender: str
    document_type: str
    payload_format: str
    received_at: str | None
    state: str = Field(description="ACCEPTED or REJECTED")
    receipt_id: str | None
    error_code: str | None
    deliveries: int
    handover_state: str
    response_message_id: str | None
    href: str


class InboxPage(BaseModel):
    items: list[InboxItem]
    total: int
    limit: int
    offset: int


class Handover(BaseModel):
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: str | None
    handed_over_at: str | None


class BusinessResponse(BaseModel):
    """The business answer this endpoint sent back through the hub."""

    message_id: str
    receiver: str
    document_type: str
    state: str
    attempts: int
    last_error: str | None
    sent_at: str | None


class InboxRecord(InboxItem):
    receiver: str
    created_at: str | None
    last_delivered_at: str | None
    answer_status: int = Field(description="the HTTP status the hub was answered with")
    envelope: dict[str, Any] = Field(description="the signed exchange.envelope as received")
    receipt: dict[str, Any] | None = Field(description="the signed exchange.receipt, when accepted")
    error_signal: dict[str, Any] | None = Field(description="the signed exchange.error, when refused")
    findings: list[ProblemFinding]
    handover: Handover
    response: BusinessResponse | None
