"""One retry policy for every outbound leg of the network: an agency's outbox to the hub, the
hub's deliveries to the receivers, an NSW endpoint's handovers to its agencies.

What deserves another try: no answer at all (refused or reset connection, timeout: any
``httpx.HTTPError`` the caller catches) and the statuses that mean "later": 408, 425, 429
and every 5xx. Any other answer is the other side's decision; sending again would repeat it.

When: capped exponential backoff with full jitter (a random wait up to
``min(cap, base * 2**(attempts - 1))``), never sooner than a ``Retry-After`` asks
(delta-seconds or an HTTP-date) and never later than ``cap``.

Until when: a message is given up, a dead letter (``FAILED``) an operator can replay, once
it has waited ``max_age`` since it was (last) queued, or after ``max_attempts`` when that
is set. Every leg defaults to ``DEFAULT_MAX_AGE`` and no attempt limit, so neither an agency
nor an NSW endpoint gives up on a message sooner than the hub does.
"""

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from services.kernel.clock import as_utc

DEFAULT_MAX_AGE = 24 * 3600.0
"""A day: how long every leg keeps trying by default (the hub's ``max_age``)."""
RETRYABLE_STATUSES = frozenset({408, 425, 429})
"""The 4xx statuses that say "not now" rather than "no"; every 5xx says so too."""
_DELTA_SECONDS = re.compile(r"[0-9]{1,12}")
_LONGEST_EXPONENT = 64
"""Beyond this the bound is the cap anyway; it keeps ``2 ** n`` a float that never overflows."""


def retryable_status(status: int) -> bool:
    """Whether an answer with this status is worth another try later."""
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """The wait a ``Retry-After`` header asks for (RFC 9110 section 10.2.3): delta-seconds or
    an HTTP-date; None when absent or unreadable, 0 for a date already past."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        # more digits than fit in 12 are asking for longer than any cap: say so without int() on them
        return float(text) if _DELTA_SECONDS.fullmatch(text) else float("inf")
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" reads as naive; HTTP-dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait between attempts and when to give up (see the module's docstring)."""

    base: float = 0.5
    """Bound of the wait after the first failed attempt, in seconds; it doubles with each attempt."""
    cap: float = 60.0
    """The longest wait between two attempts, in seconds, whether from the backoff or a Retry-After."""
    max_age: float = DEFAULT_MAX_AGE
    """Seconds after it was queued at which a message still not handed over is given up."""
    max_attempts: int | None = None
    """Attempts after which a message is given up even before ``max_age``; None: only age counts."""

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap <= 0 or self.max_age <= 0:
            raise ValueError("base, cap and max_age must be positive")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (or None for no limit)")

    def delay(self, attempts: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1 after the first)."""
        exponent = min(max(attempts - 1, 0), _LONGEST_EXPONENT)
        wait = (rng or random).uniform(0, min(self.cap, self.base * 2.0 ** exponent))
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.cap))
        return wait

    def gives_up(self, *, attempts: int, queued_at: datetime, now: datetime) -> bool:
        """Whether a message queued at ``queued_at`` that failed ``attempts`` times is a dead letter now."""
        if self.max_attempts is not None and attempts >= self.max_attempts:
            return True
        return age(queued_at, now=now) >= self.max_age


def age(queued_at: datetime, *, now: datetime) -> float:
    """Seconds since ``queued_at`` (a naive time, as SQLite may give it back, is UTC)."""
    return (now - as_utc(queued_at)).total_seconds()
