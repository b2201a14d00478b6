"""All SQL of the immigration service. Repositories flush; the request's session commits."""

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.immigration.models import ManifestPersonRecord, ManifestRecord
from services.kernel.outbox import OutboxMessage
from services.kernel.web.identity import Caller
from services.kernel.web.visibility import owned_by, visible_one


def add_manifest(session: Session, record: ManifestRecord, persons: Sequence[ManifestPersonRecord]) -> bool:
    """Insert the manifest with its persons; False, with the unit of work rolled back, when a
    concurrent request committed a manifest with the same key first.

    It must be the request's first write: SQLite's driver cannot roll back to a savepoint
    (its RELEASE commits), so a clash rolls back the whole transaction instead.
    """
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    session.add_all(persons)
    session.flush()
    return True


def manifests_visible_to(caller: Caller) -> ColumnElement[bool]:
    """A manifest belongs to the country that submitted it and to the arrival country."""
    return owned_by(caller, ManifestRecord.submitter, ManifestRecord.arrival_country)


def visible_manifest(session: Session, caller: Caller, manifest_id: str) -> ManifestRecord:
    """The manifest, if the caller may see it (404 or 403 otherwise)."""
    return visible_one(session, ManifestRecord, manifest_id, visible=manifests_visible_to(caller), what="manifest")


def find_by_key(session: Session, *, submitter: str, manifest_reference: str, journey_id: str,
                journey_date: dt.date) -> ManifestRecord | None:
    statement = select(ManifestRecord).where(ManifestRecord.submitter == submitter,
                                             ManifestRecord.manifest_reference == manifest_reference,
                                             ManifestRecord.journey_id == journey_id,
                                             ManifestRecord.journey_date == journey_date)
    return session.exec(statement).first()


def find_answered(session: Session, *, submitter: str, manifest_reference: str,
                  journey_id: str) -> list[ManifestRecord]:
    """Manifests an API response may answer (it names no date), newest first."""
    statement = (select(ManifestRecord)
                 .where(ManifestRecord.submitter == submitter, ManifestRecord.manifest_reference == manifest_reference,
                        ManifestRecord.journey_id == journey_id)
                 .order_by(col(ManifestRecord.received_at).desc(), col(ManifestRecord.id)))
    return list(session.exec(statement))


def subject_of_message(session: Session, message_id: str) -> str | None:
    """The domain record an outbound message was sent for (``manifest:<id>``)."""
    statement = select(OutboxMessage.subject).where(OutboxMessage.message_id == message_id)
    return session.exec(statement).first()


def list_manifests(session: Session, caller: Caller, *, journey_id: str | None, limit: int,
                   offset: int) -> list[ManifestRecord]:
    """Manifests the caller's country submitted or receives (all of them for the operator), newest first."""
    statement = select(ManifestRecord).where(manifests_visible_to(caller))
    if journey_id is not None:
        statement = statement.where(ManifestRecord.journey_id == journey_id)
    statement = statement.order_by(col(ManifestRecord.received_at).desc(), col(ManifestRecord.id))
    return list(session.exec(statement.offset(offset).limit(limit)))


def persons_of(session: Session, manifest_id: str) -> list[ManifestPersonRecord]:
    statement = (select(ManifestPersonRecord).where(ManifestPersonRecord.manifest_id == manifest_id)
                 .order_by(col(ManifestPersonRecord.sequence)))
    return list(session.exec(statement))


def save_persons(session: Session, persons: Sequence[ManifestPersonRecord]) -> None:
    session.add_all(persons)
    session.flush()
