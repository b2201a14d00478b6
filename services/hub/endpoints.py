"""Hub HTTP endpoints: accept envelopes, show messages and the directory, replay dead letters."""

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlmodel import Session

from services.hub import intake, repository, views
from services.hub.models import REPLAYABLE, STATES, HubMessage, HubState, HubSuspension
from services.hub.schemas import (
    Acceptance,
    Directory,
    MessagePage,
    MessageRecord,
    ParticipantEntry,
    Resumed,
    Suspended,
    Suspension,
)
from services.kernel.clock import utcnow
from services.kernel.network import Network
from services.kernel.web.bodies import DocumentBody
from services.kernel.web.contract import BODY_ERRORS, Offset, problem_responses, request_body
from services.kernel.web.deps import NetworkDep, SessionDep, SettingsDep, Wake, waker
from services.kernel.web.identity import Caller, CallerDep, OperatorDep
from services.kernel.web.problems import Conflict, MalformedRequest, NotFound
from services.kernel.web.visibility import one_sender

router = APIRouter(tags=["messages"])
WAITING = (HubState.RECEIVED, HubState.QUEUED, HubState.SENDING, HubState.WAITING_FOR_RETRY)
"""States of a message not yet with its receiver: a suspension of the receiver holds it back."""
CountryQuery = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")]
DeliveryWakeDep = Annotated[Wake, Depends(waker("worker"))]
"""Wakes the hub's own delivery worker; nothing without one (``swx hub-worker`` processes poll)."""


@router.post("/messages", status_code=202, summary="Send a signed envelope to another participant",
             response_model=Acceptance, openapi_extra=request_body("exchange.envelope"),
             responses={200: {"description": "The same envelope was accepted before; the original answer",
                              "model": Acceptance},
                        **problem_responses(*BODY_ERRORS, 403, 409, 422, 429, descriptions={
                            403: "The credential is not the sender's",
                            409: "The message_id was used for another message",
                            422: "Signature refused, receiver does not accept the type, or the payload is invalid; "
                                 "the findings are in errors"})})
def send_message(response: Response, caller: CallerDep, received: DocumentBody, session: SessionDep,
                 settings: SettingsDep, network: NetworkDep, wake_delivery: DeliveryWakeDep) -> Acceptance:
    """Verify, validate and queue an envelope; 202 once it is stored for delivery."""
    envelope = intake.read_envelope(received.data, fmt=received.format, max_bytes=settings.max_body_bytes)
    warnings = intake.check_envelope(envelope, caller=caller, network=network, max_bytes=settings.max_body_bytes)
    accepted = intake.accept(session, envelope=envelope, body=received.data, fmt=received.format, warnings=warnings)
    response.status_code = 202 if accepted.created else 200
    response.headers["Location"] = f"/messages/{envelope.message_id}"
    if accepted.created:
        wake_delivery()
    return Acceptance.model_validate(intake.acceptance(accepted.message))


@router.get("/messages/{message_id}", summary="A message's state, timeline, receipt and answers",
            response_model=MessageRecord, response_model_exclude_unset=True,  # payload only when asked for
            responses=problem_responses(404, 409, descriptions={409: "Several senders used the id; name one"}))
def get_message(caller: CallerDep, session: SessionDep, message_id: str,
                sender: CountryQuery = None, payload: bool = False) -> MessageRecord:
    """One message the caller sent or receives (any, for the operator)."""
    message = _visible(session, caller, message_id, sender)
    return _record(session, message, with_payload=payload)


@router.get("/messages", summary="Messages, newest first, by sender, receiver, state, type or conversation",
            response_model=MessagePage, responses=problem_responses(400))
def list_messages(
    caller: CallerDep, session: SessionDep, sender: CountryQuery = None, receiver: CountryQuery = None,
    state: Annotated[str | None, Query(description=" | ".join(STATES))] = None,
    document_type: str | None = None, conversation_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0,
) -> MessagePage:
    """The caller's messages (every message, for the operator)."""
    if state is not None and state not in STATES:
        raise MalformedRequest(f"state {state!r} is not one of {', '.join(STATES)}")
    where = repository.MessageFilter(sender=sender, receiver=receiver, state=state, document_type=document_type,
                                     conversation_id=conversation_id)
    messages, total = repository.list_messages(session, caller, where, limit=limit, offset=offset)
    return MessagePage.model_validate({"items": summaries(session, messages), "total": total,
                                       "limit": limit, "offset": offset})


@router.post("/messages/{message_id}/replay", summary="Queue a FAILED message again (operator)",
             response_model=MessageRecord,
             responses=problem_responses(403, 404, 409, descriptions={
                 403: "Only the operator replays", 409: "The message is not FAILED or REJECTED, or several senders "
                                                        "used the id"}))
def replay_message(operator: OperatorDep, session: SessionDep, wake_delivery: DeliveryWakeDep,
                   message_id: str, sender: CountryQuery = None) -> MessageRecord:
    """Deliver a dead letter again, under the same message_id."""
    found = _visible(session, operator, message_id, sender)
    assert found.id is not None
    message = repository.for_replay(session, found.id)
    if message is None or message.state not in REPLAYABLE:
        state = message.state if message is not None else "gone"
        raise Conflict(f"message {message_id} is {state}; only {' or '.join(REPLAYABLE)} messages are replayed")
    now = utcnow()
    message.attempts, message.next_attempt_at, message.last_error, message.queued_at = 0, now, None, now
    message.receipt = message.error_signal = None
    repository.add_transition(session, message, HubState.QUEUED, at=now,
                              note=f"replayed by the operator after {message.state}")
    session.flush()
    wake_delivery()
    return _record(session, message)


@router.get("/participants", tags=["directory"], summary="The network directory (without credentials)",
            response_model=Directory)
def participants(caller: CallerDep, session: SessionDep, network: NetworkDep) -> Directory:
    """Every participant's endpoint, accepted document types and public key (JWK), and
    whether the operator suspended deliveries to it."""
    suspended = repository.suspended(session)
    return Directory(participants=[ParticipantEntry(**p.as_entry(), suspended=Suspension.of(suspended.get(p.country)))
                                   for p in network.participants.values()])


@router.post("/participants/{country}/suspend", tags=["directory"],
             summary="Hold deliveries to a participant (operator): its messages wait and retry",
             response_model=Suspended, responses=problem_responses(403, 404))
def suspend_participant(operator: OperatorDep, session: SessionDep, network: NetworkDep, country: str,
                        note: Annotated[str | None, Query(max_length=1024)] = None) -> Suspended:
    """Take a participant out of delivery, e.g. for maintenance of its endpoint."""
    _refuse_unknown_participant(network, country)
    row = repository.suspend(session, country, note=note)
    return Suspended(country=country, suspended=Suspension.of(row))


@router.post("/participants/{country}/resume", tags=["directory"],
             summary="Deliver to a suspended participant again (operator)",
             response_model=Resumed, responses=problem_responses(403, 404))
def resume_participant(operator: OperatorDep, session: SessionDep, network: NetworkDep,
                       wake_delivery: DeliveryWakeDep, country: str) -> Resumed:
    """Lift a suspension; waiting messages go at their next attempt."""
    _refuse_unknown_participant(network, country)
    was = repository.resume(session, country)
    wake_delivery()
    return Resumed(country=country, suspended=None, was_suspended=was)


def _refuse_unknown_participant(network: Network, country: str) -> None:
    if country not in network.participants:
        raise NotFound(f"{country} is not a participant of this network")


def summaries(session: Session, messages: Iterable[HubMessage]) -> list[dict[str, Any]]:
    """Messages as lists show them, each waiting one with the suspension that holds it back."""
    suspended = repository.suspended(session)
    return [_held(views.summary(message), suspended) for message in messages]


def _record(session: Session, message: HubMessage, *, with_payload: bool = False) -> MessageRecord:
    suspended = repository.suspended(session)
    body = _held(views.record(session, message, with_payload=with_payload), suspended)
    body["replies"] = [_held(reply, suspended) for reply in body["replies"]]
    return MessageRecord.model_validate(body)


def _held(summary: dict[str, Any], suspended: Mapping[str, HubSuspension]) -> dict[str, Any]:
    """Without this a message for a suspended receiver just sits QUEUED with 0 attempts, and
    nobody reading it can tell why."""
    row = suspended.get(summary["receiver"]) if summary["state"] in WAITING else None
    return {**summary, "receiver_suspended": Suspension.of(row)}


def _visible(session: SessionDep, caller: Caller, message_id: str, sender: str | None) -> HubMessage:
    return one_sender(repository.visible_with_id(session, caller, message_id, sender=sender), message_id=message_id,
                      missing=f"no message {message_id} that you sent or receive")
