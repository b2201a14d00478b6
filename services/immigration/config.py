"""Immigration service settings (environment prefix ``SWX_IMMIGRATION_``)."""

from pydantic_settings import SettingsConfigDict

from services.kernel.web.service import ServiceSettings


class ImmigrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWX_IMMIGRATION_")
