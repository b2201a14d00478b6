"""All SQL of the NSW endpoint. Repositories flush; the caller's session commits."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from services.kernel.db import add_flushed
from services.nsw.models import HandoverState, InboxMessage, InboxState


@dataclass(frozen=True)
class InboxFilter:
    sender: str | None = None
    document_type: str | None = None
    state: InboxState | None = None
    conversation_id: str | None = None


def add_message(session: Session, message: InboxMessage) -> InboxMessage:
    return add_flushed(session, message)


def find_message(session: Session, *, sender: str, message_id: str) -> InboxMessage | None:
    statement = select(InboxMessage).where(InboxMessage.sender == sender, InboxMessage.message_id == message_id)
    return session.exec(statement).first()


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


def due_handovers(session: Session, *, now: datetime, limit: int) -> list[InboxMessage]:
    statement = (select(InboxMessage).where(InboxMessage.handover_state == HandoverState.PENDING)
                 .where(col(InboxMessage.handover_next_at) <= now)
                 .order_by(col(InboxMessage.handover_next_at), col(InboxMessage.id)).limit(limit))
    return list(session.exec(statement))


def get_message(session: Session, row_id: int) -> InboxMessage | None:
    return session.get(InboxMessage, row_id)


def handovers_in_state(session: Session, *, state: HandoverState, limit: int,
                       offset: int) -> tuple[list[InboxMessage], int]:
    """A page of received messages whose handover is in ``state``, newest first, and the total."""
    where = InboxMessage.handover_state == state
    total = int(session.exec(select(func.count()).select_from(InboxMessage).where(where)).one())
    statement = (select(InboxMessage).where(where).order_by(col(InboxMessage.id).desc()).offset(offset).limit(limit))
    return list(session.exec(statement)), total
