"""Accepting an envelope: who sent it, is it intact and signed, is its payload valid, and
is it new. An envelope that passes is stored with its delivery state in one transaction.

Checks run from the cheapest: the envelope's own schema and rules, the credential against
``sender``, the signature, the receiver's directory entry, and last the payload against the
registered schema and rules of its ``document_type`` (never forwarded when invalid).

The hub keeps the body exactly as it arrived, JSON or XML, and delivery forwards those
bytes: the signature is the sender's, over content the hub must not spell anew (a column
keeps ``created_at`` only as an instant in UTC, not the offset the sender signed).
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from services.hub import repository
from services.hub.models import HubMessage, HubState
from services.kernel.clock import utcnow
from services.kernel.findings import Finding, Layer
from services.kernel.messages.exchange import Envelope
from services.kernel.network import Network
from services.kernel.registry import REGISTRY, UnknownMessageType
from services.kernel.safeparse import Limits
from services.kernel.signing import SignatureInvalid, signing_input, verify
from services.kernel.validation import validate
from services.kernel.web.identity import Caller
from services.kernel.web.problems import Conflict, Forbidden, InvalidDocument, SwxError
from services.kernel.web.submissions import FORMAT_MEDIA_TYPES, refusal

log = logging.getLogger("swx.hub")
ENVELOPE = REGISTRY.get("exchange.envelope")


@dataclass(frozen=True)
class Accepted:
    message: HubMessage
    created: bool
    """False when the same envelope was accepted before (a resend)."""


def read_envelope(body: bytes, *, fmt: str, max_bytes: int) -> Envelope:
    """The envelope in the body, or the problem (400, 413, 415, 422) naming every finding."""
    report = validate(body, media_type=FORMAT_MEDIA_TYPES[fmt], expected_type=ENVELOPE,
                      limits=Limits(max_bytes=max_bytes))
    if not report.valid:
        raise refusal(report, ENVELOPE)
    assert isinstance(report.document, Envelope)
    return report.document


def check_envelope(envelope: Envelope, *, caller: Caller, network: Network, max_bytes: int) -> list[Finding]:
    """Refuse (403, 422) an envelope the hub must not forward; return the payload's warnings."""
    if caller.country != envelope.sender:
        raise Forbidden(f"the envelope's sender is {envelope.sender}, but your credential is for {caller.country}")
    try:
        verify(envelope, public_key_for=network.public_key_for)
    except SignatureInvalid as invalid:
        raise InvalidDocument(f"the envelope's signature is refused: {invalid.detail}",
                              [Finding(Layer.TRANSPORT, invalid.reason.value, invalid.detail)]) from None
    if not network.accepts(envelope.receiver, envelope.document_type):
        detail = f"{envelope.receiver} does not accept {envelope.document_type} in the network directory"
        raise InvalidDocument(detail, [Finding(Layer.RULES, "DOCUMENT_TYPE_NOT_ACCEPTED", detail)])
    return check_payload(envelope, max_bytes=max_bytes)


def check_payload(envelope: Envelope, *, max_bytes: int) -> list[Finding]:
    type_id, _, version = envelope.document_type.partition("/")
    try:
        message_type = REGISTRY.get(type_id, version)
    except UnknownMessageType as error:
        raise InvalidDocument(str(error), [Finding(Layer.SCHEMA, "UNKNOWN_DOCUMENT_TYPE", str(error))]) from None
    report = validate(envelope.payload.encode("utf-8"), media_type=FORMAT_MEDIA_TYPES[envelope.payload_format],
                      expected_type=message_type, limits=Limits(max_bytes=max_bytes))
    found = report.message_type.key if report.message_type else None
    if report.valid and found != envelope.document_type:
        detail = f"the envelope says {envelope.document_type}, but the payload is {found}"
        raise InvalidDocument(detail, [Finding(Layer.SCHEMA, "DOCUMENT_TYPE_MISMATCH", detail)])
    if not report.valid:
        problem: SwxError = refusal(report, message_type)
        problem.detail = f"the payload is refused, so it is not forwarded: {problem.detail}"
        if problem.status_code != 422:  # a payload that is not even well-formed is invalid content here
            problem = InvalidDocument(problem.detail, report.findings)
        raise problem
    return report.findings


def envelope_digest(envelope: Envelope) -> str:
    """What tells a resend from another message under the same id: the signed content."""
    return hashlib.sha256(signing_input(envelope)).hexdigest()


def accept(session: Session, *, envelope: Envelope, body: bytes, fmt: str, warnings: list[Finding]) -> Accepted:
    """Store a checked envelope as QUEUED with ``body``, the bytes it arrived in (``fmt``: json
    or xml), which delivery forwards; or find the one it resends (409 if it differs)."""
    digest = envelope_digest(envelope)
    now = utcnow()
    columns: dict[str, Any] = {
        "message_id": envelope.message_id, "conversation_id": envelope.conversation_id,
        "in_reply_to": envelope.in_reply_to, "sender": envelope.sender, "receiver": envelope.receiver,
        "document_type": envelope.document_type, "created_at": envelope.created_at,
        "payload_format": envelope.payload_format, "payload": envelope.payload,
        "payload_digest": envelope.payload_digest, "signature": envelope.signature or "", "envelope": body,
        "envelope_media_type": FORMAT_MEDIA_TYPES[fmt], "envelope_digest": digest,
        "findings": json.dumps([f.as_dict() for f in warnings]) if warnings else None,
        "received_at": now, "next_attempt_at": now, "state": HubState.QUEUED, "attempts": 0,
    }
    # one statement finds a resend (the same sender and id) and stores a new message
    pk = repository.add_message_once(session, columns)
    if pk is None:
        existing = repository.find(session, sender=envelope.sender, message_id=envelope.message_id)
        assert existing is not None, "a row that conflicts exists"
        return _resent(existing, digest)
    message = HubMessage(id=pk, **columns)  # for the answer, as stored
    repository.add_transitions(session, pk, [
        (HubState.RECEIVED, now,
         f"signature of {envelope.sender} verified; payload valid, {_count(len(warnings), 'warning')}"),
        (HubState.QUEUED, now, f"for {envelope.receiver}"),
    ])
    log.info("message.received message_id=%s sender=%s receiver=%s type=%s", message.message_id, message.sender,
             message.receiver, message.document_type)
    return Accepted(message, created=True)


def _resent(existing: HubMessage, digest: str) -> Accepted:
    if existing.envelope_digest != digest:
        raise Conflict(f"message {existing.message_id} from {existing.sender} was accepted before with other "
                       "content; give a new message_id to a new message")
    log.info("message.duplicate message_id=%s sender=%s", existing.message_id, existing.sender)
    return Accepted(existing, created=False)


def acceptance(message: HubMessage) -> dict[str, Any]:
    """The answer to ``POST /messages``, the same for the first send and every resend."""
    return {
        "message_id": message.message_id, "sender": message.sender, "receiver": message.receiver,
        "document_type": message.document_type, "conversation_id": message.conversation_id,
        "received_at": message.received_at.isoformat(), "status": f"/messages/{message.message_id}",
        "warnings": json.loads(message.findings) if message.findings else [],
    }


def _count(number: int, noun: str) -> str:
    return f"{'no' if number == 0 else number} {noun}{'' if number == 1 else 's'}"
