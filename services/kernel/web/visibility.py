"""Who may see a record, as part of the statement that loads it.

A record belongs to the countries some of its columns name (a declaration to its export
and destination countries); the operator sees every record. Each repository states that
once per record type (``owned_by``) and puts it in the WHERE clause of both its get-one and
its list queries, so a caller never loads a record it may not see.

``visible_one`` is the get-one answer every service gives: the record, 404 when there is
none with that key, 403 when there is one that belongs to other countries (only its key is
read to tell the two apart). A message is named by its sender's id, which another sender
may have used too: ``one_sender`` answers for those.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, inspect, or_, true
from sqlmodel import Session, SQLModel, col, select

from services.kernel.web.identity import Caller
from services.kernel.web.problems import Conflict, Forbidden, NotFound

Record = TypeVar("Record", bound=SQLModel)
Row = TypeVar("Row")


def owned_by(caller: Caller, *countries: Any) -> ColumnElement[bool]:
    """Rows that name the caller's country in one of the ``countries`` columns; every row for the operator."""
    if caller.is_operator:
        return true()
    return or_(*(col(column) == caller.country for column in countries))


def visible_one(session: Session, model: type[Record], key: str, *, visible: ColumnElement[bool],
                what: str) -> Record:
    """The ``model`` row whose primary key is ``key`` if ``visible`` holds for it; else 404 or 403."""
    primary_key = inspect(model).primary_key[0]
    found = session.exec(select(model).where(primary_key == key, visible)).first()
    if found is not None:
        return found
    if session.exec(select(primary_key).where(primary_key == key)).first() is None:
        raise NotFound(f"no {what} {key}")
    raise Forbidden(f"{what} {key} belongs to other countries than your credential's")


def one_sender(found: Sequence[Row], *, message_id: str, missing: str) -> Row:
    """The one message of ``found``: 404 (``missing``) when there is none, 409 when several
    senders used ``message_id`` (ids are unique per sender only) and the caller named none."""
    if not found:
        raise NotFound(missing)
    if len(found) > 1:
        raise Conflict(f"{len(found)} senders used message id {message_id}; name one with ?sender=")
    return found[0]
