"""Immigration at the arrival country screens an API manifest: board / no-board / refer per person.

Each person is screened twice: against the watchlist, and on the findings about their own
data (an expired passport, a wrong MRZ check digit: ``person_checks``). The strictest of
the two is the answer, its remarks give both.
"""

import datetime as dt

from services.kernel.messages.immigration import APIResponse, PassengerManifest, PersonDecisionType
from services.nsw.person_checks import SEVERITY, Decision, PersonOutcome, person_outcomes
from services.nsw.watchlist import Watchlist

MAX_REMARKS = 1024


def answer_manifest(manifest: PassengerManifest, *, country: str, watchlist: Watchlist, now: dt.datetime,
                    token: str) -> APIResponse:
    checked = person_outcomes(manifest)
    decisions = []
    for index, person in enumerate(manifest.Person):
        documents = [d.ID for d in person.TravelDocument or ()]
        hit = watchlist.screen(surname=person.Surname, given_names=person.GivenNames, birth_date=person.BirthDate,
                               documents=documents)
        found = [PersonOutcome(hit.entry.decision, hit.reason_code, hit.remarks())] if hit else []
        if index in checked:
            found.append(checked[index])
        decision: Decision = "board"
        reason: str | None = None
        if found:
            strictest = max(found, key=lambda outcome: SEVERITY[outcome.decision])  # the watchlist on a tie
            decision, reason = strictest.decision, strictest.reason_code
        remarks = " | ".join(outcome.remarks for outcome in found)
        decisions.append(PersonDecisionType(
            SequenceNumeric=person.SequenceNumeric, Surname=person.Surname, GivenNames=person.GivenNames,
            TravelDocumentID=documents[0] if documents else None, DecisionCode=decision, ReasonCode=reason,
            Remarks=_shortened(remarks) if remarks else None,
        ))
    return APIResponse(ID=f"{country}-APIR-{now:%Y%m%d}-{token}", IssueDateTime=now, ManifestID=manifest.ID,
                       JourneyID=manifest.Transport.JourneyID, PersonDecision=decisions)


def _shortened(remarks: str) -> str:
    return remarks if len(remarks) <= MAX_REMARKS else remarks[: MAX_REMARKS - 1] + "\u2026"
