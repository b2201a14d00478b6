"""Business rules of the vessel call (IMO FAL 1, 5 and 6) and the per-agency clearance.

A fault in one person's data (an expired identity document, a birth date after the call)
is a warning on that person, never an error: the call is accepted, and the port of call's
immigration decides on that person (``person_findings`` gives the NSW the same findings).
What breaks the whole declaration (counts, codes, the ship, the times) stays an error.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from services.kernel.checkdigits import imo_number_is_valid
from services.kernel.findings import Finding, rule_error
from services.kernel.messages.port import (
    ATTACHED_DOCUMENT_NAMES,
    AnyCrewMember,
    AnyPassenger,
    AnyVesselCall,
    Clearance,
    VesselCallV1_1,
)
from services.kernel.rules import Rule, RuleContext
from services.kernel.rules.common import (
    CodeField,
    PointerPath,
    born_after_travel,
    document_expired,
    sequence_not_consecutive,
    unknown_countries,
    unknown_locodes,
    unknown_travel_document_states,
)

PersonRole = Literal["crew member", "passenger"]


@dataclass(frozen=True)
class PersonFinding:
    """A finding about one person on the crew or passenger list."""

    role: PersonRole
    person: AnyCrewMember | AnyPassenger
    finding: Finding
    """The warning the submitter reads."""
    detail: str
    """What is wrong with this person, without the note on what happens to the call."""


def travel_date(call: AnyVesselCall) -> dt.date | None:
    """The day the persons on board cross the border: the ETD for a departure, the ETA for an
    arrival, the other one when that is missing (1.1 makes it optional); None when neither is given."""
    arrival, departure = call.EstimatedArrivalDateTime, call.EstimatedDepartureDateTime
    first, second = (departure, arrival) if call.ArrivalDepartureCode == "departure" else (arrival, departure)
    chosen = first or second
    return chosen.date() if chosen is not None else None


def listed_persons(call: AnyVesselCall) -> Iterator[tuple[PersonRole, PointerPath, AnyCrewMember | AnyPassenger]]:
    """Every person on the crew list, then on the passenger list, with their role and pointer parts."""
    for index, crew in enumerate(crew_list(call)):
        yield "crew member", ("Crew", index), crew
    for index, passenger in enumerate(passenger_list(call)):
        yield "passenger", ("Passenger", index), passenger


def crew_list(call: AnyVesselCall) -> Sequence[AnyCrewMember]:
    """FAL 5 of either version (empty when the call has no crew list)."""
    return call.Crew or ()


def passenger_list(call: AnyVesselCall) -> Sequence[AnyPassenger]:
    """FAL 6 of either version (empty when the call has no passenger list)."""
    return call.Passenger or ()


def _who(role: PersonRole, person: AnyCrewMember | AnyPassenger) -> str:
    return f"{role} {person.SequenceNumeric} ({person.FamilyName})"


def _on_person(finding: Finding, person_path: PointerPath) -> Finding:
    """The finding reported on the person (``Finding.about``: a warning with the person as its
    subject): the call goes on, the person is decided on."""
    return replace(finding.about(*person_path),
                   message=f"{finding.message}; the call is accepted and the port of call's immigration "
                           "decides on this person")


def _person_checks(call: AnyVesselCall) -> Iterator[PersonFinding]:
    date = travel_date(call)
    if date is None:
        return
    for role, path, person in listed_persons(call):
        who, document = _who(role, person), person.IdentityDocument
        for finding in (
            *document_expired(document.ExpiryDate, date, what=f"{who} document {document.ID}",
                              path=(*path, "IdentityDocument", "ExpiryDate")),
            *born_after_travel(person.BirthDate, date, what=who, path=(*path, "BirthDate")),
        ):
            yield PersonFinding(role, person, _on_person(finding, path), finding.message)


def person_findings(call: AnyVesselCall) -> list[PersonFinding]:
    """Every finding about one person on the lists, with that person (what the port of call decides on)."""
    return list(_person_checks(call))


def vessel_call_countries_known(call: AnyVesselCall, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_countries([(call.Ship.FlagStateCode, "flag state", ("Ship", "FlagStateCode"))])
    fields: list[CodeField] = []
    for role, path, person in listed_persons(call):
        who = _who(role, person)
        fields.append((person.NationalityCode, f"{who} nationality", (*path, "NationalityCode")))
        fields.append(
            (
                person.IdentityDocument.IssuerCountryCode,
                f"{who} identity document issuing state",
                (*path, "IdentityDocument", "IssuerCountryCode"),
            )
        )
    yield from unknown_travel_document_states(fields)


def vessel_call_locations_known(call: AnyVesselCall, context: RuleContext) -> Iterator[Finding]:
    registry = call.Ship.CertificateOfRegistry
    fields: list[CodeField] = [
        (call.PortOfCallID, "port of call", ("PortOfCallID",)),
        (call.LastPortOfCallID, "last port of call", ("LastPortOfCallID",)),
        (call.NextPortOfCallID, "next port of call", ("NextPortOfCallID",)),
        (
            registry.PortID if registry is not None else None,
            "port of registry",
            ("Ship", "CertificateOfRegistry", "PortID"),
        ),
    ]
    for index, passenger in enumerate(passenger_list(call)):
        who = f"passenger {passenger.SequenceNumeric} ({passenger.FamilyName})"
        fields.append(
            (
                passenger.EmbarkationPortID,
                f"{who} port of embarkation",
                ("Passenger", index, "EmbarkationPortID"),
            )
        )
        fields.append(
            (
                passenger.DisembarkationPortID,
                f"{who} port of disembarkation",
                ("Passenger", index, "DisembarkationPortID"),
            )
        )
    yield from unknown_locodes(fields)


def ship_imo_number_valid(call: AnyVesselCall, context: RuleContext) -> Iterator[Finding]:
    if not imo_number_is_valid(call.Ship.IMOID):
        yield rule_error(
            "IMO_CHECK_DIGIT",
            f"IMO number {call.Ship.IMOID} of {call.Ship.Name} has a wrong check digit",
            "Ship",
            "IMOID",
        )


def crew_count_matches(call: AnyVesselCall, context: RuleContext) -> Iterator[Finding]:
    listed = len(call.Crew or ())
    if call.CrewQuantity != listed:
        yield rule_error(
            "CREW_COUNT_MISMATCH",
            f"number of crew {call.CrewQuantity} differs from the {listed} crew members listed (FAL 5)",
            "CrewQuantity",
        )


def passenger_count_matches(call: AnyVesselCall, context: RuleContext) -> Iterator[Finding]:
    listed = len(call.Passenger or ())
    if call.PassengerQuantity != listed:
        yield rule_error(
            "PASSENGER_COUNT_MISMATCH",
            f"number of passengers {call.PassengerQuantity} differs from the {listed} passengers "
            "listed (FAL 6)",
            "PassengerQuantity",
        )


def vessel_call_sequences_consecutive(call: AnyVesselCall, context: RuleContext) -> Iterator[Finding]:
    if call.Crew:
        yield from sequence_not_consecutive(call.Crew, what="crew member", path=("Crew",))
    if call.Passenger:
        yield from sequence_not_consecutive(call.Passenger, what="passenger", path=("Passenger",))


def persons_fit_to_travel(call: AnyVesselCall, context: RuleContext) -> Iterator[Finding]:
    """DOCUMENT_EXPIRED and BIRTH_DATE_AFTER_TRAVEL, as warnings on the person (see the module docstring)."""
    for found in _person_checks(call):
        yield found.finding


def estimated_time_given_for_direction(call: VesselCallV1_1, context: RuleContext) -> Iterator[Finding]:
    """FAL 1 "date and time of arrival/departure": an arrival needs its ETA, a departure its ETD."""
    if call.ArrivalDepartureCode == "arrival" and call.EstimatedArrivalDateTime is None:
        yield rule_error("ESTIMATED_TIME_MISSING", f"vessel call {call.ID} is an arrival at {call.PortOfCallID} "
                         "but gives no estimated time of arrival (EstimatedArrivalDateTime)",
                         "EstimatedArrivalDateTime")
    if call.ArrivalDepartureCode == "departure" and call.EstimatedDepartureDateTime is None:
        yield rule_error("ESTIMATED_TIME_MISSING", f"vessel call {call.ID} is a departure from {call.PortOfCallID} "
                         "but gives no estimated time of departure (EstimatedDepartureDateTime)",
                         "EstimatedDepartureDateTime")


def departure_after_arrival(call: VesselCallV1_1, context: RuleContext) -> Iterator[Finding]:
    arrival, departure = call.EstimatedArrivalDateTime, call.EstimatedDepartureDateTime
    if arrival is not None and departure is not None and departure < arrival:
        yield rule_error("DEPARTURE_BEFORE_ARRIVAL", f"estimated departure {departure.isoformat()} from "
                         f"{call.PortOfCallID} is before the estimated arrival {arrival.isoformat()}",
                         "EstimatedDepartureDateTime")


def attached_documents_listed_once(call: VesselCallV1_1, context: RuleContext) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, attached in enumerate(call.AttachedDocument):
        if attached.TypeCode in seen:
            yield rule_error("ATTACHED_DOCUMENT_DUPLICATE", f"{ATTACHED_DOCUMENT_NAMES[attached.TypeCode]} is "
                             "listed more than once among the attached documents; give its number of copies once",
                             "AttachedDocument", index, "TypeCode")
        seen.add(attached.TypeCode)


def attached_lists_match_the_call(call: VesselCallV1_1, context: RuleContext) -> Iterator[Finding]:
    """The crew and passenger lists this call carries are the FAL 5 and FAL 6 that FAL 1 says are attached."""
    attached = {a.TypeCode: index for index, a in enumerate(call.AttachedDocument)}
    for code, listed, path in (("crew-list", call.Crew, "Crew"), ("passenger-list", call.Passenger, "Passenger")):
        name = ATTACHED_DOCUMENT_NAMES[code]
        if listed and code not in attached:
            yield rule_error("ATTACHED_LIST_UNDECLARED", f"the call carries a {name} of {len(listed)} persons but "
                             "FAL 1 does not list it among the attached documents", path)
        if not listed and code in attached:
            yield rule_error("ATTACHED_LIST_NOT_CARRIED", f"FAL 1 lists a {name} among the attached documents "
                             f"but the call has no {path} list", "AttachedDocument", attached[code], "TypeCode")


def clearance_imo_number_valid(clearance: Clearance, context: RuleContext) -> Iterator[Finding]:
    if not imo_number_is_valid(clearance.IMOID):
        yield rule_error("IMO_CHECK_DIGIT", f"IMO number {clearance.IMOID} has a wrong check digit", "IMOID")


def clearance_locations_known(clearance: Clearance, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_locodes([(clearance.PortOfCallID, "port of call", ("PortOfCallID",))])


def clearance_agencies_distinct(clearance: Clearance, context: RuleContext) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, decision in enumerate(clearance.AgencyDecision):
        if decision.AgencyCode in seen:
            yield rule_error(
                "CLEARANCE_AGENCY_DUPLICATE",
                f"agency {decision.AgencyCode} decides more than once on this vessel call",
                "AgencyDecision",
                index,
                "AgencyCode",
            )
        seen.add(decision.AgencyCode)


VESSEL_CALL: tuple[Rule, ...] = (
    vessel_call_countries_known,
    vessel_call_locations_known,
    ship_imo_number_valid,
    crew_count_matches,
    passenger_count_matches,
    vessel_call_sequences_consecutive,
    persons_fit_to_travel,
)
VESSEL_CALL_V1_1: tuple[Rule, ...] = (
    *VESSEL_CALL,
    estimated_time_given_for_direction,
    departure_after_arrival,
    attached_documents_listed_once,
    attached_lists_match_the_call,
)
CLEARANCE: tuple[Rule, ...] = (
    clearance_imo_number_valid,
    clearance_locations_known,
    clearance_agencies_distinct,
)
