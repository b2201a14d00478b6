"""NSW HTTP endpoints: the hub delivers to ``POST /inbox``; the country reads ``GET /inbox``."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.kernel.network import HUB
from services.kernel.web.bodies import EnvelopeBody
from services.kernel.web.contract import BODY_ERRORS, Offset, problem_responses, request_body
from services.kernel.web.deps import OutboxWakeDep, SessionDep
from services.kernel.web.identity import Caller, CallerDep
from services.kernel.web.problems import Forbidden
from services.kernel.web.visibility import one_sender
from services.nsw import repository, service, views
from services.nsw.deps import HandoverWakeDep, StationDep
from services.nsw.models import InboxState
from services.nsw.schemas import InboxPage, InboxRecord

router = APIRouter(tags=["inbox"])
COUNTRY = r"^[A-Z]{2}$"
MESSAGE_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


# the two checks below are async def: FastAPI runs a plain def dependency in a worker thread,
# a trip through the thread pool on every request for a check that does no I/O
async def hub_caller(caller: CallerDep) -> Caller:
    if caller.country != HUB:
        raise Forbidden("only the hub delivers to an inbox; send your message to the hub's POST /messages")
    return caller


async def inbox_reader(station: StationDep, caller: CallerDep) -> Caller:
    country = station.country
    # not the hub: every endpoint holds the hub's token to check deliveries, so a hub token
    # that could read inboxes would let each country read every other's
    if caller.country != country and not caller.is_operator:
        raise Forbidden(f"this is {country}'s inbox; your credential is for {caller.country}")
    return caller


HubCaller = Annotated[Caller, Depends(hub_caller)]
InboxReader = Annotated[Caller, Depends(inbox_reader)]


@router.post("/inbox", summary="Deliver a signed envelope (the hub only)",
             openapi_extra=request_body("exchange.envelope", formats=("json", "xml")),
             responses={200: {"description": "The signed receipt (the original one for a resend)",
                              "content": {"application/json": {"schema": {
                                  "type": "object", "description": "exchange.receipt, signed by this country"}}}},
                        **problem_responses(*BODY_ERRORS, 403, 409, 422, 503, descriptions={
                            403: "Only the hub delivers to an inbox",
                            409: "The message id was used for other content; error_signal says so",
                            415: "The envelope is neither application/json nor application/xml",
                            422: "Refused for good: errors and a signed error_signal"})})
def receive_message(caller: HubCaller, received: EnvelopeBody, session: SessionDep, station: StationDep,
                    wake_outbox: OutboxWakeDep, wake_handover: HandoverWakeDep) -> Response:
    """Check, store and acknowledge a message: a signed receipt, or a problem with a signed error signal."""
    answer = service.receive(session, station=station, body=received.data, fmt=received.format)
    if answer.response_queued:
        wake_outbox()
    if answer.handover:
        wake_handover()
    return Response(answer.body.encode("utf-8"), status_code=answer.status, media_type=answer.media_type)


@router.get("/inbox", summary="What this country received, newest first", response_model=InboxPage,
            responses=problem_responses(400, 403))
def list_inbox(
    caller: InboxReader,
    session: SessionDep,
    sender: Annotated[str | None, Query(pattern=COUNTRY)] = None,
    document_type: Annotated[str | None, Query(max_length=64)] = None,
    state: InboxState | None = None,
    conversation_id: Annotated[str | None, Query(pattern=MESSAGE_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> InboxPage:
    """Filter by sender, document type, state or conversation; page with limit and offset."""
    where = repository.InboxFilter(sender=sender, document_type=document_type, state=state,
                                   conversation_id=conversation_id)
    rows, total = repository.list_messages(session, where=where, limit=limit, offset=offset)
    return InboxPage.model_validate({"items": [views.item(row) for row in rows], "total": total, "limit": limit,
                                     "offset": offset})


@router.get("/inbox/{message_id}", summary="One received message: envelope, answer, findings, handover",
            response_model=InboxRecord, responses=problem_responses(403, 404, 409))
def get_inbox_message(
    message_id: str,
    caller: InboxReader,
    session: SessionDep,
    sender: Annotated[str | None, Query(pattern=COUNTRY)] = None,
) -> InboxRecord:
    """The message as stored; give ``sender`` when two senders used the same id."""
    row = one_sender(repository.messages_with_id(session, message_id, sender=sender), message_id=message_id,
                     missing=missing_message(message_id, sender))
    return InboxRecord.model_validate(views.record(session, row))


def missing_message(message_id: str, sender: str | None) -> str:
    """What 404 says when the inbox has no message of that id (from that sender)."""
    return f"no message {message_id}" + (f" from {sender}" if sender else "") + " in this inbox"
