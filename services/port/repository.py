"""All SQL of the port service. Repositories flush; the request's session commits."""

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from services.kernel.db import add_flushed
from services.kernel.web.identity import Caller
from services.kernel.web.visibility import owned_by, visible_one
from services.port.models import ClearanceRecord, VesselCallRecord


def add_vessel_call(session: Session, record: VesselCallRecord) -> VesselCallRecord:
    return add_flushed(session, record)


def vessel_calls_visible_to(caller: Caller) -> ColumnElement[bool]:
    """A vessel call belongs to the agent's country and to the port of call's."""
    return owned_by(caller, VesselCallRecord.submitter, VesselCallRecord.port_country)


def visible_vessel_call(session: Session, caller: Caller, call_id: str) -> VesselCallRecord:
    """The vessel call, if the caller may see it (404 or 403 otherwise)."""
    return visible_one(session, VesselCallRecord, call_id, visible=vessel_calls_visible_to(caller), what="vessel call")


def find_by_reference(session: Session, *, submitter: str, call_reference: str) -> VesselCallRecord | None:
    statement = select(VesselCallRecord).where(VesselCallRecord.submitter == submitter,
                                               VesselCallRecord.call_reference == call_reference)
    return session.exec(statement).first()


def list_vessel_calls(session: Session, caller: Caller, *, port_of_call: str | None, imo_number: str | None,
                      limit: int, offset: int) -> list[VesselCallRecord]:
    """Calls the caller's country submitted or receives (all of them for the operator), newest first."""
    statement = select(VesselCallRecord).where(vessel_calls_visible_to(caller))
    if port_of_call is not None:
        statement = statement.where(VesselCallRecord.port_of_call == port_of_call)
    if imo_number is not None:
        statement = statement.where(VesselCallRecord.imo_number == imo_number)
    statement = statement.order_by(col(VesselCallRecord.received_at).desc(), col(VesselCallRecord.id))
    return list(session.exec(statement.offset(offset).limit(limit)))


def add_clearance(session: Session, clearance: ClearanceRecord) -> ClearanceRecord:
    return add_flushed(session, clearance)


def clearances_for(session: Session, call_id: str) -> list[ClearanceRecord]:
    statement = (select(ClearanceRecord).where(ClearanceRecord.vessel_call_id == call_id)
                 .order_by(col(ClearanceRecord.id)))
    return list(session.exec(statement))
