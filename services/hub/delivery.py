"""Delivery: workers claim due messages, POST them to the receiver's ``/inbox`` and keep
the signed receipt.

A message moves ``QUEUED -> SENDING -> DELIVERED`` (and ``-> ACKNOWLEDGED`` when the
receiver's business answer has been delivered back). A timeout, a refused connection, a
5xx or 429, or an answer that is not a receipt signed by the receiver, is transient:
``WAITING_FOR_RETRY`` with capped exponential backoff and full jitter, and ``FAILED`` (a
dead letter, replayable) after ``max_attempts`` or ``max_age``. A permanent error signal
signed by the receiver ends as ``REJECTED``.

Claims take a lease: a worker that dies mid-send leaves the message ``SENDING`` until the
lease runs out, then any worker takes it up again. The receiver eliminates duplicates, so
a message sent twice that way is still delivered once.

Fairness: a round shares the worker's room among the receivers with due messages, one
message each in turn, starting with a different receiver every round
(``repository.claim_due``), so a receiver with a backlog of a hundred thousand does not
keep another's single message waiting; when all that is due fits in the room there is
nothing to share, and one query finds it. A worker refills once a quarter of its room is
free (or on its next look), not after every finished delivery.

Holding back a failing receiver: after a transient outcome (no answer, a timeout, a 5xx or
429, an answer that is not its signed receipt) the receiver counts as failing, in this
worker's memory: it gets at most ``failing_receiver_concurrency`` deliveries in flight, and
none started for ``failing_receiver_pause`` seconds after each such outcome. Its backlog is
probed by a few messages at a time while the room goes to the receivers that answer; the
first signed receipt or error signal from it ends the hold. Each message's own retry
schedule is unchanged; the messages not probed simply stay due. Several workers hold back
each on its own, so a failing receiver sees at most that many per worker.

Cost: a claim round and the record of an outcome are a few Core statements each, built once
(``repository``), with no ORM objects; deliveries go over kept HTTP/1.1 connections
(``services.kernel.http_client``). The hub's own worker, woken by intake, replay and
resume, sleeps when idle until the next retry or lease falls due; a ``swx hub-worker``
process polls.
"""

import asyncio
import functools
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import RowMapping
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.hub import repository
from services.hub.config import HubSettings
from services.hub.models import HubState
from services.hub.receipts import Answer, read_answer
from services.hub.repository import Step
from services.kernel.background import BackgroundLoop
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.kernel.http_client import new_http_client
from services.kernel.network import Network
from services.kernel.retry import age

log = logging.getLogger("swx.hub.delivery")
IDLE_LIMIT = 30.0
"""Seconds the hub's own worker waits at most without being woken: a message a worker in
another process left behind (a lease run out, a retry) is found by then."""


@dataclass(frozen=True)
class Claim:
    """A message a worker holds the lease on, with what it needs to send it."""

    pk: int
    lease_owner: str
    message_id: str
    sender: str
    receiver: str
    payload_digest: str
    body: bytes
    """The envelope exactly as its sender signed and sent it, never rebuilt from the columns
    (they keep ``created_at`` as an instant in UTC, not with the offset that was signed)."""
    media_type: str
    """The body's Content-Type: ``application/json`` or ``application/xml``, as it arrived."""
    attempts: int
    """This attempt's number: only the lease holder changes it, so it still holds at the outcome."""
    queued_at: datetime
    """Where its age for ``max_age`` counts from: when it was received, or last replayed."""
    in_reply_to: str | None
    document_type: str


def leased_claim(row: RowMapping, *, owner: str) -> Claim:
    """The claim on a message whose lease was just taken (a row of ``repository.take_leases``):
    it sends the stored envelope as received, with its media type."""
    return Claim(pk=row["id"], lease_owner=owner, message_id=row["message_id"], sender=row["sender"],
                 receiver=row["receiver"], payload_digest=row["payload_digest"], body=row["envelope"],
                 media_type=row["envelope_media_type"], attempts=row["attempts"],
                 queued_at=row["queued_at"] or row["received_at"], in_reply_to=row["in_reply_to"],
                 document_type=row["document_type"])


def new_delivery_client(settings: HubSettings) -> httpx.AsyncClient:
    """The HTTP client a worker delivers with: a connection kept for each delivery in flight."""
    limits = httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)
    return new_http_client(limits=limits)


class DeliveryWorker(BackgroundLoop):
    """Delivers due messages, up to ``settings.concurrency`` at a time. Deliveries stay in
    flight across rounds: a round claims what there is room for and starts sending it; a
    worker waits when it is nearly full, until enough deliveries finish to wake it."""

    name = "hub-delivery"

    def __init__(self, *, engine: Engine, network: Network, settings: HubSettings, client: httpx.AsyncClient,
                 lock: asyncio.Lock | None = None, woken_by_intake: bool = False) -> None:
        self.engine, self.network, self.settings, self.client = engine, network, settings, client
        self.woken_by_intake = woken_by_intake
        """Whether everything that queues a message wakes this worker: the hub's own worker,
        which then need not look before the next retry or lease falls due. A ``swx hub-worker``
        process is woken by nothing and polls every ``poll_interval``."""
        self._idle_until: datetime | None = None
        """After a round that found nothing due (hub's own worker only): when the next waiting
        message falls due, as far as the worker knows; None: poll."""
        self._in_flight: set[asyncio.Task[None]] = set()
        self._in_flight_to: Counter[str] = Counter()
        self._failing_until: dict[str, float] = {}
        """Receivers held back (their last outcome was transient), to the monotonic instant
        their pause ends."""
        self._turn = 0
        self._outcomes: list[tuple[Claim, Answer, asyncio.Future[None]]] = []
        """Outcomes of finished sends waiting to be recorded, each with what its delivery awaits."""
        self._recorder: asyncio.Task[None] | None = None
        super().__init__(lock=lock, idle_wait=settings.poll_interval)

    @property
    def room(self) -> int:
        """How many more deliveries may start now."""
        return self.settings.concurrency - len(self._in_flight)

    @property
    def refill_at(self) -> int:
        """The room at which a finished delivery wakes the worker: claiming in batches rather
        than one message per finished delivery."""
        return max(1, self.settings.concurrency // 4)

    def caps(self) -> dict[str, int]:
        """How many more deliveries each failing receiver may have now (0 while paused);
        receivers not named are not held back."""
        now = time.monotonic()
        limit = self.settings.failing_receiver_concurrency
        return {receiver: 0 if until > now else max(0, limit - self._in_flight_to[receiver])
                for receiver, until in self._failing_until.items()}

    async def run_round(self) -> int:
        """Claim as many due messages as there is room for and start delivering each; how many."""
        if self.room <= 0:
            return 0
        self._turn += 1
        try:
            claims = await self.in_turn(self.claim_due, self.room, self.caps(), self._turn)
        except Exception:  # the database may be away for a while: the loop waits and tries again
            log.exception("delivery.claim_failed")
            return 0
        for claim in claims:
            task = asyncio.create_task(self.deliver(claim))
            self._in_flight.add(task)
            self._in_flight_to[claim.receiver] += 1
            task.add_done_callback(functools.partial(self._finished, claim.receiver))
        return len(claims)

    def idle_seconds(self) -> float:
        """How long to wait when nothing wakes the worker: ``poll_interval``, or for the hub's
        own worker until the next retry or lease falls due (at most ``IDLE_LIMIT``; never less
        than ``poll_interval``, as a receiver suspended or held back keeps messages due)."""
        until = self._idle_until
        if until is None:
            return self.idle_wait
        return min(IDLE_LIMIT, max(self.idle_wait, (until - utcnow()).total_seconds()))

    def waits_after(self, taken: int) -> bool:
        # nearly full: a round now would claim a message or two; finished deliveries wake it
        return taken == 0 or self.room < self.refill_at

    async def stop(self) -> None:
        """Stop claiming, and let the deliveries under way finish (a cancelled one would be
        sent again after its lease, which the receiver tolerates but need not see)."""
        await super().stop()
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def _finished(self, receiver: str, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._in_flight_to[receiver] -= 1
        if self._in_flight_to[receiver] <= 0:
            del self._in_flight_to[receiver]
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery.crashed error=%r", task.exception())
        if self.room >= self.refill_at:
            self.wake()

    def claim_due(self, limit: int, caps: dict[str, int] | None = None, turn: int = 0) -> list[Claim]:
        """Take the lease on up to ``limit`` due messages, shared among their receivers (one
        transaction); ``caps`` limits the receivers held back."""
        now = utcnow()
        owner = str(uuid.uuid4())
        self._idle_until = None
        with session_scope(self.engine) as session:
            due = repository.claim_due(session, limit=limit, now=now, caps=caps, turn=turn)
            if not due:
                if self.woken_by_intake:
                    self._idle_until = repository.next_due(session) or now + timedelta(seconds=IDLE_LIMIT)
                return []
            rows = {row["id"]: row for row in repository.take_leases(
                session, [d.pk for d in due], owner=owner, until=now + timedelta(seconds=self.settings.lease))}
            claims = [leased_claim(rows[d.pk], owner=owner) for d in due]
            repository.add_steps(session, [
                (claim.pk, HubState.SENDING, now, f"attempt {claim.attempts} to {claim.receiver}"
                 + (" (the previous attempt's lease ran out)" if d.state == HubState.SENDING else ""))
                for d, claim in zip(due, claims, strict=True)])
        return claims

    async def deliver(self, claim: Claim) -> None:
        answer = await self.send(claim)
        self._note_outcome(claim.receiver, answer)
        recorded = asyncio.get_running_loop().create_future()
        self._outcomes.append((claim, answer, recorded))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_outcomes())
        try:
            await recorded
        except Exception:  # the lease runs out and the message is sent again; the receiver deduplicates
            log.exception("delivery.record_failed message_id=%s", claim.message_id)

    async def _record_outcomes(self) -> None:
        """Record the outcomes that came in, together: those that come while a batch is being
        written form the next one (one thread hop and one transaction for each batch, not for
        each delivery). When a batch fails, each of its outcomes is tried on its own."""
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                await self.in_turn(self.record_all, [(claim, answer) for claim, answer, _ in batch])
            except Exception as error:
                if len(batch) == 1:
                    _settle(batch[0][2], error)
                else:
                    await self._record_one_by_one(batch)
            else:
                for _, _, recorded in batch:
                    _settle(recorded)

    async def _record_one_by_one(self, batch: list[tuple[Claim, Answer, asyncio.Future[None]]]) -> None:
        for claim, answer, recorded in batch:
            try:
                await self.in_turn(self.record, claim, answer)
            except Exception as error:
                _settle(recorded, error)
            else:
                _settle(recorded)

    def _note_outcome(self, receiver: str, answer: Answer) -> None:
        """Hold a receiver back after a transient outcome; let it go at its first signed answer."""
        if answer.outcome == HubState.WAITING_FOR_RETRY:
            if receiver not in self._failing_until:
                log.warning("receiver.held_back receiver=%s reason=%s", receiver, answer.reason)
            self._failing_until[receiver] = time.monotonic() + self.settings.failing_receiver_pause
        elif self._failing_until.pop(receiver, None) is not None:
            log.info("receiver.released receiver=%s", receiver)

    async def send(self, claim: Claim) -> Answer:
        participant = self.network.participants.get(claim.receiver)
        if participant is None or not participant.endpoint:
            return Answer.transient(f"the network directory has no endpoint for {claim.receiver}")
        try:
            token = self.network.hub_token
        except LookupError as error:  # a deployment fault: the message waits under the policy for the secret
            return Answer.transient(f"this hub process holds no hub token to deliver with: {error}")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": claim.media_type}
        try:
            response = await self.client.post(f"{participant.endpoint.rstrip('/')}/inbox", content=claim.body,
                                              headers=headers, timeout=self.settings.delivery_timeout)
        except httpx.TimeoutException:
            return Answer.transient(f"{claim.receiver} did not answer within {self.settings.delivery_timeout:g} s")
        except httpx.HTTPError as error:
            return Answer.transient(f"{claim.receiver} is unreachable: {type(error).__name__}")
        return read_answer(response, claim=claim, network=self.network)

    def record(self, claim: Claim, answer: Answer) -> None:
        """Write the outcome of one attempt, unless another worker took the message over."""
        self.record_all([(claim, answer)])

    def record_all(self, outcomes: list[tuple[Claim, Answer]]) -> None:
        """Write the outcomes of attempts in one transaction, each unless another worker took
        its message over.

        Rows are locked in key order (the originals that answers complete together with the
        messages themselves; else each outcome's, in key order): two workers' batches wait for each other,
        never deadlock. What else an outcome does (its log lines, an earlier wake-up) happens
        once the batch is committed: a batch that fails and is recorded again one outcome at a
        time says each thing once."""
        outcomes = sorted(outcomes, key=lambda outcome: outcome[0].pk)
        effects: list[Callable[[], None]] = []
        with session_scope(self.engine) as session:
            originals = self._lock(session, outcomes)
            steps: list[Step] = []
            states: dict[int, HubState] = {}
            for claim, answer in outcomes:
                state = self._record(session, claim, answer, steps, effects)
                if state is not None:
                    states[claim.pk] = state
            delivered = [claim for claim, _ in outcomes if states.get(claim.pk) == HubState.DELIVERED]
            steps += self._acknowledgements(session, delivered, originals, states, effects)
            repository.add_steps(session, steps)
        for effect in effects:
            effect()

    @staticmethod
    def _lock(session: Session, outcomes: list[tuple[Claim, Answer]]) -> dict[tuple[str, str], tuple[int, str]]:
        """Lock the messages and the originals that deliveries among them may acknowledge, in
        key order; the originals' keys and states. Nothing when no answer was delivered: the
        outcomes are written in key order, which locks them in that order."""
        replies = [(claim.receiver, claim.in_reply_to) for claim, answer in outcomes
                   if claim.in_reply_to is not None and answer.outcome == HubState.DELIVERED]
        if not replies:
            return {}
        return repository.lock_for_recording(session, pks=[claim.pk for claim, _ in outcomes], originals=replies)

    def _record(self, session: Session, claim: Claim, answer: Answer, steps: list[Step],
                effects: list[Callable[[], None]]) -> HubState | None:
        """Write one outcome, and add its step to ``steps`` and what follows the commit to
        ``effects``; the message's new state, None when another worker took it over."""
        now = utcnow()
        policy = self.settings.retry_policy()
        queued_at = claim.queued_at
        if answer.outcome == HubState.DELIVERED:
            state, note = HubState.DELIVERED, answer.reason
            values: dict[str, Any] = {"receipt": answer.document, "delivered_at": now, "last_error": None}
        elif answer.outcome == HubState.REJECTED:
            state, note = HubState.REJECTED, answer.reason
            values = {"error_signal": answer.document, "last_error": answer.reason}
        elif policy.gives_up(attempts=claim.attempts, queued_at=queued_at, now=now):
            state, values = HubState.FAILED, {"last_error": answer.reason}
            note = (f"gave up after {claim.attempts} attempt(s) in {age(queued_at, now=now):.0f} s: "
                    f"{answer.reason}")
        else:
            delay = policy.delay(claim.attempts, retry_after=answer.retry_after)
            state, note = HubState.WAITING_FOR_RETRY, f"{answer.reason}; next attempt in {delay:.1f} s"
            values = {"last_error": answer.reason, "next_attempt_at": now + timedelta(seconds=delay)}
            effects.append(functools.partial(self._falls_due, values["next_attempt_at"]))
        if not repository.release(session, pk=claim.pk, lease_owner=claim.lease_owner,
                                  values={"state": state, **values}):
            effects.append(functools.partial(log.warning, "delivery.lease_lost message_id=%s", claim.message_id))
            return None
        effects.append(functools.partial(_log_outcome, claim, state, answer))
        steps.append((claim.pk, state, now, note))
        return state

    def _falls_due(self, moment: datetime) -> None:
        """A retry this worker scheduled: an idle wait ends by then (the finished delivery that
        scheduled it wakes the worker only once there is room for a round)."""
        until = self._idle_until
        if until is not None and moment < until:
            self._idle_until = moment

    def _acknowledgements(self, session: Session, delivered: list[Claim],
                          originals: dict[tuple[str, str], tuple[int, str]], states: dict[int, HubState],
                          effects: list[Callable[[], None]]) -> list[Step]:
        """Acknowledge what the deliveries of ``delivered`` (locked, just DELIVERED) complete: the
        originals they answer (locked, with their ``originals`` states, or the ``states`` this
        batch gave them), when delivered, and themselves, when their answer was delivered
        first; the steps."""
        steps: list[Step] = []
        at = utcnow()
        for claim in delivered:
            if claim.in_reply_to is None or (original := originals.get((claim.receiver, claim.in_reply_to))) is None:
                continue
            pk, state = original
            if states.get(pk, state) == HubState.DELIVERED:
                repository.acknowledge(session, pk=pk, at=at)
                states[pk] = HubState.ACKNOWLEDGED
                steps.append((pk, HubState.ACKNOWLEDGED, at,
                              f"answered by {claim.document_type} {claim.message_id}, delivered to {claim.receiver}"))
                effects.append(functools.partial(log.info, "message.acknowledged message_id=%s", claim.in_reply_to))
        answered = repository.acknowledge_if_answered(session, pks=[claim.pk for claim in delivered], at=at)
        for claim in delivered:
            if claim.pk in answered:
                steps.append((claim.pk, HubState.ACKNOWLEDGED, at, "its answer had already been delivered"))
                effects.append(functools.partial(log.info, "message.acknowledged message_id=%s", claim.message_id))
        return steps


def _settle(recorded: asyncio.Future[None], error: Exception | None = None) -> None:
    """Tell a delivery its outcome is recorded (or why not), unless it no longer waits."""
    if recorded.done():
        return
    if error is None:
        recorded.set_result(None)
    else:
        recorded.set_exception(error)


def _log_outcome(claim: Claim, state: HubState, answer: Answer) -> None:
    if state == HubState.DELIVERED:
        log.info("message.delivered message_id=%s receiver=%s attempts=%d", claim.message_id, claim.receiver,
                 claim.attempts)
    elif state == HubState.REJECTED:
        log.warning("message.rejected message_id=%s receiver=%s reason=%s", claim.message_id, claim.receiver,
                    answer.reason)
    elif state == HubState.FAILED:
        log.warning("message.failed message_id=%s attempts=%d reason=%s", claim.message_id, claim.attempts,
                    answer.reason)
    else:
        log.info("message.retry message_id=%s attempts=%d reason=%s", claim.message_id, claim.attempts,
                 answer.reason)
