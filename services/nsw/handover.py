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
lock like they are, and is woken when a response is stored.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine

from services.kernel.background import BackgroundLoop
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
    name = "handover"

    def __init__(self, *, engine: Engine, settings: NSWSettings, token: str, client: httpx.AsyncClient,
                 lock: asyncio.Lock | None, batch: int = 20, on_dead_letter: Callable[[], None] | None = None) -> None:
        self.engine, self.settings, self.token, self.client = engine, settings, token, client
        self.batch, self.on_dead_letter = batch, on_dead_letter
        """Called once the transaction that made a handover a dead letter has committed."""
        super().__init__(lock=lock)

    async def run_round(self) -> int:
        return await self.hand_over_due()

    async def hand_over_due(self) -> int:
        """Try every due handover once; return how many were settled (done or failed)."""
        rows = await self.in_turn(self._due_rows)
        settled = 0
        for row in rows:
            outcome = await self._send(row)
            dead = await self.in_turn(self._record, row.id, outcome)
            if dead and self.on_dead_letter is not None:
                self.on_dead_letter()
            settled += outcome[0] != HandoverState.PENDING
        return settled

    def _due_rows(self) -> list[InboxMessage]:
        with session_scope(self.engine) as session:
            return repository.due_handovers(session, now=utcnow(), limit=self.batch)

    async def _send(self, row: InboxMessage) -> Outcome:
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

    def _record(self, row_id: int | None, outcome: Outcome) -> bool:
        """Write the attempt's outcome; whether the handover became a dead letter."""
        state, error, retry_after = outcome
        with session_scope(self.engine) as session:
            row = repository.get_message(session, row_id) if row_id is not None else None
            if row is None or row.handover_state != HandoverState.PENDING:
                return False
            now = utcnow()
            row.handover_attempts += 1
            row.handover_last_error = error
            policy, queued_at = self.settings.handover_retry_policy(), row.handover_queued_at or row.received_at
            if state == HandoverState.PENDING and policy.gives_up(attempts=row.handover_attempts, queued_at=queued_at,
                                                             now=now):
                state = HandoverState.FAILED
                row.handover_last_error = (f"gave up after {row.handover_attempts} attempt(s) in "
                                           f"{age(queued_at, now=now):.0f} s: {error}")[:1024]
            row.handover_state = state
            if state == HandoverState.PENDING:
                delay = policy.delay(row.handover_attempts, retry_after=retry_after)
                row.handover_next_at = now + timedelta(seconds=delay)
                log.info("handover.retry message_id=%s attempts=%d delay=%.1f error=%s", row.message_id,
                         row.handover_attempts, delay, error)
                return False
            row.handover_next_at = None
            if state == HandoverState.DONE:
                row.handed_over_at = now
                log.info("handover.done message_id=%s type=%s attempts=%d", row.message_id, row.document_type,
                         row.handover_attempts)
            elif state == HandoverState.FAILED:
                row.handover_failed_at = now
                log.warning("handover.dead_letter message_id=%s sender=%s type=%s attempts=%d reason=%s",
                            row.message_id, row.sender, row.document_type, row.handover_attempts,
                            row.handover_last_error)
                return True
            else:
                log.warning("handover.failed message_id=%s state=%s attempts=%d error=%s", row.message_id, state,
                            row.handover_attempts, error)
            return False


def requeue_handover(row: InboxMessage, *, by: str) -> None:
    """Make a handover that failed for good due now, its attempts and age counted afresh."""
    now = utcnow()
    log.info("handover.requeued message_id=%s sender=%s by=%s failed_at=%s reason=%s", row.message_id, row.sender,
             by, row.handover_failed_at, row.handover_last_error)
    row.handover_state, row.handover_attempts, row.handover_next_at = HandoverState.PENDING, 0, now
    row.handover_queued_at, row.handover_failed_at = now, None

