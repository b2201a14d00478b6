"""The network as ``docker-compose.yml`` runs it, and the compose init's database step.

``compose_topology()`` is the launcher's ``topology()`` in containers: one container per
component, each listening on ``CONTAINER_PORT`` and reached by its service name
(``http://nsw-vn:8000``), one PostgreSQL database and role each, the public network directory
on a shared volume. ``tests/deploy/test_compose.py`` holds the compose file to it.
``python -m services.cli.compose create-databases`` is the init-databases service's command.
"""

import os
import sys
from pathlib import Path

from services.cli.databases import create_databases
from services.cli.launcher import Component, LaunchError, topology
from services.kernel.keys import PGPASS_FILE, KeyDirectoryError, database_passwords

COMPOSE_DATA_DIR = Path("/var/lib/swx")
COMPOSE_NETWORK_FILE = Path("/network/network.json")
"""The public network directory (no secret), on the volume every component mounts read-only."""
COMPOSE_SECRETS_DIR = Path("/run/secrets/swx")
"""Where each container finds its own secrets, on a volume of its own: keys, tokens, ``pgpass``."""
COMPOSE_DATABASE_URL = "postgresql+psycopg://postgres:5432"
"""The compose file's PostgreSQL service, as a server URL without credentials: each component
adds its own role and database, and libpq reads the role's password from ``PGPASSFILE``."""
COMPOSE_DATABASE_ADMIN_URL = "postgresql+psycopg://swx@postgres:5432/postgres"
"""The server's administrator, for the init-databases step alone (its password in that step's ``pgpass``)."""


def compose_topology() -> list[Component]:
    """The network as ``docker-compose.yml`` runs it: a container per component, named as
    the component, the public network directory on a shared volume, the component's own
    secrets in ``COMPOSE_SECRETS_DIR``, and a PostgreSQL database of its own that it reaches
    as a role of its own (named as the database), its password in its ``pgpass``."""
    secrets = {"SWX_SECRETS_DIR": str(COMPOSE_SECRETS_DIR), "PGPASSFILE": str(COMPOSE_SECRETS_DIR / PGPASS_FILE)}
    components = topology(data_dir=COMPOSE_DATA_DIR, network_file=COMPOSE_NETWORK_FILE,
                          database_url=COMPOSE_DATABASE_URL, in_containers=True, extra_env=secrets)
    scheme, server = COMPOSE_DATABASE_URL.split("://")
    for component in components:
        for key, url in list(component.env.items()):
            if key.endswith("_DATABASE_URL"):
                database = url.rsplit("/", 1)[-1]
                component.env[key] = f"{scheme}://{database}@{server}/{database}"
    return components


def main(argv: list[str]) -> int:
    """``python -m services.cli.compose create-databases``: the compose init-databases step.
    Every component's role and database, created unless they exist (safe to run at every
    start), each role with its password from the step's password file (``PGPASSFILE``, which
    gives libpq the administrator's password too), owning its database and what is in it."""
    from sqlalchemy.exc import SQLAlchemyError

    if argv != ["create-databases"]:
        print("usage: python -m services.cli.compose create-databases", file=sys.stderr)
        return 2
    pgpass = os.environ.get("PGPASSFILE")
    if not pgpass:
        print("create-databases: set PGPASSFILE to the password file that swx keys wrote", file=sys.stderr)
        return 2
    components = compose_topology()
    try:
        created = set(create_databases(components, admin_url=COMPOSE_DATABASE_ADMIN_URL,
                                       passwords=database_passwords(Path(pgpass))))
    except (KeyDirectoryError, LaunchError) as error:
        print(f"create-databases: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"create-databases: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    for component in components:
        url = next(v for k, v in component.env.items() if k.endswith("_DATABASE_URL"))
        database = url.rsplit("/", 1)[-1]
        print(f"{component.name}: role and database {database} {'created' if database in created else 'exist'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
