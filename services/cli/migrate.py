"""``swx migrate``: bring components' databases to the current schema before their servers start.

A component's database is the one its server reads from the same environment
(``SWX_<SERVICE>_DATABASE_URL``, else ``DATABASE_URL``, else the SQLite file in
``SWX_<SERVICE>_DATA_DIR``): each container of docker-compose.yml runs
``swx migrate --component <name>`` before its server. ``swx up`` and ``swx demo`` migrate
each component as they launch it (``LocalNetwork.launch``), with the environment it is
launched with; ``swx migrate --data-dir DIR`` does the same for every component of the
network ``swx up --data-dir DIR`` runs, without starting them.
"""

import importlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from services.cli.documents import UsageProblem
from services.kernel.migrate import Behind, Schema, shown_url, upgrade
from services.kernel.participants import PARTICIPANTS
from services.kernel.web.service import ServiceSettings

SERVICES: dict[str, tuple[str, str]] = {
    "hub": ("services.hub.config:HubSettings", "services.hub.app:SCHEMA"),
    "customs": ("services.customs.config:CustomsSettings", "services.customs.app:SCHEMA"),
    "immigration": ("services.immigration.config:ImmigrationSettings", "services.immigration.app:SCHEMA"),
    "port": ("services.port.config:PortSettings", "services.port.app:SCHEMA"),
    "nsw": ("services.nsw.config:NSWSettings", "services.nsw.app:SCHEMA"),
}
"""Each service's settings class and database schema, imported only when it is migrated."""

COMPONENT_NAMES = (*SERVICES, *(f"nsw-{country.lower()}" for country in PARTICIPANTS))


class MigrationFailed(RuntimeError):
    """A database could not be brought to the current schema; the message says which and why."""


@dataclass(frozen=True)
class Target:
    """A component's database: where it is and what it must hold."""

    component: str
    """As ``swx up`` names it: ``customs``, ``nsw-vn`` ..."""
    schema: Schema
    url: str


def target(component: str, environ: Mapping[str, str] | None = None) -> Target:
    """The database of ``component`` (``hub`` ... ``nsw``, or ``nsw-vn``: ``nsw`` is the
    endpoint ``SWX_NSW_COUNTRY`` names) as its server would open it, in this process's
    environment with ``environ`` on top."""
    service, _, country = component.lower().partition("-")
    if service not in SERVICES or (country and (service != "nsw" or country.upper() not in PARTICIPANTS)):
        raise UsageProblem(f"no component {component!r}: {', '.join(COMPONENT_NAMES)}")
    settings_path, schema_path = SERVICES[service]
    settings_class: type[ServiceSettings] = _imported(settings_path)
    schema: Schema = _imported(schema_path)
    given: dict[str, Any] = {"country": country.upper()} if country else {}
    with _environment(environ or {}):
        try:
            settings = settings_class(**given)
        except ValidationError as error:
            if service == "nsw" and any(e["loc"] == ("country",) for e in error.errors()):
                raise UsageProblem("--component nsw is the endpoint SWX_NSW_COUNTRY names (JP, KH, LA, MM, TH or "
                                   "VN): set it, or name the endpoint, e.g. --component nsw-vn") from None
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise UsageProblem(f"the {service} settings are not valid: {where}: {first['msg']}") from None
    endpoint = str(getattr(settings, "country", "")).lower()
    name = f"nsw-{endpoint}" if service == "nsw" else service
    return Target(name, schema, settings.database_for(name))


def network_targets(data_dir: Path, *, database_url: str | None = None, component: str | None = None) -> list[Target]:
    """The databases of the network ``swx up --data-dir DATA_DIR [--database-url URL]`` runs:
    every component's, or ``component``'s alone; on PostgreSQL, each database is created
    first when it does not exist, as ``swx up`` does."""
    from services.cli.databases import create_databases
    from services.cli.launcher import topology

    components = topology(data_dir=data_dir, database_url=database_url)
    chosen = [each for each in components if component is None or each.name == component.lower()]
    if not chosen:
        names = ", ".join(each.name for each in components)
        raise UsageProblem(f"the network in {data_dir} has no component {component!r}: {names}")
    try:
        create_databases(chosen)
    except SQLAlchemyError as error:
        raise MigrationFailed(f"cannot create the databases: {str(error).splitlines()[0]}") from None
    return [target(each.name, each.env) for each in chosen]


def migrate(found: Target) -> list[Behind]:
    """Bring ``found``'s database to head; what was behind (empty: it was current)."""
    try:
        return upgrade(found.schema, found.url)
    except (SQLAlchemyError, CommandError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise MigrationFailed(f"{found.component}: cannot migrate {shown_url(found.url)}: {reason}") from None
    except OSError as error:
        raise MigrationFailed(f"{found.component}: cannot migrate {shown_url(found.url)}: "
                              f"{error.strerror or error}") from None


def describe(found: Target, was: list[Behind]) -> str:
    """One line for a person: what was migrated, or that nothing needed to be."""
    if not was:
        return f"{found.component}: {shown_url(found.url)} is current"
    steps = ", ".join(f"{each.history} {each.at or 'none'}{' (adopted)' if each.adopted else ''} -> {each.head}"
                      for each in was)
    return f"{found.component}: migrated {shown_url(found.url)} ({steps})"


def _imported(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


@contextmanager
def _environment(overlay: Mapping[str, str]) -> Iterator[None]:
    """This process's environment with ``overlay`` on top, as a launched component gets it
    (the settings classes read ``os.environ``); put back as it was afterwards."""
    before = {name: os.environ.get(name) for name in overlay}
    os.environ.update(overlay)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
