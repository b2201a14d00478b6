"""Board / no-board / refer answers: an ``immigration.api-response`` onto the persons it decides.

The answer names its manifest by the carrier's manifest ID and journey, but not by date,
and carriers reuse IDs across flights: when the hub says which message the answer replies
to (``in_reply_to``), that manifest is the one; otherwise the newest matching manifest is.
Each decision names its person by sequence number and surname; one that names nobody on
the manifest is logged and ignored rather than pinned on the wrong traveller.
"""

import logging
from dataclasses import dataclass

from sqlmodel import Session

from services.immigration import repository
from services.immigration.models import Decision, ManifestPersonRecord, ManifestRecord
from services.immigration.service import subject
from services.kernel.messages.immigration import APIResponse, PersonDecisionType
from services.kernel.names import name_key
from services.kernel.web.problems import NotFound

log = logging.getLogger("swx.immigration")


@dataclass(frozen=True)
class RecordedResponse:
    manifest: ManifestRecord
    decided: list[ManifestPersonRecord]
    ignored: list[PersonDecisionType]
    superseded: list[PersonDecisionType]


def record_api_response(session: Session, *, response: APIResponse, for_country: str,
                        in_reply_to: str | None = None) -> RecordedResponse:
    """Keep each person's decision from an API response to a manifest ``for_country`` submitted.

    An answer older than the decision a person already has does not overwrite it, so that
    answers delivered out of order leave the latest decision in place.
    """
    manifest = _answered_manifest(session, response=response, for_country=for_country, in_reply_to=in_reply_to)
    persons = {person.sequence: person for person in repository.persons_of(session, manifest.id)}
    decided: list[ManifestPersonRecord] = []
    ignored: list[PersonDecisionType] = []
    superseded: list[PersonDecisionType] = []
    for decision in response.PersonDecision:
        person = persons.get(decision.SequenceNumeric)
        if person is None or name_key(person.surname) != name_key(decision.Surname):
            log.warning("api_response.decision_unmatched response=%s manifest=%s sequence=%d surname=%s",
                        response.ID, manifest.id, decision.SequenceNumeric, decision.Surname)
            ignored.append(decision)
            continue
        if person.decided_at is not None and person.decided_at > response.IssueDateTime:
            log.info("api_response.decision_superseded response=%s manifest=%s sequence=%d", response.ID,
                     manifest.id, decision.SequenceNumeric)
            superseded.append(decision)
            continue
        person.decision, person.reason_code, person.remarks = (Decision(decision.DecisionCode), decision.ReasonCode,
                                                               decision.Remarks)
        person.decided_at, person.response_reference = response.IssueDateTime, response.ID
        decided.append(person)
    repository.save_persons(session, decided)
    log.info("api_response.recorded response=%s manifest=%s decided=%d ignored=%d", response.ID, manifest.id,
             len(decided), len(ignored))
    return RecordedResponse(manifest=manifest, decided=decided, ignored=ignored, superseded=superseded)


def _answered_manifest(session: Session, *, response: APIResponse, for_country: str,
                       in_reply_to: str | None) -> ManifestRecord:
    candidates = repository.find_answered(session, submitter=for_country, manifest_reference=response.ManifestID,
                                          journey_id=response.JourneyID)
    if in_reply_to is not None:
        replied = repository.subject_of_message(session, in_reply_to)
        candidates = [m for m in candidates if subject(m.id) == replied]
    if not candidates:
        raise NotFound(f"the API response {response.ID} answers manifest {response.ManifestID} of journey "
                       f"{response.JourneyID} from {for_country}, which is not known here")
    if len(candidates) > 1:
        log.warning("api_response.ambiguous response=%s manifest_reference=%s journey=%s chosen=%s candidates=%d",
                    response.ID, response.ManifestID, response.JourneyID, candidates[0].id, len(candidates))
    return candidates[0]
