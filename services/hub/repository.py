"""All SQL of the hub. Repositories flush; the caller's unit of work commits."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, or_
from sqlmodel import Session, col, func, select

from services.hub.models import ACKNOWLEDGED, DELIVERED, DUE_STATES, SENDING, HubMessage, HubSuspension, HubTransition
from services.kernel.clock import utcnow
from services.kernel.db import insert_once


def add_transition(session: Session, message: HubMessage, state: str, *, note: str | None = None,
                   at: datetime | None = None) -> None:
    """Move ``message`` to ``state`` and write the step on its timeline."""
    assert message.id is not None
    message.state = state
    session.add(message)
    session.add(HubTransition(message_pk=message.id, state=state, note=note, at=at or utcnow()))


def add_message_once(session: Session, message: HubMessage) -> int | None:
    """Store a new message; None when one with its (sender, message_id) is there already."""
    return insert_once(session, HubMessage.__table__, message.model_dump(exclude={"id"}))  # type: ignore[attr-defined]


def add_transitions(session: Session, pk: int, steps: list[tuple[str, datetime, str | None]]) -> None:
    """Write steps on a stored message's timeline (its ``state`` is set by the caller)."""
    session.exec(insert(HubTransition).values(
        [{"message_pk": pk, "state": state, "at": at, "note": note} for state, at, note in steps]))


def find(session: Session, *, sender: str, message_id: str) -> HubMessage | None:
    statement = select(HubMessage).where(HubMessage.sender == sender, HubMessage.message_id == message_id)
    return session.exec(statement).first()


def by_message_id(session: Session, message_id: str) -> list[HubMessage]:
    return list(session.exec(select(HubMessage).where(HubMessage.message_id == message_id)))


def timeline(session: Session, message: HubMessage) -> list[HubTransition]:
    statement = (select(HubTransition).where(HubTransition.message_pk == message.id)
                 .order_by(col(HubTransition.id)))
    return list(session.exec(statement))


def replies_to(session: Session, message: HubMessage) -> list[HubMessage]:
    """Messages that answer ``message``: from its receiver, back to its sender."""
    statement = (select(HubMessage).where(HubMessage.in_reply_to == message.message_id,
                                          HubMessage.sender == message.receiver,
                                          HubMessage.receiver == message.sender)
                 .order_by(col(HubMessage.id)))
    return list(session.exec(statement))


def answered(session: Session, message: HubMessage) -> HubMessage | None:
    """The message that ``message`` answers, when it is one, locked: two workers recording
    the original and its answer at once then see each other's outcome (one acknowledges)."""
    if message.in_reply_to is None:
        return None
    statement = (select(HubMessage).where(HubMessage.sender == message.receiver,
                                          HubMessage.message_id == message.in_reply_to).with_for_update())
    return session.exec(statement).first()


def has_delivered_reply(session: Session, message: HubMessage) -> bool:
    statement = (select(func.count()).select_from(HubMessage)
                 .where(HubMessage.in_reply_to == message.message_id, HubMessage.sender == message.receiver,
                        HubMessage.receiver == message.sender, col(HubMessage.state).in_((DELIVERED, ACKNOWLEDGED))))
    with session.no_autoflush:
        return bool(session.exec(statement).one())


def claim_due(session: Session, *, limit: int, now: datetime) -> list[HubMessage]:
    """Lock up to ``limit`` messages due for delivery, none for a suspended receiver. On
    PostgreSQL other workers skip the locked rows (``FOR UPDATE SKIP LOCKED``); SQLite has one
    writer, so one worker."""
    due = or_(and_(col(HubMessage.state).in_(DUE_STATES), col(HubMessage.next_attempt_at) <= now),
              and_(col(HubMessage.state) == SENDING, col(HubMessage.lease_until) < now))
    held_back = select(HubSuspension.country).scalar_subquery()
    statement = (select(HubMessage).where(due, col(HubMessage.receiver).not_in(held_back))
                 .order_by(col(HubMessage.next_attempt_at), col(HubMessage.id))
                 .limit(limit).with_for_update(skip_locked=True))
    return list(session.exec(statement))


def held(session: Session, *, pk: int, lease_owner: str) -> HubMessage | None:
    """The message, locked, if the worker's lease on it still stands."""
    statement = (select(HubMessage).where(HubMessage.id == pk, HubMessage.state == SENDING,
                                          HubMessage.lease_owner == lease_owner).with_for_update())
    return session.exec(statement).first()


@dataclass(frozen=True)
class MessageFilter:
    country: str | None = None
    """Only messages this country sent or receives (None: all, for the operator)."""
    sender: str | None = None
    receiver: str | None = None
    state: str | None = None
    document_type: str | None = None
    conversation_id: str | None = None


def list_messages(session: Session, where: MessageFilter, *, limit: int, offset: int,
                  ) -> tuple[Sequence[HubMessage], int]:
    """Matching messages, newest first, and how many match in all."""
    conditions = []
    if where.country is not None:
        conditions.append(or_(col(HubMessage.sender) == where.country, col(HubMessage.receiver) == where.country))
    for column, value in ((HubMessage.sender, where.sender), (HubMessage.receiver, where.receiver),
                          (HubMessage.state, where.state), (HubMessage.document_type, where.document_type),
                          (HubMessage.conversation_id, where.conversation_id)):
        if value is not None:
            conditions.append(col(column) == value)
    total = session.exec(select(func.count()).select_from(HubMessage).where(*conditions)).one()
    statement = (select(HubMessage).where(*conditions).order_by(col(HubMessage.id).desc())
                 .limit(limit).offset(offset))
    return list(session.exec(statement)), int(total)


def count_by_link(session: Session) -> list[tuple[str, str, str, int]]:
    """(sender, receiver, state, count) for every link and state in use."""
    statement = (select(HubMessage.sender, HubMessage.receiver, HubMessage.state, func.count())
                 .group_by(col(HubMessage.sender), col(HubMessage.receiver), col(HubMessage.state)))
    return [(s, r, st, int(n)) for s, r, st, n in session.exec(statement)]


def suspended(session: Session) -> dict[str, HubSuspension]:
    """The participants out of delivery, by country."""
    return {row.country: row for row in session.exec(select(HubSuspension))}


def suspend(session: Session, country: str, *, note: str | None) -> HubSuspension:
    row = session.get(HubSuspension, country)
    if row is None:
        row = HubSuspension(country=country, note=note)
        session.add(row)
        session.flush()
    return row


def resume(session: Session, country: str) -> bool:
    """Take the suspension off; False when there was none."""
    row = session.get(HubSuspension, country)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def for_replay(session: Session, pk: int) -> HubMessage | None:
    """The message, locked: a replay and a worker never both change it."""
    return session.exec(select(HubMessage).where(HubMessage.id == pk).with_for_update()).first()
