"""Hub settings (environment prefix ``SWX_HUB_``): delivery timing and limits."""

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.kernel.retry import DEFAULT_MAX_AGE, RetryPolicy
from services.kernel.web.service import ServiceSettings


class HubSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWX_HUB_")

    run_worker: bool = Field(default=True, description="deliver from inside the hub process (off when only "
                                                       "separate `swx hub-worker` processes deliver)")
    delivery_timeout: float = Field(default=10.0, gt=0, description="seconds to wait for a receiver's answer")
    max_attempts: int | None = Field(default=None, ge=1, description="delivery attempts after which a message is "
                                     "FAILED even before max_age; unset: only its age counts (an attempt limit "
                                     "would end a long outage by how often it was tried, not by how long)")
    max_age: float = Field(default=DEFAULT_MAX_AGE, gt=0, description="seconds after which a message still not "
                                                                      "delivered is FAILED (a dead letter); the "
                                                                      "agencies' outboxes and the NSW handovers "
                                                                      "wait as long by default")
    lease: float = Field(default=30.0, gt=0, description="seconds a worker owns a message it is sending; a "
                                                          "message left SENDING longer (a crash) is taken up again")
    retry_base: float = Field(default=0.5, gt=0, description="bound of the wait after the first failed attempt, "
                                                             "in seconds; it doubles with each attempt")
    retry_cap: float = Field(default=300.0, gt=0, description="longest wait between two attempts, in seconds")
    concurrency: int = Field(default=64, ge=1, description="deliveries in flight per worker")
    failing_receiver_concurrency: int = Field(default=2, ge=1, description="deliveries in flight per worker to "
                                              "a receiver whose last attempt failed transiently (unreachable, "
                                              "a timeout, a 5xx): its backlog is probed a few at a time")
    failing_receiver_pause: float = Field(default=1.0, gt=0, description="seconds a worker starts no delivery to a "
                                          "receiver after each transient failure of one")
    poll_interval: float = Field(default=0.5, gt=0, description="seconds between looks for due messages "
                                                                "in a `swx hub-worker` process; the hub's own worker, "
                                                                "woken by each new message, sleeps until the next "
                                                                "retry or lease falls due (at most 30 s)")

    def retry_policy(self) -> RetryPolicy:
        """The kernel's one retry policy, with the hub's timing."""
        return RetryPolicy(base=self.retry_base, cap=self.retry_cap, max_age=self.max_age,
                           max_attempts=self.max_attempts)

    @model_validator(mode="after")
    def _lease_outlasts_a_delivery(self) -> "HubSettings":
        # a lease shorter than the wait for a slow receiver would let a second worker send the
        # message while the first still waits for its answer
        if self.lease <= self.delivery_timeout:
            raise ValueError(f"lease ({self.lease:g} s) must be longer than delivery_timeout "
                             f"({self.delivery_timeout:g} s)")
        return self
