"""The port of call's agencies clear a vessel call: customs, immigration and port health.

Immigration screens the FAL 5 crew and FAL 6 passenger lists against the watchlist: a
no-board hit refuses, a refer hit leaves the decision pending, with each person named.
Port health withholds free pratique (pending) when the call's remarks report illness on
board (the Maritime Declaration of Health summary travels there). Customs wants to know
what an arriving ship carries: without a cargo description the decision is pending.
"""

import datetime as dt
import re
from typing import Literal

from services.kernel.messages.port import AgencyDecisionType, Clearance, VesselCall
from services.kernel.participants import PARTICIPANTS
from services.nsw.watchlist import Hit, Watchlist

ILLNESS = re.compile(r"\b(fever|febrile|ill|illness|sick|sickness|died|death|deceased|infectious|diarrho?ea|"
                     r"vomiting|rash|jaundice|cholera|plague|tuberculosis|quarantine)\b", re.IGNORECASE)
Decision = Literal["granted", "refused", "pending"]
Agency = Literal["customs", "immigration", "port-health"]


def _immigration(call: VesselCall, watchlist: Watchlist) -> tuple[Decision, str]:
    hits: list[tuple[str, Hit]] = []
    for role, people in (("crew member", call.Crew or ()), ("passenger", call.Passenger or ())):
        for person in people:
            hit = watchlist.screen(surname=person.FamilyName, given_names=person.GivenNames,
                                   birth_date=person.BirthDate, documents=[person.IdentityDocument.ID])
            if hit is not None:
                hits.append((f"{role} {person.SequenceNumeric} {person.FamilyName} {person.GivenNames}", hit))
    screened = f"{len(call.Crew or ())} crew and {len(call.Passenger or ())} passengers screened"
    if not hits:
        return "granted", f"{screened}; no watchlist match. Shore passes may be issued."
    named = "; ".join(f"{who}: {hit.remarks()}" for who, hit in hits)
    if any(hit.entry.decision == "no-board" for _, hit in hits):
        return "refused", f"{screened}. Landing refused for {named}. The persons named must stay on board."
    return "pending", f"{screened}. Pending secondary inspection of {named}."


def _port_health(call: VesselCall) -> tuple[Decision, str]:
    reported = ILLNESS.search(call.Remarks or "")
    if reported:
        return "pending", (f"Illness reported on board ('{reported.group(0)}'): free pratique withheld until the "
                           "port health officer has boarded and inspected.")
    return "granted", "Free pratique granted: no illness reported in the FAL declarations."


def _customs(call: VesselCall) -> tuple[Decision, str]:
    if call.ArrivalDepartureCode == "arrival" and not call.CargoDescription:
        return "pending", "No cargo description given: the cargo declaration (FAL 2) is awaited before release."
    cargo = f" Cargo: {call.CargoDescription}" if call.CargoDescription else ""
    return "granted", f"General declaration accepted; no inspection ordered.{cargo}"


def answer_vessel_call(call: VesselCall, *, country: str, watchlist: Watchlist, now: dt.datetime,
                       token: str) -> Clearance:
    name = PARTICIPANTS[country]
    verdicts: tuple[tuple[Agency, str, tuple[Decision, str]], ...] = (
        ("customs", "customs", _customs(call)),
        ("immigration", "immigration", _immigration(call, watchlist)),
        ("port-health", "port health", _port_health(call)),
    )
    decisions = [AgencyDecisionType(AgencyCode=agency, DecisionCode=decision, DecisionDateTime=now,
                                    OfficerName=f"{name} {title}, {call.PortOfCallID}", Remarks=remarks[:1024])
                 for agency, title, (decision, remarks) in verdicts]
    return Clearance(ID=f"CLR-{call.PortOfCallID}-{now:%Y%m%d}-{token}", IssueDateTime=now, VesselCallID=call.ID,
                     PortOfCallID=call.PortOfCallID, IMOID=call.Ship.IMOID, AgencyDecision=decisions)
