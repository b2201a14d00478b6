"""Port HTTP endpoints: thin, parse, call the service, shape the answer."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services.kernel.messages.port import VesselCall, VesselCallV1_1
from services.kernel.web.bodies import DocumentBody, document_response, wants_xml
from services.kernel.web.contract import (
    BODY_ERRORS,
    Offset,
    ProblemFinding,
    outbound_messages,
    problem_responses,
    request_body,
)
from services.kernel.web.deps import IntakeDep, OutboxWakeDep, SessionDep
from services.kernel.web.identity import CallerDep
from services.kernel.web.submissions import stored_response
from services.port import repository, service
from services.port.models import VesselCallRecord
from services.port.schemas import Clearance, VesselCallItem, VesselCallPage, VesselCallPublic, VesselCallSubmitted

router = APIRouter(tags=["vessel calls"])


def _resource(session: SessionDep, record: VesselCallRecord) -> VesselCallPublic:
    call = service.vessel_call_document(record)
    return VesselCallPublic(
        id=record.id,
        submitter=record.submitter,
        call_reference=record.call_reference,
        port_of_call=record.port_of_call,
        port_country=record.port_country,
        imo_number=record.imo_number,
        ship_name=record.ship_name,
        document_type=call.document_type,
        received_at=record.received_at.isoformat(),
        messages=outbound_messages(session, service.subject_of(record.id)),
        clearances=[Clearance(agency=c.agency, decision=c.decision, decided_at=c.decided_at.isoformat(),
                              officer=c.officer, remarks=c.remarks)
                    for c in repository.clearances_for(session, record.id)],
        vessel_call=call.model_dump(mode="json", exclude_none=True),
    )


@router.post("/vessel-calls", status_code=201, summary="Submit a vessel call (FAL 1 + FAL 5 + FAL 6)",
             response_model=VesselCallSubmitted, openapi_extra=request_body("port.vessel-call"),
             responses={200: {"description": "The same call was submitted before; its record",
                              "model": VesselCallSubmitted},
                        **problem_responses(*BODY_ERRORS, 403, 409, 422, 429, descriptions={
                            409: "The call reference was used for other content",
                            422: "The document is invalid; the findings are in errors"})})
def submit_vessel_call(
    caller: CallerDep, received: DocumentBody, session: SessionDep, intake: IntakeDep, wake_outbox: OutboxWakeDep
) -> JSONResponse:
    """Validate, store and forward a vessel call (1.0 or 1.1) to the port of call's country."""
    call, report = intake.accept(received, service.VESSEL_CALL)
    assert isinstance(call, VesselCall | VesselCallV1_1)
    submitted = service.submit_vessel_call(session, caller=caller, call=call)
    resource = VesselCallSubmitted(**dict(_resource(session, submitted.record)),
                                   warnings=[ProblemFinding.model_validate(f.as_dict()) for f in report.findings])
    wake_outbox()
    return stored_response(resource, created=submitted.created, location=f"/vessel-calls/{submitted.record.id}")


@router.get("/vessel-calls/{call_id}", summary="A vessel call with its messages and clearances",
            response_model=VesselCallPublic,
            responses={200: {"content": {"application/xml": {"schema": {"type": "string"}}},
                             "description": "JSON resource, or the FAL document as XML when asked with Accept: "
                                            "application/xml"}, **problem_responses(404, 406)})
def get_vessel_call(call_id: str, request: Request, caller: CallerDep,
                    session: SessionDep) -> Response | VesselCallPublic:
    """The call's record; ``Accept: application/xml`` gives the vessel call document itself."""
    record = repository.visible_vessel_call(session, caller, call_id)
    if wants_xml(request):
        call = service.vessel_call_document(record)
        return document_response(request, call, service.message_type_of(call))
    return _resource(session, record)


@router.get("/vessel-calls", summary="Vessel calls your country submitted or receives",
            response_model=VesselCallPage, responses=problem_responses(400))
def list_vessel_calls(
    caller: CallerDep,
    session: SessionDep,
    port_of_call: Annotated[str | None, Query(pattern=r"^[A-Z]{2}[A-Z2-9]{3}$")] = None,
    imo_number: Annotated[str | None, Query(pattern=r"^[0-9]{7}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> VesselCallPage:
    """Newest first; filter by port of call or IMO number; page with limit and offset."""
    records = repository.list_vessel_calls(session, caller, port_of_call=port_of_call, imo_number=imo_number,
                                           limit=limit, offset=offset)
    items = [VesselCallItem(id=r.id, call_reference=r.call_reference, submitter=r.submitter,
                            port_of_call=r.port_of_call, imo_number=r.imo_number, ship_name=r.ship_name,
                            estimated_arrival=_iso(r.estimated_arrival),
                            estimated_departure=_iso(r.estimated_departure), href=f"/vessel-calls/{r.id}")
             for r in records]
    return VesselCallPage(items=items, limit=limit, offset=offset)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
