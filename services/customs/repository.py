"""All SQL of the customs service. Repositories flush; the request's session commits.

The statements on the lodging path are built once, with bound parameters: building a
``where`` clause costs more than running the cached statement it compiles to.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, update
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


_MRN_BY_LODGING_KEY = select(col(DeclarationRecord.mrn)).where(
    col(DeclarationRecord.country) == bindparam("country"), col(DeclarationRecord.declarant) == bindparam("declarant"),
    col(DeclarationRecord.lrn) == bindparam("lrn"))


def find_declaration(session: Session, *, country: str, declarant: str, lrn: str) -> DeclarationRecord | None:
    """The declaration lodged under the key, if any: looked for by its MRN alone (every new
    declaration is looked for, nearly always in vain), the record read only when found."""
    params = {"country": country, "declarant": declarant, "lrn": lrn}
    mrn = session.connection().execute(_MRN_BY_LODGING_KEY, params).scalar()
    return None if mrn is None else session.get(DeclarationRecord, mrn)


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


_EVENTS = DeclarationEvent.__table__  # type: ignore[attr-defined]
_INSERT_EVENTS = insert(_EVENTS)


@dataclass(frozen=True)
class NewEvent:
    """A history entry to be stored, ``DeclarationEvent``'s values without an ORM object."""

    mrn: str
    status: str
    at: datetime
    note: str | None


def add_events(session: Session, events: Iterable[NewEvent]) -> None:
    """Insert history entries in one statement, in order (their ids ascending), without an
    ORM object for each: a new record's first entries are only ever read back."""
    rows = [{"mrn": e.mrn, "status": e.status, "at": e.at, "note": e.note} for e in events]
    session.connection().execute(_INSERT_EVENTS, rows)


_DECLARATIONS = DeclarationRecord.__table__  # type: ignore[attr-defined]
_EVENT_WITH_NOTE = select(_EVENTS.c.id).where(_EVENTS.c.mrn == bindparam("mrn"),
                                              _EVENTS.c.note == bindparam("note")).limit(1)
_COUNTRY_AND_NOTE_BY_MRN = select(_DECLARATIONS.c.country, _EVENT_WITH_NOTE.exists()).where(
    _DECLARATIONS.c.mrn == bindparam("mrn"))
_SET_OUTCOME = (update(_DECLARATIONS).where(_DECLARATIONS.c.mrn == bindparam("key"))
                .values(outcome=bindparam("outcome", type_=_DECLARATIONS.c.outcome.type)))


def country_and_note(session: Session, mrn: str, *, noted: str) -> tuple[str, bool] | None:
    """The country the declaration was lodged in, and whether its history has an entry with
    the note ``noted``; None if there is no declaration with this MRN. All that recording an
    answer needs of the record, in one statement, without loading it."""
    row = session.connection().execute(_COUNTRY_AND_NOTE_BY_MRN, {"mrn": mrn, "note": noted}).first()
    return None if row is None else (row[0], bool(row[1]))


def set_outcome(session: Session, mrn: str, outcome: dict[str, Any]) -> None:
    """Replace the declaration's outcome, by a plain UPDATE (a record loaded in this session
    before would not see it: recording an answer loads none)."""
    session.connection().execute(_SET_OUTCOME, {"key": mrn, "outcome": outcome})


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
