"""The whole network as local processes: one server process per component, on loopback.

``topology()`` is the one description of the network: which components there are, the
app each runs, its port and its environment. ``swx up``, the real-process tests, the
benchmarks and the docker-compose check all read it, so they cannot drift apart.

Ports, from ``base_port`` (8100 by default)::

    hub 8100   customs 8101   immigration 8102   port 8103
    nsw-jp 8111   nsw-kh 8112   nsw-la 8113   nsw-mm 8114   nsw-th 8115   nsw-vn 8116

``services.cli.compose`` describes the same network as ``docker-compose.yml`` runs it, from
``topology(in_containers=True)``; ``services.cli.databases`` creates the databases, and
``LocalNetwork.launch`` migrates each component's (``services.cli.migrate``) before it starts
the component's server, which refuses a database that is not current.
``LocalNetwork.prepare`` records the URLs in ``<data-dir>/run/components.json``, where
``swx submit`` and ``swx status`` find the network later.
"""

import json
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


@dataclass(frozen=True)
class Component:
    name: str
    app: str
    """The app factory, for ``python -m services.kernel.web.server --factory`` (or ``uvicorn --factory``)."""
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


def endpoints(components: list[Component]) -> dict[str, str]:
    """Each country's NSW endpoint URL, as the network directory lists it."""
    by_name = {c.name: c for c in components}
    return {country: by_name[nsw_name(country)].url for country in PARTICIPANTS}


def components_file(data_dir: Path) -> Path:
    """``data_dir/run/components.json``: each component's URL and the network file, as the
    network was last prepared in ``data_dir`` (``swx up``, ``swx demo --data-dir``)."""
    return data_dir / "run" / "components.json"


class LaunchError(RuntimeError):
    """The network cannot be prepared or started; the message says why, for a person."""


@dataclass
class LocalNetwork:
    """Starts, stops and kills the components as subprocesses, each served by
    ``services.kernel.web.server``; logs go to ``data_dir/logs``, pids to ``data_dir/run``."""

    components: list[Component]
    data_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    launch_env: dict[str, dict[str, str]] = field(default_factory=dict)
    """The extra environment each component was last launched with."""

    @classmethod
    def prepare(cls, *, data_dir: Path, **options: object) -> "LocalNetwork":
        """The topology, with the network directory created (keys, tokens, endpoints) so that
        no two components race to create it."""
        from sqlalchemy.exc import SQLAlchemyError

        from services.cli.databases import create_databases  # it builds on this module's Component

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
        net = cls(components=components, data_dir=data_dir.resolve())
        try:
            net.record_components()
        except OSError as error:
            raise LaunchError(f"cannot prepare {data_dir}: {error.strerror or error}") from None
        return net

    def record_components(self) -> None:
        """Write ``components_file``: where each component listens and where the network file
        is, for the commands that talk to this network later (``swx submit``, ``swx status``)."""
        state = {"network_file": str(self.network_file), "components": {c.name: c.url for c in self.components}}
        file = components_file(self.data_dir)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")

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
        chosen = list(names) if names else [c.name for c in self.components]
        for name in chosen:
            self.launch(name, env=env)
        for name in chosen:
            self.wait_healthy(name)

    def launch(self, name: str, *, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Migrate one component's database, then start the component without waiting for it,
        its pid in ``pid_file(name)``. ``env`` is kept: ``relaunch`` starts the component again
        as it was started. A ``LaunchError`` when its database cannot be migrated."""
        component = self.component(name)
        self.launch_env[name] = dict(env or {})
        self.migrate(name)
        command = [sys.executable, "-m", "services.kernel.web.server", component.app, "--factory",
                   "--host", component.host, "--port", str(component.port), "--log-level", "warning",
                   "--no-access-log"]
        self.log_file(name).parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file(name), "ab") as log_file:
            process = subprocess.Popen(command, env={**os.environ, **component.env, **self.launch_env[name]},
                                       stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        self.pid_file(name).parent.mkdir(parents=True, exist_ok=True)
        self.pid_file(name).write_text(f"{process.pid}\n", encoding="ascii")
        return process

    def migrate(self, name: str) -> None:
        """Bring the component's database to the current schema, as found in the environment
        the component is launched with (a test may give it another database than ``prepare``'s)."""
        from services.cli.documents import UsageProblem
        from services.cli.migrate import MigrationFailed, migrate, target

        try:
            migrate(target(name, {**self.component(name).env, **self.launch_env.get(name, {})}))
        except (MigrationFailed, UsageProblem) as error:
            raise LaunchError(str(error)) from None

    def relaunch(self, name: str) -> subprocess.Popen[bytes]:
        """Start a component that has exited again, with the environment it was launched with."""
        if self.running(name):
            raise RuntimeError(f"{name} is still running")
        return self.launch(name, env=self.launch_env.get(name))

    def wait_healthy(self, name: str, *, timeout: float = 60.0) -> None:
        process = self.processes[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {self.log_file(name)}")
            if self.healthy(name):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{name} was not healthy within {timeout:g} s; see {self.log_file(name)}")

    def healthy(self, name: str) -> bool:
        """Whether the component's process runs and its ``/healthz`` answers 200 now."""
        if not self.running(name):
            return False
        try:
            return httpx.get(f"{self.url(name)}/healthz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def log_file(self, name: str) -> Path:
        return self.data_dir / "logs" / f"{name}.log"

    def pid_file(self, name: str) -> Path:
        """``data_dir/run/<name>.pid``: the pid of the component's current process, while it runs."""
        return self.data_dir / "run" / f"{name}.pid"

    def pid(self, name: str) -> int | None:
        process = self.processes.get(name)
        return process.pid if process is not None else None

    def exit_code(self, name: str) -> int | None:
        """The component's exit status once its process has ended (``-N``: killed by signal N)."""
        process = self.processes.get(name)
        return process.poll() if process is not None else None

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
            self.pid_file(name).unlink(missing_ok=True)

    def running(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None

