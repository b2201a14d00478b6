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
keep another's single message waiting. A worker refills once a quarter of its room is free
(or on its next look), not after every finished delivery.

Holding back a failing receiver: after a transient outcome (no answer, a timeout, a 5xx or
429, an answer that is not its signed receipt) the receiver counts as failing, in this
worker's memory: it gets at most ``failing_receiver_concurrency`` deliveries in flight, and
none started for ``failing_receiver_pause`` seconds after each such outcome. Its backlog is
probed by a few messages at a time while the room goes to the receivers that answer; the
first signed receipt or error signal from it ends the hold. Each message's own retry
schedule is unchanged; the messages not probed simply stay due. Several workers hold back
each on its own, so a failing receiver sees at most that many per worker.
"""

import asyncio
import functools
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.hub import repository
from services.hub.config import HubSettings
from services.hub.models import HubMessage, HubState
from services.hub.receipts import Answer, read_answer
from services.kernel.background import BackgroundLoop
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.kernel.network import Network
from services.kernel.retry import age

log = logging.getLogger("swx.hub.delivery")


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


def stored_body(message: HubMessage) -> tuple[bytes, str]:
    """What delivery sends: the stored envelope as received, and its media type."""
    return message.envelope, message.envelope_media_type


class DeliveryWorker(BackgroundLoop):
    """Delivers due messages, up to ``settings.concurrency`` at a time. Deliveries stay in
    flight across rounds: a round claims what there is room for and starts sending it; a
    worker waits when it is nearly full, until enough deliveries finish to wake it."""

    name = "hub-delivery"

    def __init__(self, *, engine: Engine, network: Network, settings: HubSettings, client: httpx.AsyncClient,
                 lock: asyncio.Lock | None = None) -> None:
        self.engine, self.network, self.settings, self.client = engine, network, settings, client
        self._in_flight: set[asyncio.Task[None]] = set()
        self._in_flight_to: Counter[str] = Counter()
        self._failing_until: dict[str, float] = {}
        """Receivers held back (their last outcome was transient), to the monotonic instant
        their pause ends."""
        self._turn = 0
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
        claims: list[Claim] = []
        with session_scope(self.engine) as session:
            for message in repository.claim_due(session, limit=limit, now=now, caps=caps, turn=turn):
                again = message.state == HubState.SENDING
                message.attempts += 1
                message.lease_owner, message.lease_until = owner, now + timedelta(seconds=self.settings.lease)
                note = f"attempt {message.attempts} to {message.receiver}"
                repository.add_transition(session, message, HubState.SENDING, at=now,
                                          note=note + (" (the previous attempt's lease ran out)" if again else ""))
                assert message.id is not None
                body, media_type = stored_body(message)
                claims.append(Claim(pk=message.id, lease_owner=owner, message_id=message.message_id,
                                    sender=message.sender, receiver=message.receiver,
                                    payload_digest=message.payload_digest, body=body, media_type=media_type))
        return claims

    async def deliver(self, claim: Claim) -> None:
        answer = await self.send(claim)
        self._note_outcome(claim.receiver, answer)
        try:
            await self.in_turn(self.record, claim, answer)
        except Exception:  # the lease runs out and the message is sent again; the receiver deduplicates
            log.exception("delivery.record_failed message_id=%s", claim.message_id)

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
        with session_scope(self.engine) as session:
            message = repository.held(session, pk=claim.pk, lease_owner=claim.lease_owner)
            if message is None:
                log.warning("delivery.lease_lost message_id=%s", claim.message_id)
                return
            message.lease_owner = message.lease_until = None
            now = utcnow()
            policy, queued_at = self.settings.retry_policy(), message.queued_at or message.received_at
            if answer.outcome == HubState.DELIVERED:
                self._delivered(session, message, answer)
            elif answer.outcome == HubState.REJECTED:
                message.error_signal, message.last_error = answer.document, answer.reason
                repository.add_transition(session, message, HubState.REJECTED, at=now, note=answer.reason)
                log.warning("message.rejected message_id=%s receiver=%s reason=%s", message.message_id,
                            message.receiver, answer.reason)
            elif policy.gives_up(attempts=message.attempts, queued_at=queued_at, now=now):
                message.last_error = answer.reason
                repository.add_transition(session, message, HubState.FAILED, at=now,
                                          note=f"gave up after {message.attempts} attempt(s) in "
                                               f"{age(queued_at, now=now):.0f} s: {answer.reason}")
                log.warning("message.failed message_id=%s attempts=%d reason=%s", message.message_id,
                            message.attempts, answer.reason)
            else:
                delay = policy.delay(message.attempts, retry_after=answer.retry_after)
                message.last_error, message.next_attempt_at = answer.reason, now + timedelta(seconds=delay)
                repository.add_transition(session, message, HubState.WAITING_FOR_RETRY, at=now,
                                          note=f"{answer.reason}; next attempt in {delay:.1f} s")
                log.info("message.retry message_id=%s attempts=%d reason=%s", message.message_id, message.attempts,
                         answer.reason)

    def _delivered(self, session: Session, message: HubMessage, answer: Answer) -> None:
        now = utcnow()
        message.receipt, message.delivered_at, message.last_error = answer.document, now, None
        repository.add_transition(session, message, HubState.DELIVERED, at=now, note=answer.reason)
        log.info("message.delivered message_id=%s receiver=%s attempts=%d", message.message_id, message.receiver,
                 message.attempts)
        if repository.has_delivered_reply(session, message):
            acknowledge(session, message, note="its answer had already been delivered")
        original = repository.answered(session, message)
        if original is not None and original.state == HubState.DELIVERED:
            acknowledge(session, original, note=f"answered by {message.document_type} {message.message_id}, "
                                                f"delivered to {original.sender}")


def acknowledge(session: Session, message: HubMessage, *, note: str) -> None:
    message.acknowledged_at = utcnow()
    repository.add_transition(session, message, HubState.ACKNOWLEDGED, at=message.acknowledged_at, note=note)
    log.info("message.acknowledged message_id=%s", message.message_id)
