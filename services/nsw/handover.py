"""Handing received responses over to this country's agency services.

A ``customs.response``, ``immigration.api-response`` or ``port.clearance`` answers something
an agency of this country sent; the worker POSTs the signed envelope, exactly as received,
to that agency's ``/answers`` with this country's token. 200/201 is done; a refusal (any
other 4xx but 408, 425 and 429) fails for good with its reason; an unreachable service, a
timeout, 429 or 5xx is retried with capped exponential backoff and jitter (and never
sooner than a ``Retry-After`` asks). It runs beside the request handlers, queued on the
SQLite write lock like they are, and is woken when a response is stored.
"""

import asyncio
import logging
from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine

from services.kernel.background import BackgroundLoop
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.kernel.outbox import backoff
from services.nsw import repository
from services.nsw.answers import handover_domain
from services.nsw.config import NSWSettings
from services.nsw.models import HANDOVER_DONE, HANDOVER_FAILED, HANDOVER_NONE, HANDOVER_PENDING, InboxMessage

log = logging.getLogger("swx.nsw.handover")
Outcome = tuple[str, str | None, float | None]
"""The state to record, the error, and the Retry-After the agency asked for."""


class HandoverWorker(BackgroundLoop):
    name = "handover"

    def __init__(self, *, engine: Engine, settings: NSWSettings, token: str, client: httpx.AsyncClient,
                 lock: asyncio.Lock | None, batch: int = 20) -> None:
        self.engine, self.settings, self.token, self.client = engine, settings, token, client
        self.batch = batch
        super().__init__(lock=lock)

    async def run_round(self) -> int:
        return await self.hand_over_due()

    async def hand_over_due(self) -> int:
        """Try every due handover once; return how many were settled (done or failed)."""
        rows = await self.in_turn(self._due_rows)
        settled = 0
        for row in rows:
            outcome = await self._send(row)
            await self.in_turn(self._record, row.id, outcome)
            settled += outcome[0] != HANDOVER_PENDING
        return settled

    def _due_rows(self) -> list[InboxMessage]:
        with session_scope(self.engine) as session:
            return repository.due_handovers(session, now=utcnow(), limit=self.batch)

    async def _send(self, row: InboxMessage) -> Outcome:
        domain = handover_domain(row.document_type)
        base = self.settings.agency_url(domain) if domain else None
        if domain is None or base is None:
            return HANDOVER_NONE, f"no {domain or 'agency'} service URL is configured", None
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            response = await self.client.post(f"{base}/answers", content=row.envelope.encode("utf-8"),
                                              headers=headers, timeout=self.settings.delivery_timeout)
        except httpx.HTTPError as error:
            return HANDOVER_PENDING, f"{domain} service unreachable: {type(error).__name__}", None
        status = response.status_code
        if status in (200, 201):
            return HANDOVER_DONE, None, None
        if status in (408, 425, 429) or status >= 500:
            return HANDOVER_PENDING, f"{domain} service answered {status}", _retry_after(response)
        return HANDOVER_FAILED, f"{domain} service refused the handover ({status}): {response.text[:500]}", None

    def _record(self, row_id: int | None, outcome: Outcome) -> None:
        state, error, retry_after = outcome
        with session_scope(self.engine) as session:
            row = repository.get_message(session, row_id) if row_id is not None else None
            if row is None:
                return
            row.handover_attempts += 1
            row.handover_last_error = error
            if state == HANDOVER_PENDING and row.handover_attempts >= self.settings.handover_max_attempts:
                state = HANDOVER_FAILED
            row.handover_state = state
            if state == HANDOVER_PENDING:
                cap = self.settings.handover_backoff_cap
                delay = max(backoff(row.handover_attempts, cap=cap), min(retry_after or 0.0, cap))
                row.handover_next_at = utcnow() + timedelta(seconds=delay)
                log.info("handover.retry message_id=%s attempts=%d error=%s", row.message_id,
                         row.handover_attempts, error)
                return
            row.handover_next_at = None
            if state == HANDOVER_DONE:
                row.handed_over_at = utcnow()
                log.info("handover.done message_id=%s type=%s attempts=%d", row.message_id, row.document_type,
                         row.handover_attempts)
            else:
                log.warning("handover.failed message_id=%s state=%s attempts=%d error=%s", row.message_id, state,
                            row.handover_attempts, error)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None
