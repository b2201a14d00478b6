"""All SQL of the port service. Repositories flush; the request's session commits."""

from sqlmodel import Session, col, select

from services.port.models import ClearanceRecord, VesselCallRecord


def add_vessel_call(session: Session, record: VesselCallRecord) -> VesselCallRecord:
    session.add(record)
    session.flush()
    return record


def get_vessel_call(session: Session, call_id: str) -> VesselCallRecord | None:
    return session.get(VesselCallRecord, call_id)


def find_by_reference(session: Session, *, submitter: str, call_reference: str) -> VesselCallRecord | None:
    statement = select(VesselCallRecord).where(VesselCallRecord.submitter == submitter,
                                               VesselCallRecord.call_reference == call_reference)
    return session.exec(statement).first()


def list_vessel_calls(session: Session, *, country: str | None, port_of_call: str | None, imo_number: str | None,
                      limit: int, offset: int) -> list[VesselCallRecord]:
    """Calls a country submitted or receives (all of them for the operator), newest first."""
    statement = select(VesselCallRecord)
    if country is not None:
        statement = statement.where((col(VesselCallRecord.submitter) == country)
                                    | (col(VesselCallRecord.port_country) == country))
    if port_of_call is not None:
        statement = statement.where(VesselCallRecord.port_of_call == port_of_call)
    if imo_number is not None:
        statement = statement.where(VesselCallRecord.imo_number == imo_number)
    statement = statement.order_by(col(VesselCallRecord.received_at).desc(), col(VesselCallRecord.id))
    return list(session.exec(statement.offset(offset).limit(limit)))


def add_clearance(session: Session, clearance: ClearanceRecord) -> ClearanceRecord:
    session.add(clearance)
    session.flush()
    return clearance


def clearances_for(session: Session, call_id: str) -> list[ClearanceRecord]:
    statement = (select(ClearanceRecord).where(ClearanceRecord.vessel_call_id == call_id)
                 .order_by(col(ClearanceRecord.id)))
    return list(session.exec(statement))
