"""All SQL of the customs service. Repositories flush; the request's session commits."""

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from services.customs.models import CertificateRecord, DeclarationEvent, DeclarationRecord
from services.kernel.db import add_flushed, insert_once
from services.kernel.web.identity import Caller
from services.kernel.web.visibility import owned_by, visible_one


def add_once(session: Session, record: DeclarationRecord | CertificateRecord) -> bool:
    """Insert the record unless a row with its key exists (a concurrent request's); True when it was inserted."""
    return insert_once(session, record) is not None


def get_declaration(session: Session, mrn: str) -> DeclarationRecord | None:
    return session.get(DeclarationRecord, mrn)


def declarations_visible_to(caller: Caller) -> ColumnElement[bool]:
    """A declaration belongs to its export and its destination country."""
    return owned_by(caller, DeclarationRecord.export_country, DeclarationRecord.destination_country)


def visible_declaration(session: Session, caller: Caller, mrn: str) -> DeclarationRecord:
    """The declaration, if the caller may see it (404 or 403 otherwise)."""
    return visible_one(session, DeclarationRecord, mrn, visible=declarations_visible_to(caller), what="declaration")


def find_declaration(session: Session, *, country: str, declarant: str, lrn: str) -> DeclarationRecord | None:
    statement = select(DeclarationRecord).where(DeclarationRecord.country == country,
                                                DeclarationRecord.declarant == declarant,
                                                DeclarationRecord.lrn == lrn)
    return session.exec(statement).first()


def list_declarations(session: Session, caller: Caller, *, status: str | None, lane: str | None,
                      direction: str | None, lrn: str | None, limit: int, offset: int) -> list[DeclarationRecord]:
    """Declarations the caller's country exports or receives (all of them for the operator), newest first."""
    statement = select(DeclarationRecord).where(declarations_visible_to(caller))
    for column, value in ((DeclarationRecord.status, status), (DeclarationRecord.lane, lane),
                          (DeclarationRecord.direction, direction), (DeclarationRecord.lrn, lrn)):
        if value is not None:
            statement = statement.where(col(column) == value)
    statement = statement.order_by(col(DeclarationRecord.lodged_at).desc(), col(DeclarationRecord.mrn))
    return list(session.exec(statement.offset(offset).limit(limit)))


def add_event(session: Session, event: DeclarationEvent) -> DeclarationEvent:
    return add_flushed(session, event)


def events_for(session: Session, mrn: str) -> list[DeclarationEvent]:
    statement = select(DeclarationEvent).where(DeclarationEvent.mrn == mrn).order_by(col(DeclarationEvent.id))
    return list(session.exec(statement))


def get_certificate(session: Session, certificate_id: str) -> CertificateRecord | None:
    return session.get(CertificateRecord, certificate_id)


def certificates_visible_to(caller: Caller) -> ColumnElement[bool]:
    """A certificate of origin belongs to its exporting and its importing country."""
    return owned_by(caller, CertificateRecord.export_country, CertificateRecord.import_country)


def visible_certificate(session: Session, caller: Caller, certificate_id: str) -> CertificateRecord:
    """The certificate, if the caller may see it (404 or 403 otherwise)."""
    return visible_one(session, CertificateRecord, certificate_id, visible=certificates_visible_to(caller),
                       what="certificate of origin")


def find_certificate(session: Session, *, export_country: str, reference_id: str) -> CertificateRecord | None:
    statement = select(CertificateRecord).where(CertificateRecord.export_country == export_country,
                                                CertificateRecord.reference_id == reference_id)
    return session.exec(statement).first()


def certificates_for(session: Session, mrn: str) -> list[CertificateRecord]:
    statement = (select(CertificateRecord).where(CertificateRecord.declaration_mrn == mrn)
                 .order_by(col(CertificateRecord.received_at), col(CertificateRecord.id)))
    return list(session.exec(statement))
