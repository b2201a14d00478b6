"""Port business logic: accept a vessel call, keep it, send it to the port of call's country."""

import json
import logging
import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.kernel import canonical, outbox
from services.kernel.messages.port import AnyVesselCall, Clearance, VesselCall, VesselCallV1_1
from services.kernel.participants import PARTICIPANTS
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.web.answer_intake import answer_not_for_message
from services.kernel.web.identity import Caller
from services.kernel.web.problems import Conflict, Forbidden, NotFound
from services.kernel.web.submissions import Stored
from services.port import repository
from services.port.models import ClearanceRecord, VesselCallRecord

log = logging.getLogger("swx.port")
VESSEL_CALL = REGISTRY.get("port.vessel-call")
"""The type a submission must be: any served version of it is accepted, and travels as that version."""


def message_type_of(call: AnyVesselCall) -> MessageType:
    """The version the call was written in: it is stored, forwarded and shown in that version."""
    return REGISTRY.get(call.document_type)


def acting_country(caller: Caller, call: AnyVesselCall) -> str:
    """The country the agent submits for: its own, or (the operator) the last port's, else the port of call's."""
    port_country, last_country = call.PortOfCallID[:2], call.LastPortOfCallID[:2]
    if not caller.is_operator:
        if caller.country not in (port_country, last_country):
            raise Forbidden(f"a call at {call.PortOfCallID} from {call.LastPortOfCallID} is not {caller.country}'s "
                            "to submit: the agent must act for the country of the last port or of the port of call")
        return caller.country
    for country in (last_country, port_country):
        if country in PARTICIPANTS:
            return country
    raise Forbidden(f"neither {call.LastPortOfCallID} nor {call.PortOfCallID} is in a country of this network")


def submit_vessel_call(session: Session, *, caller: Caller, call: AnyVesselCall) -> Stored[VesselCallRecord]:
    """Store the call once per (agent's country, call reference) and queue it for the port's country."""
    port_country = call.PortOfCallID[:2]
    submitter = acting_country(caller, call)
    document = canonical.json_text(call)
    digest = canonical.digest(document)
    existing = repository.find_by_reference(session, submitter=submitter, call_reference=call.ID)
    if existing is not None:
        return _resubmitted(session, existing, digest=digest)
    try:
        with session.begin_nested():  # a twin request may insert the same reference between our read and write
            record = repository.add_vessel_call(session, VesselCallRecord(
                id=str(uuid.uuid4()), submitter=submitter, call_reference=call.ID, port_of_call=call.PortOfCallID,
                port_country=port_country, imo_number=call.Ship.IMOID, ship_name=call.Ship.Name,
                arrival_departure=call.ArrivalDepartureCode, estimated_arrival=call.EstimatedArrivalDateTime,
                estimated_departure=call.EstimatedDepartureDateTime, crew_count=call.CrewQuantity,
                passenger_count=call.PassengerQuantity, content_digest=digest,
                document=document,
            ))
    except IntegrityError:
        twin = repository.find_by_reference(session, submitter=submitter, call_reference=call.ID)
        if twin is None:
            raise
        return _resubmitted(session, twin, digest=digest)
    if port_country != submitter and port_country in PARTICIPANTS:
        outbox.enqueue(session, document=call, message_type=message_type_of(call), sender=submitter,
                       receiver=port_country, subject=subject_of(record.id))
    log.info("vessel_call.accepted id=%s type=%s ship=%s port=%s submitter=%s", record.id, call.document_type,
             call.Ship.IMOID, call.PortOfCallID, submitter)
    return Stored(record, created=True)


def subject_of(call_id: str) -> str:
    """How the outbox names a vessel call's messages."""
    return f"vessel-call:{call_id}"


def _resubmitted(session: Session, existing: VesselCallRecord, *, digest: str) -> Stored[VesselCallRecord]:
    """The same call again: its record, and its dead letters (if any) queued again (shown PENDING
    with their requeued_at in the answer)."""
    if existing.content_digest != digest:
        raise Conflict(f"vessel call {existing.call_reference} was already submitted by {existing.submitter} with "
                       "other content; send a new call reference for a new call")
    requeued = outbox.requeue_dead_letters(session, subject_of(existing.id), by="resubmission")
    if requeued:
        log.info("vessel_call.messages_requeued id=%s count=%d", existing.id, len(requeued))
    return Stored(existing, created=False)


def record_clearance(session: Session, *, clearance: Clearance, submitter: str,
                     answered_subject: str | None = None) -> list[ClearanceRecord]:
    """Keep each agency's decision from a ``port.clearance`` answering a call ``submitter`` made.

    The clearance names the call by the agent's own reference (VesselCall/ID); when the
    answered message is known (``answered_subject``), the call must be the one it carried.
    """
    record = repository.find_by_reference(session, submitter=submitter, call_reference=clearance.VesselCallID)
    if record is None:
        raise NotFound(f"the clearance answers vessel call {clearance.VesselCallID} of {submitter}, "
                       "which is not known here")
    if answered_subject is not None and answered_subject != subject_of(record.id):
        raise answer_not_for_message(f"the clearance names vessel call {clearance.VesselCallID}, but the message "
                                     f"it answers was about {answered_subject}")
    return [repository.add_clearance(session, ClearanceRecord(
        vessel_call_id=record.id, agency=decision.AgencyCode, decision=decision.DecisionCode,
        decided_at=decision.DecisionDateTime, officer=decision.OfficerName, remarks=decision.Remarks,
    )) for decision in clearance.AgencyDecision]


def vessel_call_document(record: VesselCallRecord) -> AnyVesselCall:
    """The stored call in the version it was submitted in (its canonical JSON names it)."""
    data = json.loads(record.document)
    call = REGISTRY.get(data["document_type"]).model.model_validate(data, strict=False)
    assert isinstance(call, VesselCall | VesselCallV1_1)
    return call
