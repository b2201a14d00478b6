"""Immigration at the arrival country screens an API manifest: board / no-board / refer per person."""

import datetime as dt

from services.kernel.messages.immigration import APIResponse, PassengerManifest, PersonDecisionType
from services.nsw.watchlist import Watchlist


def answer_manifest(manifest: PassengerManifest, *, country: str, watchlist: Watchlist, now: dt.datetime,
                    token: str) -> APIResponse:
    decisions = []
    for person in manifest.Person:
        documents = [d.ID for d in person.TravelDocument or ()]
        hit = watchlist.screen(surname=person.Surname, given_names=person.GivenNames, birth_date=person.BirthDate,
                               documents=documents)
        decisions.append(PersonDecisionType(
            SequenceNumeric=person.SequenceNumeric, Surname=person.Surname, GivenNames=person.GivenNames,
            TravelDocumentID=documents[0] if documents else None,
            DecisionCode=hit.entry.decision if hit else "board",
            ReasonCode=hit.reason_code if hit else None, Remarks=hit.remarks()[:1024] if hit else None,
        ))
    return APIResponse(ID=f"{country}-APIR-{now:%Y%m%d}-{token}", IssueDateTime=now, ManifestID=manifest.ID,
                       JourneyID=manifest.Transport.JourneyID, PersonDecision=decisions)
