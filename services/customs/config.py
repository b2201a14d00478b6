"""Customs service settings (environment prefix ``SWX_CUSTOMS_``), the risk policy among them.

Lists are written comma-separated in the environment (``SWX_CUSTOMS_RISK_RED_HS_CHAPTERS=93,97``).
"""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from services.customs.risk import RiskPolicy
from services.kernel.web.service import ServiceSettings

CodeList = Annotated[tuple[str, ...], NoDecode]


class CustomsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWX_CUSTOMS_")

    risk_random_rate: float = Field(default=0.05, ge=0, le=1,
                                    description="share of declarations sent to yellow at random")
    risk_red_hs_chapters: CodeList = ("93", "97")
    risk_yellow_hs_chapters: CodeList = ("22", "24")
    risk_red_origin_countries: CodeList = ()
    risk_yellow_origin_countries: CodeList = ()
    risk_value_threshold: Decimal = Field(default=Decimal(1_000_000), ge=0,
                                          description="invoice amount, in any currency, above which yellow")

    @field_validator("risk_red_hs_chapters", "risk_yellow_hs_chapters", mode="before")
    @classmethod
    def _chapters(cls, value: Any) -> Any:
        codes = _split(value)
        if codes is not None and any(len(c) != 2 or not c.isdigit() for c in codes):
            raise ValueError("HS chapters are two digits, e.g. 93,97")
        return codes if codes is not None else value

    @field_validator("risk_red_origin_countries", "risk_yellow_origin_countries", mode="before")
    @classmethod
    def _countries(cls, value: Any) -> Any:
        codes = _split(value)
        if codes is not None and any(len(c) != 2 or not c.isalpha() for c in codes):
            raise ValueError("origin countries are ISO 3166-1 alpha-2 codes, e.g. KP,IR")
        return tuple(c.upper() for c in codes) if codes is not None else value

    def risk_policy(self) -> RiskPolicy:
        return RiskPolicy(
            random_rate=self.risk_random_rate,
            red_hs_chapters=frozenset(self.risk_red_hs_chapters),
            yellow_hs_chapters=frozenset(self.risk_yellow_hs_chapters),
            red_origin_countries=frozenset(self.risk_red_origin_countries),
            yellow_origin_countries=frozenset(self.risk_yellow_origin_countries),
            value_threshold=self.risk_value_threshold,
        )


def _split(value: Any) -> tuple[str, ...] | None:
    """A comma-separated string (as the environment gives it) or a sequence, as codes."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(str(part).strip() for part in value)
    return None
