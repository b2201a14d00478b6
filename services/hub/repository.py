"""All SQL of the hub. Repositories flush; the caller's unit of work commits."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, insert, or_, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from services.hub.models import DUE_STATES, HubMessage, HubState, HubSuspension, HubTransition
from services.kernel.clock import utcnow
from services.kernel.db import add_flushed, insert_once
from services.kernel.web.identity import Caller
from services.kernel.web.visibility import owned_by


def add_transition(session: Session, message: HubMessage, state: HubState, *, note: str | None = None,
                   at: datetime | None = None) -> None:
    """Move ``message`` to ``state`` and write the step on its timeline."""
    assert message.id is not None
    message.state = state
    session.add(message)
    session.add(HubTransition(message_pk=message.id, state=state, note=note, at=at or utcnow()))


def add_message_once(session: Session, message: HubMessage) -> int | None:
    """Store a new message; None when one with its (sender, message_id) is there already."""
    key = insert_once(session, message)
    return None if key is None else int(key)


def add_transitions(session: Session, pk: int, steps: list[tuple[HubState, datetime, str | None]]) -> None:
    """Write steps on a stored message's timeline (its ``state`` is set by the caller)."""
    session.exec(insert(HubTransition).values(
        [{"message_pk": pk, "state": state, "at": at, "note": note} for state, at, note in steps]))


def find(session: Session, *, sender: str, message_id: str) -> HubMessage | None:
    statement = select(HubMessage).where(HubMessage.sender == sender, HubMessage.message_id == message_id)
    return session.exec(statement).first()


def messages_visible_to(caller: Caller) -> ColumnElement[bool]:
    """A message belongs to its sender and its receiver. The hub's own token, which every NSW
    endpoint holds, names neither, so it sees none."""
    return owned_by(caller, HubMessage.sender, HubMessage.receiver)


def visible_with_id(session: Session, caller: Caller, message_id: str, *, sender: str | None) -> list[HubMessage]:
    """The messages under ``message_id`` (from ``sender``, if given) that the caller may see:
    ids are chosen by senders, so two of them may have used one."""
    statement = select(HubMessage).where(HubMessage.message_id == message_id, messages_visible_to(caller))
    if sender is not None:
        statement = statement.where(HubMessage.sender == sender)
    return list(session.exec(statement.order_by(col(HubMessage.id))))


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
                        HubMessage.receiver == message.sender,
                        col(HubMessage.state).in_((HubState.DELIVERED, HubState.ACKNOWLEDGED))))
    with session.no_autoflush:
        return bool(session.exec(statement).one())


def claim_due(session: Session, *, limit: int, now: datetime, caps: Mapping[str, int] | None = None,
              turn: int = 0) -> list[HubMessage]:
    """Lock up to ``limit`` messages due for delivery, shared out among their receivers in
    turn, none for a suspended receiver.

    Each receiver with a due message offers its oldest ones (at most ``caps[receiver]`` when
    given; 0 leaves it out), and the room is filled one message per receiver at a time,
    starting at the ``turn``-th receiver, so a receiver's backlog never keeps the others
    waiting. On PostgreSQL other workers skip the locked rows (``FOR UPDATE SKIP LOCKED``);
    SQLite has one writer, so one worker."""
    caps = caps or {}
    receivers = [r for r in due_receivers(session, now=now) if caps.get(r, limit) > 0]
    if not receivers or limit <= 0:
        return []
    start = turn % len(receivers)
    offers = [_oldest_due(session, receiver=r, limit=min(limit, caps.get(r, limit)), now=now)
              for r in receivers[start:] + receivers[:start]]
    chosen = round_robin(offers, room=limit)
    if not chosen:
        return []
    by_pk = {m.id: m for m in session.exec(select(HubMessage).where(col(HubMessage.id).in_(chosen)))}
    return [by_pk[pk] for pk in chosen]


def due_receivers(session: Session, *, now: datetime) -> list[str]:
    """The receivers, in code order, with a message due for delivery now, none suspended.

    The receivers are found by skipping through the receiver index (one probe for each
    distinct receiver, however many messages it has), then each is asked for one due
    message through ``ix_hub_message_receiver_due``: no scan over a backlog."""
    later = aliased(HubMessage)
    first = select(func.min(HubMessage.receiver).label("receiver"))
    receivers = first.cte("receivers", recursive=True)
    following = (select(func.min(later.receiver)).where(col(later.receiver) > receivers.c.receiver)
                 .scalar_subquery())
    receivers = receivers.union_all(select(following).where(receivers.c.receiver.is_not(None)))
    due = aliased(HubMessage)
    conditions = [(col(due.state) == state, col(due.next_attempt_at) <= now) for state in DUE_STATES]
    conditions.append((col(due.state) == HubState.SENDING, col(due.lease_until) < now))
    # a first-in-order subquery per state rather than EXISTS: PostgreSQL drops the ORDER BY of
    # an EXISTS and may then scan the whole table for a receiver with nothing due
    probes = [select(due.id).where(col(due.receiver) == receivers.c.receiver, *condition)
              .order_by(col(due.next_attempt_at)).limit(1).scalar_subquery().is_not(None)
              for condition in conditions]
    held_back = select(HubSuspension.country).scalar_subquery()
    statement = (select(receivers.c.receiver)
                 .where(receivers.c.receiver.is_not(None), receivers.c.receiver.not_in(held_back), or_(*probes))
                 .order_by(receivers.c.receiver))
    return [str(receiver) for receiver in session.exec(statement)]


def _oldest_due(session: Session, *, receiver: str, limit: int, now: datetime) -> list[int]:
    """The keys of up to ``limit`` of the receiver's due messages, oldest first, locked.

    One ordered query per state (and one for leases run out) rather than one with an OR:
    each reads ``ix_hub_message_receiver_due`` in order and stops at ``limit``, where an OR
    would have to sort every due message. Only keys are read here; the bodies of those
    claimed are loaded afterwards."""
    due_now = col(HubMessage.next_attempt_at) <= now
    conditions = [(col(HubMessage.state) == state, due_now) for state in DUE_STATES]
    conditions.append((col(HubMessage.state) == HubState.SENDING, col(HubMessage.lease_until) < now))
    keys: list[tuple[datetime, int]] = []
    for condition in conditions:
        statement = (select(HubMessage.next_attempt_at, HubMessage.id)
                     .where(col(HubMessage.receiver) == receiver, *condition)
                     .order_by(col(HubMessage.next_attempt_at), col(HubMessage.id))
                     .limit(limit).with_for_update(skip_locked=True))
        keys.extend((at, pk) for at, pk in session.exec(statement) if pk is not None)
    return [pk for _, pk in sorted(keys)[:limit]]


def round_robin(offers: list[list[int]], *, room: int) -> list[int]:
    """Up to ``room`` of the offered items, one from each offer in turn (round-robin)."""
    taken: list[int] = []
    for depth in range(max((len(offer) for offer in offers), default=0)):
        for offer in offers:
            if len(taken) == room:
                return taken
            if depth < len(offer):
                taken.append(offer[depth])
    return taken


def held(session: Session, *, pk: int, lease_owner: str) -> HubMessage | None:
    """The message, locked, if the worker's lease on it still stands."""
    statement = (select(HubMessage).where(HubMessage.id == pk, HubMessage.state == HubState.SENDING,
                                          HubMessage.lease_owner == lease_owner).with_for_update())
    return session.exec(statement).first()


@dataclass(frozen=True)
class MessageFilter:
    country: str | None = None
    """Only messages this country sent or receives."""
    sender: str | None = None
    receiver: str | None = None
    state: str | None = None
    document_type: str | None = None
    conversation_id: str | None = None


def list_messages(session: Session, caller: Caller, where: MessageFilter, *, limit: int, offset: int,
                  ) -> tuple[Sequence[HubMessage], int]:
    """Matching messages the caller may see, newest first, and how many match in all."""
    conditions = [messages_visible_to(caller)]
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


def count_by_link(session: Session, caller: Caller | None = None) -> list[tuple[str, str, str, int]]:
    """(sender, receiver, state, count) for every link and state in use; only the caller's
    links when given (None: all of them, for the hub's own metrics)."""
    visible = true() if caller is None else messages_visible_to(caller)
    statement = (select(HubMessage.sender, HubMessage.receiver, HubMessage.state, func.count()).where(visible)
                 .group_by(col(HubMessage.sender), col(HubMessage.receiver), col(HubMessage.state)))
    return [(s, r, st, int(n)) for s, r, st, n in session.exec(statement)]


def suspended(session: Session) -> dict[str, HubSuspension]:
    """The participants out of delivery, by country."""
    return {row.country: row for row in session.exec(select(HubSuspension))}


def suspend(session: Session, country: str, *, note: str | None) -> HubSuspension:
    row = session.get(HubSuspension, country)
    if row is None:
        row = add_flushed(session, HubSuspension(country=country, note=note))
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
