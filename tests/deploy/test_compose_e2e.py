"""docker-compose.yml for real: the image built, the containers started and driven end to end.

The network is brought up with the commands docs/operations.md gives, as written. With
python:3.11-slim and postgres:17 in the local engine it takes the path for a machine with a
registry (the test never pulls them: it uses them when they are there); without them, the
offline path: ``make offline-images`` (Debian base images made with debootstrap, kept in the
engine for the next run; the wheels built on this machine), then the override file. Then,
against the running containers: the image's user and contents, ``swx demo --url`` (the four
flows), the dashboard, each container's secrets and database role, init run again, the hub
restarted under load, a component failing its healthcheck, and ``down`` without ``-v``
followed by ``up``.

Each run is a compose project of its own (``COMPOSE_PROJECT_NAME``), removed with
``down -v`` at the end whatever happened, which must leave no container, network or volume
behind. The ports are the fixed ones docker-compose.yml publishes, so runs on one machine
take turns (a lock file). Skipped with the reason when no Docker engine can be used (a
failure under CI=true).
"""

import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.kernel.keys import load_private_key
from services.kernel.participants import COMPONENT_SECRETS, OPERATOR, PARTICIPANTS, database_role
from tests.deploy.compose_stack import (
    NETWORK_COPY,
    OFFLINE_FIRST_COMMAND,
    OPERATIONS,
    PORTS,
    PROJECT,
    REGISTRY_FIRST_COMMAND,
    REGISTRY_IMAGES,
    Stack,
    compose_files,
    compose_program,
    docs_commands,
    engine,
    image_present,
    network_copy_put_aside,
    remove_stale_images,
    run,
    taken_ports,
    taking_turns,
)
from tests.deploy.compose_traffic import HUB, NSW_VN, Load, delivered, every_page, get, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(2400)]

log = logging.getLogger(__name__)
DEMO = "swx demo --url http://127.0.0.1:8100 --network-file var/compose/network.json"
"""The demo against the containers, as docs/operations.md gives it."""
OFFLINE_IMAGES = ("swx-offline/python:3.11-bookworm", "swx-offline/postgres:15-bookworm")
IMAGE = "swx:dev"
RUNNING_SERVICES = sorted({*COMPONENT_SECRETS, "hub-worker", "postgres"})


def unusable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with engine() as problem:
        if problem is not None:
            unusable(problem)
        program = compose_program()
        if program is None:
            unusable("neither `docker compose` (Compose v2) nor docker-compose 1.29 or later is installed "
                     "(Debian: apt-get install docker-compose)")
        offline = not all(image_present(image) for image in REGISTRY_IMAGES)
        debootstrap = shutil.which("debootstrap") or Path("/usr/sbin/debootstrap").exists()
        if offline and not all(image_present(image) for image in OFFLINE_IMAGES) and not debootstrap:
            unusable(f"{' and '.join(REGISTRY_IMAGES)} are not in the local engine, and the offline path makes its "
                     "base images with debootstrap, which is not installed (Debian: apt-get install debootstrap)")
        commands = docs_commands(OFFLINE_FIRST_COMMAND if offline else REGISTRY_FIRST_COMMAND)
        with taking_turns(), network_copy_put_aside():
            if taken := taken_ports():
                unusable(f"docker-compose.yml publishes the network on 127.0.0.1:{PORTS[0]}-{PORTS[-1]}, and "
                         f"{', '.join(map(str, taken))} are taken (is `swx up` running with its default ports?)")
            stack = Stack(project=f"swxe2e{uuid.uuid4().hex[:10]}", program=program, files=compose_files(commands))
            started = time.monotonic()
            try:
                for command in commands:
                    stack.shell(command, timeout=1800)
                stack.wait_ready()
                log.info("%s path with %s: up and ready in %.0f s", "offline" if offline else "registry",
                         " ".join(program), time.monotonic() - started)
                yield stack
            finally:
                down = stack.compose("down", "-v", "--remove-orphans", check=False, timeout=300)
                remove_stale_images()
                left = stack.leftovers()
                assert down.returncode == 0, down.stderr[-2000:]
                assert not left, f"down -v left {left} of {stack.project}"


@pytest.fixture(scope="module")
def tokens(stack: Stack) -> dict[str, str]:
    """The countries' and the operator's tokens, from the copy the docs' command made."""
    return {who: (NETWORK_COPY / f"{who}.token").read_text(encoding="utf-8").strip()
            for who in (*PARTICIPANTS, OPERATOR)}


# --- the image ---------------------------------------------------------------------------

IMAGE_PROBE = """
import importlib.metadata, importlib.util, json, os, pwd, re, shutil, sys
import services
names = {re.sub(r"[-_.]+", "_", d.metadata["Name"]).lower() for d in importlib.metadata.distributions()}
wheels = []
for folder, subfolders, files in os.walk("/"):
    subfolders[:] = [s for s in subfolders if os.path.join(folder, s) not in ("/proc", "/sys", "/dev")]
    wheels += [os.path.join(folder, f) for f in files
               if f.endswith(".whl") and re.sub(r"[-_.]+", "_", f.split("-")[0]).lower() in names]
print(json.dumps({
    "user": pwd.getpwuid(os.getuid()).pw_name, "python": list(sys.version_info[:2]),
    "package": services.__file__,
    "direct_url": importlib.metadata.distribution("swx").read_text("direct_url.json"),
    "pip or setuptools": [m for m in ("pip", "setuptools") if importlib.util.find_spec(m)],
    "build tools": [t for t in ("gcc", "cc", "c++", "make", "ld") if shutil.which(t)],
    "build leftovers": [p for p in ("/src", "/wheels", "/wheelhouse") if os.path.exists(p)] + wheels,
}))
"""


def test_every_service_is_up_and_the_image_runs_the_installed_wheel_as_its_own_user(stack: Stack) -> None:
    assert stack.problems() == {}
    probe = stack.exec("hub", "python", "-c", IMAGE_PROBE)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert found["user"] == "swx"
    assert found["python"] == [3, 11]
    # installed from its wheel, by name: not editable, not a source folder
    assert found["package"] == "/opt/swx/lib/python3.11/site-packages/services/__init__.py"
    assert found["direct_url"] is None
    assert found["pip or setuptools"] == []
    assert found["build tools"] == []
    assert found["build leftovers"] == []
    size = int(run(["docker", "image", "inspect", "--format", "{{.Size}}", IMAGE]).stdout)
    log.info("%s: %.0f MB", IMAGE, size / 1e6)


# --- the flows ---------------------------------------------------------------------------

def test_swx_demo_runs_the_four_flows_against_the_containers_and_the_dashboard_shows_them(
        stack: Stack, tokens: dict[str, str]) -> None:
    assert f"`{DEMO}`" in OPERATIONS.read_text(encoding="utf-8")
    argv = shlex.split(DEMO)
    demo = subprocess.run([str(Path(sys.executable).parent / argv[0]), *argv[1:]], cwd=PROJECT,
                          capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "COLUMNS": "200", "TERM": "dumb"})
    assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-2000:]
    assert demo.stdout.count("held:") == 4, demo.stdout[-4000:]
    assert "suspended at the hub" in demo.stdout

    page = httpx.get(f"{HUB}/dashboard", timeout=30)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    links = get(f"{HUB}/dashboard/api/links", tokens[OPERATOR])
    shown = {(link["sender"], link["receiver"]): link for link in links["links"]}
    for sender, receiver in (("TH", "VN"), ("VN", "TH"), ("KH", "VN")):
        assert shown[(sender, receiver)]["delivered"] > 0, links
    assert links["totals"]["failed"] == 0, links
    assert links["suspended"] == [], "the demo resumed deliveries to VN"


# --- secrets and database roles ------------------------------------------------------------

SECRET_FILES = ("find / \\( -path /proc -o -path /sys -o -path /dev -o -path /usr -o -path /opt \\) -prune "
                "-o -type f -readable -size -64k -print0 | xargs -0 -r sha256sum")
"""Every small file the container's user can read, with its SHA-256 (the images' own tools)."""


@pytest.fixture(scope="module")
def secret_hashes(stack: Stack) -> dict[str, str]:
    """SHA-256 -> name of every private key and token of the whole directory (init's volume)."""
    listing = stack.init_output("sh", "-c", "cd /var/lib/swx-network && sha256sum *.private.pem *.token")
    return dict(line.split(maxsplit=1) for line in listing.splitlines())


@pytest.mark.parametrize("service", RUNNING_SERVICES)
def test_each_container_reads_its_own_keys_and_tokens_and_no_other(
        stack: Stack, secret_hashes: dict[str, str], service: str) -> None:
    listing = stack.exec(service, "sh", "-c", SECRET_FILES)
    assert listing.returncode == 0, listing.stderr
    readable = {}
    for line in listing.stdout.splitlines():
        digest, path = line.split(maxsplit=1)
        if digest in secret_hashes:
            readable[secret_hashes[digest]] = path
    plan = COMPONENT_SECRETS.get(service.removesuffix("-worker"))
    own = set()
    if plan is not None:
        own = {f"{country}.private.pem" for country in plan.signs_as} | {f"{who}.token" for who in plan.sends_as}
    assert set(readable) == own, f"{service} reads {sorted(set(readable) - own)}, lacks {sorted(own - set(readable))}"
    assert all(path.startswith("/run/secrets/swx/") for path in readable.values()), readable
    if plan is not None:
        pgpass = stack.exec(service, "cat", "/run/secrets/swx/pgpass")
        roles = [line.split(":")[3] for line in pgpass.stdout.splitlines() if line]
        assert roles == [database_role(plan.component)], f"{service}'s pgpass holds {roles}"


ROLE_PROBE = """
import json, sys, psycopg
_, _, _, own, password = open("/run/secrets/swx/pgpass").read().split()[0].split(":")
role = own if sys.argv[1] == "own" else sys.argv[1]
found = {}
for name in sys.argv[2:]:
    try:
        psycopg.connect(host="postgres", dbname=name, user=role, password=password, connect_timeout=10).close()
        found[name] = "connected"
    except psycopg.Error as error:
        found[name] = str(error)
print(json.dumps({"role": role, "databases": found}))
"""


@pytest.mark.parametrize(("service", "others"), [("customs", ("hub", "nsw-vn")), ("nsw-vn", ("nsw-th", "customs")),
                                                 ("hub", ("immigration", "port"))])
def test_a_components_database_role_opens_its_own_database_and_no_other(
        stack: Stack, service: str, others: tuple[str, ...]) -> None:
    databases = [database_role(service), *map(database_role, others)]
    probe = stack.exec(service, "python", "-c", ROLE_PROBE, "own", *databases)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert found["role"] == database_role(service)
    assert found["databases"][database_role(service)] == "connected"
    for other in others:
        refusal = found["databases"][database_role(other)]
        # refused for want of the privilege, with the right password: not a matter of the password
        assert "permission denied for database" in refusal, refusal
        assert "CONNECT privilege" in refusal, refusal


def test_another_components_role_is_refused_with_this_components_password(stack: Stack) -> None:
    probe = stack.exec("customs", "python", "-c", ROLE_PROBE, database_role("hub"), database_role("hub"))
    assert probe.returncode == 0, probe.stderr
    refusal = json.loads(probe.stdout)["databases"][database_role("hub")]
    assert "password authentication failed" in refusal, refusal


# --- init again, the hub restarted under load ---------------------------------------------

def test_init_run_again_keeps_every_key_token_and_password(stack: Stack) -> None:
    listing = "find /network /var/lib/swx-network /secrets -type f -exec sha256sum {} + | sort"
    before = stack.init_output("sh", "-c", listing)
    again = stack.compose("run", "--rm", "--no-deps", "-T", "init")
    assert "keeping the network directory and every component's secrets" in again.stdout
    assert stack.init_output("sh", "-c", listing) == before
    assert before.count(".private.pem") >= 2 * len(PARTICIPANTS), before


@pytest.fixture(scope="module")
def th_key(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Ed25519PrivateKey:
    """TH's signing key, from the whole directory: the test sends as TH's NSW would."""
    folder = tmp_path_factory.mktemp("th-key")
    (folder / "TH.private.pem").write_text(stack.init_output("cat", "/var/lib/swx-network/TH.private.pem"))
    return load_private_key(folder, "TH")


def test_restarting_the_hub_under_load_delivers_every_accepted_message_once(
        stack: Stack, tokens: dict[str, str], th_key: Ed25519PrivateKey) -> None:
    load = Load(key=th_key, token=tokens["TH"])
    hub_started = stack.container("hub")["State"]["StartedAt"]
    load.start()
    try:
        load.wait_accepted(50)
        stack.compose("restart", "hub")
        stack.wait_ready()
        load.wait_accepted(len(load.accepted) + 50)
    finally:
        load.stop()
    assert stack.container("hub")["State"]["StartedAt"] != hub_started
    assert load.refused, "no envelope met the restart"
    accepted = set(load.accepted)
    log.info("%d envelopes accepted, %d met the restarting hub (%s)", len(accepted), len(load.refused),
             dict(Counter(load.refused.values())))

    at_hub = delivered(load, tokens[OPERATOR])
    assert accepted <= at_hub
    # a message stored as the hub stopped, whose 202 went with it, is delivered too: never one nobody sent
    assert at_hub - accepted <= set(load.refused)
    inbox = every_page(f"{NSW_VN}/inbox", tokens["VN"], conversation_id=load.conversation)
    listed = Counter(item["message_id"] for item in inbox)
    assert set(listed) == at_hub, f"VN's inbox and the hub disagree: {len(set(listed) ^ at_hub)} messages"
    assert max(listed.values()) == 1
    twice = {item["message_id"]: item["deliveries"] for item in inbox if item["deliveries"] != 1}
    assert not twice, f"VN received messages more than once: {twice}"


# --- bad conditions ----------------------------------------------------------------------

def test_a_component_failing_its_healthcheck_is_reported_by_name(stack: Stack) -> None:
    """nsw-jp's role may no longer log in: its /healthz answers 503 and only it turns unhealthy."""
    role = database_role("nsw-jp")

    def as_administrator(sql: str) -> None:
        done = stack.exec("postgres", "psql", "-U", "swx", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql)
        assert done.returncode == 0, done.stderr

    as_administrator(f"ALTER ROLE {role} NOLOGIN")
    try:
        as_administrator(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'")
        wait_for(lambda: stack.problems() == {"nsw-jp": "unhealthy"}, timeout=180, what="nsw-jp to be unhealthy")
        listed = stack.compose("ps").stdout.splitlines()
        assert [line for line in listed if "unhealthy" in line] == [line for line in listed if "nsw-jp" in line]
        with pytest.raises(AssertionError, match=r"not ready after \S+ s: nsw-jp unhealthy\n") as report:
            stack.wait_ready(timeout=0)
        assert "HTTP Error 503" in str(report.value)
    finally:
        as_administrator(f"ALTER ROLE {role} LOGIN")
    stack.wait_ready()


def test_down_without_volumes_then_up_keeps_every_message_key_and_token(
        stack: Stack, tokens: dict[str, str], th_key: Ed25519PrivateKey) -> None:
    operator = tokens[OPERATOR]
    load = Load(key=th_key, token=tokens["TH"])
    load.start()
    try:
        load.wait_accepted(20)
    finally:
        load.stop()
    sent = delivered(load, operator)
    messages = {m["message_id"]: m["state"] for m in every_page(f"{HUB}/messages", operator)}
    received = {item["message_id"] for item in every_page(f"{NSW_VN}/inbox", tokens["VN"])}
    assert sent <= set(messages)
    assert sent <= received
    listing = "find /network /var/lib/swx-network /secrets -type f -exec sha256sum {} + | sort"
    secrets = stack.init_output("sh", "-c", listing)

    stack.compose("down")
    assert stack.containers() == []
    assert "volumes" in stack.leftovers()
    stack.compose("up", "-d")
    stack.wait_ready()

    assert "keeping the network directory" in stack.compose("logs", "--no-color", "init").stdout
    assert stack.init_output("sh", "-c", listing) == secrets
    # the same tokens still open the hub and VN's endpoint, and every message is there, as it was
    assert {m["message_id"]: m["state"] for m in every_page(f"{HUB}/messages", operator)} == messages
    assert {item["message_id"] for item in every_page(f"{NSW_VN}/inbox", tokens["VN"])} == received
