"""Customs HTTP endpoints for certificates of origin (ATIGA e-Form D, AJCEP Form AJ).

A certificate is submitted in version 1.0 or 1.1; a 1.1 replacement (new reference naming
the replaced one) is a new certificate (201) and marks the replaced one ``replaced``; a 1.1
cancellation, sent under the reference it cancels, updates that certificate (200). See
``services.customs.certificates`` for the rules.
"""


from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from services.customs import certificates, repository
from services.customs.endpoints import XML_OR_JSON
from services.customs.models import CertificateRecord, CertificateStatus
from services.customs.received_responses import certificate_outcome
from services.customs.schemas import CertificatePublic, DeclarationRef
from services.kernel import canonical
from services.kernel.web.bodies import DocumentBody, document_response, wants_xml
from services.kernel.web.contract import BODY_ERRORS, outbound_messages, problem_responses, request_body
from services.kernel.web.deps import IntakeDep, OutboxWakeDep, SessionDep
from services.kernel.web.identity import CallerDep
from services.kernel.web.submissions import stored_response

router = APIRouter(tags=["certificates of origin"])


class CertificateLinkPublic(BaseModel):
    id: str
    reference_id: str
    href: str


class CertificateStatusPublic(CertificatePublic):
    """A certificate of origin with where it stands."""

    status: CertificateStatus = Field(
        description="in-force; replaced by the certificate replaced_by names (whose answer supersedes this one's); "
                    "cancelled by the issuing authority (the importing customs withdraws the preference)")
    replaced_by: CertificateLinkPublic | None
    replaces: CertificateLinkPublic | None = Field(description="the certificate this replacement replaces")


def _link(record: CertificateRecord | None) -> CertificateLinkPublic | None:
    if record is None:
        return None
    return CertificateLinkPublic(id=record.id, reference_id=record.reference_id,
                                 href=f"/certificates-of-origin/{record.id}")


def certificate_resource(session: Session, record: CertificateRecord) -> CertificateStatusPublic:
    certificate = certificates.certificate_document(record)
    replaced_reference = getattr(certificate, "ReplacedReferenceID", None)
    replaces = None if replaced_reference is None else repository.find_certificate(
        session, export_country=record.export_country, reference_id=replaced_reference)
    replaced_by = None if record.replaced_by_id is None else repository.get_certificate(session, record.replaced_by_id)
    return CertificateStatusPublic(
        status=record.status,
        replaced_by=_link(replaced_by),
        replaces=_link(replaces),
        id=record.id,
        reference_id=record.reference_id,
        form_type=record.form_type,
        export_country=record.export_country,
        import_country=record.import_country,
        declaration=None if record.declaration_mrn is None else
        DeclarationRef(mrn=record.declaration_mrn, href=f"/declarations/{record.declaration_mrn}"),
        received_at=record.received_at.isoformat(),
        messages=outbound_messages(session, certificates.subject_of(record.id)),
        outcome=certificate_outcome(record),
        certificate=canonical.json_data(certificate),
    )


@router.post("/certificates-of-origin", status_code=201, summary="Submit a certificate of origin (Form D or AJ)",
             response_model=CertificateStatusPublic,
             openapi_extra=request_body("customs.certificate-of-origin"),
             responses={200: {"description": "The same certificate was submitted before, or this cancels it; "
                                             "its record", "model": CertificateStatusPublic},
                        **problem_responses(*BODY_ERRORS, 403, 404, 409, 422, 429, descriptions={
                            403: "Only the exporting country submits its certificates",
                            404: "The declaration the certificate names, the certificate it replaces or the "
                                 "one it cancels is not known",
                            409: "The reference number was used before for other content, the replaced "
                                 "certificate was replaced already, or a cancellation differs from its certificate",
                            422: "Invalid, or its items do not match its declaration; see errors"})})
def submit_certificate(
    caller: CallerDep, received: DocumentBody, session: SessionDep, intake: IntakeDep, wake_outbox: OutboxWakeDep
) -> JSONResponse:
    """Check a certificate against its declaration, store it and send it to the importing country."""
    certificate, declaration = certificates.accept_certificate(session, received, caller=caller, intake=intake)
    submitted = certificates.submit_certificate(session, certificate=certificate, declaration=declaration)
    resource = certificate_resource(session, submitted.record)
    wake_outbox()
    return stored_response(resource, created=submitted.created,
                           location=f"/certificates-of-origin/{submitted.record.id}")


@router.get("/certificates-of-origin/{certificate_id}", summary="A certificate of origin with its messages",
            response_model=CertificateStatusPublic, responses=XML_OR_JSON)
def get_certificate(certificate_id: str, request: Request, caller: CallerDep,
                    session: SessionDep) -> Response | CertificateStatusPublic:
    """The certificate's record; ``Accept: application/xml`` gives the certificate itself."""
    record = repository.visible_certificate(session, caller, certificate_id)
    if wants_xml(request):
        certificate = certificates.certificate_document(record)
        return document_response(request, certificate, certificates.message_type_of(certificate))
    return certificate_resource(session, record)
