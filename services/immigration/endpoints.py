"""Immigration HTTP endpoints: thin, parse, call the service, shape the answer."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from services.immigration import repository, service
from services.immigration.models import ManifestPersonRecord, ManifestRecord
from services.immigration.schemas import (
    Journey,
    JourneyEnd,
    ManifestDecisions,
    ManifestFinding,
    ManifestItem,
    ManifestPage,
    ManifestPublic,
    ManifestSubmitted,
    PersonDecision,
)
from services.kernel.findings import Finding
from services.kernel.messages.immigration import PassengerManifest
from services.kernel.registry import REGISTRY
from services.kernel.web.bodies import ReceivedBody, body_dependency, document_response, wants_xml
from services.kernel.web.contract import (
    BODY_ERRORS,
    Offset,
    outbound_messages,
    problem_responses,
    request_body,
)
from services.kernel.web.deps import IntakeDep, NetworkDep, OutboxWakeDep, SessionDep
from services.kernel.web.identity import CallerDep
from services.kernel.web.submissions import stored_response

ManifestBody = Annotated[ReceivedBody, Depends(body_dependency("xml", "json", "edifact"))]

router = APIRouter(tags=["passenger manifests"])
LIST_TYPES = {"745": "passengers", "250": "crew", "336": "master crew list"}


def _end(location: str, country: str, moment: dt.datetime | None) -> JourneyEnd:
    return JourneyEnd(location=location, country=country, date_time=moment.isoformat() if moment else None)


def _resource(session: SessionDep, record: ManifestRecord) -> ManifestPublic:
    manifest = service.manifest_document(record)
    transport = manifest.Transport  # times as the carrier wrote them, in local time, rather than the stored UTC
    return ManifestPublic(
        id=record.id,
        submitter=record.submitter,
        manifest_reference=record.manifest_reference,
        journey=Journey(id=record.journey_id, date=record.journey_date.isoformat(), carrier=record.carrier_code,
                        mode="air" if record.mode_code == "4" else "sea"),
        departure=_end(record.departure_location, record.departure_country, transport.DepartureDateTime),
        arrival=_end(record.arrival_location, record.arrival_country, transport.ArrivalDateTime),
        list_type=record.list_type,
        list_type_name=LIST_TYPES.get(record.list_type, record.list_type),
        person_count=record.person_count,
        received_at=record.received_at.isoformat(),
        messages=outbound_messages(session, service.subject(record.id)),
        manifest=manifest.model_dump(mode="json", exclude_none=True),
    )


def _decision(person: ManifestPersonRecord, findings: list[Finding]) -> PersonDecision:
    return PersonDecision(sequence=person.sequence, surname=person.surname, given_names=person.given_names,
                          document_number=person.document_number, decision=person.decision,
                          reason_code=person.reason_code, remarks=person.remarks,
                          decided_at=person.decided_at.isoformat() if person.decided_at else None,
                          findings=[ManifestFinding.model_validate(f.as_dict()) for f in findings])


@router.post("/manifests", status_code=201, summary="Submit a passenger or crew manifest (API, JSON/XML/PAXLST)",
             response_model=ManifestSubmitted,
             openapi_extra=request_body("immigration.passenger-manifest", formats=("json", "xml", "edifact")),
             responses={200: {"description": "The same manifest was submitted before; its record",
                              "model": ManifestSubmitted},
                        **problem_responses(*BODY_ERRORS, 403, 409, 422, 429, descriptions={
                            403: "The credential is for neither end of the journey",
                            409: "The manifest ID, journey and date were used for other content",
                            422: "The manifest is invalid; the findings are in errors"})})
def submit_manifest(
    caller: CallerDep, received: ManifestBody, session: SessionDep, intake: IntakeDep, network: NetworkDep,
    wake_outbox: OutboxWakeDep,
) -> JSONResponse:
    """Validate, store and forward a manifest to the arrival country."""
    manifest, report = intake.accept(received, service.MANIFEST)
    assert isinstance(manifest, PassengerManifest)
    submitted = service.submit_manifest(session, caller=caller, manifest=manifest,
                                        participants=network.participants.keys())
    resource = ManifestSubmitted(**dict(_resource(session, submitted.record)),
                                 warnings=[ManifestFinding.model_validate(f.as_dict()) for f in report.findings])
    wake_outbox()
    return stored_response(resource, created=submitted.created, location=f"/manifests/{submitted.record.id}")


@router.get("/manifests/{manifest_id}", summary="A manifest with its messages",
            response_model=ManifestPublic,
            responses={200: {"content": {"application/xml": {"schema": {"type": "string"}}},
                             "description": "JSON resource, or the manifest as XML when asked with Accept: "
                                            "application/xml"}, **problem_responses(404, 406)})
def get_manifest(manifest_id: str, request: Request, caller: CallerDep,
                 session: SessionDep) -> Response | ManifestPublic:
    """The manifest's record; ``Accept: application/xml`` gives the manifest document itself."""
    record = repository.visible_manifest(session, caller, manifest_id)
    if wants_xml(request):
        document = service.manifest_document(record)  # in its own version: a PAXLST was read into 1.1
        return document_response(request, document, REGISTRY.get(document.document_type))
    return _resource(session, record)


@router.get("/manifests/{manifest_id}/responses", summary="Board / no-board / refer per person",
            response_model=ManifestDecisions, responses=problem_responses(404))
def get_responses(manifest_id: str, caller: CallerDep, session: SessionDep) -> ManifestDecisions:
    """Each person's decision, ``pending`` until the arrival country's answer is back, with the
    findings about that person's data."""
    record = repository.visible_manifest(session, caller, manifest_id)
    findings = service.person_findings(record)
    return ManifestDecisions(manifest_id=record.id, journey_id=record.journey_id,
                             persons=[_decision(p, findings.get(p.sequence, []))
                                      for p in repository.persons_of(session, record.id)])


@router.get("/manifests", summary="Manifests your country submitted or receives", response_model=ManifestPage,
            responses=problem_responses(400))
def list_manifests(
    caller: CallerDep,
    session: SessionDep,
    journey: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{1,17}$", description="flight or voyage number")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> ManifestPage:
    """Newest first; filter by journey (flight or voyage number); page with limit and offset."""
    records = repository.list_manifests(session, caller, journey_id=journey, limit=limit, offset=offset)
    items = [ManifestItem(id=r.id, manifest_reference=r.manifest_reference, submitter=r.submitter,
                          journey_id=r.journey_id, journey_date=r.journey_date.isoformat(),
                          departure_location=r.departure_location, arrival_location=r.arrival_location,
                          list_type=r.list_type, person_count=r.person_count, received_at=r.received_at.isoformat(),
                          href=f"/manifests/{r.id}") for r in records]
    return ManifestPage(items=items, limit=limit, offset=offset)
