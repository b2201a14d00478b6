"""NSW endpoint settings (environment prefix ``SWX_NSW_``); one process per country.

``SWX_NSW_COUNTRY`` says which participant this endpoint is. The agencies' base URLs
(``SWX_NSW_CUSTOMS_URL`` ...) fall back to the shared ``SWX_CUSTOMS_URL``,
``SWX_IMMIGRATION_URL`` and ``SWX_PORT_URL``; an agency without a URL gets no handover.
"""

import os
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.kernel import resources
from services.kernel.participants import PARTICIPANTS
from services.kernel.retry import DEFAULT_MAX_AGE, RetryPolicy
from services.kernel.web.service import ServiceSettings

WATCHLIST = resources.watchlist_file()
AGENCY_DOMAINS = ("customs", "immigration", "port")


class NSWSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWX_NSW_")

    country: str = Field(description="the participant this endpoint is: JP, KH, LA, MM, TH or VN")
    watchlist: Path = Field(default=WATCHLIST, description="JSON watchlist the immigration screening uses")
    customs_url: str | None = None
    immigration_url: str | None = None
    port_url: str | None = None
    delivery_timeout: float = Field(default=10.0, gt=0, description="seconds an agency has to take a handover")
    handover_retry_base: float = Field(default=0.5, gt=0, description="bound of the wait after a handover's first "
                                       "failed attempt, in seconds; it doubles with each attempt")
    handover_backoff_cap: float = Field(default=60.0, gt=0, description="longest wait between two attempts at a "
                                        "handover, in seconds, whether from the backoff or the agency's Retry-After")
    handover_max_age: float = Field(default=DEFAULT_MAX_AGE, gt=0, description="seconds a handover keeps trying "
                                    "before it fails for good (replayable by the operator); by default as long as "
                                    "the hub keeps trying a receiver")
    handover_max_attempts: int | None = Field(default=None, ge=1, description="attempts after which a handover fails "
                                              "for good even before handover_max_age; unset: only its age counts")

    @field_validator("country", mode="before")
    @classmethod
    def _participant(cls, value: object) -> object:
        code = value.strip().upper() if isinstance(value, str) else value
        if code not in PARTICIPANTS:
            raise ValueError(f"country must be one of {', '.join(PARTICIPANTS)}")
        return code

    @model_validator(mode="after")
    def _agency_fallbacks(self) -> "NSWSettings":
        for domain in AGENCY_DOMAINS:
            if getattr(self, f"{domain}_url") is None:
                setattr(self, f"{domain}_url", os.environ.get(f"SWX_{domain.upper()}_URL") or None)
        return self

    def handover_retry_policy(self) -> RetryPolicy:
        """The kernel's one retry policy, with the handover's timing."""
        return RetryPolicy(base=self.handover_retry_base, cap=self.handover_backoff_cap, max_age=self.handover_max_age,
                           max_attempts=self.handover_max_attempts)

    def agency_url(self, domain: str) -> str | None:
        """The base URL of the agency that takes answers of ``domain`` (customs, immigration, port)."""
        url: str | None = getattr(self, f"{domain}_url", None) if domain in AGENCY_DOMAINS else None
        return url.rstrip("/") if url else None
