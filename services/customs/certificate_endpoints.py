"""Customs HTTP endpoints for certificates of origin (ATIGA e-Form D, AJCEP Form AJ)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from services.customs import certificates
from services.customs.answers import certificate_outcome
from services.customs.endpoints import XML_OR_JSON, outbound
from services.customs.models import CertificateRecord
from services.customs.schemas import CertificatePublic, DeclarationRef
from services.kernel import canonical
from services.kernel.web.bodies import DocumentBody, document_response, wants_xml
from services.kernel.web.contract import BODY_ERRORS, problem_responses, request_body
from services.kernel.web.identity import CallerDep
from services.kernel.web.service import SessionDep, wake_dispatcher

router = APIRouter(tags=["certificates of origin"])


def certificate_resource(session: Session, record: CertificateRecord) -> CertificatePublic:
    return CertificatePublic(
        id=record.id,
        reference_id=record.reference_id,
        form_type=record.form_type,
        export_country=record.export_country,
        import_country=record.import_country,
        declaration=None if record.declaration_mrn is None else
        DeclarationRef(mrn=record.declaration_mrn, href=f"/declarations/{record.declaration_mrn}"),
        received_at=record.received_at.isoformat(),
        messages=outbound(session, certificates.subject_of(record.id)),
        outcome=certificate_outcome(record),
        certificate=canonical.json_data(certificates.certificate_document(record)),
    )


@router.post("/certificates-of-origin", status_code=201, summary="Submit a certificate of origin (Form D or AJ)",
             response_model=CertificatePublic, openapi_extra=request_body("customs.certificate-of-origin"),
             responses={200: {"description": "The same certificate was submitted before; its record",
                              "model": CertificatePublic},
                        **problem_responses(*BODY_ERRORS, 403, 404, 409, 422, 429, descriptions={
                            403: "Only the exporting country submits its certificates",
                            404: "The declaration the certificate names is not known",
                            409: "The reference number was used before for other content",
                            422: "Invalid, or its items do not match its declaration; see errors"})})
def submit_certificate(
    request: Request, caller: CallerDep, received: DocumentBody, session: SessionDep
) -> JSONResponse:
    """Check a certificate against its declaration, store it and send it to the importing country."""
    settings = request.app.state.settings
    body, fmt = received.data, received.format
    certificate, declaration = certificates.accept_certificate(session, body, fmt=fmt, caller=caller,
                                                               max_bytes=settings.max_body_bytes,
                                                               metrics=request.app.state.metrics)
    submitted = certificates.submit_certificate(session, certificate=certificate, declaration=declaration)
    resource = certificate_resource(session, submitted.record).model_dump(mode="json")
    wake_dispatcher(request)
    return JSONResponse(resource, status_code=201 if submitted.created else 200,
                        headers={"Location": f"/certificates-of-origin/{submitted.record.id}"})


@router.get("/certificates-of-origin/{certificate_id}", summary="A certificate of origin with its messages",
            response_model=CertificatePublic, responses=XML_OR_JSON)
def get_certificate(certificate_id: str, request: Request, caller: CallerDep,
                    session: SessionDep) -> Response | CertificatePublic:
    """The certificate's record; ``Accept: application/xml`` gives the certificate itself."""
    record = certificates.visible_certificate(session, caller=caller, certificate_id=certificate_id)
    if wants_xml(request):
        return document_response(request, certificates.certificate_document(record), certificates.CERTIFICATE)
    return certificate_resource(session, record)
