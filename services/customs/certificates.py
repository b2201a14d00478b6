"""Certificates of origin (ATIGA e-Form D, AJCEP Form AJ): checked against their declaration,
kept, and sent to the importing country's customs.

A certificate may name the export declaration it covers (``DeclarationID``, an MRN given
here). The engine can only check the certificate's items against that declaration once the
declaration is known, and which one it is stands inside the body; so a linked certificate
is validated twice: once on its own, then with its declaration beside it.
"""

import json
import logging
import uuid
from dataclasses import dataclass

from sqlmodel import Session

from services.customs import repository
from services.customs.models import CertificateRecord, DeclarationRecord
from services.customs.service import declaration_document
from services.kernel import canonical, outbox, refdata
from services.kernel.messages.customs import CertificateOfOrigin
from services.kernel.registry import REGISTRY
from services.kernel.rules import RuleContext
from services.kernel.safeparse import Limits
from services.kernel.validation import validate
from services.kernel.web.identity import Caller
from services.kernel.web.observability import Metrics
from services.kernel.web.problems import Conflict, Forbidden, NotFound
from services.kernel.web.submissions import FORMAT_MEDIA_TYPES, refusal

log = logging.getLogger("swx.customs")
CERTIFICATE = REGISTRY.get("customs.certificate-of-origin", "1.0")


@dataclass(frozen=True)
class Submitted:
    record: CertificateRecord
    created: bool


def accept_certificate(session: Session, body: bytes, *, fmt: str, caller: Caller, max_bytes: int,
                       metrics: Metrics) -> tuple[CertificateOfOrigin, DeclarationRecord | None]:
    """The valid certificate and the declaration it names, or the right refusal.

    Order matters: a certificate must be valid on its own (400/413/415/422), come from the
    exporting country (403), name a declaration that exists (404) and is that country's (403),
    and only then are its items held against the declaration (422).
    """
    media_type, limits = FORMAT_MEDIA_TYPES[fmt], Limits(max_bytes=max_bytes)
    alone = validate(body, media_type=media_type, expected_type=CERTIFICATE, limits=limits)
    if not alone.valid:
        metrics.validated(CERTIFICATE.key, "refused")
        raise refusal(alone, CERTIFICATE)
    certificate = alone.document
    assert isinstance(certificate, CertificateOfOrigin)
    if caller.country != certificate.ExportCountryCode and not caller.is_operator:
        raise Forbidden(f"a certificate of origin is submitted by the exporting country, "
                        f"{certificate.ExportCountryCode}; your credential is for {caller.country}")
    declaration = None
    if certificate.DeclarationID is not None:
        declaration = referenced_declaration(session, certificate=certificate)
        related = RuleContext(related={"declaration": declaration_document(declaration)})
        # The whole body again rather than the rules alone, so that findings keep their XML line numbers.
        against = validate(body, media_type=media_type, expected_type=CERTIFICATE, limits=limits, context=related)
        if against.errors:
            metrics.validated(CERTIFICATE.key, "refused")
            raise refusal(against, CERTIFICATE)
    metrics.validated(CERTIFICATE.key, "accepted")
    return certificate, declaration


def referenced_declaration(session: Session, *, certificate: CertificateOfOrigin) -> DeclarationRecord:
    mrn = certificate.DeclarationID
    record = repository.get_declaration(session, mrn) if mrn is not None else None
    if record is None:
        raise NotFound(f"certificate {certificate.ReferenceID} names declaration {mrn}, which customs does not know; "
                       "lodge the export declaration first and give its MRN")
    if record.country != certificate.ExportCountryCode:  # the caller was checked to act for ExportCountryCode
        raise Forbidden(f"declaration {mrn} was lodged in {record.country}, not by the certificate's exporting "
                        f"country {certificate.ExportCountryCode}")
    return record


def submit_certificate(session: Session, *, certificate: CertificateOfOrigin,
                       declaration: DeclarationRecord | None) -> Submitted:
    """Store the certificate once per (export country, reference) and queue it for the importing country."""
    document = canonical.json_text(certificate)
    digest = canonical.digest(document)
    key = {"export_country": certificate.ExportCountryCode, "reference_id": certificate.ReferenceID}
    existing = repository.find_certificate(session, **key)
    if existing is None:
        candidate = CertificateRecord(
            id=str(uuid.uuid4()), reference_id=certificate.ReferenceID, form_type=certificate.FormTypeCode,
            export_country=certificate.ExportCountryCode, import_country=certificate.ImportCountryCode,
            declaration_mrn=declaration.mrn if declaration is not None else None, content_digest=digest,
            document=document,
        )
        if repository.insert_once(session, candidate):
            record = repository.get_certificate(session, candidate.id)
            assert record is not None
            _send(session, record=record, certificate=certificate, declaration=declaration)
            log.info("certificate.accepted id=%s reference=%s form=%s declaration=%s receiver=%s", record.id,
                     record.reference_id, record.form_type, record.declaration_mrn, record.import_country)
            return Submitted(record, created=True)
        existing = repository.find_certificate(session, **key)  # submitted by a concurrent request
        assert existing is not None
    if existing.content_digest != digest:
        raise Conflict(f"certificate {certificate.ReferenceID} of {certificate.ExportCountryCode} was submitted "
                       "before with other content; a corrected certificate needs a new reference number")
    for message in outbox.requeue_dead_letters(session, subject_of(existing.id), by="resubmission"):
        log.info("certificate.message_requeued id=%s message_id=%s receiver=%s", existing.id, message.message_id,
                 message.receiver)
    return Submitted(existing, created=False)


def _send(session: Session, *, record: CertificateRecord, certificate: CertificateOfOrigin,
          declaration: DeclarationRecord | None) -> None:
    """The importing customs grants the preference on this certificate, so it goes there (network members only)."""
    if record.import_country == record.export_country or record.import_country not in refdata.PARTICIPANTS:
        return
    outbox.enqueue(session, document=certificate, message_type=CERTIFICATE, sender=record.export_country,
                   receiver=record.import_country, subject=subject_of(record.id),
                   conversation_id=declaration.conversation_id if declaration is not None else None)


def subject_of(certificate_id: str) -> str:
    return f"certificate:{certificate_id}"


def visible_certificate(session: Session, *, caller: Caller, certificate_id: str) -> CertificateRecord:
    record = repository.get_certificate(session, certificate_id)
    if record is None:
        raise NotFound(f"no certificate of origin {certificate_id}")
    if caller.country not in (record.export_country, record.import_country) and not caller.is_operator:
        raise Forbidden(f"certificate {certificate_id} belongs to {record.export_country} and {record.import_country}")
    return record


def certificate_document(record: CertificateRecord) -> CertificateOfOrigin:
    return CertificateOfOrigin.model_validate(json.loads(record.document), strict=False)
