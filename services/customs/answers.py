"""Customs responses from the importing country, onto the record their message was about.

A response names a declaration by MRN, but both an ACDD and a certificate of origin carry
that MRN: the outbound message it answers (``in_reply_to``) says which record it is about.
An ACDD's answer is the declaration's ``outcome``; a certificate's answer is the
certificate's own, so that a refused preference is never hidden by an accepted ACDD (it is
also written in the declaration's history). An answer whose payload names another record
than its message was about is refused: it would change the wrong record.
"""

import json
import logging

from sqlmodel import Session

from services.customs import certificates, repository, service
from services.customs.models import CertificateRecord, DeclarationEvent
from services.kernel.messages.customs import Response
from services.kernel.outbox import OutboxMessage
from services.kernel.web.answers import answer_not_for_message
from services.kernel.web.problems import NotFound

log = logging.getLogger("swx.customs")


def record_customs_answer(session: Session, *, response: Response, for_country: str,
                          answered: OutboxMessage) -> None:
    certificate_prefix = certificates.subject_of("")
    if answered.subject.startswith(certificate_prefix):
        certificate = repository.get_certificate(session, answered.subject.removeprefix(certificate_prefix))
        if certificate is None or certificate.export_country != for_country:
            raise NotFound(f"the certificate that message {answered.message_id} carried is not one of {for_country}'s")
        _record_on_certificate(session, response=response, certificate=certificate)
        return
    mrn = response.Declaration.ID
    if mrn is None or service.subject_of(mrn) != answered.subject:
        raise answer_not_for_message(f"the response names declaration {mrn or '(no MRN)'}, but message "
                                     f"{answered.message_id} was about {answered.subject}")
    service.record_response(session, response=response, for_country=for_country)


def _record_on_certificate(session: Session, *, response: Response, certificate: CertificateRecord) -> None:
    named = response.Declaration.ID or response.Declaration.FunctionalReferenceID
    if named not in (certificate.declaration_mrn, certificate.reference_id):
        covered = certificate.declaration_mrn or "no declaration"
        raise answer_not_for_message(f"the response names {named or 'nothing'}, but the certificate "
                                     f"{certificate.reference_id} covers {covered}")
    entry = service.outcome_entry(response)
    certificate.outcome = json.dumps(entry)
    session.add(certificate)
    if certificate.declaration_mrn is not None:
        repository.add_event(session, DeclarationEvent(
            mrn=certificate.declaration_mrn, status=f"certificate:{entry['function']}",
            note=f"customs response {response.ID} to certificate {certificate.reference_id}"))
    log.info("certificate.response_recorded certificate=%s response=%s function=%s", certificate.reference_id,
             response.ID, entry["function"])


def certificate_outcome(certificate: CertificateRecord) -> dict[str, object] | None:
    return json.loads(certificate.outcome) if certificate.outcome else None
