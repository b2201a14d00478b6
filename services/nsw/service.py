"""Receiving a message from the hub: check it, store it once, acknowledge it, answer it.

The checks run in this order, each a permanent refusal with its code: the envelope must be
readable (else a plain 400/422 problem: there is no message to refuse), be addressed to
this country (``WRONG_RECEIVER``), pass the envelope's rules (``PAYLOAD_DIGEST_MISMATCH``,
``PARTICIPANT_UNKNOWN``, ``SENDER_IS_RECEIVER``), carry its sender's valid signature (the ``SignatureInvalid``
reason), be of a type this country accepts (``UNKNOWN_DOCUMENT_TYPE``,
``DOCUMENT_TYPE_NOT_ACCEPTED``) and carry a valid payload of the type it names
(``DOCUMENT_TYPE_MISMATCH``, ``PAYLOAD_INVALID``). Every message that got as far as a sender
and a message id is stored with its answer, refused ones too, so that a resend gets that
same answer byte for byte; the same id with other content is a 409.
"""

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from services.kernel import canonical, clock, outbox
from services.kernel.findings import Finding, Layer, Location
from services.kernel.messages.exchange import Envelope, Receipt
from services.kernel.messages.types import Document
from services.kernel.registry import REGISTRY, MessageType, UnknownMessageType
from services.kernel.safeparse import Limits
from services.kernel.signing import SignatureInvalid, sign, verify
from services.kernel.validation import validate
from services.kernel.web.problems import PROBLEM_JSON
from services.kernel.web.submissions import FORMAT_MEDIA_TYPES, refusal
from services.nsw import business_responses, repository, views
from services.nsw.models import HandoverState, InboxMessage, InboxState
from services.nsw.refusals import Refused, refusal_answer
from services.nsw.station import Station

log = logging.getLogger("swx.nsw")
ENVELOPE = REGISTRY.get("exchange.envelope")
RECEIPT_JSON = "application/json"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    media_type: str
    handover: bool = False
    """Whether a handover became due (the handover worker should look now)."""
    response_queued: bool = False


def read_envelope(body: bytes, *, fmt: str, max_bytes: int) -> tuple[Envelope, list[Finding]]:
    """The envelope in the body's format (json or xml) with the errors its rules found (a changed
    payload, an unknown participant), or the kernel's 400/413/422 problem when the body is no
    envelope at all."""
    report = validate(body, media_type=FORMAT_MEDIA_TYPES[fmt], expected_type=ENVELOPE,
                      limits=Limits(max_bytes=max_bytes))
    if not isinstance(report.document, Envelope) or any(f.layer is not Layer.RULES for f in report.errors):
        raise refusal(report, ENVELOPE)
    return report.document, report.errors


def fingerprint(envelope: Envelope) -> str:
    """What "the same content" means: the whole canonical envelope, signature included, whatever
    format or spelling it came in (a resend in XML of a JSON envelope is the same message)."""
    return canonical.digest(canonical.json_text(envelope))


def receive(session: Session, *, station: Station, body: bytes, fmt: str) -> Answer:
    """Answer one delivery of ``body``, an envelope in ``fmt`` (json or xml), stored as it came.

    The stored row is written complete in one INSERT (its receipt, its business response's
    message id, its handover), and the response is queued after it: no row is written twice."""
    envelope, faults = read_envelope(body, fmt=fmt, max_bytes=station.settings.max_body_bytes)
    digest = fingerprint(envelope)
    existing = repository.find_message(session, sender=envelope.sender, message_id=envelope.message_id)
    if existing is not None:
        return _again(existing, envelope=envelope, digest=digest, station=station)
    verdict = _check(envelope, faults=faults, station=station)
    now = clock.utcnow()
    row: dict[str, Any] = {
        "message_id": envelope.message_id, "sender": envelope.sender, "receiver": envelope.receiver,
        "conversation_id": envelope.conversation_id, "in_reply_to": envelope.in_reply_to,
        "document_type": envelope.document_type, "payload_format": envelope.payload_format,
        # the bytes as sent, never re-serialised: the handover forwards them and the signature is over them
        "created_at": envelope.created_at, "envelope": body, "envelope_media_type": FORMAT_MEDIA_TYPES[fmt],
        "content_digest": digest, "received_at": now, "last_delivered_at": now, "deliveries": 1,
        "handover_state": HandoverState.NONE, "handover_attempts": 0,
    }
    response: tuple[Document, MessageType, str] | None = None
    unconfigured: str | None = None
    if isinstance(verdict, Refused):
        row["state"], row["error_code"] = InboxState.REJECTED, verdict.code
        row["answer_status"], row["answer"] = refusal_answer(verdict, envelope=envelope, station=station)
    else:
        receipt = sign(Receipt(receipt_id=str(uuid.uuid4()), message_id=envelope.message_id, sender=envelope.sender,
                               receiver=station.country, received_at=now, payload_digest=envelope.payload_digest),
                       private_key=station.private_key, key_id=station.country)
        row["state"], row["receipt_id"] = InboxState.ACCEPTED, receipt.receipt_id
        row["answer_status"], row["answer"] = 200, canonical.json_text(receipt)
        response = _business_response(envelope, document=verdict, station=station)
        if response is not None:
            row["response_message_id"] = response[2]
        unconfigured = _plan_handover(row, station=station)
    # a twin delivery may store the same message between our read and write: it is answered as a resend
    row_id = repository.add_message_once(session, row)
    if row_id is None:
        twin = repository.find_message(session, sender=envelope.sender, message_id=envelope.message_id)
        if twin is None:
            raise RuntimeError(f"message {envelope.message_id} from {envelope.sender} was neither stored nor found")
        return _again(twin, envelope=envelope, digest=digest, station=station)
    if isinstance(verdict, Refused):
        log.warning("inbox.refused message_id=%s sender=%s type=%s code=%s", envelope.message_id, envelope.sender,
                    envelope.document_type, verdict.code)
        return Answer(row["answer_status"], row["answer"], PROBLEM_JSON)
    log.info("inbox.accepted message_id=%s sender=%s type=%s receipt_id=%s", envelope.message_id, envelope.sender,
             envelope.document_type, row["receipt_id"])
    if response is not None:
        document, message_type, response_id = response
        outbox.enqueue(session, document=document, message_type=message_type, sender=station.country,
                       receiver=envelope.sender, subject=views.subject_of(row_id),
                       conversation_id=envelope.conversation_id, in_reply_to=envelope.message_id,
                       message_id=response_id)
        log.info("inbox.answered message_id=%s response_id=%s type=%s receiver=%s", envelope.message_id,
                 response_id, message_type.key, envelope.sender)
    if unconfigured is not None:
        log.warning("handover.unconfigured message_id=%s domain=%s", envelope.message_id, unconfigured)
    handover = row["handover_state"] == HandoverState.PENDING
    return Answer(200, row["answer"], RECEIPT_JSON, handover=handover, response_queued=response is not None)


def _again(existing: InboxMessage, *, envelope: Envelope, digest: str, station: Station) -> Answer:
    if existing.content_digest != digest:
        log.warning("inbox.conflict message_id=%s sender=%s", envelope.message_id, envelope.sender)
        refused = Refused("MESSAGE_ID_CONFLICT", f"message {envelope.message_id} from {envelope.sender} was "
                          "received before with other content; a new message needs a new message_id",
                          [Finding(Layer.RULES, "MESSAGE_ID_CONFLICT", "the same message_id with other content",
                                   location=Location(pointer="/message_id"))], status=409)
        status, text = refusal_answer(refused, envelope=envelope, station=station)
        return Answer(status, text, PROBLEM_JSON)
    existing.deliveries += 1
    existing.last_delivered_at = clock.utcnow()
    log.info("inbox.duplicate message_id=%s sender=%s deliveries=%d", existing.message_id, existing.sender,
             existing.deliveries)
    media = RECEIPT_JSON if existing.state == InboxState.ACCEPTED else PROBLEM_JSON
    return Answer(existing.answer_status, existing.answer, media)


def _check(envelope: Envelope, *, faults: list[Finding], station: Station) -> Document | Refused:
    """The payload's typed document when the message is acceptable, else why it is refused."""
    if envelope.receiver != station.country:
        return Refused.one("WRONG_RECEIVER", f"the message is for {envelope.receiver}; this is {station.country}'s "
                           "endpoint", Layer.RULES, "/receiver")
    if faults:
        return Refused(faults[0].code, faults[0].message, faults)
    try:
        verify(envelope, public_key_for=station.network.public_key_for)
    except SignatureInvalid as invalid:
        where = "/payload_digest" if invalid.reason == "PAYLOAD_DIGEST_MISMATCH" else "/signature"
        return Refused.one(invalid.reason, invalid.detail, Layer.RULES, where)
    try:
        message_type = REGISTRY.get(envelope.document_type)
    except UnknownMessageType as unknown:
        return Refused.one("UNKNOWN_DOCUMENT_TYPE", f"document type {envelope.document_type} is not known here: "
                           f"{unknown}", Layer.SCHEMA, "/document_type")
    if not station.network.accepts(station.country, message_type.key):
        return Refused.one("DOCUMENT_TYPE_NOT_ACCEPTED", f"{station.country} does not accept {message_type.key} "
                           "(see its entry in the network directory)", Layer.SCHEMA, "/document_type")
    return _payload(envelope, message_type=message_type, station=station)


def _payload(envelope: Envelope, *, message_type: MessageType, station: Station) -> Document | Refused:
    report = validate(envelope.payload.encode("utf-8"), media_type=f"application/{envelope.payload_format}",
                      expected_type=message_type, limits=Limits(max_bytes=station.settings.max_body_bytes))
    found = report.message_type
    if found is not None and found.key != message_type.key:
        station.metrics.validated(message_type.key, "refused")
        return Refused.one("DOCUMENT_TYPE_MISMATCH", f"the envelope names {message_type.key}, the payload is "
                           f"{found.key}", Layer.SCHEMA, "/document_type")
    if not report.valid or report.document is None:
        station.metrics.validated(message_type.key, "refused")
        return Refused("PAYLOAD_INVALID", f"the {message_type.key} payload is not valid: {len(report.errors)} "
                       "error(s)", report.errors or report.findings)
    station.metrics.validated(message_type.key, "accepted")
    return report.document


def _business_response(envelope: Envelope, *, document: Document,
                       station: Station) -> tuple[Document, MessageType, str] | None:
    """The business response to queue, its type and its message id; None when the document needs none."""
    def sender_accepts(key: str) -> bool:
        return station.network.accepts(envelope.sender, key)

    answer = business_responses.business_response(document, country=station.country,
                                                  watchlist=station.watchlist.current(), sender_accepts=sender_accepts)
    if answer is None:
        return None
    response, message_type = answer
    if not business_responses.checked(response, message_type):
        return None
    return response, message_type, str(uuid.uuid4())


def _plan_handover(row: dict[str, Any], *, station: Station) -> str | None:
    """Set the row's handover; the domain whose service URL is missing, if that is why there is none."""
    domain = business_responses.handover_domain(row["document_type"])
    if domain is None:
        return None
    if station.settings.agency_url(domain) is None:
        row["handover_state"], row["handover_last_error"] = HandoverState.NONE, f"no {domain} service URL is configured"
        return domain
    row["handover_state"], row["handover_next_at"] = HandoverState.PENDING, row["received_at"]
    return None
