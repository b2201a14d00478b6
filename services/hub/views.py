"""How the hub shows a message: its summary in lists, and its full record with timeline."""

import json
from typing import Any

from sqlmodel import Session

from services.hub import repository
from services.hub.models import HubMessage, HubState


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def summary(message: HubMessage) -> dict[str, Any]:
    return {
        "message_id": message.message_id, "conversation_id": message.conversation_id,
        "in_reply_to": message.in_reply_to, "sender": message.sender, "receiver": message.receiver,
        "document_type": message.document_type, "state": message.state, "attempts": message.attempts,
        "received_at": _time(message.received_at), "delivered_at": _time(message.delivered_at),
        "acknowledged_at": _time(message.acknowledged_at), "last_error": message.last_error,
    }


def record(session: Session, message: HubMessage, *, with_payload: bool = False) -> dict[str, Any]:
    """The message's state, timeline, receipt or error signal, findings and answers."""
    body = summary(message)
    body.update({
        "created_at": _time(message.created_at), "payload_format": message.payload_format,
        "payload_digest": message.payload_digest,
        "next_attempt_at": _time(message.next_attempt_at) if message.state == HubState.WAITING_FOR_RETRY else None,
        "findings": json.loads(message.findings) if message.findings else [],
        "receipt": json.loads(message.receipt) if message.receipt else None,
        "error_signal": json.loads(message.error_signal) if message.error_signal else None,
        "timeline": [{"state": t.state, "at": _time(t.at), "note": t.note}
                     for t in repository.timeline(session, message)],
        "replies": [summary(reply) for reply in repository.replies_to(session, message)],
    })
    if with_payload:
        body["payload"] = message.payload
    return body
