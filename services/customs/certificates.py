"""Certificates of origin (ATIGA e-Form D, AJCEP Form AJ): checked against their declaration,
kept, and sent to the importing country's customs.

A certificate may name the export declaration it covers (``DeclarationID``, an MRN given
here). The engine can only check the certificate's items against that declaration once the
declaration is known, and which one it is stands inside the body; so a linked certificate
is validated twice: once on its own, then with its declaration beside it. The kernel's rules
read a 1.x declaration; a 2.0 (WCO DM 3.6) one is checked through its facts, with its
preference claims, in ``certificate_links``.

Versions 1.0 and 1.1 are both taken, and sent on in the version they came in. A 1.1
certificate has a status, and the record keeps where each certificate stands:

- ``original``: stored once per (export country, reference); the same content again is a
  replay (200, dead letters queued again), other content under that reference is 409.
- ``replacement`` of ``ReplacedReferenceID``: a new reference; the replaced certificate must
  be known here (404), for the same importing country, and not replaced already (409). It
  names the new certificate and, unless it was cancelled, becomes ``replaced``; the
  replacement goes to the importing country, whose answer to it supersedes its answer to
  the replaced one.
- ``cancelled``: sent under the reference it cancels. It is an update of that record, not
  a new certificate: the record must exist (404) and the cancellation must describe the
  same certificate (form, importing country, declaration, issue time, exporter, HS codes;
  409 otherwise; box 4 and the remarks may differ). The record becomes ``cancelled``, keeps
  the cancellation as its document and sends it to the importing country, which withdraws
  the preference (200). The same cancellation again is a replay.
"""

import json
import logging
import uuid

from sqlmodel import Session

from services.customs import repository
from services.customs.certificate_links import link_findings
from services.customs.declaration_facts import facts_of
from services.customs.models import CertificateRecord, CertificateStatus, DeclarationRecord
from services.customs.service import declaration_document
from services.kernel import canonical, outbox
from services.kernel.messages.customs import CertificateOfOrigin as CertificateV1_0
from services.kernel.messages.origin import CertificateOfOriginV1_1
from services.kernel.names import name_key
from services.kernel.participants import PARTICIPANTS
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.rules import RuleContext
from services.kernel.validation import validate
from services.kernel.web.bodies import ReceivedBody
from services.kernel.web.identity import Caller
from services.kernel.web.problems import Conflict, Forbidden, NotFound
from services.kernel.web.submissions import FORMAT_MEDIA_TYPES, Intake, Stored, refusal

log = logging.getLogger("swx.customs")
CERTIFICATE = REGISTRY.get("customs.certificate-of-origin", "1.0")
"""The type a submission must be; its version is the one the document names (1.0 or 1.1)."""
CertificateOfOrigin = CertificateV1_0 | CertificateOfOriginV1_1


def accept_certificate(session: Session, received: ReceivedBody, *, caller: Caller,
                       intake: Intake) -> tuple[CertificateOfOrigin, DeclarationRecord | None]:
    """The valid certificate and the declaration it names, or the right refusal.

    Order matters: a certificate must be valid on its own (400/413/415/422), come from the
    exporting country (403), name a declaration that exists (404) and is that country's (403),
    and only then are its items held against the declaration (422).
    """
    body, media_type, limits, metrics = received.data, FORMAT_MEDIA_TYPES[received.format], intake.limits, \
        intake.metrics
    alone = validate(body, media_type=media_type, expected_type=CERTIFICATE, limits=limits)
    found = alone.message_type or CERTIFICATE
    if not alone.valid:
        metrics.validated(found.key, "refused")
        raise refusal(alone, CERTIFICATE)
    certificate = alone.document
    assert isinstance(certificate, CertificateV1_0 | CertificateOfOriginV1_1)
    if caller.country != certificate.ExportCountryCode and not caller.is_operator:
        raise Forbidden(f"a certificate of origin is submitted by the exporting country, "
                        f"{certificate.ExportCountryCode}; your credential is for {caller.country}")
    declaration = None
    if certificate.DeclarationID is not None:
        declaration = referenced_declaration(session, certificate=certificate)
        document = declaration_document(declaration)
        related = RuleContext(related={"declaration": document})
        # The whole body again rather than the rules alone, so that findings keep their XML line numbers.
        against = validate(body, media_type=media_type, expected_type=CERTIFICATE, limits=limits, context=related)
        facts = facts_of(document)
        if facts.is_wco:
            against.findings.extend(link_findings(certificate, facts))
        if against.errors:
            metrics.validated(found.key, "refused")
            raise refusal(against, CERTIFICATE)
    metrics.validated(found.key, "accepted")
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


def status_of(certificate: CertificateOfOrigin) -> str:
    """What the document says it is: original, replacement or cancelled (a 1.0 certificate is an original)."""
    return certificate.StatusCode if isinstance(certificate, CertificateOfOriginV1_1) else "original"


def submit_certificate(session: Session, *, certificate: CertificateOfOrigin,
                       declaration: DeclarationRecord | None) -> Stored[CertificateRecord]:
    """Store the certificate once per (export country, reference) and queue it for the importing country."""
    document = canonical.json_text(certificate)
    digest = canonical.digest(document)
    key = {"export_country": certificate.ExportCountryCode, "reference_id": certificate.ReferenceID}
    existing = repository.find_certificate(session, **key)
    if existing is not None and existing.content_digest == digest:
        return _replayed(session, existing)
    if status_of(certificate) == "cancelled":
        return _cancel(session, existing, certificate=certificate, document=document, digest=digest,
                       declaration=declaration)
    if existing is None:
        replaced = _replaceable(session, certificate)
        candidate = CertificateRecord(
            id=str(uuid.uuid4()), reference_id=certificate.ReferenceID, form_type=certificate.FormTypeCode,
            export_country=certificate.ExportCountryCode, import_country=certificate.ImportCountryCode,
            declaration_mrn=declaration.mrn if declaration is not None else None, content_digest=digest,
            document=document, status=CertificateStatus.IN_FORCE,
        )
        if repository.add_once(session, candidate):
            record = repository.get_certificate(session, candidate.id)
            assert record is not None
            if replaced is not None:
                # A cancelled certificate stays cancelled; it just names its replacement too.
                replaced.status = (CertificateStatus.REPLACED if replaced.status == CertificateStatus.IN_FORCE
                                   else replaced.status)
                replaced.replaced_by_id = record.id
                session.add(replaced)
                log.info("certificate.replaced id=%s reference=%s replaced_by=%s", replaced.id,
                         replaced.reference_id, record.reference_id)
            _send(session, record=record, certificate=certificate, declaration=declaration)
            log.info("certificate.accepted id=%s reference=%s form=%s declaration=%s receiver=%s", record.id,
                     record.reference_id, record.form_type, record.declaration_mrn, record.import_country)
            return Stored(record, created=True)
        existing = repository.find_certificate(session, **key)  # submitted by a concurrent request
        assert existing is not None
        if existing.content_digest == digest:
            return _replayed(session, existing)
    raise Conflict(f"certificate {certificate.ReferenceID} of {certificate.ExportCountryCode} was submitted "
                   "before with other content; a corrected certificate is a replacement with a new reference "
                   "number naming this one (StatusCode replacement, ReplacedReferenceID)")


def _replayed(session: Session, existing: CertificateRecord) -> Stored[CertificateRecord]:
    for message in outbox.requeue_dead_letters(session, subject_of(existing.id), by="resubmission"):
        log.info("certificate.message_requeued id=%s message_id=%s receiver=%s", existing.id, message.message_id,
                 message.receiver)
    return Stored(existing, created=False)


def _replaceable(session: Session, certificate: CertificateOfOrigin) -> CertificateRecord | None:
    """The record a replacement replaces (None for an original), or the refusal saying why it cannot."""
    if not isinstance(certificate, CertificateOfOriginV1_1) or certificate.ReplacedReferenceID is None:
        return None
    replaced_reference, country = certificate.ReplacedReferenceID, certificate.ExportCountryCode
    replaced = repository.find_certificate(session, export_country=country, reference_id=replaced_reference)
    if replaced is None:
        raise NotFound(f"certificate {certificate.ReferenceID} replaces {replaced_reference}, which customs does not "
                       f"know as a certificate of {country}")
    if replaced.replaced_by_id is not None:
        replacing = repository.get_certificate(session, replaced.replaced_by_id or "")
        by = replacing.reference_id if replacing is not None else replaced.replaced_by_id
        raise Conflict(f"certificate {replaced_reference} was already replaced by {by}; replace that one instead")
    if replaced.import_country != certificate.ImportCountryCode:
        raise Conflict(f"certificate {replaced_reference} is for import into {replaced.import_country}; its "
                       f"replacement cannot be for {certificate.ImportCountryCode}")
    return replaced


def _identity(certificate: CertificateOfOrigin) -> tuple[object, ...]:
    """What makes two documents one certificate, whatever their version and status."""
    return (certificate.FormTypeCode, certificate.ImportCountryCode, certificate.DeclarationID,
            certificate.IssueDateTime, name_key(certificate.Exporter.Name),
            [item.HSCode for item in certificate.GoodsItem])


def _cancel(session: Session, existing: CertificateRecord | None, *, certificate: CertificateOfOrigin,
            document: str, digest: str, declaration: DeclarationRecord | None) -> Stored[CertificateRecord]:
    reference, country = certificate.ReferenceID, certificate.ExportCountryCode
    if existing is None:
        raise NotFound(f"certificate {reference} of {country} is not known here, so there is nothing to cancel; "
                       "a cancellation is sent under the reference of the certificate it cancels")
    if existing.status == CertificateStatus.CANCELLED:
        raise Conflict(f"certificate {reference} of {country} was cancelled before with other content")
    if _identity(certificate_document(existing)) != _identity(certificate):
        raise Conflict(f"the cancellation of {reference} does not describe the certificate it cancels: form, importing "
                       "country, declaration, issue time, exporter and HS codes must be the same")
    existing.status, existing.document, existing.content_digest = CertificateStatus.CANCELLED, document, digest
    session.add(existing)
    _send(session, record=existing, certificate=certificate, declaration=declaration)
    log.info("certificate.cancelled id=%s reference=%s receiver=%s", existing.id, reference, existing.import_country)
    return Stored(existing, created=False)


def _send(session: Session, *, record: CertificateRecord, certificate: CertificateOfOrigin,
          declaration: DeclarationRecord | None) -> None:
    """The importing customs grants the preference on this certificate, so it goes there (network members only)."""
    if record.import_country == record.export_country or record.import_country not in PARTICIPANTS:
        return
    outbox.enqueue(session, document=certificate, message_type=message_type_of(certificate),
                   sender=record.export_country,
                   receiver=record.import_country, subject=subject_of(record.id),
                   conversation_id=declaration.conversation_id if declaration is not None else None)


def subject_of(certificate_id: str) -> str:
    return f"certificate:{certificate_id}"


def message_type_of(certificate: CertificateOfOrigin) -> MessageType:
    return REGISTRY.get(certificate.document_type)


def certificate_document(record: CertificateRecord) -> CertificateOfOrigin:
    """The stored certificate, in the version it was submitted in."""
    data = json.loads(record.document)
    model = REGISTRY.get(data.get("document_type", CERTIFICATE.key)).model
    certificate = model.model_validate(data, strict=False)
    assert isinstance(certificate, CertificateV1_0 | CertificateOfOriginV1_1)
    return certificate
