"""The one retry policy: what is retried, how long to wait, when to give up."""

import os
import random
from datetime import UTC, datetime, timedelta

import pytest

from services.customs.config import CustomsSettings
from services.hub.config import HubSettings
from services.immigration.config import ImmigrationSettings
from services.kernel.retry import DEFAULT_MAX_AGE, RetryPolicy, retry_after_seconds, retryable_status
from services.nsw.config import NSWSettings
from services.port.config import PortSettings

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_later_statuses_are_retried(status: int) -> None:
    assert retryable_status(status)


@pytest.mark.parametrize("status", [200, 202, 400, 401, 403, 404, 409, 413, 415, 422, 600])
def test_refusals_are_not_retried(status: int) -> None:
    assert not retryable_status(status)


def test_retry_after_in_delta_seconds() -> None:
    assert retry_after_seconds("120", now=NOW) == 120.0
    assert retry_after_seconds(" 0 ", now=NOW) == 0.0


def test_retry_after_as_an_http_date() -> None:
    assert retry_after_seconds("Fri, 04 Dec 2026 12:01:30 GMT", now=NOW) == 90.0
    assert retry_after_seconds("Fri, 04 Dec 2026 11:00:00 GMT", now=NOW) == 0.0  # already past: now


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "\u0661\u0662", "Fri, 99 Dec 2026 12:01:30 GMT"])
def test_unreadable_retry_after_is_ignored(value: str | None) -> None:
    assert retry_after_seconds(value, now=NOW) is None


def test_an_enormous_retry_after_is_capped_not_a_crash() -> None:
    huge = retry_after_seconds("9" * 5000, now=NOW)
    assert huge == float("inf")
    assert RetryPolicy(base=1, cap=30).delay(1, retry_after=huge) == 30


def test_backoff_is_full_jitter_under_a_doubling_bound_up_to_the_cap() -> None:
    policy = RetryPolicy(base=0.5, cap=8.0)
    rng = random.Random(7)
    for attempts, bound in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (10_000, 8.0)]:
        delays = [policy.delay(attempts, rng=rng) for _ in range(300)]
        assert all(0 <= d <= bound for d in delays), (attempts, max(delays))
        assert max(delays) > bound * 0.8, "full jitter reaches up to the bound"
        assert min(delays) < bound * 0.2, "full jitter goes down to zero"


def test_retry_after_is_honoured_but_never_beyond_the_cap() -> None:
    policy = RetryPolicy(base=0.5, cap=60.0)
    rng = random.Random(1)
    assert all(policy.delay(1, retry_after=45, rng=rng) >= 45 for _ in range(100))
    assert policy.delay(1, retry_after=3600, rng=rng) == 60.0


def test_gives_up_by_age_only_when_no_attempt_limit_is_set() -> None:
    policy = RetryPolicy(max_age=3600)
    queued = NOW - timedelta(seconds=3599)
    assert not policy.gives_up(attempts=10_000, queued_at=queued, now=NOW)
    assert policy.gives_up(attempts=1, queued_at=NOW - timedelta(seconds=3600), now=NOW)
    assert policy.gives_up(attempts=1, queued_at=(NOW - timedelta(hours=2)).replace(tzinfo=None), now=NOW)


def test_gives_up_at_the_attempt_limit_when_one_is_set() -> None:
    policy = RetryPolicy(max_age=3600, max_attempts=5)
    assert not policy.gives_up(attempts=4, queued_at=NOW, now=NOW)
    assert policy.gives_up(attempts=5, queued_at=NOW, now=NOW)


@pytest.mark.parametrize("values", [{"base": 0}, {"cap": -1}, {"max_age": 0}, {"max_attempts": 0}])
def test_a_policy_that_could_not_work_is_refused(values: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("SWX_")]:
        monkeypatch.delenv(key)


def test_no_agency_or_nsw_gives_up_sooner_than_the_hub() -> None:
    hub = HubSettings().retry_policy()
    assert hub.max_age == DEFAULT_MAX_AGE >= 24 * 3600
    assert hub.max_attempts is None, "an attempt limit would end a long outage by count, not by time"
    agencies = [settings().outbox_retry_policy() for settings in (CustomsSettings, ImmigrationSettings, PortSettings)]
    for policy in [*agencies, NSWSettings(country="VN").outbox_retry_policy(),
                   NSWSettings(country="VN").handover_retry_policy()]:
        assert policy.max_age >= hub.max_age
        assert policy.max_attempts is None


def test_outbox_timing_comes_from_each_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWX_CUSTOMS_OUTBOX_MAX_AGE", "90")
    monkeypatch.setenv("SWX_CUSTOMS_OUTBOX_RETRY_CAP", "2.5")
    monkeypatch.setenv("SWX_NSW_HANDOVER_MAX_ATTEMPTS", "7")
    assert CustomsSettings().outbox_retry_policy() == RetryPolicy(base=0.5, cap=2.5, max_age=90.0)
    assert PortSettings().outbox_retry_policy().max_age == DEFAULT_MAX_AGE
    assert NSWSettings(country="VN").handover_retry_policy().max_attempts == 7
