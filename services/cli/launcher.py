"""The whole network as local processes: one uvicorn process per component, on loopback.

``topology()`` is the one description of the network: which components there are, the
app each runs, its port and its environment. ``swx up``, the real-process tests, the
benchmarks and the docker-compose check all read it, so they cannot drift apart.

Ports, from ``base_port`` (8100 by default)::

    hub 8100   customs 8101   immigration 8102   port 8103
    nsw-jp 8111   nsw-kh 8112   nsw-la 8113   nsw-mm 8114   nsw-th 8115   nsw-vn 8116

``compose_topology()`` is the same network as ``docker-compose.yml`` runs it: one container
per component, each listening on port 8000 and reached by its service name
(``http://nsw-vn:8000``), one PostgreSQL database each, the network directory on a shared
volume. ``tests/deploy/test_compose.py`` holds the compose file to it.
``python -m services.cli.launcher create-databases`` is the compose init's database step.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.kernel.network import load_network, load_or_create_network, set_endpoints
from services.kernel.participants import PARTICIPANTS

AGENCIES = ("customs", "immigration", "port")

CONTAINER_PORT = 8000
"""The port every component listens on inside its container."""
COMPOSE_DATA_DIR = Path("/var/lib/swx")
COMPOSE_NETWORK_FILE = Path("/network/network.json")
COMPOSE_DATABASE_URL = "postgresql+psycopg://swx:swx@postgres:5432"
"""The compose file's PostgreSQL service, as a server URL (each component adds its database)."""


@dataclass(frozen=True)
class Component:
    name: str
    app: str
    """The app factory, for ``uvicorn --factory``."""
    port: int
    env: dict[str, str]
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_base_port(span: int = 17) -> int:
    """A base port with the ``span`` ports from it free on loopback, as far as one can tell."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + span < 65535 and all(_port_free(base + i) for i in range(span)):
            return base
    raise RuntimeError("no free range of ports on loopback")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def nsw_name(country: str) -> str:
    return f"nsw-{country.lower()}"


def topology(*, data_dir: Path, base_port: int = 8100, host: str = "127.0.0.1",
             database_url: str | None = None, database_prefix: str = "swx",
             extra_env: Mapping[str, str] | None = None, network_file: Path | None = None,
             in_containers: bool = False) -> list[Component]:
    """Every component with its environment. ``database_url``, when given, is a server URL
    to which each component's database name (``<database_prefix>_hub`` ...) is appended
    (PostgreSQL); else SQLite files in ``data_dir``. The network file defaults to
    ``data_dir/network/network.json``.

    ``in_containers`` describes one container per component instead: each is reached by its
    name on ``CONTAINER_PORT`` (``base_port`` and ``host`` do not apply), and the paths are
    the containers' own, taken as given rather than resolved on this machine."""
    if not in_containers:
        data_dir = data_dir.resolve()
        network_file = network_file.resolve() if network_file else None
    network_file = network_file or data_dir / "network" / "network.json"
    # name, app, environment prefix, port offset from base_port, own variables
    layout: list[tuple[str, str, str, int, dict[str, str]]] = [
        ("hub", "services.hub.app:create_app", "SWX_HUB_", 0, {})]
    layout += [(agency, f"services.{agency}.app:create_app", f"SWX_{agency.upper()}_", 1 + i, {})
               for i, agency in enumerate(AGENCIES)]
    layout += [(nsw_name(country), "services.nsw.app:create_app", "SWX_NSW_", 11 + i, {"SWX_NSW_COUNTRY": country})
               for i, country in enumerate(PARTICIPANTS)]

    def address(name: str, offset: int) -> tuple[str, int]:
        return (name, CONTAINER_PORT) if in_containers else (host, base_port + offset)

    urls = {name: "http://{}:{}".format(*address(name, offset)) for name, _, _, offset, _ in layout}
    shared = {"SWX_NETWORK_FILE": str(network_file), "SWX_HUB_URL": urls["hub"],
              **{f"SWX_{agency.upper()}_URL": urls[agency] for agency in AGENCIES}, **(extra_env or {})}
    components = []
    for name, app, prefix, offset, own in layout:
        env = {**shared, f"{prefix}DATA_DIR": str(data_dir)}
        if database_url:
            database = f"{database_prefix}_{name}".replace("-", "_")
            env[f"{prefix}DATABASE_URL"] = f"{database_url.rstrip('/')}/{database}"
        component_host, port = address(name, offset)
        components.append(Component(name, app, port, {**env, **own}, component_host))
    return components


def compose_topology() -> list[Component]:
    """The network as ``docker-compose.yml`` runs it: a container per component, named as
    the component, PostgreSQL for every database, the network directory on a volume."""
    return topology(data_dir=COMPOSE_DATA_DIR, network_file=COMPOSE_NETWORK_FILE,
                    database_url=COMPOSE_DATABASE_URL, in_containers=True)


def endpoints(components: list[Component]) -> dict[str, str]:
    """Each country's NSW endpoint URL, as the network directory lists it."""
    by_name = {c.name: c for c in components}
    return {country: by_name[nsw_name(country)].url for country in PARTICIPANTS}


def create_databases(components: list[Component]) -> list[str]:
    """Create each component's PostgreSQL database when it does not exist yet; the names of
    those created."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    created = []
    for component in components:
        url = next((v for k, v in component.env.items() if k.endswith("_DATABASE_URL")), None)
        if url is None or not url.startswith("postgresql"):
            continue
        target = make_url(url)
        admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                            {"name": target.database}).first()
                if exists is None:
                    connection.execute(text(f'CREATE DATABASE "{target.database}"'))
                    created.append(str(target.database))
        finally:
            admin.dispose()
    return created


class LaunchError(RuntimeError):
    """The network cannot be prepared or started; the message says why, for a person."""


@dataclass
class LocalNetwork:
    """Starts, stops and kills the components as subprocesses; logs go to ``data_dir/logs``."""

    components: list[Component]
    data_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @classmethod
    def prepare(cls, *, data_dir: Path, **options: object) -> "LocalNetwork":
        """The topology, with the network directory created (keys, tokens, endpoints) so that
        no two components race to create it."""
        from sqlalchemy.exc import SQLAlchemyError

        components = topology(data_dir=data_dir, **options)  # type: ignore[arg-type]
        network_file = Path(components[0].env["SWX_NETWORK_FILE"])
        try:
            create_databases(components)
            load_or_create_network(network_file, endpoints=endpoints(components))
            set_endpoints(network_file, endpoints(components))
        except OSError as error:
            raise LaunchError(f"cannot prepare {data_dir}: {error.strerror or error}"
                              + (f" ({error.filename})" if error.filename else "")) from None
        except SQLAlchemyError as error:
            raise LaunchError(f"cannot create the databases: {str(error).splitlines()[0]}") from None
        except (ValueError, KeyError) as error:
            raise LaunchError(f"{network_file} is not a network directory file: {error!r}") from None
        return cls(components=components, data_dir=data_dir.resolve())

    @property
    def network_file(self) -> Path:
        return Path(self.components[0].env["SWX_NETWORK_FILE"])

    def token(self, country: str) -> str:
        network = load_network(self.network_file)
        return network.operator_token if country == "OPERATOR" else network.token_of(country)

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)

    def url(self, name: str) -> str:
        return self.component(name).url

    def start(self, *names: str, env: Mapping[str, str] | None = None) -> None:
        """Start the named components (all when none is named) and wait until they are healthy."""
        chosen = [self.component(n) for n in names] if names else self.components
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for component in chosen:
            command = [sys.executable, "-m", "uvicorn", "--factory", component.app, "--host", component.host,
                       "--port", str(component.port), "--log-level", "warning", "--no-access-log"]
            with open(logs / f"{component.name}.log", "ab") as log_file:
                self.processes[component.name] = subprocess.Popen(
                    command, env={**os.environ, **component.env, **(env or {})}, stdout=log_file,
                    stderr=subprocess.STDOUT, start_new_session=True)
        for component in chosen:
            self.wait_healthy(component.name)

    def wait_healthy(self, name: str, *, timeout: float = 60.0) -> None:
        component, process = self.component(name), self.processes[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {self.log_file(name)}")
            try:
                if httpx.get(f"{component.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{name} was not healthy within {timeout:g} s; see {self.log_file(name)}")

    def log_file(self, name: str) -> Path:
        return self.data_dir / "logs" / f"{name}.log"

    def stop(self, *names: str, kill: bool = False, timeout: float = 20.0) -> None:
        """Stop the named components (all when none is named): SIGTERM and wait, or SIGKILL."""
        chosen = list(names) if names else list(self.processes)
        for name in chosen:
            process = self.processes.get(name)
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        for name in chosen:
            process = self.processes.pop(name, None)
            if process is None:
                continue
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def running(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None


def main(argv: list[str]) -> int:
    """``python -m services.cli.launcher create-databases``: the compose init's first step,
    every component's database created unless it exists (safe to run at every start)."""
    if argv != ["create-databases"]:
        print("usage: python -m services.cli.launcher create-databases", file=sys.stderr)
        return 2
    components = compose_topology()
    created = set(create_databases(components))
    for component in components:
        url = next(v for k, v in component.env.items() if k.endswith("_DATABASE_URL"))
        database = url.rsplit("/", 1)[-1]
        print(f"{component.name}: database {database} {'created' if database in created else 'exists'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
