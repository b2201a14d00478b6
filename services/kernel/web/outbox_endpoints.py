"""The operator's view of an agency's outbox: list what waits or failed, replay a dead letter.

Like the hub's ``POST /messages/{id}/replay``: the operator credential only; only a
dead letter, ``FAILED`` or ``REFUSED`` (409 otherwise); the row is locked while it is queued again, with its
attempts and age counted afresh, under the same ``message_id``.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.kernel import outbox
from services.kernel.clock import iso
from services.kernel.web.contract import Offset, problem_responses
from services.kernel.web.deps import OutboxWakeDep, SessionDep
from services.kernel.web.identity import OperatorDep
from services.kernel.web.problems import Conflict, NotFound

router = APIRouter(tags=["outbox"])


class OutboxEntry(BaseModel):
    """An outbound message as the operator sees it in the outbox."""

    message_id: str
    conversation_id: str
    subject: str = Field(description="the record it belongs to, e.g. declaration:<MRN>")
    sender: str
    receiver: str
    document_type: str
    state: str = Field(description="PENDING (waiting for the hub), SENT (the hub took it), or a dead letter: "
                                   "FAILED (the policy gave up) or REFUSED (the hub refused it)")
    attempts: int = Field(description="attempts since it was last queued")
    last_error: str | None = Field(description="why the last attempt failed; for a dead letter, why it was given up")
    created_at: str
    requeued_at: str | None = Field(description="when a dead letter was last queued again, if it was")
    next_attempt_at: str | None = Field(description="when it is tried next, while PENDING")
    failed_at: str | None = Field(description="when it became a dead letter, while FAILED or REFUSED")
    sent_at: str | None


class OutboxPage(BaseModel):
    items: list[OutboxEntry]
    total: int
    limit: int
    offset: int


def _entry(row: outbox.OutboxMessage) -> OutboxEntry:
    return OutboxEntry(
        message_id=row.message_id, conversation_id=row.conversation_id, subject=row.subject, sender=row.sender,
        receiver=row.receiver, document_type=row.document_type, state=row.state, attempts=row.attempts,
        last_error=row.last_error, created_at=str(iso(row.created_at)), requeued_at=iso(row.requeued_at),
        next_attempt_at=iso(row.next_attempt_at) if row.state == outbox.OutboxState.PENDING else None,
        failed_at=iso(row.failed_at), sent_at=iso(row.sent_at),
    )


@router.get("/outbox", summary="Outbound messages, newest first (operator)", response_model=OutboxPage,
            responses=problem_responses(403, descriptions={403: "Only the operator reads the outbox"}))
def list_outbox(
    operator: OperatorDep,
    session: SessionDep,
    state: Annotated[outbox.OutboxState | None,
                     Query(description="FAILED (the policy gave up) and REFUSED (the hub refused it) list the "
                                       "dead letters waiting for a replay")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> OutboxPage:
    """What this service sent, waits to send, or gave up on; filter by state."""
    rows, total = outbox.list_messages(session, state=state, limit=limit, offset=offset)
    return OutboxPage(items=[_entry(row) for row in rows], total=total, limit=limit, offset=offset)


@router.post("/outbox/{message_id}/replay", summary="Queue a dead letter again (operator)",
             response_model=OutboxEntry,
             responses=problem_responses(403, 404, 409, descriptions={
                 403: "Only the operator replays", 404: "No outbound message with this id",
                 409: "The message is not a dead letter (FAILED or REFUSED)"}))
def replay_outbound(message_id: str, operator: OperatorDep, session: SessionDep,
                    wake_outbox: OutboxWakeDep) -> OutboxEntry:
    """Send a dead letter (FAILED or REFUSED) to the hub again, under the same message_id."""
    row = outbox.locked_message(session, message_id)
    if row is None:
        raise NotFound(f"no outbound message {message_id}")
    if row.state not in outbox.DEAD_LETTERS:
        raise Conflict(f"message {message_id} is {row.state}; only dead letters "
                       f"({' or '.join(outbox.DEAD_LETTERS)}) are replayed")
    outbox.requeue(row, by="operator")
    session.flush()
    wake_outbox()
    return _entry(row)
