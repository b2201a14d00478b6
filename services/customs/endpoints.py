"""Customs HTTP endpoints for declarations: thin, parse, call the service, shape the answer.

A declaration is lodged as JSON, as XML (canonical swx XML of any version) or as WCO DM 3.6
XML as it is (``application/xml`` or ``application/vnd.wco.dec+xml``: the engine tells WCO by
its namespace). ``GET /declarations/{mrn}`` gives the record as JSON, the declaration as
canonical XML (``Accept: application/xml``) or, for a 2.0 declaration, as WCO DM 3.6 XML
(``Accept: application/vnd.wco.dec+xml`` or ``?format=wco``).
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from services.customs import repository, service
from services.customs.certificates import subject_of as certificate_subject
from services.customs.declaration_facts import AnyDeclaration
from services.customs.models import DeclarationRecord
from services.customs.received_responses import certificate_outcome
from services.customs.risk import RiskPolicy
from services.customs.schemas import CertificateLink, DeclarationItem, DeclarationPage, DeclarationPublic, HistoryEntry
from services.kernel import canonical, wco_xml
from services.kernel.messages.wco.declaration import GoodsDeclaration
from services.kernel.outbox import OutboxState
from services.kernel.web.bodies import DocumentBody, wants_xml
from services.kernel.web.contract import (
    BODY_ERRORS,
    Offset,
    OutboundMessagePublic,
    outbound_messages,
    problem_responses,
    request_body,
)
from services.kernel.web.deps import IntakeDep, NetworkDep, OutboxWakeDep, SessionDep, app_state
from services.kernel.web.identity import CallerDep, OperatorDep
from services.kernel.web.problems import NotAcceptable
from services.kernel.web.submissions import stored_response

router = APIRouter(tags=["declarations"])
XML_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {"schema": {"type": "string"}}},
          "description": "JSON resource, or the document itself as XML with Accept: application/xml"},
    **problem_responses(404, 406),
}
WCO_DEC = wco_xml.WCO_DEC_MEDIA_TYPE
DECLARATION_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {"schema": {"type": "string"}},
                      WCO_DEC: {"schema": {"type": "string"}}},
          "description": "JSON resource; the declaration itself (ID = MRN) as canonical XML with Accept: "
                         f"application/xml, or, for a 2.0 declaration, as WCO DM 3.6 XML with Accept: {WCO_DEC} "
                         "or ?format=wco"},
    **problem_responses(404, 406, descriptions={
        406: "None of the media types in Accept can be given, or WCO XML was asked for a 1.x declaration "
             "(WCO XML exists only for customs.declaration 2.0)"}),
}


RiskPolicyDep = Annotated[RiskPolicy, Depends(app_state("risk_policy"))]
"""The lanes' rules, from the customs settings."""


def _lodging_body() -> dict[str, Any]:
    """The request body of ``POST /declarations``: the type's JSON and XML, and WCO DM 3.6 XML."""
    extra = request_body("customs.declaration")
    extra["requestBody"]["content"][WCO_DEC] = {"schema": {"type": "string", "description": (
        "a WCO DM 3.6 declaration (DEC) as it is: the DMS MetaData wrapper or a bare Declaration in "
        f"{wco_xml.DEC_NS}; also taken as application/xml")}}
    return extra


def declaration_resource(session: Session, record: DeclarationRecord, *,
                         lodged: service.Lodged | None = None) -> DeclarationPublic:
    """The record as its GET shows it. For a declaration ``lodged`` by this very request, its
    document and history are the ones just stored, and it has no certificates yet (they name
    its MRN, which did not exist before): nothing of it is read back."""
    fresh = lodged.document if lodged is not None and lodged.created else None
    events = lodged.history if fresh is not None and lodged is not None else repository.events_for(session, record.mrn)
    document = fresh if fresh is not None else service.declaration_document(record)
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
        lane_reasons=record.lane_reasons,
        lodged_at=record.lodged_at.isoformat(),
        history=[HistoryEntry(status=e.status, at=e.at.isoformat(), note=e.note) for e in events],
        messages=[_queued(m) for m in lodged.messages] if fresh is not None and lodged is not None
        else outbound_messages(session, service.subject_of(record.mrn)),
        certificates_of_origin=[] if fresh is not None else [
            CertificateLink(id=c.id, reference_id=c.reference_id, form_type=c.form_type,
                            import_country=c.import_country,
                            messages=outbound_messages(session, certificate_subject(c.id)),
                            outcome=certificate_outcome(c), href=f"/certificates-of-origin/{c.id}")
            for c in repository.certificates_for(session, record.mrn)],
        outcome=service.outcome_of(record),
        declaration=canonical.json_data(document),
    )


def _queued(message: service.Queued) -> OutboundMessagePublic:
    """A message this request queued, as ``outbound_messages`` shows it: pending, not yet tried,
    and answered by nothing (its id is new)."""
    return OutboundMessagePublic(message_id=message.message_id, receiver=message.receiver,
                                 document_type=message.document_type, state=OutboxState.PENDING.value, attempts=0,
                                 last_error=None, failed_at=None, requeued_at=None, answer=None)


@router.post("/declarations", status_code=201, summary="Lodge a goods declaration (import or export)",
             response_model=DeclarationPublic, openapi_extra=_lodging_body(),
             responses={200: {"description": "The same declaration was lodged before; its record, same MRN",
                              "model": DeclarationPublic},
                        **problem_responses(*BODY_ERRORS, 403, 409, 422, 429, descriptions={
                            403: "Exports are lodged by the export country, imports by the destination",
                            409: "The declarant's LRN was used before for other content",
                            422: "The declaration is invalid; the findings are in errors"})})
def lodge_declaration(
    caller: CallerDep, received: DocumentBody, session: SessionDep, intake: IntakeDep, policy: RiskPolicyDep,
    network: NetworkDep, wake_outbox: OutboxWakeDep,
) -> JSONResponse:
    """Validate and accept a declaration: MRN, risk lane, and an ACDD for a network destination."""
    declaration, _ = intake.accept(received, service.DECLARATION)
    assert isinstance(declaration, AnyDeclaration)
    lodged = service.lodge_declaration(session, caller=caller, declaration=declaration, policy=policy,
                                       network=network)
    resource = declaration_resource(session, lodged.record, lodged=lodged)
    wake_outbox()
    return stored_response(resource, created=lodged.created, location=f"/declarations/{lodged.record.mrn}")


@router.get("/declarations/{mrn}", summary="A declaration with its lane, history, messages and outcome",
            response_model=DeclarationPublic, responses=DECLARATION_FORMATS)
def get_declaration(
    mrn: str, request: Request, caller: CallerDep, session: SessionDep,
    format: Annotated[Literal["json", "xml", "wco"] | None, Query(
        description="json (the record), xml (the declaration as canonical XML) or wco (a 2.0 declaration as "
                    "WCO DM 3.6 XML); overrides Accept")] = None,
) -> Response | DeclarationPublic:
    """The declaration's record; Accept (or ``format``) asks for the declaration itself, as XML or WCO XML."""
    record = repository.visible_declaration(session, caller, mrn)
    wanted = format or _negotiated(request)
    if wanted == "wco":
        document = service.declaration_document(record)
        if not isinstance(document, GoodsDeclaration):
            raise NotAcceptable(f"declaration {mrn} is {record.document_type}: WCO DM 3.6 XML exists only for "
                                "customs.declaration 2.0; ask for application/json or application/xml")
        return Response(wco_xml.write_wco(document), media_type=WCO_DEC)
    if wanted == "xml":
        document = service.declaration_document(record)
        return Response(canonical.xml_bytes(document, service.declaration_type(record)), media_type="application/xml")
    return declaration_resource(session, record)


def _negotiated(request: Request) -> str:
    """wco when Accept prefers WCO XML (at least as much as anything else it lists), else xml or json."""
    best_other, wco = 0.0, 0.0
    for part in request.headers.get("accept", "").split(","):
        media, *params = [p.strip() for p in part.split(";")]
        quality = next((_quality(p[2:]) for p in params if p.startswith("q=")), 1.0)
        if media.lower() == WCO_DEC:
            wco = max(wco, quality)
        elif media:
            best_other = max(best_other, quality)
    if wco > 0 and wco >= best_other:
        return "wco"
    return "xml" if wants_xml(request) else "json"


def _quality(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


@router.post("/declarations/{mrn}/release", summary="Release a declaration held for control (officers only)",
             response_model=DeclarationPublic,
             responses=problem_responses(403, 404, 409, descriptions={
                 403: "Only the operator (customs officer) credential releases",
                 409: "The declaration is not under control"}))
def release_declaration(mrn: str, officer: OperatorDep, session: SessionDep) -> DeclarationPublic:
    """Release a yellow- or red-lane declaration after its check."""
    record = service.release_declaration(session, officer=officer, mrn=mrn)
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
    records = repository.list_declarations(session, caller, status=status, lane=lane, direction=direction, lrn=lrn,
                                           limit=limit, offset=offset)
    items = [DeclarationItem(mrn=r.mrn, lrn=r.lrn, type=r.type_code, status=r.status, lane=r.lane,
                             export_country=r.export_country, destination_country=r.destination_country,
                             lodged_at=r.lodged_at.isoformat(), href=f"/declarations/{r.mrn}")
             for r in records]
    return DeclarationPage(items=items, limit=limit, offset=offset)
