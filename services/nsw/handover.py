"""Handing received responses over to this country's agency services.

A ``customs.response``, ``immigration.api-response`` or ``port.clearance`` answers something
an agency of this country sent; the worker POSTs the signed envelope, exactly as received,
to that agency's ``/answers`` with this country's token. 200/201 is done; a refusal (any
other 4xx but 408, 425 and 429) fails for good with its reason; an unreachable service, a
timeout, 408, 425, 429 or 5xx is retried under the kernel's one ``RetryPolicy`` (capped
exponential backoff with full jitter, never sooner than a ``Retry-After`` asks up to the
policy's cap) until it
gives up, by default after as long as the hub waits for a receiver. A handover that failed
for good is ``FAILED`` with its reason and time; the operator replays it
(``handover_endpoints``). It runs beside the request handlers, queued on the SQLite write
lock like they are, and is woken when a response is stored or a handover replayed; with
nothing due it sleeps until the next retry is.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.kernel.background import BackgroundLoop, NextDue
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.kernel.retry import age, retry_after_seconds, retryable_status
from services.nsw import repository
from services.nsw.business_responses import handover_domain
from services.nsw.config import NSWSettings
from services.nsw.models import HandoverState, InboxMessage

log = logging.getLogger("swx.nsw.handover")
Outcome = tuple[HandoverState, str | None, float | None]
"""The state to record, the error, and the Retry-After the agency asked for."""


class HandoverWorker(BackgroundLoop):
    """Hands due responses over, one after another; when none is due it sleeps until the next
    is (a retry's ``handover_next_at``), at most ``max_idle`` seconds: every handover becomes
    due through a request of this endpoint (a delivery, a replay), which wakes it."""

    name = "handover"

    def __init__(self, *, engine: Engine, settings: NSWSettings, token: str, client: httpx.AsyncClient,
                 lock: asyncio.Lock | None, batch: int = 20, on_dead_letter: Callable[[], None] | None = None,
                 max_idle: float = 60.0) -> None:
        self.engine, self.settings, self.token, self.client = engine, settings, token, client
        self.batch, self.on_dead_letter = batch, on_dead_letter
        """Called once the transaction that made a handover a dead letter has committed."""
        self.max_idle = max_idle
        self._next_due = NextDue.UNKNOWN
        super().__init__(lock=lock)

    async def run_round(self) -> int:
        self._next_due = NextDue.UNKNOWN  # until the round says otherwise: a failed round looks again soon
        return await self.hand_over_due()

    def idle_seconds(self) -> float:
        return self._next_due.seconds(fallback=self.idle_wait, longest=self.max_idle)

    async def hand_over_due(self) -> int:
        """Try every due handover once; return how many were settled (done or failed)."""
        rows = await self.in_turn(self._due_rows)
        outcomes: list[tuple[repository.DueHandover, Outcome]] = []
        try:
            for row in rows:  # one after another: the answers of one conversation reach the agency in order
                outcomes.append((row, await self._send(row)))
        finally:  # all in one transaction, even those sent before a round that failed half-way
            dead = await self.in_turn(self._record, outcomes) if outcomes else 0
            if self.on_dead_letter is not None:
                for _ in range(dead):
                    self.on_dead_letter()
        settled = sum(outcome[0] != HandoverState.PENDING for _, outcome in outcomes)
        if rows:
            self._next_due = NextDue.at(utcnow())  # retried ones are due later: the next round reads when
        return settled

    def _due_rows(self) -> list[repository.DueHandover]:
        with session_scope(self.engine) as session:
            rows = repository.due_handovers(session, now=utcnow(), limit=self.batch)
            if not rows:
                self._next_due = NextDue.at(repository.next_handover_at(session))
            return rows

    async def _send(self, row: repository.DueHandover) -> Outcome:
        domain = handover_domain(row.document_type)
        base = self.settings.agency_url(domain) if domain else None
        if domain is None or base is None:
            return HandoverState.NONE, f"no {domain or 'agency'} service URL is configured", None
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": row.envelope_media_type}
        try:
            response = await self.client.post(f"{base}/answers", content=row.envelope,
                                              headers=headers, timeout=self.settings.delivery_timeout)
        except httpx.HTTPError as error:
            return HandoverState.PENDING, f"{domain} service unreachable: {type(error).__name__}", None
        status = response.status_code
        if status in (200, 201):
            return HandoverState.DONE, None, None
        if retryable_status(status):
            return (HandoverState.PENDING, f"{domain} service answered {status}",
                    retry_after_seconds(response.headers.get("retry-after"), now=utcnow()))
        return HandoverState.FAILED, f"{domain} service refused the handover ({status}): {response.text[:500]}", None

    def _record(self, outcomes: list[tuple[repository.DueHandover, Outcome]]) -> int:
        """Write the attempts' outcomes in one transaction; how many handovers became dead letters."""
        with session_scope(self.engine) as session:
            return sum(self._recorded(session, row, outcome) for row, outcome in outcomes)

    def _recorded(self, session: Session, row: repository.DueHandover, outcome: Outcome) -> bool:
        """Write the attempt's outcome, if the handover is still ``PENDING``; whether it became a dead letter."""
        state, error, retry_after = outcome
        now = utcnow()
        attempts = row.handover_attempts + 1
        values: dict[str, Any] = {"handover_attempts": attempts, "handover_last_error": error}
        policy, queued_at = self.settings.handover_retry_policy(), row.handover_queued_at or row.received_at
        if state == HandoverState.PENDING and policy.gives_up(attempts=attempts, queued_at=queued_at, now=now):
            state = HandoverState.FAILED
            values["handover_last_error"] = (f"gave up after {attempts} attempt(s) in "
                                             f"{age(queued_at, now=now):.0f} s: {error}")[:1024]
        values["handover_state"] = state
        delay = 0.0
        if state == HandoverState.PENDING:
            delay = policy.delay(attempts, retry_after=retry_after)
            values["handover_next_at"] = now + timedelta(seconds=delay)
        else:
            values["handover_next_at"] = None
            if state == HandoverState.DONE:
                values["handed_over_at"] = now
            elif state == HandoverState.FAILED:
                values["handover_failed_at"] = now
        if not repository.record_handover(session, row.id, values, attempts_read=row.handover_attempts):
            return False
        if state == HandoverState.PENDING:
            log.info("handover.retry message_id=%s attempts=%d delay=%.1f error=%s", row.message_id, attempts, delay,
                     error)
        elif state == HandoverState.DONE:
            log.info("handover.done message_id=%s type=%s attempts=%d", row.message_id, row.document_type, attempts)
        elif state == HandoverState.FAILED:
            log.warning("handover.dead_letter message_id=%s sender=%s type=%s attempts=%d reason=%s", row.message_id,
                        row.sender, row.document_type, attempts, values["handover_last_error"])
            return True
        else:
            log.warning("handover.failed message_id=%s state=%s attempts=%d error=%s", row.message_id, state,
                        attempts, error)
        return False


def requeue_handover(row: InboxMessage, *, by: str) -> None:
    """Make a handover that failed for good due now, its attempts and age counted afresh."""
    now = utcnow()
    log.info("handover.requeued message_id=%s sender=%s by=%s failed_at=%s reason=%s", row.message_id, row.sender,
             by, row.handover_failed_at, row.handover_last_error)
    row.handover_state, row.handover_attempts, row.handover_next_at = HandoverState.PENDING, 0, now
    row.handover_queued_at, row.handover_failed_at = now, None

