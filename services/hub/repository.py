"""All SQL of the hub. Repositories flush; the caller's unit of work commits."""

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    RowMapping,
    Select,
    Table,
    bindparam,
    exists,
    insert,
    or_,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from services.hub.models import DUE_STATES, HubMessage, HubState, HubSuspension, HubTransition
from services.kernel.clock import as_utc, utcnow
from services.kernel.db import add_flushed, insert_values_once
from services.kernel.web.identity import Caller
from services.kernel.web.visibility import owned_by

HUB_MESSAGE: Table = HubMessage.__table__  # type: ignore[attr-defined]
HUB_TRANSITION: Table = HubTransition.__table__  # type: ignore[attr-defined]
"""The tables, for Core statements where the ORM would load whole rows to change a few columns."""
DATETIME = HUB_MESSAGE.c.next_attempt_at.type
"""The type of bound instants, so that each backend stores and compares them as its columns."""
Item = TypeVar("Item")
Step = tuple[int, HubState, datetime, str | None]
"""A step on a message's timeline: its key, the state it moved to, when, and a note."""


def add_transition(session: Session, message: HubMessage, state: HubState, *, note: str | None = None,
                   at: datetime | None = None) -> None:
    """Move ``message`` to ``state`` and write the step on its timeline."""
    assert message.id is not None
    message.state = state
    session.add(message)
    session.add(HubTransition(message_pk=message.id, state=state, note=note, at=at or utcnow()))


def add_message_once(session: Session, columns: Mapping[str, Any]) -> int | None:
    """Store a new message (its ``columns``); None when one with its (sender, message_id) is
    there already. Two requests racing with the same key give one row and one None."""
    inserted = insert_values_once(session, HUB_MESSAGE, columns)
    return None if inserted is None else int(inserted)


def add_transitions(session: Session, pk: int, steps: list[tuple[HubState, datetime, str | None]]) -> None:
    """Write steps on a stored message's timeline (its ``state`` is set by the caller)."""
    add_steps(session, [(pk, state, at, note) for state, at, note in steps])


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


# the statements of intake and delivery are built once, with bound parameters: building one
# (its cache key above all, for an ORM alias a fresh one each time) cost far more than running it
_REPLY = HUB_MESSAGE.alias("reply")
_LOCK_FOR_RECORDING = (
    core_select(HUB_MESSAGE.c.id, HUB_MESSAGE.c.sender, HUB_MESSAGE.c.message_id, HUB_MESSAGE.c.state)
    .where(or_(HUB_MESSAGE.c.id.in_(bindparam("b_pks", expanding=True)),
               tuple_(HUB_MESSAGE.c.sender, HUB_MESSAGE.c.message_id).in_(bindparam("b_originals", expanding=True))))
    .order_by(HUB_MESSAGE.c.id).with_for_update())
_ACKNOWLEDGE = (update(HUB_MESSAGE).where(HUB_MESSAGE.c.id == bindparam("b_pk"))
                .values(state=HubState.ACKNOWLEDGED, acknowledged_at=bindparam("b_at", type_=DATETIME)))
_ACKNOWLEDGE_IF_ANSWERED = (
    update(HUB_MESSAGE).where(HUB_MESSAGE.c.id.in_(bindparam("b_pks", expanding=True)),
                              HUB_MESSAGE.c.state == HubState.DELIVERED, exists().where(
        _REPLY.c.in_reply_to == HUB_MESSAGE.c.message_id, _REPLY.c.sender == HUB_MESSAGE.c.receiver,
        _REPLY.c.receiver == HUB_MESSAGE.c.sender, _REPLY.c.state.in_((HubState.DELIVERED, HubState.ACKNOWLEDGED))))
    .values(state=HubState.ACKNOWLEDGED, acknowledged_at=bindparam("b_at", type_=DATETIME))
    .returning(HUB_MESSAGE.c.id))


def lock_for_recording(session: Session, *, pks: Sequence[int], originals: Sequence[tuple[str, str]],
                       ) -> dict[tuple[str, str], tuple[int, str]]:
    """Lock the messages ``pks`` and the originals (sender, message_id) answers among them
    answer, all in key order, so that two workers recording at once, each an original the
    other's answer completes, wait for each other rather than deadlock; and so that they see
    each other's outcome (one acknowledges). The key and state of each original found."""
    rows = session.execute(_LOCK_FOR_RECORDING, {"b_pks": list(pks), "b_originals": list(originals)})
    wanted = set(originals)
    return {(sender, message_id): (pk, state) for pk, sender, message_id, state in rows
            if (sender, message_id) in wanted}


def acknowledge_if_answered(session: Session, *, pks: Sequence[int], at: datetime) -> set[int]:
    """Acknowledge those of the messages ``pks`` (just delivered, and locked by the caller)
    still DELIVERED whose answer was delivered before them; their keys."""
    if not pks:
        return set()
    return set(session.execute(_ACKNOWLEDGE_IF_ANSWERED, {"b_pks": list(pks), "b_at": at}).scalars())


def acknowledge(session: Session, *, pk: int, at: datetime) -> None:
    session.execute(_ACKNOWLEDGE, {"b_pk": pk, "b_at": at})


@dataclass(frozen=True)
class Due:
    """A message due for delivery, as a claim round finds it."""

    pk: int
    receiver: str
    state: str
    at: datetime
    """Its ``next_attempt_at``: the oldest go first."""


def _due_conditions() -> list[tuple[ColumnElement[bool], ColumnElement[bool]]]:
    """One condition per way of being due at ``b_now`` (each state, and a lease run out)."""
    now = bindparam("b_now", type_=DATETIME)
    due_now = HUB_MESSAGE.c.next_attempt_at <= now
    conditions = [(HUB_MESSAGE.c.state == state, due_now) for state in DUE_STATES]
    conditions.append((HUB_MESSAGE.c.state == HubState.SENDING, HUB_MESSAGE.c.lease_until < now))
    return conditions


@functools.cache
def _oldest_due(receivers: int) -> CompoundSelect[Any]:
    """One statement: for each of ``receivers`` receivers (``b_r0``, ``b_r1``...; 0: any
    receiver at all) the oldest messages due at ``b_now`` (``b_l0``, ``b_l1``... of them; for
    any receiver ``b_limit``), locked (rows other workers locked are skipped), each with
    whether its receiver is suspended.

    One ordered arm per receiver and way of being due rather than one query with an OR: each
    arm reads ``ix_hub_message_receiver_due`` (or ``ix_hub_message_due``) in order and stops
    at ``b_limit``, where an OR would have to sort every due message. Only keys are read here;
    what a claim sends comes back with its lease."""
    suspended = HUB_MESSAGE.c.receiver.in_(core_select(HubSuspension.__table__.c.country))  # type: ignore[attr-defined]
    arms = []
    for n in range(receivers) if receivers else [None]:
        mine = () if n is None else (HUB_MESSAGE.c.receiver == bindparam(f"b_r{n}"),)
        limit = bindparam("b_limit" if n is None else f"b_l{n}", type_=Integer)
        for condition in _due_conditions():
            oldest = (core_select(HUB_MESSAGE.c.id, HUB_MESSAGE.c.receiver, HUB_MESSAGE.c.state,
                                  HUB_MESSAGE.c.next_attempt_at, suspended.label("suspended"))
                      .where(*mine, *condition).order_by(HUB_MESSAGE.c.next_attempt_at, HUB_MESSAGE.c.id)
                      .limit(limit).with_for_update(skip_locked=True).subquery())
            arms.append(core_select(oldest))
    return union_all(*arms)


def _found(session: Session, *, limit: int, now: datetime, receivers: Sequence[str] = (),
           caps: Mapping[str, int] | None = None) -> list[tuple[Due, bool]]:
    """The due messages ``_oldest_due`` finds, oldest first, with whether their receiver is
    suspended: at most ``limit`` for each of ``receivers`` (and each way of being due), fewer
    for a receiver with a smaller cap in ``caps`` (no more rows are locked than it may take)."""
    caps = caps or {}
    parameters: dict[str, Any] = {"b_now": now, "b_limit": limit}
    for n, receiver in enumerate(receivers):
        parameters[f"b_r{n}"] = receiver
        parameters[f"b_l{n}"] = min(limit, caps.get(receiver, limit))
    rows = [(Due(pk, receiver, state, at), bool(suspended))
            for pk, receiver, state, at, suspended in session.execute(_oldest_due(len(receivers)), parameters)]
    return sorted(rows, key=lambda row: (row[0].at, row[0].pk))


def claim_due(session: Session, *, limit: int, now: datetime, caps: Mapping[str, int] | None = None,
              turn: int = 0) -> list[Due]:
    """Lock up to ``limit`` messages due for delivery, shared out among their receivers in
    turn, none for a suspended receiver.

    Each receiver with a due message offers its oldest ones (at most ``caps[receiver]`` when
    given; 0 leaves it out), and the room is filled one message per receiver at a time,
    starting at the ``turn``-th receiver, so a receiver's backlog never keeps the others
    waiting. When everything due fits in the room (no backlog), one statement finds all of it
    and there is nothing to share out: each receiver's offer is all it has, and all of it is
    taken, oldest first. On PostgreSQL other workers skip the locked rows (``FOR UPDATE SKIP
    LOCKED``); SQLite has one writer, so one worker."""
    caps = caps or {}
    if limit <= 0:
        return []
    found = _found(session, limit=limit + 1, now=now)
    offers: dict[str, list[Due]] = {}
    if len(found) <= limit:  # all that is due
        for due, suspended in found:
            if not suspended:
                offers.setdefault(due.receiver, []).append(due)
    else:
        receivers = [r for r in due_receivers(session, now=now) if caps.get(r, limit) > 0]
        offers = {receiver: [] for receiver in receivers}
        if receivers:
            for due, _ in _found(session, limit=limit, now=now, receivers=receivers, caps=caps):
                offers[due.receiver].append(due)
    shares = {receiver: dues[:caps.get(receiver, limit)] for receiver, dues in offers.items()
              if caps.get(receiver, limit) > 0}
    if not shares:
        return []
    in_order = sorted(shares)
    start = turn % len(in_order)
    return round_robin([shares[r] for r in in_order[start:] + in_order[:start]], room=limit)


_NEXT_DUE = core_select(
    core_select(func.min(HUB_MESSAGE.c.next_attempt_at)).where(HUB_MESSAGE.c.state.in_(DUE_STATES)).scalar_subquery(),
    core_select(func.min(HUB_MESSAGE.c.lease_until)).where(HUB_MESSAGE.c.state == HubState.SENDING).scalar_subquery())


def next_due(session: Session) -> datetime | None:
    """The earliest instant a waiting message falls due (a retry, or a lease that runs out),
    in UTC; None when none waits."""
    first, lease = session.execute(_NEXT_DUE).one()
    return min((as_utc(moment) for moment in (first, lease) if moment is not None), default=None)


def _due_receivers() -> Select[tuple[str]]:
    """The receivers, in code order, with a message due at ``b_now``, none suspended.

    The receivers are found by skipping through the receiver index (one probe for each
    distinct receiver, however many messages it has), then each is asked for one due
    message through ``ix_hub_message_receiver_due``: no scan over a backlog."""
    later = HUB_MESSAGE.alias("later")
    first = core_select(func.min(HUB_MESSAGE.c.receiver).label("receiver"))
    receivers = first.cte("receivers", recursive=True)
    following = (core_select(func.min(later.c.receiver)).where(later.c.receiver > receivers.c.receiver)
                 .scalar_subquery())
    receivers = receivers.union_all(core_select(following).where(receivers.c.receiver.is_not(None)))
    due = HUB_MESSAGE.alias("due")
    now = bindparam("b_now", type_=DATETIME)
    conditions = [(due.c.state == state, due.c.next_attempt_at <= now) for state in DUE_STATES]
    conditions.append((due.c.state == HubState.SENDING, due.c.lease_until < now))
    # a first-in-order subquery per state rather than EXISTS: PostgreSQL drops the ORDER BY of
    # an EXISTS and may then scan the whole table for a receiver with nothing due
    probes = [core_select(due.c.id).where(due.c.receiver == receivers.c.receiver, *condition)
              .order_by(due.c.next_attempt_at).limit(1).scalar_subquery().is_not(None)
              for condition in conditions]
    held_back = core_select(HubSuspension.__table__.c.country).scalar_subquery()  # type: ignore[attr-defined]
    return (core_select(receivers.c.receiver)
            .where(receivers.c.receiver.is_not(None), receivers.c.receiver.not_in(held_back), or_(*probes))
            .order_by(receivers.c.receiver))


_DUE_RECEIVERS = _due_receivers()


def due_receivers(session: Session, *, now: datetime) -> list[str]:
    """The receivers, in code order, with a message due for delivery now, none suspended."""
    return [str(receiver) for receiver in session.execute(_DUE_RECEIVERS, {"b_now": now}).scalars()]


def round_robin(offers: list[list[Item]], *, room: int) -> list[Item]:
    """Up to ``room`` of the offered items, one from each offer in turn (round-robin)."""
    taken: list[Item] = []
    for depth in range(max((len(offer) for offer in offers), default=0)):
        for offer in offers:
            if len(taken) == room:
                return taken
            if depth < len(offer):
                taken.append(offer[depth])
    return taken


LEASED = ("id", "message_id", "in_reply_to", "sender", "receiver", "document_type", "payload_digest", "envelope",
          "envelope_media_type", "attempts", "received_at", "queued_at")
"""The columns a claim carries: what sending and recording one attempt need."""
_TAKE_LEASES = (update(HUB_MESSAGE).where(HUB_MESSAGE.c.id.in_(bindparam("b_keys", expanding=True)))
                .values(state=HubState.SENDING, attempts=HUB_MESSAGE.c.attempts + 1,
                        lease_owner=bindparam("b_owner"), lease_until=bindparam("b_until", type_=DATETIME))
                .returning(*(HUB_MESSAGE.c[name] for name in LEASED)))
_RELEASE = (update(HUB_MESSAGE).where(HUB_MESSAGE.c.id == bindparam("b_pk"), HUB_MESSAGE.c.state == HubState.SENDING,
                                      HUB_MESSAGE.c.lease_owner == bindparam("b_owner"))
            .values(lease_owner=None, lease_until=None).returning(HUB_MESSAGE.c.id))
_ADD_STEP = insert(HUB_TRANSITION)


def take_leases(session: Session, keys: Sequence[int], *, owner: str, until: datetime) -> Sequence[RowMapping]:
    """Move the claimed messages (locked by ``claim_due``) to SENDING under ``owner``'s lease,
    one more attempt each; the ``LEASED`` columns of each, in no particular order."""
    return session.execute(_TAKE_LEASES, {"b_keys": list(keys), "b_owner": owner, "b_until": until}).mappings().all()


def release(session: Session, *, pk: int, lease_owner: str, values: Mapping[str, Any]) -> bool:
    """Write an attempt's outcome (``values``: columns and their values) and end the lease, if
    the worker's lease on the message still stands (the row is then locked until the commit);
    whether it did."""
    parameters = {"b_pk": pk, "b_owner": lease_owner, **values}
    return session.execute(_RELEASE, parameters).first() is not None


def add_steps(session: Session, steps: Sequence[Step]) -> None:
    """Write steps on the timelines of messages whose ``state`` the caller has set, in one
    statement."""
    if steps:
        session.execute(_ADD_STEP, [{"message_pk": pk, "state": state, "at": at, "note": note}
                                    for pk, state, at, note in steps])


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
