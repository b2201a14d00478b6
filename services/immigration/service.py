"""Immigration business logic: accept a passenger manifest, keep it and its persons, send it
to the arrival country.

Who may submit: a carrier reports to both ends of a journey, so its credential must be that
of the departure or of the arrival country. The operator may submit any manifest; it acts
for the departure country when that is in the network (carriers report from there), else
for the arrival country, else for nobody (``OPERATOR``: kept here, sent nowhere).

Where it goes: to the arrival country, when that is in the network and is not the
submitter. A manifest submitted by the arrival country itself is already with the authority
that screens it, and a country outside the network cannot be reached through the hub, so
neither produces a message.
"""

import datetime as dt
import json
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session

from services.immigration import locations, repository
from services.immigration.models import ManifestPersonRecord, ManifestRecord
from services.kernel import canonical, outbox
from services.kernel.findings import Finding, rule_error
from services.kernel.messages.immigration import (
    PassengerManifest,
    PassengerManifestV1_1,
    PersonType,
    TravelDocumentType,
)
from services.kernel.network import OPERATOR
from services.kernel.registry import REGISTRY
from services.kernel.rules.immigration_rules import person_index
from services.kernel.validation import rule_findings
from services.kernel.web.identity import Caller
from services.kernel.web.problems import Conflict, Forbidden, InvalidDocument
from services.kernel.web.submissions import Stored

log = logging.getLogger("swx.immigration")
MANIFEST = REGISTRY.get("immigration.passenger-manifest", "1.0")
VISA = "V"


@dataclass(frozen=True)
class Journey:
    """Where and when a manifest's journey is, as this service files it."""

    departure: str
    arrival: str
    date: dt.date
    """The local date of departure, else of arrival; with the IDs it tells flights apart."""


def subject(manifest_id: str) -> str:
    """How the outbox names a manifest's messages."""
    return f"manifest:{manifest_id}"


def place_journey(manifest: PassengerManifest) -> Journey:
    """The countries of departure and arrival and the journey's date; 422 naming every gap."""
    transport = manifest.Transport
    departure = locations.country_of(transport.DepartureLocationID)
    arrival = locations.country_of(transport.ArrivalLocationID)
    findings = [rule_error("LOCATION_COUNTRY_UNKNOWN", f"the country of {code} cannot be determined: it is neither "
                           "a UN/LOCODE nor an IATA airport code known here", "Transport", field)
                for field, code, country in (("DepartureLocationID", transport.DepartureLocationID, departure),
                                             ("ArrivalLocationID", transport.ArrivalLocationID, arrival))
                if country is None]
    moment = transport.DepartureDateTime or transport.ArrivalDateTime or _local_time(manifest)
    if moment is None:
        findings.append(rule_error("JOURNEY_DATE_MISSING", "the manifest gives neither a departure (DTM+189) nor an "
                                   "arrival (DTM+232) date and time; one is needed to tell this flight from others "
                                   "with the same number", "Transport", "DepartureDateTime"))
    if departure is None or arrival is None or moment is None or findings:
        raise InvalidDocument(f"the {MANIFEST.type_id} was refused: {findings[0].message}", findings)
    return Journey(departure=departure, arrival=arrival, date=moment.date())


def _local_time(manifest: PassengerManifest) -> dt.datetime | None:
    """A 1.1 journey's local time at a place whose zone is not known: its date still tells the
    flight from others with the same number."""
    if isinstance(manifest, PassengerManifestV1_1):
        return manifest.Transport.DepartureLocalDateTime or manifest.Transport.ArrivalLocalDateTime
    return None


def acting_country(caller: Caller, *, journey: Journey, participants: Collection[str]) -> str:
    """The country the submission is made for (see the module's docstring); 403 for a carrier
    acting for neither end of the journey."""
    if not caller.is_operator:
        if caller.country not in (journey.departure, journey.arrival):
            raise Forbidden(f"a journey from {journey.departure} to {journey.arrival} is not {caller.country}'s to "
                            "report: the carrier must act for the departure or the arrival country")
        return caller.country
    return next((c for c in (journey.departure, journey.arrival) if c in participants), OPERATOR)


def submit_manifest(session: Session, *, caller: Caller, manifest: PassengerManifest,
                    participants: Collection[str]) -> Stored[ManifestRecord]:
    """Store the manifest once per (submitter, manifest ID, journey, date) and queue it for the
    arrival country; the same content again gives the stored record, other content 409."""
    journey = place_journey(manifest)
    submitter = acting_country(caller, journey=journey, participants=participants)
    date = journey.date
    transport = manifest.Transport
    document = canonical.json_text(manifest)
    digest = canonical.digest(document)

    def stored() -> ManifestRecord | None:
        return repository.find_by_key(session, submitter=submitter, manifest_reference=manifest.ID,
                                      journey_id=transport.JourneyID, journey_date=date)

    existing = stored()
    if existing is None:
        record = ManifestRecord(
            id=str(uuid.uuid4()), submitter=submitter, submitted_by=caller.country, manifest_reference=manifest.ID,
            journey_id=transport.JourneyID, journey_date=date, carrier_code=transport.CarrierCode,
            mode_code=transport.ModeCode, departure_location=transport.DepartureLocationID,
            departure_country=journey.departure, departure_at=transport.DepartureDateTime,
            arrival_location=transport.ArrivalLocationID, arrival_country=journey.arrival,
            arrival_at=transport.ArrivalDateTime, list_type=manifest.ListTypeCode, person_count=len(manifest.Person),
            content_digest=digest, document=document,
        )
        if repository.add_manifest(session, record, [_person_record(record.id, p) for p in manifest.Person]):
            receiver = _forward(session, record=record, manifest=manifest, participants=participants)
            log.info("manifest.accepted id=%s persons=%d journey=%s date=%s submitter=%s receiver=%s", record.id,
                     record.person_count, record.journey_id, date.isoformat(), submitter, receiver or "-")
            return Stored(record, created=True)
        existing = stored()  # a concurrent request stored the same key first
        if existing is None:
            raise Conflict(f"manifest {manifest.ID} was being submitted concurrently; send it again")
    if existing.content_digest != digest:
        raise Conflict(f"manifest {manifest.ID} of journey {transport.JourneyID} on {date.isoformat()} was already "
                       f"submitted for {submitter} with other content; send a new manifest ID for a new manifest")
    # the same manifest again: a message of it that became a dead letter is queued again (shown
    # PENDING with its requeued_at in the answer)
    requeued = outbox.requeue_dead_letters(session, subject(existing.id), by="resubmission")
    log.info("manifest.resubmitted id=%s journey=%s submitter=%s requeued=%d", existing.id, existing.journey_id,
             submitter, len(requeued))
    return Stored(existing, created=False)


def _forward(session: Session, *, record: ManifestRecord, manifest: PassengerManifest,
             participants: Collection[str]) -> str | None:
    """Queue the manifest for the arrival country, in this transaction; the receiver or None."""
    receiver = record.arrival_country
    if receiver == record.submitter or receiver not in participants:
        return None
    # forwarded in the version it came in (a PAXLST is read into 1.1): the receiver is sent what was submitted
    outbox.enqueue(session, document=manifest, message_type=REGISTRY.get(manifest.document_type),
                   sender=record.submitter, receiver=receiver, subject=subject(record.id))
    return receiver


def _travel_document(person: PersonType) -> TravelDocumentType | None:
    """The document the person travels on: a visa is carried in a passport, so it is not it."""
    documents = person.TravelDocument or []
    return next((d for d in documents if d.TypeCode != VISA), documents[0] if documents else None)


def _person_record(manifest_id: str, person: PersonType) -> ManifestPersonRecord:
    document = _travel_document(person)
    return ManifestPersonRecord(
        manifest_id=manifest_id, sequence=person.SequenceNumeric, role=person.RoleCode, surname=person.Surname,
        given_names=person.GivenNames, birth_date=person.BirthDate, sex=person.GenderCode,
        nationality=person.NationalityCode, document_type=document.TypeCode if document else None,
        document_number=document.ID if document else None,
        document_issuer=document.IssuerCountryCode if document else None,
        document_expiry=document.ExpiryDate if document else None,
    )


def manifest_document(record: ManifestRecord) -> PassengerManifest:
    """The stored manifest in the version it was submitted in (1.0, or 1.1 for a PAXLST)."""
    data = json.loads(record.document)
    model = REGISTRY.get(data["document_type"]).model
    manifest = model.model_validate(data, strict=False)
    assert isinstance(manifest, PassengerManifest)
    return manifest


def person_findings(record: ManifestRecord) -> dict[int, list[Finding]]:
    """The findings about each person's data (``Finding.subject``), by sequence number: the
    rules run again on the stored manifest, so every person has theirs, however many there are."""
    manifest = manifest_document(record)
    found: dict[int, list[Finding]] = {}
    for finding in rule_findings(manifest, REGISTRY.get(manifest.document_type)):
        index = person_index(finding)
        if index is not None and index < len(manifest.Person):
            found.setdefault(manifest.Person[index].SequenceNumeric, []).append(finding)
    return found
