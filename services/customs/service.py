"""Customs business logic for declarations: lodge, assess, release, and record the answers.

A declaration's status history::

    lodged -> accepted -> lane:<green|yellow|red> -> released         (green: at once)
                                                 -> under-control -> released  (an officer releases)

then a ``response:<function>`` entry for each customs response that comes back. A rejected
declaration (schema or rule findings) is refused with 422 and never stored.

The MRN is customs' own: an ``ID`` the trader sends is ignored (replaced by the MRN), and it
plays no part in idempotency, which compares the canonical document without it (and, for a
2.0 declaration, without the DMS wrapper's metadata and the schema locations a WCO file
named: how the declaration was sent, wrapped or bare, is not part of what it declares).

Every version is lodged the same way: what lodging needs is read through
``declaration_facts``, so a 2.0 (WCO DM 3.6) declaration gets its MRN, lane, history and
ACDD exactly as a 1.x one. The ACDD is built before the declaration is stored: one that
could not be built, or that its receiver would refuse, refuses the declaration (422).
"""

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from services.customs import repository
from services.customs.acdd import checked_acdd
from services.customs.declaration_facts import AnyDeclaration, DeclarationFacts, RequiredBySwx, facts_of
from services.customs.models import DeclarationEvent, DeclarationRecord, DeclarationStatus
from services.customs.mrn import new_mrn
from services.customs.repository import NewEvent
from services.customs.response_outcome import Answer, AnyResponse, answers_of, outcome_entry, response_refs
from services.customs.risk import RiskPolicy, assess
from services.kernel import canonical, outbox
from services.kernel.clock import utcnow
from services.kernel.messages.types import Document
from services.kernel.messages.wco.declaration import GoodsDeclaration
from services.kernel.network import Network
from services.kernel.participants import PARTICIPANTS
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.web.identity import Caller
from services.kernel.web.problems import Conflict, Forbidden, InvalidDocument, NotFound
from services.kernel.web.submissions import Stored

log = logging.getLogger("swx.customs")
DECLARATION = REGISTRY.get("customs.declaration")
"""The type a submission must be; the engine checks the type id, so every version passes."""
MRN_ATTEMPTS = 3
LANE_ACTIONS = {"green": "released without examination", "yellow": "held for a documentary check",
                "red": "held for a physical examination"}


def read_facts(declaration: AnyDeclaration) -> DeclarationFacts:
    """The declaration's facts, or the 422 naming what swx needs and the declaration lacks."""
    try:
        return facts_of(declaration)
    except RequiredBySwx as lacking:
        raise InvalidDocument(f"the declaration cannot be lodged: {lacking}", lacking.findings) from None


def numbered(declaration: AnyDeclaration, mrn: str | None) -> AnyDeclaration:
    """The declaration with ``mrn`` as its ID (None: without an ID)."""
    if isinstance(declaration, GoodsDeclaration):
        return declaration.model_copy(update={"Declaration": declaration.Declaration.model_copy(update={"ID": mrn})})
    return declaration.model_copy(update={"ID": mrn})


def content_digest(declaration: AnyDeclaration) -> str:
    """What "the same declaration" means: its canonical JSON without the ID (and WCO wrapping)."""
    unnumbered = numbered(declaration, None)
    if isinstance(unnumbered, GoodsDeclaration):
        unnumbered = unnumbered.model_copy(update={"MetaData": None, "SchemaLocationHint": None})
    return canonical.digest(canonical.json_text(unnumbered))


@dataclass(frozen=True)
class Lodged(Stored[DeclarationRecord]):
    """A lodging's record and whether this request stored it; when it did, also what it stored
    (the numbered declaration and its first history entries), so that the answer is written
    from them rather than read back and validated again."""

    document: AnyDeclaration | None = None
    history: tuple[NewEvent, ...] = ()
    messages: tuple["Queued", ...] = ()
    """The messages it queued (its ACDD): not yet tried, and answered by nothing."""


class Queued(Protocol):
    """What lodging knows of a message it queued (as ``outbox.enqueue`` returns it)."""

    @property
    def message_id(self) -> str: ...

    @property
    def receiver(self) -> str: ...

    @property
    def document_type(self) -> str: ...


def lodge_declaration(session: Session, *, caller: Caller, declaration: AnyDeclaration, policy: RiskPolicy,
                      network: Network | None = None) -> Lodged:
    """Accept the declaration once per (country, declarant, LRN), give it an MRN and a lane.
    ``network`` says which ACDD version each country accepts (without it, 1.0)."""
    facts = read_facts(declaration)
    country = facts.lodging_country
    if caller.country != country and not caller.is_operator:
        kind = "an export declaration is lodged in the export country" if facts.direction == "EX" \
            else "an import declaration is lodged in the destination country"
        raise Forbidden(f"{kind}, {country}; your credential is for {caller.country}")
    digest = content_digest(declaration)
    for _ in range(MRN_ATTEMPTS):
        existing = repository.find_declaration(session, country=country, declarant=facts.declarant_key,
                                               lrn=facts.lrn)
        if existing is not None:
            return _replay(session, existing, digest)
        accepted = _accept(session, declaration=declaration, facts=facts, digest=digest, policy=policy,
                           lodged_by=caller.country, network=network)
        if accepted is not None:
            return accepted
        # Not inserted: a concurrent request took the key (the next look finds it) or, once in 1e20, the MRN.
    raise RuntimeError(f"declaration {facts.lrn} could not be stored in {MRN_ATTEMPTS} tries")


def _accept(session: Session, *, declaration: AnyDeclaration, facts: DeclarationFacts, digest: str,
            policy: RiskPolicy, lodged_by: str, network: Network | None) -> Lodged | None:
    """Number, assess and store the declaration, with its history and its ACDD; None if the row exists.

    The record answered is the one inserted (the row holds exactly its values), not read back."""
    accepted_at = utcnow()
    country = facts.lodging_country
    mrn = new_mrn(country=country, accepted_at=accepted_at)
    document = numbered(declaration, mrn)
    announcement = _acdd(facts, mrn=mrn, issued_at=accepted_at, network=network)
    decision = assess(facts, mrn=mrn, policy=policy)
    record = DeclarationRecord(
        mrn=mrn, country=country, declarant=facts.declarant_key, lrn=facts.lrn,
        type_code=facts.type_code, direction=facts.direction,
        export_country=facts.export_country, destination_country=facts.destination_country,
        status=(DeclarationStatus.RELEASED if decision.lane == "green" else DeclarationStatus.UNDER_CONTROL).value,
        lane=decision.lane,
        lane_reasons=list(decision.reasons), conversation_id=str(uuid.uuid4()),
        document_type=declaration.document_type, content_digest=digest, document=canonical.json_text(document),
        lodged_at=accepted_at,
    )
    if not repository.add_once(session, record):
        return None
    lane_note = "; ".join(decision.reasons) or "no risk rule applied"
    history = tuple(NewEvent(mrn=mrn, status=str(status), at=accepted_at, note=note) for status, note in (
        (DeclarationStatus.LODGED, f"LRN {record.lrn} by {lodged_by}"), (DeclarationStatus.ACCEPTED, f"MRN {mrn}"),
        (f"lane:{decision.lane}", lane_note), (record.status, LANE_ACTIONS[decision.lane])))
    repository.add_events(session, history)
    messages: list[Queued] = []
    if announcement is not None:
        acdd, message_type = announcement
        message = outbox.enqueue(session, document=acdd, message_type=message_type, sender=record.export_country,
                                 receiver=record.destination_country, subject=subject_of(record.mrn),
                                 conversation_id=record.conversation_id)
        log.info("declaration.acdd_queued mrn=%s receiver=%s message_id=%s type=%s", record.mrn,
                 record.destination_country, message.message_id, message_type.key)
        messages.append(message)
    log.info("declaration.accepted mrn=%s lrn=%s type=%s lane=%s country=%s", mrn, record.lrn, record.type_code,
             decision.lane, country)
    return Lodged(record, created=True, document=document, history=history, messages=tuple(messages))


def _acdd(facts: DeclarationFacts, *, mrn: str, issued_at: datetime,
          network: Network | None) -> tuple[Document, MessageType] | None:
    """An export to another network country announces the goods to its customs with an ACDD, in
    the newest version the receiver accepts (the network directory says which)."""
    destination = facts.destination_country
    if facts.direction != "EX" or destination == facts.export_country or destination not in PARTICIPANTS:
        return None
    try:
        return checked_acdd(facts, mrn=mrn, issued_at=issued_at, receiver=destination,
                            accepts=lambda key: network is not None and network.accepts(destination, key))
    except RequiredBySwx as lacking:
        raise InvalidDocument(f"the declaration cannot be lodged: the ACDD to {destination} needs what it lacks: "
                              f"{lacking}", lacking.findings) from None


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


def subject_of(mrn: str) -> str:
    """How the outbox names a declaration's messages."""
    return f"declaration:{mrn}"


def release_declaration(session: Session, *, officer: Caller, mrn: str) -> DeclarationRecord:
    """An officer (the operator credential) releases a declaration held for control (yellow or red lane)."""
    record = repository.visible_declaration(session, officer, mrn)
    if record.status != DeclarationStatus.UNDER_CONTROL:
        raise Conflict(f"declaration {mrn} is {record.status}, not under control; there is nothing to release")
    record.status = DeclarationStatus.RELEASED
    session.add(record)
    repository.add_event(session, DeclarationEvent(mrn=mrn, status=DeclarationStatus.RELEASED,
                                                   note="released by a customs officer"))
    log.info("declaration.released mrn=%s lane=%s", mrn, record.lane)
    return record


def record_response(session: Session, *, response: AnyResponse, for_country: str) -> None:
    """Keep a ``customs.response`` (1.0, or each answer of a 2.0 one, in order) that answers one
    of ``for_country``'s declarations (named by MRN).

    The latest answer is the declaration's ``outcome``; each one also adds a history entry.
    An answer recorded before (its response ID in the history) changes nothing.
    """
    for answer in answers_of(response):
        _record_answer(session, answer=answer, for_country=for_country)


def _record_answer(session: Session, *, answer: Answer, for_country: str) -> None:
    """One answer onto its declaration, by plain statements on the columns concerned: the
    record is never loaded (nothing of it is answered), only its country checked."""
    refs = response_refs(answer)
    mrn = refs.mrn
    note = f"customs response {refs.response_id or '(no reference)'}"
    found = repository.country_and_note(session, mrn, noted=note) if mrn is not None else None
    if mrn is None or found is None or found[0] != for_country:
        raise NotFound(f"customs response {refs.response_id or '(no reference)'} answers declaration "
                       f"{mrn or '(no MRN)'}, which is not one of {for_country}'s")
    if refs.response_id is not None and found[1]:  # recorded before
        return
    entry = outcome_entry(answer)
    repository.set_outcome(session, mrn, entry)
    repository.add_events(session, [NewEvent(mrn=mrn, status=f"response:{entry['function']}", at=utcnow(),
                                             note=note)])
    log.info("declaration.response_recorded mrn=%s response=%s function=%s", mrn, refs.response_id,
             entry["function"])


def outcome_of(record: DeclarationRecord) -> dict[str, Any] | None:
    return record.outcome


def declaration_type(record: DeclarationRecord) -> MessageType:
    return REGISTRY.get(record.document_type)


def declaration_document(record: DeclarationRecord) -> AnyDeclaration:
    """The stored declaration, in the version it was lodged in, with its MRN as ID."""
    document = declaration_type(record).model.model_validate(json.loads(record.document), strict=False)
    assert isinstance(document, AnyDeclaration)
    return document
