"""A docker-compose.yml project as the end-to-end test drives it: the commands the docs give,
run as written, and what the running containers say about themselves.

``docker compose`` (Compose v2) is used when the engine's CLI has it, ``docker-compose``
(1.29, Debian's) otherwise: the docs' commands are run with the one found in place of
``docker compose``. The project name comes from ``COMPOSE_PROJECT_NAME``, so the docs'
commands stay as written and each run has volumes and a network of its own.
"""

import fcntl
import functools
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.cli.launcher import topology

PROJECT = Path(__file__).resolve().parents[2]
OPERATIONS = PROJECT / "docs" / "operations.md"
README = PROJECT / "README.md"
REGISTRY_IMAGES = ("python:3.11-slim", "postgres:17")
"""The bases of the path with a registry; the test never pulls them, it uses them when present."""
OFFLINE_FIRST_COMMAND = "make offline-images"
REGISTRY_FIRST_COMMAND = "docker compose up -d --build"
ONE_SHOTS = ("init", "init-databases")
WITHOUT_HEALTHCHECK = ("hub-worker",)
PROJECT_LABEL = "com.docker.compose.project"
NETWORK_COPY = PROJECT / "var" / "compose"
"""Where the docs' copy command puts the network file and the tokens (``var/`` is ignored by git)."""
PORTS = sorted(component.port for component in topology(data_dir=PROJECT / "var"))
"""What docker-compose.yml publishes on loopback: the ports ``swx up`` uses by default."""
IMAGE_TITLE_LABEL = "org.opencontainers.image.title"
LOCK = Path(tempfile.gettempdir()) / "swx-compose-e2e.lock"


def run(argv: list[str], *, timeout: float = 60, env: dict[str, str] | None = None,
        input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, input=input,
                          cwd=PROJECT, check=False)


def engine_answers() -> bool:
    return shutil.which("docker") is not None and run(["docker", "info"], timeout=30).returncode == 0


@contextmanager
def engine() -> Iterator[str | None]:
    """The Docker engine: None when it answers (started here as root when it can be, and
    stopped again afterwards), else why it cannot be used."""
    if shutil.which("docker") is None:
        yield "no docker command here (Debian: apt-get install docker.io docker-compose)"
        return
    if engine_answers():
        yield None
        return
    dockerd = shutil.which("dockerd") or next((p for p in ("/usr/sbin/dockerd",) if os.access(p, os.X_OK)), None)
    if dockerd is None or os.geteuid() != 0:
        yield "the Docker engine does not answer (`docker info`) and cannot be started here (dockerd as root)"
        return
    log = Path(tempfile.gettempdir()) / f"swx-test-dockerd-{os.getpid()}.log"
    with open(log, "wb") as output:
        daemon = subprocess.Popen([dockerd], stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    answered = False
    try:
        deadline = time.monotonic() + 60
        while not (answered := engine_answers()) and daemon.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        yield None if answered else f"dockerd started here did not answer (its log: {log})"
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        if answered:
            log.unlink()


def compose_program() -> list[str] | None:
    """``docker compose`` if the CLI has it, else ``docker-compose`` 1.29 or later (the first
    with ``service_completed_successfully``), else None."""
    if run(["docker", "compose", "version"]).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        version = run(["docker-compose", "version", "--short"]).stdout.strip()
        found = re.match(r"(\d+)\.(\d+)", version)
        if found and (int(found[1]), int(found[2])) >= (1, 29):
            return ["docker-compose"]
    return None


def image_present(image: str) -> bool:
    return run(["docker", "image", "inspect", image]).returncode == 0


def console_blocks(page: Path) -> list[list[str]]:
    """The commands of each ```console block of a page ('$ ' lines), in order."""
    blocks: list[list[str]] = []
    inside = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.strip() == "```console":
            inside, blocks = True, [*blocks, []]
        elif line.strip() == "```":
            inside = False
        elif inside and line.startswith("$ "):
            blocks[-1].append(re.sub(r"\s+#.*$", "", line[2:]).strip())
    return blocks


def docs_commands(first: str) -> list[str]:
    """The block of docs/operations.md that starts with ``first``: a path, as a user runs it."""
    found = [block for block in console_blocks(OPERATIONS) if block and block[0] == first]
    assert len(found) == 1, f"docs/operations.md has {len(found)} console blocks starting with `{first}`"
    return found[0]


@dataclass
class Stack:
    """One compose project: the docs' commands and what its containers say."""

    project: str
    program: list[str]
    files: list[str] = field(default_factory=list)
    """The ``-f`` options of the path (none: docker-compose.yml alone)."""

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "COMPOSE_PROJECT_NAME": self.project, "COLUMNS": "250"}

    def shell(self, command: str, *, timeout: float = 600) -> str:
        """A docs command, run as written (with this machine's compose program)."""
        if command.startswith("docker compose "):
            command = shlex.join(self.program) + command.removeprefix("docker compose")
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=PROJECT, env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=False)
        assert done.returncode == 0, (f"`{command}` exited {done.returncode}:\n{done.stdout[-3000:]}\n"
                                      f"{done.stderr[-3000:]}")
        return done.stdout

    def compose(self, *args: str, timeout: float = 300, check: bool = True,
                input: str | None = None) -> subprocess.CompletedProcess[str]:
        done = run([*self.program, *self.files, *args], timeout=timeout, env=self.env, input=input)
        assert not check or done.returncode == 0, (f"compose {' '.join(args)} exited {done.returncode}:\n"
                                                   f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    def exec(self, service: str, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``argv`` in the running container of ``service``, as its image's user, like
        ``compose exec -T`` (not checked: the caller asks)."""
        return run(["docker", "exec", self.container(service)["Id"], *argv], timeout=timeout)

    def init_output(self, *argv: str) -> str:
        """``argv`` in a one-off container of the init service, the only one with the whole directory."""
        return self.compose("run", "--rm", "--no-deps", "-T", "init", *argv, timeout=120).stdout

    # --- what the containers say ---------------------------------------------------------
    def containers(self, *, one_off: bool = False) -> list[dict[str, Any]]:
        ids = run(["docker", "ps", "-a", "-q", "--filter", f"label={PROJECT_LABEL}={self.project}"]).stdout.split()
        if not ids:
            return []
        found: list[dict[str, Any]] = json.loads(run(["docker", "inspect", *ids]).stdout)
        return [c for c in found
                if (c["Config"]["Labels"].get("com.docker.compose.oneoff") == "True") == one_off]

    def container(self, service: str) -> dict[str, Any]:
        (found,) = [c for c in self.containers() if c["Config"]["Labels"]["com.docker.compose.service"] == service]
        return found

    @functools.cached_property
    def services(self) -> list[str]:
        return self.compose("config", "--services").stdout.split()

    def states(self) -> dict[str, str]:
        """Each service's container: ``exited N``, its health, or its state without a healthcheck."""
        states = {}
        for container in self.containers():
            service = container["Config"]["Labels"]["com.docker.compose.service"]
            state = container["State"]
            if state["Status"] == "exited":
                states[service] = f"exited {state['ExitCode']}"
            elif state.get("Health"):
                states[service] = state["Health"]["Status"]
            else:
                states[service] = state["Status"]
        return states

    def problems(self) -> dict[str, str]:
        """Every service that is not as a ready network has it, by name: a one-shot that did
        not exit 0, a component not healthy, a worker not running."""
        states = self.states()
        problems = {}
        for service in self.services:
            wanted = "exited 0" if service in ONE_SHOTS else "running" if service in WITHOUT_HEALTHCHECK else "healthy"
            found = states.get(service, "no container")
            if found != wanted:
                problems[service] = found
        return problems

    def wait_ready(self, *, timeout: float = 300) -> float:
        """Wait until every service is ready; the seconds it took. Fails naming each service
        that is not, with its last health check and the end of its log."""
        started = time.monotonic()
        while problems := self.problems():
            if time.monotonic() - started > timeout:
                raise AssertionError(f"not ready after {timeout:g} s: {self.explain(problems)}")
            time.sleep(2)
        return time.monotonic() - started

    def explain(self, problems: dict[str, str]) -> str:
        parts = [", ".join(f"{service} {state}" for service, state in problems.items())]
        for service in problems:
            try:
                health = self.container(service)["State"].get("Health") or {}
            except ValueError:
                health = {}
            checks = health.get("Log") or []
            if checks:
                parts.append(f"--- {service}: last health check: {checks[-1]['Output'].strip()[-400:]}")
            log = self.compose("logs", "--no-color", "--tail", "20", service, check=False)
            parts.append(f"--- {service}: end of its log\n{log.stdout[-2000:]}")
        return "\n".join(parts)

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, networks and volumes of this project the engine still has."""
        label = f"label={PROJECT_LABEL}={self.project}"
        return {kind: names for kind, argv in (
            ("containers", ["docker", "ps", "-a", "-q", "--filter", label]),
            ("networks", ["docker", "network", "ls", "-q", "--filter", label]),
            ("volumes", ["docker", "volume", "ls", "-q", "--filter", label]),
        ) if (names := run(argv).stdout.split())}


# --- one run at a time, and what it leaves ---------------------------------------------------

@contextmanager
def taking_turns() -> Iterator[None]:
    with open(LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def taken_ports() -> list[int]:
    taken = []
    for port in PORTS:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                taken.append(port)
    return taken


@contextmanager
def network_copy_put_aside() -> Iterator[None]:
    """The copy command writes ``var/compose``: a copy a user made before is put back afterwards."""
    aside = Path(tempfile.mkdtemp(prefix="swx-compose-copy-")) / "compose"
    if NETWORK_COPY.exists():
        shutil.move(NETWORK_COPY, aside)
    try:
        yield
    finally:
        shutil.rmtree(NETWORK_COPY, ignore_errors=True)
        if aside.exists():
            shutil.move(aside, NETWORK_COPY)
        aside.parent.rmdir()


def compose_files(commands: list[str]) -> list[str]:
    """The ``-f`` options of the path's ``up`` command."""
    (up,) = [command for command in commands if " up " in command]
    words = shlex.split(up)
    return [word for flag, value in zip(words, words[1:], strict=False) if flag == "-f" for word in (flag, value)]


def remove_stale_images() -> None:
    """What earlier builds of the swx image left untagged: every replaced image, and every
    build stage but the newest (the next build's cache). The base images stay."""
    def untagged(title: str) -> list[str]:
        return run(["docker", "images", "-q", "--filter", "dangling=true",
                    "--filter", f"label={IMAGE_TITLE_LABEL}={title}"]).stdout.split()

    stale = untagged("swx") + untagged("swx build stage")[1:]
    if stale:
        run(["docker", "image", "rm", *stale], timeout=120)
