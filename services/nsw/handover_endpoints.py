"""The operator's handovers: list those that failed for good, and replay one.

Like the hub's ``POST /messages/{id}/replay`` and an agency's ``POST /outbox/{id}/replay``:
the operator credential only, only a ``FAILED`` handover (409 otherwise), the row locked
while it is queued again with its attempts and age counted afresh.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.kernel.clock import iso
from services.kernel.web.contract import Offset, problem_responses
from services.kernel.web.deps import SessionDep
from services.kernel.web.identity import OperatorDep
from services.kernel.web.problems import Conflict
from services.kernel.web.visibility import one_sender
from services.nsw import repository
from services.nsw.deps import HandoverWakeDep
from services.nsw.endpoints import missing_message
from services.nsw.handover import requeue_handover
from services.nsw.models import HandoverState, InboxMessage

router = APIRouter(tags=["handovers"])
COUNTRY = r"^[A-Z]{2}$"


class HandoverEntry(BaseModel):
    """A received response and its handover to this country's agency service."""

    message_id: str
    sender: str
    document_type: str
    received_at: str
    state: str = Field(description="PENDING, DONE, FAILED (for good: replayable) or NONE (no agency to hand to)")
    attempts: int = Field(description="attempts since it was last queued")
    last_error: str | None = Field(description="why the last attempt failed; for FAILED, why it was given up")
    next_attempt_at: str | None
    failed_at: str | None
    requeued_at: str | None = Field(description="when the operator last replayed it, if ever")
    handed_over_at: str | None


class HandoverPage(BaseModel):
    items: list[HandoverEntry]
    total: int
    limit: int
    offset: int


def _entry(row: InboxMessage) -> HandoverEntry:
    return HandoverEntry(
        message_id=row.message_id, sender=row.sender, document_type=row.document_type,
        received_at=str(iso(row.received_at)), state=row.handover_state, attempts=row.handover_attempts,
        last_error=row.handover_last_error, next_attempt_at=iso(row.handover_next_at),
        failed_at=iso(row.handover_failed_at), requeued_at=iso(row.handover_queued_at),
        handed_over_at=iso(row.handed_over_at),
    )


@router.get("/handovers", summary="Handovers to the agencies in a state, newest first (operator)",
            response_model=HandoverPage,
            responses=problem_responses(403, descriptions={403: "Only the operator reads the handovers"}))
def list_handovers(
    operator: OperatorDep,
    session: SessionDep,
    state: HandoverState = HandoverState.FAILED,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> HandoverPage:
    """By default those that failed for good, waiting for a replay."""
    rows, total = repository.handovers_in_state(session, state=state, limit=limit, offset=offset)
    return HandoverPage(items=[_entry(row) for row in rows], total=total, limit=limit, offset=offset)


@router.post("/inbox/{message_id}/handover/replay", summary="Hand a received response over again (operator)",
             response_model=HandoverEntry,
             responses=problem_responses(403, 404, 409, descriptions={
                 403: "Only the operator replays", 404: "No such message in this inbox",
                 409: "The handover did not fail, or several senders used the id (name one with ?sender=)"}))
def replay_handover(message_id: str, operator: OperatorDep, session: SessionDep, wake_handover: HandoverWakeDep,
                    sender: Annotated[str | None, Query(pattern=COUNTRY)] = None) -> HandoverEntry:
    """Queue a FAILED handover again, to the agency service its document type goes to."""
    row = one_sender(repository.messages_with_id(session, message_id, sender=sender, locked=True),
                     message_id=message_id, missing=missing_message(message_id, sender))
    if row.handover_state != HandoverState.FAILED:
        raise Conflict(f"the handover of {message_id} is {row.handover_state}; only {HandoverState.FAILED} ones are "
                       "replayed")
    requeue_handover(row, by="operator")
    session.add(row)
    session.flush()
    wake_handover()
    return _entry(row)
