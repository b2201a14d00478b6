"""Customs HTTP endpoints for declarations: thin, parse, call the service, shape the answer."""

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from services.customs import repository, service
from services.customs.answers import certificate_outcome
from services.customs.certificates import subject_of as certificate_subject
from services.customs.models import DeclarationRecord
from services.customs.schemas import CertificateLink, DeclarationItem, DeclarationPage, DeclarationPublic, HistoryEntry
from services.kernel import canonical
from services.kernel.messages.customs import Declaration
from services.kernel.outbox import message_summaries
from services.kernel.web.bodies import DocumentBody, document_response, wants_xml
from services.kernel.web.contract import (
    BODY_ERRORS,
    Offset,
    OutboundMessagePublic,
    problem_responses,
    request_body,
)
from services.kernel.web.identity import CallerDep
from services.kernel.web.service import SessionDep, wake_dispatcher
from services.kernel.web.submissions import accept_document

router = APIRouter(tags=["declarations"])
XML_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {"schema": {"type": "string"}}},
          "description": "JSON resource, or the document itself as XML with Accept: application/xml"},
    **problem_responses(404, 406),
}


def outbound(session: Session, subject: str) -> list[OutboundMessagePublic]:
    return [OutboundMessagePublic.model_validate(m) for m in message_summaries(session, subject)]


def declaration_resource(session: Session, record: DeclarationRecord) -> DeclarationPublic:
    return DeclarationPublic(
        mrn=record.mrn,
        lrn=record.lrn,
        declarant=record.declarant,
        type=record.type_code,
        country=record.country,
        export_country=record.export_country,
        destination_country=record.destination_country,
        status=record.status,
        lane=record.lane,
        lane_reasons=json.loads(record.lane_reasons),
        lodged_at=record.lodged_at.isoformat(),
        history=[HistoryEntry(status=e.status, at=e.at.isoformat(), note=e.note)
                 for e in repository.events_for(session, record.mrn)],
        messages=outbound(session, service.subject_of(record.mrn)),
        certificates_of_origin=[
            CertificateLink(id=c.id, reference_id=c.reference_id, form_type=c.form_type,
                            import_country=c.import_country, messages=outbound(session, certificate_subject(c.id)),
                            outcome=certificate_outcome(c), href=f"/certificates-of-origin/{c.id}")
            for c in repository.certificates_for(session, record.mrn)],
        outcome=service.outcome_of(record),
        declaration=canonical.json_data(service.declaration_document(record)),
    )


@router.post("/declarations", status_code=201, summary="Lodge a goods declaration (import or export)",
             response_model=DeclarationPublic, openapi_extra=request_body("customs.declaration"),
             responses={200: {"description": "The same declaration was lodged before; its record, same MRN",
                              "model": DeclarationPublic},
                        **problem_responses(*BODY_ERRORS, 403, 409, 422, 429, descriptions={
                            403: "Exports are lodged by the export country, imports by the destination",
                            409: "The declarant's LRN was used before for other content",
                            422: "The declaration is invalid; the findings are in errors"})})
def lodge_declaration(
    request: Request, caller: CallerDep, received: DocumentBody, session: SessionDep
) -> JSONResponse:
    """Validate and accept a declaration: MRN, risk lane, and an ACDD for a network destination."""
    settings = request.app.state.settings
    body, fmt = received.data, received.format
    declaration, _ = accept_document(body, fmt=fmt, message_type=service.DECLARATION,
                                     max_bytes=settings.max_body_bytes, metrics=request.app.state.metrics)
    assert isinstance(declaration, Declaration)
    lodged = service.lodge_declaration(session, caller=caller, declaration=declaration,
                                       policy=request.app.state.risk_policy)
    resource = declaration_resource(session, lodged.record).model_dump(mode="json")
    wake_dispatcher(request)
    return JSONResponse(resource, status_code=201 if lodged.created else 200,
                        headers={"Location": f"/declarations/{lodged.record.mrn}"})


@router.get("/declarations/{mrn}", summary="A declaration with its lane, history, messages and outcome",
            response_model=DeclarationPublic, responses=XML_OR_JSON)
def get_declaration(mrn: str, request: Request, caller: CallerDep,
                    session: SessionDep) -> Response | DeclarationPublic:
    """The declaration's record; ``Accept: application/xml`` gives the declaration itself (ID = MRN)."""
    record = service.visible_declaration(session, caller=caller, mrn=mrn)
    if wants_xml(request):
        return document_response(request, service.declaration_document(record), service.declaration_type(record))
    return declaration_resource(session, record)


@router.post("/declarations/{mrn}/release", summary="Release a declaration held for control (officers only)",
             response_model=DeclarationPublic,
             responses=problem_responses(403, 404, 409, descriptions={
                 403: "Only the operator (customs officer) credential releases",
                 409: "The declaration is not under control"}))
def release_declaration(mrn: str, caller: CallerDep, session: SessionDep) -> DeclarationPublic:
    """Release a yellow- or red-lane declaration after its check."""
    record = service.release_declaration(session, caller=caller, mrn=mrn)
    return declaration_resource(session, record)


@router.get("/declarations", summary="Declarations your country exports or receives",
            response_model=DeclarationPage, responses=problem_responses(400))
def list_declarations(
    caller: CallerDep,
    session: SessionDep,
    status: Annotated[Literal["under-control", "released"] | None,
                      Query(description="lodged and accepted are passed within the lodging request")] = None,
    lane: Literal["green", "yellow", "red"] | None = None,
    direction: Annotated[Literal["IM", "EX"] | None, Query(alias="type", description="IM or EX")] = None,
    lrn: Annotated[str | None, Query(max_length=35)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> DeclarationPage:
    """Newest first; filter by status, lane, type (IM/EX) or LRN; page with limit and offset."""
    records = repository.list_declarations(session, country=None if caller.is_operator else caller.country,
                                           status=status, lane=lane, direction=direction, lrn=lrn, limit=limit,
                                           offset=offset)
    items = [DeclarationItem(mrn=r.mrn, lrn=r.lrn, type=r.type_code, status=r.status, lane=r.lane,
                             export_country=r.export_country, destination_country=r.destination_country,
                             lodged_at=r.lodged_at.isoformat(), href=f"/declarations/{r.mrn}")
             for r in records]
    return DeclarationPage(items=items, limit=limit, offset=offset)
