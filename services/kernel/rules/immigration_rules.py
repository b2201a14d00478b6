"""Business rules of the advance passenger manifest (API/PAXLST) and the board/no-board answer.

What breaks the whole message refuses the manifest: a journey nobody can place (unknown
departure or arrival), persons numbered out of order (the answer names each person by its
sequence number, so a broken numbering could pin a no-board on the wrong traveller). What is
wrong with one person's data (an expired passport, a wrong MRZ check digit, a birth date
after the flight, an unknown nationality code) is that person's finding (``Finding.subject``
``/Person/<index>``): the manifest is accepted, and the receiving country's answer decides
that person (refer / no-board, ``services/nsw/person_checks.py``) while the others board.
"""

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator

from services.kernel.checkdigits import MrzFormatError, MrzZone, read_mrz
from services.kernel.findings import Finding, rule_error, rule_warning
from services.kernel.messages.immigration import (
    APIResponse,
    PassengerManifest,
    PersonType,
    TravelDocumentType,
)
from services.kernel.rules import Rule, RuleContext
from services.kernel.rules.common import (
    CodeField,
    born_after_travel,
    document_expired,
    sequence_not_consecutive,
    unknown_locodes,
    unknown_travel_document_states,
)

IATA_AIRPORT_LENGTH = 3
_IN_ONE_PERSON = re.compile(r"^/Person/(\d+)/")


def person_index(finding: Finding) -> int | None:
    """The index in ``Person`` of the person a finding is about; None when it is about the manifest."""
    found = _IN_ONE_PERSON.match(finding.subject + "/") if finding.subject else None
    return int(found.group(1)) if found else None


def on_its_person(rule: Rule) -> Rule:
    """``rule``, with each finding that points into one person reported on that person (see the module's docstring)."""

    @functools.wraps(rule)
    def reported_on_persons(manifest: PassengerManifest, context: RuleContext) -> Iterable[Finding]:
        for finding in rule(manifest, context):
            inside = _IN_ONE_PERSON.match(finding.location.pointer or "")
            yield finding.about("Person", int(inside.group(1))) if inside else finding

    return reported_on_persons


def travel_date(manifest: PassengerManifest) -> dt.date | None:
    """The date the persons travel: arrival, else departure; None when the manifest gives neither.
    A local time whose place has no known zone (version 1.1) still names the day, give or take
    its unknown offset: enough for an expiry or a birth date."""
    transport = manifest.Transport
    moment = (transport.ArrivalDateTime or transport.DepartureDateTime
              or getattr(transport, "ArrivalLocalDateTime", None) or getattr(transport, "DepartureLocalDateTime", None))
    return moment.date() if moment is not None else None


def _documents(manifest: PassengerManifest) -> Iterator[tuple[int, PersonType, int, TravelDocumentType]]:
    for person_index, person in enumerate(manifest.Person):
        for document_index, document in enumerate(person.TravelDocument or ()):
            yield person_index, person, document_index, document


def _who(person: PersonType) -> str:
    return f"person {person.SequenceNumeric} ({person.Surname})"


def manifest_countries_known(manifest: PassengerManifest, context: RuleContext) -> Iterator[Finding]:
    fields: list[CodeField] = []
    for index, person in enumerate(manifest.Person):
        fields.append(
            (person.NationalityCode, f"{_who(person)} nationality", ("Person", index, "NationalityCode"))
        )
        fields.append(
            (
                person.ResidenceCountryCode,
                f"{_who(person)} country of residence",
                ("Person", index, "ResidenceCountryCode"),
            )
        )
    fields.extend(
        (
            document.IssuerCountryCode,
            f"{_who(person)} document {document.ID} issuing state",
            ("Person", person_index, "TravelDocument", document_index, "IssuerCountryCode"),
        )
        for person_index, person, document_index, document in _documents(manifest)
    )
    yield from unknown_travel_document_states(fields)


def manifest_locations_known(manifest: PassengerManifest, context: RuleContext) -> Iterator[Finding]:
    """UN/LOCODEs only: air manifests name airports by 3-letter IATA code, which pass."""
    transport = manifest.Transport
    fields: list[CodeField] = [
        (transport.DepartureLocationID, "departure location", ("Transport", "DepartureLocationID")),
        (transport.ArrivalLocationID, "arrival location", ("Transport", "ArrivalLocationID")),
    ]
    for index, person in enumerate(manifest.Person):
        fields.append(
            (
                person.EmbarkationLocationID,
                f"{_who(person)} embarkation location",
                ("Person", index, "EmbarkationLocationID"),
            )
        )
        fields.append(
            (
                person.DisembarkationLocationID,
                f"{_who(person)} disembarkation location",
                ("Person", index, "DisembarkationLocationID"),
            )
        )
    yield from unknown_locodes(
        field for field in fields if field[0] is None or len(field[0]) != IATA_AIRPORT_LENGTH
    )


def manifest_sequence_consecutive(manifest: PassengerManifest, context: RuleContext) -> Iterator[Finding]:
    yield from sequence_not_consecutive(manifest.Person, what="person", path=("Person",))


def person_count_matches(manifest: PassengerManifest, context: RuleContext) -> Iterator[Finding]:
    if manifest.TotalPersonQuantity is not None and manifest.TotalPersonQuantity != len(manifest.Person):
        yield rule_warning(
            "PERSON_COUNT_MISMATCH",
            f"total person quantity {manifest.TotalPersonQuantity} differs from the {len(manifest.Person)} "
            "persons listed",
            "TotalPersonQuantity",
        )


def documents_valid_on_travel_date(manifest: PassengerManifest, context: RuleContext) -> Iterator[Finding]:
    date = travel_date(manifest)
    if date is None:
        return
    for person_index, person, document_index, document in _documents(manifest):
        yield from document_expired(
            document.ExpiryDate,
            date,
            what=f"{_who(person)} document {document.ID}",
            path=("Person", person_index, "TravelDocument", document_index, "ExpiryDate"),
        )


def persons_born_before_travel(manifest: PassengerManifest, context: RuleContext) -> Iterator[Finding]:
    date = travel_date(manifest)
    if date is None:
        return
    for index, person in enumerate(manifest.Person):
        yield from born_after_travel(
            person.BirthDate, date, what=_who(person), path=("Person", index, "BirthDate")
        )


def _read_zone(document: TravelDocumentType) -> MrzZone | MrzFormatError | None:
    if not document.MRZLine:
        return None
    try:
        return read_mrz(document.MRZLine)
    except MrzFormatError as error:
        return error


def mrz_check_digits_valid(manifest: PassengerManifest, context: RuleContext) -> Iterator[Finding]:
    for person_index, person, document_index, document in _documents(manifest):
        zone = _read_zone(document)
        if zone is None:
            continue
        path = ("Person", person_index, "TravelDocument", document_index, "MRZLine")
        if isinstance(zone, MrzFormatError):
            yield rule_error("MRZ_FORMAT", f"{_who(person)} document {document.ID}: {zone}", *path)
            continue
        for failure in zone.failures:
            yield rule_error(
                "MRZ_CHECK_DIGIT",
                f"{_who(person)} document {document.ID} machine readable zone: {failure.message}",
                *path,
                failure.line,
            )


def _mrz_date(date: dt.date) -> str:
    return date.strftime("%y%m%d")


def _same_mrz_date(mrz: str, date: dt.date) -> bool:
    """Compare YYMMDD, skipping the positions the MRZ leaves unknown (``<``)."""
    return all(m == "<" or m == d for m, d in zip(mrz, _mrz_date(date), strict=True))


def mrz_matches_document(manifest: PassengerManifest, context: RuleContext) -> Iterator[Finding]:
    for person_index, person, document_index, document in _documents(manifest):
        zone = _read_zone(document)
        if not isinstance(zone, MrzZone):
            continue
        path = ("Person", person_index, "TravelDocument", document_index)
        who = f"{_who(person)} document {document.ID}"
        if zone.document_number != document.ID:
            yield rule_error(
                "MRZ_MISMATCH",
                f"{who}: the machine readable zone gives document number {zone.document_number}",
                *path,
                "ID",
            )
        if person.BirthDate is not None and not _same_mrz_date(zone.birth_date, person.BirthDate):
            yield rule_error(
                "MRZ_MISMATCH",
                f"{who}: the machine readable zone gives birth date {zone.birth_date} (YYMMDD), "
                f"the person's birth date is {person.BirthDate.isoformat()}",
                "Person",
                person_index,
                "BirthDate",
            )
        if document.ExpiryDate is not None and not _same_mrz_date(zone.expiry_date, document.ExpiryDate):
            yield rule_error(
                "MRZ_MISMATCH",
                f"{who}: the machine readable zone gives expiry date {zone.expiry_date} (YYMMDD), "
                f"the document's expiry date is {document.ExpiryDate.isoformat()}",
                *path,
                "ExpiryDate",
            )


def persons_core_data_present(manifest: PassengerManifest, context: RuleContext) -> Iterator[Finding]:
    """A person without a travel document, its expiry, a nationality or a birth date cannot be
    screened: whatever the parser or the sender left out, that person must not board unseen."""
    for index, person in enumerate(manifest.Person):
        documents = person.TravelDocument or ()
        missing = [(what, where) for what, where, absent in (
            ("travel document", ("TravelDocument",), not documents),
            ("document expiry date", ("TravelDocument", 0, "ExpiryDate"),
             bool(documents) and all(d.ExpiryDate is None for d in documents)),
            ("nationality", ("NationalityCode",), person.NationalityCode is None),
            ("birth date", ("BirthDate",), person.BirthDate is None),
        ) if absent]
        if missing:
            yield rule_error(
                "PERSON_CORE_DATA_MISSING",
                f"{_who(person)} has no {', no '.join(what for what, _ in missing)}; the person cannot be "
                "screened as sent",
                "Person",
                index,
                *missing[0][1],
            )


def _twice(transport: object, end: str) -> bool:
    return getattr(transport, f"{end}DateTime", None) is not None and \
        getattr(transport, f"{end}LocalDateTime", None) is not None


def leg_times_given_once(manifest: PassengerManifest, context: RuleContext) -> Iterator[Finding]:
    """Version 1.1 gives each end of a leg one time: with its offset, or local when the zone is
    not known; both at once leave the receiver two times to choose from."""
    legs: list[tuple[object, tuple[str | int, ...]]] = [(manifest.Transport, ("Transport",))]
    legs.extend((leg, ("ItineraryLeg", i)) for i, leg in enumerate(getattr(manifest, "ItineraryLeg", None) or ()))
    for leg, path in legs:
        for end in ("Departure", "Arrival"):
            if _twice(leg, end):
                yield rule_error(
                    "LEG_TIME_TWICE",
                    f"the {end.lower()} of journey {getattr(leg, 'JourneyID', '?')} gives both {end}DateTime and "
                    f"{end}LocalDateTime; give one: the local time only when the place's time zone is not known",
                    *path,
                    f"{end}LocalDateTime",
                )


def no_board_gives_reason(response: APIResponse, context: RuleContext) -> Iterator[Finding]:
    for index, decision in enumerate(response.PersonDecision):
        if decision.DecisionCode == "no-board" and decision.ReasonCode is None:
            yield rule_error(
                "API_NO_BOARD_REASON",
                f"no-board decision for person {decision.SequenceNumeric} ({decision.Surname}) gives no "
                "reason code",
                "PersonDecision",
                index,
                "ReasonCode",
            )


MANIFEST: tuple[Rule, ...] = (
    on_its_person(manifest_countries_known),
    on_its_person(manifest_locations_known),
    manifest_sequence_consecutive,
    person_count_matches,
    on_its_person(documents_valid_on_travel_date),
    on_its_person(persons_born_before_travel),
    on_its_person(mrz_check_digits_valid),
    on_its_person(mrz_matches_document),
    on_its_person(persons_core_data_present),
    leg_times_given_once,
)
API_RESPONSE: tuple[Rule, ...] = (no_board_gives_reason,)
