"""The port of call's agencies clear a vessel call: customs, immigration and port health.

Immigration decides on each person of the FAL 5 crew and FAL 6 passenger lists, as API
screening decides per person (ARCHITECTURE §3): a watchlist hit, an expired identity
document or an impossible birth date is that person's outcome (landing refused, or referred
to secondary inspection), named with its reason code in the immigration remarks; everybody
else is cleared. The agency's decision on the call is the gravest outcome: refused when
someone's landing is refused (the persons named stay on board), pending while someone is
referred, granted otherwise. Port health withholds free pratique (pending) when the call's
remarks report illness on board (the Maritime Declaration of Health summary travels there).
Customs wants to know what an arriving ship carries: without a cargo description the
decision is pending.
"""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from services.kernel.findings import shorten
from services.kernel.messages.port import AgencyDecisionType, AnyCrewMember, AnyPassenger, AnyVesselCall, Clearance
from services.kernel.participants import PARTICIPANTS
from services.kernel.rules.port_rules import (
    PersonRole,
    crew_list,
    listed_persons,
    passenger_list,
    person_findings,
)
from services.nsw.watchlist import Watchlist

ILLNESS = re.compile(r"\b(fever|febrile|ill|illness|sick|sickness|died|death|deceased|infectious|diarrho?ea|"
                     r"vomiting|rash|jaundice|cholera|plague|tuberculosis|quarantine)\b", re.IGNORECASE)
Decision = Literal["granted", "refused", "pending"]
Agency = Literal["customs", "immigration", "port-health"]
Landing = Literal["refused", "referred"]
REMARKS_LENGTH = 1024

LANDING_BY_FINDING: dict[str, Landing] = {
    "DOCUMENT_EXPIRED": "refused",  # not admissible on that document: stays on board
    "BIRTH_DATE_AFTER_TRAVEL": "referred",  # most likely a typing error: the officer checks the document
}
"""What a finding about one person means for that person's landing; a code not listed refers."""


@dataclass(frozen=True)
class PersonOutcome:
    """Immigration's outcome for one person on the lists, with why."""

    who: str
    landing: Landing
    reasons: tuple[str, ...]


def _named(role: PersonRole, person: AnyCrewMember | AnyPassenger) -> str:
    names = " ".join(part for part in (person.FamilyName, person.GivenNames) if part)
    return f"{role} {person.SequenceNumeric} {names}"


def _person_reasons(call: AnyVesselCall, watchlist: Watchlist) -> Iterator[tuple[str, Landing, str]]:
    """(person, landing, reason) for each thing found about one person."""
    for role, _, person in listed_persons(call):
        hit = watchlist.screen(surname=person.FamilyName, given_names=person.GivenNames,
                               birth_date=person.BirthDate, documents=[person.IdentityDocument.ID])
        if hit is not None:
            landing: Landing = "refused" if hit.entry.decision == "no-board" else "referred"
            yield _named(role, person), landing, f"{hit.reason_code}: {hit.remarks()}"
    for found in person_findings(call):
        landing = LANDING_BY_FINDING.get(found.finding.code, "referred")
        yield _named(found.role, found.person), landing, f"{found.finding.code}: {found.detail}"


def person_outcomes(call: AnyVesselCall, watchlist: Watchlist) -> list[PersonOutcome]:
    """Each person immigration does not simply clear, in list order, with the gravest landing of their reasons."""
    gathered: dict[str, tuple[Landing, list[str]]] = {}
    for who, landing, reason in _person_reasons(call, watchlist):
        previous, reasons = gathered.get(who, (landing, []))
        gathered[who] = ("refused" if "refused" in (previous, landing) else "referred", [*reasons, reason])
    return [PersonOutcome(who, landing, tuple(reasons)) for who, (landing, reasons) in gathered.items()]


def _immigration(call: AnyVesselCall, watchlist: Watchlist) -> tuple[Decision, str]:
    crew, passengers = len(crew_list(call)), len(passenger_list(call))
    screened = f"{crew} crew and {passengers} passengers screened"
    outcomes = person_outcomes(call, watchlist)
    if not outcomes:
        return "granted", f"{screened}; no watchlist match, every identity document valid. Shore passes may be issued."
    refused = [o for o in outcomes if o.landing == "refused"]
    referred = [o for o in outcomes if o.landing == "referred"]
    parts = [screened + "."]
    if refused:
        parts.append(f"Landing refused for {_listed(refused)}; the persons named must stay on board.")
    if referred:
        parts.append(f"Pending secondary inspection of {_listed(referred)}.")
    cleared = crew + passengers - len(outcomes)
    parts.append(f"The other {cleared} persons are cleared; shore passes may be issued to them.")
    return ("refused" if refused else "pending"), " ".join(parts)


def _listed(outcomes: list[PersonOutcome]) -> str:
    return "; ".join(f"{o.who} ({'; '.join(o.reasons)})" for o in outcomes)


def _port_health(call: AnyVesselCall) -> tuple[Decision, str]:
    reported = ILLNESS.search(call.Remarks or "")
    if reported:
        return "pending", (f"Illness reported on board ('{reported.group(0)}'): free pratique withheld until the "
                           "port health officer has boarded and inspected.")
    return "granted", "Free pratique granted: no illness reported in the FAL declarations."


def _customs(call: AnyVesselCall) -> tuple[Decision, str]:
    if call.ArrivalDepartureCode == "arrival" and not call.CargoDescription:
        return "pending", "No cargo description given: the cargo declaration (FAL 2) is awaited before release."
    cargo = f" Cargo: {call.CargoDescription}" if call.CargoDescription else ""
    return "granted", f"General declaration accepted; no inspection ordered.{cargo}"


def answer_vessel_call(call: AnyVesselCall, *, country: str, watchlist: Watchlist, now: dt.datetime,
                       token: str) -> Clearance:
    name = PARTICIPANTS[country]
    verdicts: tuple[tuple[Agency, str, tuple[Decision, str]], ...] = (
        ("customs", "customs", _customs(call)),
        ("immigration", "immigration", _immigration(call, watchlist)),
        ("port-health", "port health", _port_health(call)),
    )
    decisions = [AgencyDecisionType(AgencyCode=agency, DecisionCode=decision, DecisionDateTime=now,
                                    OfficerName=f"{name} {title}, {call.PortOfCallID}",
                                    Remarks=shorten(remarks, REMARKS_LENGTH))
                 for agency, title, (decision, remarks) in verdicts]
    return Clearance(ID=f"CLR-{call.PortOfCallID}-{now:%Y%m%d}-{token}", IssueDateTime=now, VesselCallID=call.ID,
                     PortOfCallID=call.PortOfCallID, IMOID=call.Ship.IMOID, AgencyDecision=decisions)
