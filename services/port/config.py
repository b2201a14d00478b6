"""Port service settings (environment prefix ``SWX_PORT_``)."""

from pydantic_settings import SettingsConfigDict

from services.kernel.web.service import ServiceSettings


class PortSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWX_PORT_")
