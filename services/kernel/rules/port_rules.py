"""Business rules of the vessel call (IMO FAL 1, 5 and 6) and the per-agency clearance."""

import datetime as dt
from collections.abc import Iterator

from services.kernel.checkdigits import imo_number_is_valid
from services.kernel.findings import Finding, rule_error
from services.kernel.messages.port import Clearance, CrewMemberType, PassengerType, VesselCall
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


def travel_date(call: VesselCall) -> dt.date:
    """The day the persons on board cross the border: ETD for a departure when given, else ETA."""
    if call.ArrivalDepartureCode == "departure" and call.EstimatedDepartureDateTime is not None:
        return call.EstimatedDepartureDateTime.date()
    return call.EstimatedArrivalDateTime.date()


def _persons(call: VesselCall) -> Iterator[tuple[str, PointerPath, CrewMemberType | PassengerType]]:
    for index, crew in enumerate(call.Crew or ()):
        yield f"crew member {crew.SequenceNumeric} ({crew.FamilyName})", ("Crew", index), crew
    for index, passenger in enumerate(call.Passenger or ()):
        yield (
            f"passenger {passenger.SequenceNumeric} ({passenger.FamilyName})",
            ("Passenger", index),
            passenger,
        )


def vessel_call_countries_known(call: VesselCall, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_countries([(call.Ship.FlagStateCode, "flag state", ("Ship", "FlagStateCode"))])
    fields: list[CodeField] = []
    for who, path, person in _persons(call):
        fields.append((person.NationalityCode, f"{who} nationality", (*path, "NationalityCode")))
        fields.append(
            (
                person.IdentityDocument.IssuerCountryCode,
                f"{who} identity document issuing state",
                (*path, "IdentityDocument", "IssuerCountryCode"),
            )
        )
    yield from unknown_travel_document_states(fields)


def vessel_call_locations_known(call: VesselCall, context: RuleContext) -> Iterator[Finding]:
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
    for index, passenger in enumerate(call.Passenger or ()):
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


def ship_imo_number_valid(call: VesselCall, context: RuleContext) -> Iterator[Finding]:
    if not imo_number_is_valid(call.Ship.IMOID):
        yield rule_error(
            "IMO_CHECK_DIGIT",
            f"IMO number {call.Ship.IMOID} of {call.Ship.Name} has a wrong check digit",
            "Ship",
            "IMOID",
        )


def crew_count_matches(call: VesselCall, context: RuleContext) -> Iterator[Finding]:
    listed = len(call.Crew or ())
    if call.CrewQuantity != listed:
        yield rule_error(
            "CREW_COUNT_MISMATCH",
            f"number of crew {call.CrewQuantity} differs from the {listed} crew members listed (FAL 5)",
            "CrewQuantity",
        )


def passenger_count_matches(call: VesselCall, context: RuleContext) -> Iterator[Finding]:
    listed = len(call.Passenger or ())
    if call.PassengerQuantity != listed:
        yield rule_error(
            "PASSENGER_COUNT_MISMATCH",
            f"number of passengers {call.PassengerQuantity} differs from the {listed} passengers "
            "listed (FAL 6)",
            "PassengerQuantity",
        )


def vessel_call_sequences_consecutive(call: VesselCall, context: RuleContext) -> Iterator[Finding]:
    if call.Crew:
        yield from sequence_not_consecutive(call.Crew, what="crew member", path=("Crew",))
    if call.Passenger:
        yield from sequence_not_consecutive(call.Passenger, what="passenger", path=("Passenger",))


def identity_documents_valid_on_travel_date(call: VesselCall, context: RuleContext) -> Iterator[Finding]:
    date = travel_date(call)
    for who, path, person in _persons(call):
        document = person.IdentityDocument
        yield from document_expired(
            document.ExpiryDate,
            date,
            what=f"{who} document {document.ID}",
            path=(*path, "IdentityDocument", "ExpiryDate"),
        )


def persons_born_before_call(call: VesselCall, context: RuleContext) -> Iterator[Finding]:
    date = travel_date(call)
    for who, path, person in _persons(call):
        yield from born_after_travel(person.BirthDate, date, what=who, path=(*path, "BirthDate"))


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
    identity_documents_valid_on_travel_date,
    persons_born_before_call,
)
CLEARANCE: tuple[Rule, ...] = (
    clearance_imo_number_valid,
    clearance_locations_known,
    clearance_agencies_distinct,
)
