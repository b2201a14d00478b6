"""Customs responses from the importing country, onto the record their message was about.

A response names a declaration by MRN, but both an ACDD and a certificate of origin carry
that MRN: the outbound message it answers (``in_reply_to``) says which record it is about.
An ACDD's answer is the declaration's ``outcome``; a certificate's answer is the
certificate's own, so that a refused preference is never hidden by an accepted ACDD (it is
also written in the declaration's history). An answer whose payload names another record
than its message was about is refused: it would change the wrong record.

A 2.0 response (WCO RES) may hold several answers; each must name the record its message was
about, and each is recorded in order (``response_outcome``).
"""

import logging

from sqlmodel import Session

from services.customs import certificates, repository, service
from services.customs.models import CertificateRecord, DeclarationEvent
from services.customs.response_outcome import Answer, AnyResponse, answers_of, outcome_entry, response_refs
from services.kernel.outbox import OutboxMessage
from services.kernel.web.answer_intake import answer_not_for_message
from services.kernel.web.problems import NotFound

log = logging.getLogger("swx.customs")


def record_customs_answer(session: Session, *, response: AnyResponse, for_country: str,
                          answered: OutboxMessage) -> None:
    certificate_prefix = certificates.subject_of("")
    if answered.subject.startswith(certificate_prefix):
        certificate = repository.get_certificate(session, answered.subject.removeprefix(certificate_prefix))
        if certificate is None or certificate.export_country != for_country:
            raise NotFound(f"the certificate that message {answered.message_id} carried is not one of {for_country}'s")
        for answer in answers_of(response):
            _record_on_certificate(session, answer=answer, certificate=certificate)
        return
    for answer in answers_of(response):
        mrn = response_refs(answer).mrn
        if mrn is None or service.subject_of(mrn) != answered.subject:
            raise answer_not_for_message(f"the response names declaration {mrn or '(no MRN)'}, but message "
                                         f"{answered.message_id} was about {answered.subject}")
    service.record_response(session, response=response, for_country=for_country)


def _record_on_certificate(session: Session, *, answer: Answer, certificate: CertificateRecord) -> None:
    refs = response_refs(answer)
    named = refs.mrn or refs.lrn
    if named not in (certificate.declaration_mrn, certificate.reference_id):
        covered = certificate.declaration_mrn or "no declaration"
        raise answer_not_for_message(f"the response names {named or 'nothing'}, but the certificate "
                                     f"{certificate.reference_id} covers {covered}")
    entry = outcome_entry(answer)
    certificate.outcome = entry
    session.add(certificate)
    if certificate.declaration_mrn is not None:
        repository.add_event(session, DeclarationEvent(
            mrn=certificate.declaration_mrn, status=f"certificate:{entry['function']}",
            note=f"customs response {refs.response_id or '(no reference)'} to certificate {certificate.reference_id}"))
    log.info("certificate.response_recorded certificate=%s response=%s function=%s", certificate.reference_id,
             refs.response_id, entry["function"])


def certificate_outcome(certificate: CertificateRecord) -> dict[str, object] | None:
    return certificate.outcome
