"""All SQL of the NSW endpoint. Repositories flush; the caller's session commits."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from services.nsw.models import HandoverState, InboxMessage, InboxState

INBOX: Table = InboxMessage.__table__  # type: ignore[attr-defined]
# built once, their values bound at execution: building a statement with its values costs more
# than running it (each value coerced, and the statement's cache key computed afresh)
_ADD_MESSAGE_ONCE = {"postgresql": postgresql.insert(INBOX).on_conflict_do_nothing().returning(INBOX.c.id),
                     "sqlite": sqlite.insert(INBOX).on_conflict_do_nothing().returning(INBOX.c.id)}
_FIND_MESSAGE_ID = select(INBOX.c.id).where(INBOX.c.sender == bindparam("sender"),
                                            INBOX.c.message_id == bindparam("message_id"))


@dataclass(frozen=True)
class InboxFilter:
    sender: str | None = None
    document_type: str | None = None
    state: InboxState | None = None
    conversation_id: str | None = None


def add_message_once(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a received message's row, written complete in one statement (no ORM object to
    build and flush); its id, or None when that sender's message id is stored already.

    ``ON CONFLICT DO NOTHING`` rather than a savepoint around a plain INSERT: a twin delivery
    racing this one gives one row and one None, never an integrity error (PostgreSQL makes the
    second wait for the first's transaction, then skips)."""
    statement = _ADD_MESSAGE_ONCE[session.get_bind().dialect.name]
    inserted: int | None = session.execute(statement, values).scalar()
    return inserted


def find_message(session: Session, *, sender: str, message_id: str) -> InboxMessage | None:
    """The stored message of that sender and id. Most deliveries are new: the lookup reads the id
    alone first, and loads the row only when there is one."""
    row_id = session.execute(_FIND_MESSAGE_ID, {"sender": sender, "message_id": message_id}).scalar()
    return None if row_id is None else session.get(InboxMessage, row_id)


def messages_with_id(session: Session, message_id: str, *, sender: str | None, locked: bool = False,
                     ) -> list[InboxMessage]:
    """The messages of that id (ids are unique per sender only), from ``sender`` when given;
    ``locked`` until the transaction ends (a replay and the worker never both change one)."""
    statement = select(InboxMessage).where(InboxMessage.message_id == message_id)
    if sender is not None:
        statement = statement.where(InboxMessage.sender == sender)
    statement = statement.order_by(col(InboxMessage.id))
    return list(session.exec(statement.with_for_update() if locked else statement))


def list_messages(session: Session, *, where: InboxFilter, limit: int, offset: int) -> tuple[list[InboxMessage], int]:
    """One page of the inbox, newest first, and how many messages match in all."""
    conditions = [getattr(InboxMessage, name) == value for name, value in vars(where).items() if value is not None]
    total = session.exec(select(func.count()).select_from(InboxMessage).where(*conditions)).one()
    statement = (select(InboxMessage).where(*conditions)
                 .order_by(col(InboxMessage.received_at).desc(), col(InboxMessage.id).desc())
                 .offset(offset).limit(limit))
    return list(session.exec(statement)), int(total)


@dataclass(frozen=True)
class DueHandover:
    """What the handover worker reads of a due message: what it forwards and what the policy weighs."""

    id: int
    message_id: str
    sender: str
    document_type: str
    envelope: bytes
    envelope_media_type: str
    received_at: datetime
    handover_attempts: int
    handover_queued_at: datetime | None


_DUE_COLUMNS = tuple(INBOX.c[name] for name in DueHandover.__dataclass_fields__)
_HANDOVER_PENDING = InboxMessage.handover_state == HandoverState.PENDING


def due_handovers(session: Session, *, now: datetime, limit: int) -> list[DueHandover]:
    """The handovers due at ``now``, the longest due first (only the columns the worker needs)."""
    statement = (select(*_DUE_COLUMNS).where(_HANDOVER_PENDING)
                 .where(col(InboxMessage.handover_next_at) <= now)
                 .order_by(col(InboxMessage.handover_next_at), col(InboxMessage.id)).limit(limit))
    return [DueHandover(*values) for values in session.execute(statement)]


def next_handover_at(session: Session) -> datetime | None:
    """When the next pending handover is due; None when none is pending."""
    soonest: datetime | None = session.execute(
        select(func.min(InboxMessage.handover_next_at)).where(_HANDOVER_PENDING)).scalar()
    return soonest


def record_handover(session: Session, row_id: int, values: dict[str, Any], *, attempts_read: int) -> bool:
    """Set ``values`` on the message if its handover is still ``PENDING`` with the attempts
    counted when the round read it (``attempts_read``): another process's outcome recorded in
    between stands, and no attempt goes uncounted. Whether it was set."""
    result = session.execute(update(INBOX).where(INBOX.c.id == row_id, INBOX.c.handover_state == HandoverState.PENDING,
                                                 INBOX.c.handover_attempts == attempts_read)
                             .values(**values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def handovers_in_state(session: Session, *, state: HandoverState, limit: int,
                       offset: int) -> tuple[list[InboxMessage], int]:
    """A page of received messages whose handover is in ``state``, newest first, and the total."""
    where = InboxMessage.handover_state == state
    total = int(session.exec(select(func.count()).select_from(InboxMessage).where(where)).one())
    statement = (select(InboxMessage).where(where).order_by(col(InboxMessage.id).desc()).offset(offset).limit(limit))
    return list(session.exec(statement)), total
