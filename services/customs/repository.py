"""All SQL of the customs service. Repositories flush; the request's session commits."""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from services.customs.models import CertificateRecord, DeclarationEvent, DeclarationRecord


def insert_once(session: Session, record: SQLModel) -> bool:
    """Insert ``record`` unless a row with the same key exists; True when it was inserted.

    ``ON CONFLICT DO NOTHING`` rather than a plain INSERT: two requests racing with the same
    idempotency key must give one row and one replay, not an integrity error. (A savepoint
    would do it too, but pysqlite releasing the outermost savepoint commits.)
    """
    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table: Any = type(record).__table__  # type: ignore[attr-defined]
    values = {column.name: getattr(record, column.name) for column in table.columns
              if getattr(record, column.name) is not None}
    key = list(table.primary_key.columns)
    # RETURNING rather than rowcount, which psycopg reports as -1 for this statement.
    inserted = session.exec(dialect.insert(table).values(**values).on_conflict_do_nothing().returning(*key))
    return inserted.first() is not None


def get_declaration(session: Session, mrn: str) -> DeclarationRecord | None:
    return session.get(DeclarationRecord, mrn)


def find_declaration(session: Session, *, country: str, declarant: str, lrn: str) -> DeclarationRecord | None:
    statement = select(DeclarationRecord).where(DeclarationRecord.country == country,
                                                DeclarationRecord.declarant == declarant,
                                                DeclarationRecord.lrn == lrn)
    return session.exec(statement).first()


def list_declarations(session: Session, *, country: str | None, status: str | None, lane: str | None,
                      direction: str | None, lrn: str | None, limit: int, offset: int) -> list[DeclarationRecord]:
    """Declarations a country exports or receives (all of them for the operator), newest first."""
    statement = select(DeclarationRecord)
    if country is not None:
        statement = statement.where((col(DeclarationRecord.export_country) == country)
                                    | (col(DeclarationRecord.destination_country) == country))
    for column, value in ((DeclarationRecord.status, status), (DeclarationRecord.lane, lane),
                          (DeclarationRecord.direction, direction), (DeclarationRecord.lrn, lrn)):
        if value is not None:
            statement = statement.where(col(column) == value)
    statement = statement.order_by(col(DeclarationRecord.lodged_at).desc(), col(DeclarationRecord.mrn))
    return list(session.exec(statement.offset(offset).limit(limit)))


def add_event(session: Session, event: DeclarationEvent) -> DeclarationEvent:
    session.add(event)
    session.flush()
    return event


def events_for(session: Session, mrn: str) -> list[DeclarationEvent]:
    statement = select(DeclarationEvent).where(DeclarationEvent.mrn == mrn).order_by(col(DeclarationEvent.id))
    return list(session.exec(statement))


def get_certificate(session: Session, certificate_id: str) -> CertificateRecord | None:
    return session.get(CertificateRecord, certificate_id)


def find_certificate(session: Session, *, export_country: str, reference_id: str) -> CertificateRecord | None:
    statement = select(CertificateRecord).where(CertificateRecord.export_country == export_country,
                                                CertificateRecord.reference_id == reference_id)
    return session.exec(statement).first()


def certificates_for(session: Session, mrn: str) -> list[CertificateRecord]:
    statement = (select(CertificateRecord).where(CertificateRecord.declaration_mrn == mrn)
                 .order_by(col(CertificateRecord.received_at), col(CertificateRecord.id)))
    return list(session.exec(statement))
