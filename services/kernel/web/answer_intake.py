"""``POST /answers``: the last hop of a business answer, from a country's NSW endpoint to
the agency service whose message it answers.

The receiving country answers an outbound message (an ACDD, a manifest, a vessel call)
with a customs response, an API response or a clearance; the hub delivers it to the NSW
endpoint of the original sender's country, which posts the signed envelope here as it
received it. In order, each step refusing with its own status:

1. identity: a country's token (401 without one), the envelope's ``receiver`` (403);
   the operator and the hub never post answers;
2. the envelope: JSON or XML, as the sender signed it (else 415), valid ``exchange.envelope``
   (400 / 422), signed by its sender (422, the finding's code the ``SignatureInvalid`` reason);
3. duplicates on (sender, message_id): the same answer again is 200 and changes nothing,
   the same id with another payload 409;
4. the answer: a type this service takes (422 ``UNKNOWN_DOCUMENT_TYPE``), a payload valid
   as that type and version (422), ``in_reply_to`` naming a message the receiver sent from
   here to the answer's sender (422 / 404);
5. the service's handler records it (its ``NotFound``, 404); the answer row is kept in
   the same transaction, so a refused answer leaves no trace and may be sent again.
"""

import logging
from collections.abc import Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import bindparam
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from services.kernel.findings import Finding, Layer, Location
from services.kernel.messages.exchange import Envelope
from services.kernel.messages.types import Document
from services.kernel.network import HUB, Network
from services.kernel.outbox import OutboxMessage
from services.kernel.received_answers import KeptAnswer, add_answer_once, answer_summary, find_answer
from services.kernel.registry import REGISTRY
from services.kernel.signing import Reason, SignatureInvalid, verify
from services.kernel.validation import validate
from services.kernel.web.bodies import EnvelopeBody, ReceivedBody
from services.kernel.web.contract import BODY_ERRORS, problem_responses, request_body
from services.kernel.web.deps import IntakeDep, NetworkDep, SessionDep
from services.kernel.web.identity import Caller, CallerDep
from services.kernel.web.problems import Conflict, Forbidden, InvalidDocument, NotFound
from services.kernel.web.submissions import FORMAT_MEDIA_TYPES, Intake, refusal

log = logging.getLogger("swx.answers")

AnswerHandler = Callable[[Session, Document, Envelope, OutboxMessage], object]
"""Records an answer in the service: the session, the answer's payload, its envelope and the
outbound message it answers (whose ``subject`` names the record the answer must be about)."""

ENVELOPE = REGISTRY.get("exchange.envelope")

DESCRIPTION = """The body is the signed `exchange.envelope` exactly as the NSW endpoint received it, JSON
or XML (`Content-Type: application/json` or `application/xml`); in JSON:

```json
{"message_id": "…", "conversation_id": "…", "in_reply_to": "<the outbound message_id>",
 "sender": "VN", "receiver": "TH", "document_type": "customs.response/1.0",
 "created_at": "2026-11-20T10:02:00+07:00", "payload_format": "xml", "payload": "<Response …>",
 "payload_digest": "<sha-256 hex>", "signature": "<JWS, EdDSA, detached>"}
```

Posted with the token of the envelope's `receiver`, the country whose message is answered."""


class AnswerRecorded(BaseModel):
    """What ``POST /answers`` answers: recorded now (201), or a duplicate of one recorded before (200)."""

    status: str = Field(description="recorded or duplicate")
    message_id: str
    in_reply_to: str | None
    document_type: str
    received_at: str | None = Field(default=None, description="ISO 8601; when first received, for a duplicate")


def answers_router(handlers: Mapping[str, AnswerHandler]) -> APIRouter:
    """A router with ``POST /answers`` taking the answer types of ``handlers`` (by type id)."""
    taken = dict(handlers)
    router = APIRouter(tags=["answers"])

    @router.post("/answers", status_code=201, summary="Receive a business answer to one of this service's messages",
                 description=DESCRIPTION, openapi_extra=request_body("exchange.envelope", formats=("json", "xml")),
                 response_model=AnswerRecorded,
                 responses={200: {"description": "The same answer was received before; nothing changed",
                                  "model": AnswerRecorded},
                            **problem_responses(*BODY_ERRORS, 403, 404, 409, 422, descriptions={
                                403: "The credential is not the envelope's receiver's",
                                404: "The answered message or record is not known here",
                                409: "The message id was received before with another payload",
                                415: "The envelope is sent as neither application/json nor application/xml",
                                422: "Invalid envelope, signature, payload or document type"})})
    def receive_answer(caller: CallerDep, received: EnvelopeBody, session: SessionDep, intake: IntakeDep,
                       network: NetworkDep) -> JSONResponse:
        """Check a signed answer and record it in the service, once."""
        _refuse_non_participants(caller)
        envelope = _envelope(intake, received)
        if caller.country != envelope.receiver:
            raise Forbidden(f"the answer is for {envelope.receiver}; your credential is for {caller.country}")
        _check_signature(network, envelope)
        existing = find_answer(session, sender=envelope.sender, message_id=envelope.message_id)
        if existing is not None:
            return _replay(existing, envelope)
        handler = _handler(taken, envelope)
        document = _payload(intake, envelope)
        original = _check_answered_message(session, envelope)
        if add_answer_once(session, envelope) is None:  # a concurrent delivery of the same id won the race
            stored = find_answer(session, sender=envelope.sender, message_id=envelope.message_id)
            assert stored is not None
            return _replay(stored, envelope)
        handler(session, document, envelope, original)
        session.flush()
        log.info("answer.recorded sender=%s receiver=%s message_id=%s in_reply_to=%s type=%s", envelope.sender,
                 envelope.receiver, envelope.message_id, envelope.in_reply_to, envelope.document_type)
        return JSONResponse({"status": "recorded", "message_id": envelope.message_id,
                             "in_reply_to": envelope.in_reply_to, "document_type": envelope.document_type},
                            status_code=201)

    return router


def _refuse_non_participants(caller: Caller) -> None:
    if caller.is_operator or caller.country == HUB:
        raise Forbidden("answers are posted by the NSW endpoint of the country whose message they answer; "
                        "the operator and the hub do not post them")


def _envelope(intake: Intake, received: ReceivedBody) -> Envelope:
    report = validate(received.data, media_type=FORMAT_MEDIA_TYPES[received.format], expected_type=ENVELOPE,
                      limits=intake.limits)
    if not report.valid or not isinstance(report.document, Envelope):
        raise refusal(report, ENVELOPE)
    return report.document


def _check_signature(network: Network, envelope: Envelope) -> None:
    try:
        verify(envelope, public_key_for=network.public_key_for)
    except SignatureInvalid as error:
        field = "/payload_digest" if error.reason is Reason.DIGEST_MISMATCH else "/signature"
        log.warning("answer.signature_refused sender=%s message_id=%s reason=%s", envelope.sender,
                    envelope.message_id, error.reason)
        raise _invalid(f"the envelope's signature was refused: {error.detail}",
                       Finding(Layer.TRANSPORT, str(error.reason), error.detail,
                               location=Location(pointer=field))) from None


def _replay(existing: KeptAnswer, envelope: Envelope) -> JSONResponse:
    if (existing.payload_digest, existing.in_reply_to, existing.conversation_id, existing.document_type) != (
            envelope.payload_digest, envelope.in_reply_to, envelope.conversation_id, envelope.document_type):
        raise Conflict(f"message {envelope.message_id} from {envelope.sender} was received before with other "
                       "content; a new answer needs a new message_id")
    log.info("answer.duplicate sender=%s message_id=%s", envelope.sender, envelope.message_id)
    return JSONResponse({"status": "duplicate", **answer_summary(existing), "in_reply_to": existing.in_reply_to},
                        status_code=200)


def _handler(taken: Mapping[str, AnswerHandler], envelope: Envelope) -> AnswerHandler:
    type_id = envelope.document_type.split("/", 1)[0]
    handler = taken.get(type_id)
    if handler is None:
        detail = (f"{envelope.document_type} is not an answer this service takes; "
                  f"it takes {', '.join(sorted(taken)) or 'none'}")
        raise _invalid(detail, Finding(Layer.SCHEMA, "UNKNOWN_DOCUMENT_TYPE", detail,
                                       location=Location(pointer="/document_type")))
    return handler


def _payload(intake: Intake, envelope: Envelope) -> Document:
    """The payload as the type and version the envelope names; any fault in it is 422 (the
    request itself was well formed)."""
    type_id = envelope.document_type.split("/", 1)[0]
    metrics = intake.metrics
    report = validate(envelope.payload.encode("utf-8"), media_type=f"application/{envelope.payload_format}",
                      expected_type=type_id, limits=intake.limits)
    found = report.message_type.key if report.message_type is not None else None
    if report.valid and report.document is not None and found == envelope.document_type:
        metrics.validated(envelope.document_type, "accepted")
        return report.document
    metrics.validated(envelope.document_type, "refused")
    findings = report.findings if not report.valid else [Finding(
        Layer.SCHEMA, "WRONG_DOCUMENT_TYPE", f"the envelope names {envelope.document_type}, the payload is {found}",
        location=Location(pointer="/document_type"))]
    first = next((f for f in findings if f.is_error), findings[0])
    where = f" at {first.location}" if str(first.location) else ""
    raise InvalidDocument(f"the {envelope.document_type} payload was refused with {len(findings)} finding(s); "
                          f"the first: {first.code}{where}: {first.message}", findings)


def _check_answered_message(session: Session, envelope: Envelope) -> OutboxMessage:
    """The answer replies to a message its receiver sent from this service to its sender."""
    if envelope.in_reply_to is None:
        raise _invalid("an answer names the message it answers in in_reply_to",
                       Finding(Layer.SCHEMA, "IN_REPLY_TO_MISSING", "in_reply_to is required for an answer",
                               location=Location(pointer="/in_reply_to")))
    original = _outbound_message(session, envelope.in_reply_to)
    if original is None or original.sender != envelope.receiver:
        raise NotFound(f"the answer replies to message {envelope.in_reply_to}, which {envelope.receiver} did not "
                       "send from this service")
    if original.receiver != envelope.sender:
        detail = (f"message {envelope.in_reply_to} went to {original.receiver}; "
                  f"{envelope.sender} cannot answer it")
        raise _invalid(detail, Finding(Layer.RULES, "ANSWER_NOT_FROM_RECEIVER", detail,
                                       location=Location(pointer="/sender")))
    return original


def answer_not_for_message(detail: str) -> InvalidDocument:
    """The refusal when an answer's payload names a record other than the one its
    ``in_reply_to`` message was about (it would change the wrong record)."""
    return InvalidDocument(detail, [Finding(Layer.RULES, "ANSWER_NOT_FOR_MESSAGE", detail,
                                            location=Location(pointer="/in_reply_to"))])


def _invalid(detail: str, finding: Finding) -> InvalidDocument:
    return InvalidDocument(detail, [finding])


_OUTBOUND_BY_ID = (select(OutboxMessage).where(col(OutboxMessage.message_id) == bindparam("message_id"))
                   .options(defer(OutboxMessage.payload)))  # type: ignore[arg-type]  # a sa_column field
"""Built once, like every statement on the path of each answer; without the payload, which
no handler reads (it would be loaded if one did)."""


def _outbound_message(session: Session, message_id: str) -> OutboxMessage | None:
    return session.exec(_OUTBOUND_BY_ID, params={"message_id": message_id}).first()
