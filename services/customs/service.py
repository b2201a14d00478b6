"""Customs business logic for declarations: lodge, assess, release, and record the answers.

A declaration's status history::

    lodged -> accepted -> lane:<green|yellow|red> -> released         (green: at once)
                                                 -> under-control -> released  (an officer releases)

then a ``response:<function>`` entry for each customs response that comes back. A rejected
declaration (schema or rule findings) is refused with 422 and never stored.

The MRN is customs' own: an ``ID`` the trader sends is ignored (replaced by the MRN), and it
plays no part in idempotency, which compares the canonical document without it.
"""

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from services.customs import repository
from services.customs.acdd import acdd_for
from services.customs.models import DeclarationEvent, DeclarationRecord
from services.customs.mrn import new_mrn
from services.customs.risk import RiskPolicy, assess
from services.kernel import canonical, outbox, refdata
from services.kernel.clock import utcnow
from services.kernel.messages.customs import Declaration, Response
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.web.identity import Caller
from services.kernel.web.problems import Conflict, Forbidden, NotFound

log = logging.getLogger("swx.customs")
DECLARATION = REGISTRY.get("customs.declaration")
"""The type a submission must be; the engine checks the type id, so every version passes."""
ACDD = REGISTRY.get("customs.acdd", "1.0")
RESPONSE_FUNCTIONS = {"01": "accepted", "02": "received", "03": "rejected", "05": "control",
                      "06": "documents-required", "09": "cleared", "10": "invalidated", "13": "tax-assessment"}
MRN_ATTEMPTS = 3
LANE_ACTIONS = {"green": "released without examination", "yellow": "held for a documentary check",
                "red": "held for a physical examination"}


@dataclass(frozen=True)
class Lodged:
    record: DeclarationRecord
    created: bool


def lodging_country(declaration: Declaration) -> str:
    """Whose customs takes the declaration: the export country's for an export, the destination's for an import."""
    shipment = declaration.GoodsShipment
    return shipment.ExportCountry.ID if declaration.TypeCode.startswith("EX") else shipment.Destination.CountryCode


def lodge_declaration(session: Session, *, caller: Caller, declaration: Declaration, policy: RiskPolicy) -> Lodged:
    """Accept the declaration once per (country, declarant, LRN), give it an MRN and a lane."""
    country = lodging_country(declaration)
    if caller.country != country and not caller.is_operator:
        kind = "an export declaration is lodged in the export country" if declaration.TypeCode.startswith("EX") \
            else "an import declaration is lodged in the destination country"
        raise Forbidden(f"{kind}, {country}; your credential is for {caller.country}")
    declarant = declaration.Declarant.ID or declaration.Declarant.Name
    digest = canonical.digest(canonical.json_text(declaration.model_copy(update={"ID": None})))
    for _ in range(MRN_ATTEMPTS):
        existing = repository.find_declaration(session, country=country, declarant=declarant,
                                               lrn=declaration.FunctionalReferenceID)
        if existing is not None:
            return _replay(session, existing, digest)
        accepted = _accept(session, declaration=declaration, country=country, declarant=declarant, digest=digest,
                           policy=policy, lodged_by=caller.country)
        if accepted is not None:
            return Lodged(accepted, created=True)
        # Not inserted: a concurrent request took the key (the next look finds it) or, once in 1e20, the MRN.
    raise RuntimeError(f"declaration {declaration.FunctionalReferenceID} could not be stored in {MRN_ATTEMPTS} tries")


def _accept(session: Session, *, declaration: Declaration, country: str, declarant: str, digest: str,
            policy: RiskPolicy, lodged_by: str) -> DeclarationRecord | None:
    """Number, assess and store the declaration, with its history and its ACDD; None if the row exists."""
    accepted_at = utcnow()
    mrn = new_mrn(country=country, accepted_at=accepted_at)
    document = declaration.model_copy(update={"ID": mrn})
    decision = assess(document, mrn=mrn, policy=policy)
    shipment = declaration.GoodsShipment
    inserted = repository.insert_once(session, DeclarationRecord(
        mrn=mrn, country=country, declarant=declarant, lrn=declaration.FunctionalReferenceID,
        type_code=declaration.TypeCode, direction=declaration.TypeCode[:2],
        export_country=shipment.ExportCountry.ID, destination_country=shipment.Destination.CountryCode,
        status="released" if decision.lane == "green" else "under-control", lane=decision.lane,
        lane_reasons=json.dumps(list(decision.reasons)), conversation_id=str(uuid.uuid4()),
        document_type=declaration.document_type, content_digest=digest, document=canonical.json_text(document),
        lodged_at=accepted_at,
    ))
    record = repository.get_declaration(session, mrn) if inserted else None
    if record is None:
        return None
    lane_note = "; ".join(decision.reasons) or "no risk rule applied"
    for status, note in (("lodged", f"LRN {record.lrn} by {lodged_by}"), ("accepted", f"MRN {mrn}"),
                         (f"lane:{decision.lane}", lane_note), (record.status, LANE_ACTIONS[decision.lane])):
        repository.add_event(session, DeclarationEvent(mrn=mrn, status=status, at=accepted_at, note=note))
    _send_acdd(session, record=record, document=document, issued_at=accepted_at)
    log.info("declaration.accepted mrn=%s lrn=%s type=%s lane=%s country=%s", mrn, record.lrn, record.type_code,
             decision.lane, country)
    return record


def _replay(session: Session, existing: DeclarationRecord, digest: str) -> Lodged:
    """The same declaration again: its record, and its dead letters (if any) queued again."""
    if existing.content_digest != digest:
        raise Conflict(f"LRN {existing.lrn} of declarant {existing.declarant} was lodged before with other "
                       f"content (MRN {existing.mrn}); use a new LRN for a new declaration")
    for message in outbox.requeue_dead_letters(session, subject_of(existing.mrn), by="resubmission"):
        # the answer's history says so, beside the message shown PENDING again
        repository.add_event(session, DeclarationEvent(
            mrn=existing.mrn, status="message:requeued",
            note=f"{message.document_type} {message.message_id} to {message.receiver} queued again on "
                 f"resubmission; it had failed: {message.last_error}"))
        log.info("declaration.message_requeued mrn=%s message_id=%s receiver=%s", existing.mrn, message.message_id,
                 message.receiver)
    return Lodged(existing, created=False)


def _send_acdd(session: Session, *, record: DeclarationRecord, document: Declaration, issued_at: datetime) -> None:
    """An export to another network country announces the goods to its customs with an ACDD."""
    destination = record.destination_country
    if record.direction != "EX" or destination == record.export_country or destination not in refdata.PARTICIPANTS:
        return
    acdd = acdd_for(document, mrn=record.mrn, issued_at=issued_at)
    message = outbox.enqueue(session, document=acdd, message_type=ACDD, sender=record.export_country,
                             receiver=destination, subject=subject_of(record.mrn),
                             conversation_id=record.conversation_id)
    log.info("declaration.acdd_queued mrn=%s receiver=%s message_id=%s", record.mrn, destination, message.message_id)


def subject_of(mrn: str) -> str:
    """How the outbox names a declaration's messages."""
    return f"declaration:{mrn}"


def release_declaration(session: Session, *, caller: Caller, mrn: str) -> DeclarationRecord:
    """An officer releases a declaration held for control (yellow or red lane)."""
    if not caller.is_operator:
        raise Forbidden("a declaration under control is released by a customs officer (the operator credential)")
    record = visible_declaration(session, caller=caller, mrn=mrn)
    if record.status != "under-control":
        raise Conflict(f"declaration {mrn} is {record.status}, not under control; there is nothing to release")
    record.status = "released"
    session.add(record)
    repository.add_event(session, DeclarationEvent(mrn=mrn, status="released", note="released by a customs officer"))
    log.info("declaration.released mrn=%s lane=%s", mrn, record.lane)
    return record


def visible_declaration(session: Session, *, caller: Caller, mrn: str) -> DeclarationRecord:
    record = repository.get_declaration(session, mrn)
    if record is None:
        raise NotFound(f"no declaration {mrn}")
    if caller.country not in (record.export_country, record.destination_country) and not caller.is_operator:
        raise Forbidden(f"declaration {mrn} belongs to {record.export_country} and {record.destination_country}")
    return record


def record_response(session: Session, *, response: Response, for_country: str) -> DeclarationRecord:
    """Keep a ``customs.response`` that answers one of ``for_country``'s declarations (named by MRN).

    The latest response is the declaration's ``outcome``; each one also adds a history entry.
    A response recorded before (same response ID) changes nothing.
    """
    mrn = response.Declaration.ID
    record = repository.get_declaration(session, mrn) if mrn is not None else None
    if record is None or record.country != for_country:
        raise NotFound(f"customs response {response.ID} answers declaration {mrn or '(no MRN)'}, "
                       f"which is not one of {for_country}'s")
    previous = outcome_of(record)
    if previous is not None and previous["response_id"] == response.ID:
        return record
    function = RESPONSE_FUNCTIONS[response.FunctionCode]
    record.outcome = json.dumps(outcome_entry(response))
    session.add(record)
    repository.add_event(session, DeclarationEvent(mrn=record.mrn, status=f"response:{function}",
                                                   note=f"customs response {response.ID}"))
    log.info("declaration.response_recorded mrn=%s response=%s function=%s", record.mrn, response.ID, function)
    return record


def outcome_entry(response: Response) -> dict[str, Any]:
    """How a record keeps the customs response that answered it."""
    function = RESPONSE_FUNCTIONS[response.FunctionCode]
    return {
        "response_id": response.ID, "function_code": response.FunctionCode, "function": function,
        "issued_at": response.IssueDateTime.isoformat(), "issuing_office": response.IssuingOfficeID,
        "lane": response.LaneCode,
        "errors": [{"code": e.ValidationCode, "description": e.Description, "pointer": e.Pointer}
                   for e in response.Error or ()],
        "duties": [{"type": d.TypeCode, "amount": str(d.TaxAssessedAmount.value),
                    "currency": d.TaxAssessedAmount.currencyID} for d in response.DutyTaxFee or ()],
        "remarks": response.Remarks, "recorded_at": utcnow().isoformat(),
    }


def outcome_of(record: DeclarationRecord) -> dict[str, Any] | None:
    return json.loads(record.outcome) if record.outcome else None


def declaration_type(record: DeclarationRecord) -> MessageType:
    return REGISTRY.get(record.document_type)


def declaration_document(record: DeclarationRecord) -> Declaration:
    """The stored declaration, in the version it was lodged in, with its MRN as ID."""
    document = declaration_type(record).model.model_validate(json.loads(record.document), strict=False)
    assert isinstance(document, Declaration)
    return document
