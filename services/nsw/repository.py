"""All SQL of the NSW endpoint. Repositories flush; the caller's session commits."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from services.nsw.models import HANDOVER_PENDING, InboxMessage


@dataclass(frozen=True)
class InboxFilter:
    sender: str | None = None
    document_type: str | None = None
    state: str | None = None
    conversation_id: str | None = None


def add_message(session: Session, message: InboxMessage) -> InboxMessage:
    session.add(message)
    session.flush()
    return message


def find_message(session: Session, *, sender: str, message_id: str) -> InboxMessage | None:
    statement = select(InboxMessage).where(InboxMessage.sender == sender, InboxMessage.message_id == message_id)
    return session.exec(statement).first()


def messages_with_id(session: Session, message_id: str) -> list[InboxMessage]:
    """Every sender's message of that id (ids are unique per sender only), newest first."""
    statement = (select(InboxMessage).where(InboxMessage.message_id == message_id)
                 .order_by(col(InboxMessage.received_at).desc(), col(InboxMessage.id).desc()))
    return list(session.exec(statement))


def list_messages(session: Session, *, where: InboxFilter, limit: int, offset: int) -> tuple[list[InboxMessage], int]:
    """One page of the inbox, newest first, and how many messages match in all."""
    conditions = [getattr(InboxMessage, name) == value for name, value in vars(where).items() if value is not None]
    total = session.exec(select(func.count()).select_from(InboxMessage).where(*conditions)).one()
    statement = (select(InboxMessage).where(*conditions)
                 .order_by(col(InboxMessage.received_at).desc(), col(InboxMessage.id).desc())
                 .offset(offset).limit(limit))
    return list(session.exec(statement)), int(total)


def due_handovers(session: Session, *, now: datetime, limit: int) -> list[InboxMessage]:
    statement = (select(InboxMessage).where(InboxMessage.handover_state == HANDOVER_PENDING)
                 .where(col(InboxMessage.handover_next_at) <= now)
                 .order_by(col(InboxMessage.handover_next_at), col(InboxMessage.id)).limit(limit))
    return list(session.exec(statement))


def get_message(session: Session, row_id: int) -> InboxMessage | None:
    return session.get(InboxMessage, row_id)
