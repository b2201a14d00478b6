"""How the inbox shows a stored message: a list item, and the full record."""

import json
from typing import Any

from sqlmodel import Session

from services.kernel import canonical
from services.kernel.clock import iso
from services.kernel.messages.exchange import Envelope
from services.kernel.outbox import messages_for
from services.kernel.registry import REGISTRY
from services.kernel.safeparse import Limits
from services.kernel.validation import validate
from services.kernel.web.bodies import JSON
from services.nsw.models import InboxMessage, InboxState


def subject(row: InboxMessage) -> str:
    """How the outbox names the business response to a stored message."""
    return subject_of(row.id)


def subject_of(row_id: int | None) -> str:
    """``subject`` by the stored message's id."""
    return f"inbox:{row_id}"


def item(row: InboxMessage) -> dict[str, Any]:
    return {
        "message_id": row.message_id, "conversation_id": row.conversation_id, "in_reply_to": row.in_reply_to,
        "sender": row.sender, "document_type": row.document_type, "payload_format": row.payload_format,
        "received_at": iso(row.received_at), "state": row.state, "receipt_id": row.receipt_id,
        "error_code": row.error_code, "deliveries": row.deliveries, "handover_state": row.handover_state,
        "response_message_id": row.response_message_id,
        "href": f"/inbox/{row.message_id}?sender={row.sender}",
    }


def record(session: Session, row: InboxMessage) -> dict[str, Any]:
    answer = json.loads(row.answer)
    accepted = row.state == InboxState.ACCEPTED
    # the outbox rows themselves: the kernel's summaries look for answers, which an NSW never gets back
    responses = [{"message_id": m.message_id, "receiver": m.receiver, "document_type": m.document_type,
                  "state": m.state, "attempts": m.attempts, "last_error": m.last_error, "sent_at": iso(m.sent_at)}
                 for m in messages_for(session, subject(row))]
    return item(row) | {
        "receiver": row.receiver, "created_at": iso(row.created_at),
        "last_delivered_at": iso(row.last_delivered_at), "answer_status": row.answer_status,
        "envelope": envelope_fields(row),
        "receipt": answer if accepted else None,
        "error_signal": None if accepted else answer.get("error_signal"),
        "findings": [] if accepted else answer.get("errors", []),
        "handover": {"state": row.handover_state, "attempts": row.handover_attempts,
                     "last_error": row.handover_last_error, "next_attempt_at": iso(row.handover_next_at),
                     "handed_over_at": iso(row.handed_over_at)},
        "response": responses[0] if responses else None,
    }


def envelope_fields(row: InboxMessage) -> dict[str, Any]:
    """The stored envelope's fields, for reading. A JSON envelope is shown as it arrived; an XML
    one as the same envelope in JSON, built for display only (what is stored and handed over
    stays the XML the sender signed)."""
    if row.envelope_media_type == JSON:
        shown: dict[str, Any] = json.loads(row.envelope)
        return shown
    # it was accepted under this endpoint's body limit, whatever the default: read it under its own size
    report = validate(row.envelope, media_type=row.envelope_media_type, expected_type=REGISTRY.get("exchange.envelope"),
                      limits=Limits(max_bytes=max(len(row.envelope), Limits().max_bytes)))
    # every stored envelope was read this way when it arrived: only a damaged database gets here
    if not isinstance(report.document, Envelope):
        raise ValueError(f"stored envelope {row.message_id} from {row.sender} no longer reads as an envelope")
    return canonical.json_data(report.document)
