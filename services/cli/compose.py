"""The network as ``docker-compose.yml`` runs it, and the compose init's database step.

``compose_topology()`` is the launcher's ``topology()`` in containers: one container per
component, each listening on ``CONTAINER_PORT`` and reached by its service name
(``http://nsw-vn:8000``), one PostgreSQL database and role each, the public network directory
on a shared volume; ``server_command()`` what each container runs: ``swx migrate`` for its
database, then its server. ``tests/deploy/test_compose.py`` holds the compose file to them.
``python -m services.cli.compose create-databases`` is the init-databases service's command;
``python -m services.cli.compose export-network``, run in the init service, hands this machine
the network directory as it reaches the containers (for ``swx demo --url``, ``swx submit``).
"""

import io
import json
import os
import shlex
import sys
import tarfile
import time
from pathlib import Path
from typing import BinaryIO

from services.cli.databases import create_databases
from services.cli.launcher import CONTAINER_PORT, Component, LaunchError, endpoints, topology
from services.kernel.keys import NETWORK_FILE, PGPASS_FILE, KeyDirectoryError, database_passwords, token_file
from services.kernel.participants import OPERATOR, PARTICIPANTS

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
COMPOSE_WHOLE_DIRECTORY = Path("/var/lib/swx-network")
"""The whole network directory, every key, token and password, on the volume only init mounts."""
USAGE = "usage: python -m services.cli.compose create-databases | export-network"


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


def server_command(component: Component) -> list[str]:
    """A component's container command: its database brought to the current schema (the
    server only checks it), then its server in the shell's place, to get the container's signals."""
    server = ["python", "-m", "services.kernel.web.server", component.app, "--factory", "--host", "0.0.0.0",
              "--port", str(CONTAINER_PORT)]
    return ["sh", "-c", f"swx migrate --component {component.name} && exec {shlex.join(server)}"]


HUB_WORKER_COMMAND = ["sh", "-c", "swx migrate --component hub && exec swx hub-worker"]
"""An extra delivery worker's: the hub's database, current (the hub migrated it first), then the worker."""


def published_endpoints() -> dict[str, str]:
    """Each country's NSW endpoint as this machine reaches it: the port docker-compose.yml
    publishes on loopback, the one ``swx up`` gives that endpoint."""
    return endpoints(topology(data_dir=COMPOSE_DATA_DIR))


def export_network(whole: Path, out: BinaryIO) -> list[str]:
    """Write to ``out`` a tar of what this machine's tools need to act on the containers as
    a country or the operator: the network file, its endpoints the published ports, and the
    countries' and the operator's tokens beside it. No private key, password or the hub's
    own token leaves: those are the services'. The names of the files written."""
    data = json.loads((whole / NETWORK_FILE).read_text(encoding="utf-8"))
    for country, url in published_endpoints().items():
        data["participants"][country]["endpoint"] = url
    files = {NETWORK_FILE: ((json.dumps(data, indent=2) + "\n").encode("utf-8"), 0o644)}
    for identity in (*PARTICIPANTS, OPERATOR):
        token = token_file(whole, identity)
        files[token.name] = (token.read_bytes(), 0o600)
    now = int(time.time())
    with tarfile.open(fileobj=out, mode="w|") as archive:
        for name, (content, mode) in files.items():
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode, entry.mtime = len(content), mode, now
            archive.addfile(entry, io.BytesIO(content))
    return list(files)


def main(argv: list[str]) -> int:
    """``create-databases``: the compose init-databases step. Every component's role and
    database, created unless they exist (safe to run at every start), each role with its
    password from the step's password file (``PGPASSFILE``, which gives libpq the
    administrator's password too), owning its database and what is in it.
    ``export-network``: ``export_network`` of the whole directory, to standard output."""
    from sqlalchemy.exc import SQLAlchemyError

    if argv == ["export-network"]:
        if sys.stdout.isatty():
            print("export-network writes a tar archive: pipe it to tar (docker compose run -T ...)", file=sys.stderr)
            return 2
        try:
            export_network(COMPOSE_WHOLE_DIRECTORY, sys.stdout.buffer)
        except (OSError, ValueError, KeyError) as error:
            print(f"export-network: cannot read the network directory {COMPOSE_WHOLE_DIRECTORY}: {error}",
                  file=sys.stderr)
            return 1
        return 0
    if argv != ["create-databases"]:
        print(USAGE, file=sys.stderr)
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
