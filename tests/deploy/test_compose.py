"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file must be valid Compose, run every component of the launcher's topology
(``compose_topology()``, the same description ``swx up`` runs) with the same app and the
same environment, start in a safe order, and pass only variables the services' settings
understand. The image must install the built wheel, which holds every file the code
reads at run time (tests/deploy/test_wheel.py checks the wheel itself).
"""

import fnmatch
import importlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from pydantic_settings import BaseSettings
from sqlalchemy.engine import make_url

from services.cli.compose import (
    COMPOSE_DATABASE_ADMIN_URL,
    COMPOSE_DATABASE_URL,
    COMPOSE_NETWORK_FILE,
    COMPOSE_SECRETS_DIR,
    HUB_WORKER_COMMAND,
    compose_topology,
    export_network,
    server_command,
)
from services.cli.compose import main as compose_main
from services.cli.launcher import CONTAINER_PORT, Component, endpoints, topology
from services.cli.migrate import target as migration_target
from services.customs.config import CustomsSettings
from services.hub.config import HubSettings
from services.immigration.config import ImmigrationSettings
from services.kernel.keys import PGPASS_FILE, POSTGRES_PASSWORD_FILE, database_passwords
from services.kernel.network import load_network
from services.kernel.participants import COMPONENT_SECRETS, OPERATOR, PARTICIPANTS, database_role
from services.nsw.config import NSWSettings
from services.port.config import PortSettings
from tests.deploy.compose_stack import (
    OFFLINE_FIRST_COMMAND,
    README,
    REGISTRY_FIRST_COMMAND,
    console_blocks,
    docs_commands,
)

PROJECT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT / "docker-compose.yml"
DOCKERFILE = PROJECT / "Dockerfile"

COMPONENTS = compose_topology()
NON_COMPONENTS = {"postgres", "init", "init-databases", "hub-worker"}
ONE_SHOTS = {"init", "init-databases"}
SHARED_VARIABLES = {"SWX_NETWORK_FILE", "SWX_HUB_URL", "SWX_CUSTOMS_URL", "SWX_IMMIGRATION_URL", "SWX_PORT_URL",
                    "DATABASE_URL", "SWX_SECRETS_DIR", "PGPASSFILE"}
"""Read by every service beside its own prefixed settings (``ServiceSettings``, ``NSWSettings``):
``SWX_SECRETS_DIR`` by the kernel's network loader, ``PGPASSFILE`` by libpq (the role's password)."""


def settings_class(component: Component) -> type[BaseSettings]:
    if component.name.startswith("nsw-"):
        return NSWSettings
    classes: dict[str, type[BaseSettings]] = {"hub": HubSettings, "customs": CustomsSettings,
                                              "immigration": ImmigrationSettings, "port": PortSettings}
    return classes[component.name]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as the container sees it (compose allows a list or a mapping)."""
    given = service.get("environment") or {}
    if isinstance(given, list):
        given = dict(item.split("=", 1) for item in given)
    return {key: "" if value is None else str(value) for key, value in given.items()}


def test_compose_file_is_valid_against_the_compose_specification(compose: dict[str, Any], external: Path) -> None:
    schema = json.loads((external / "compose-spec" / "compose-spec.json").read_text(encoding="utf-8"))
    assert "draft-07" in schema["$schema"]
    errors = sorted(Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors)


def test_the_compose_services_are_the_topology_plus_database_init_and_workers(compose: dict[str, Any]) -> None:
    assert set(services(compose)) == {c.name for c in COMPONENTS} | NON_COMPONENTS


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.name)
def test_each_component_runs_the_launcher_app_with_the_launcher_environment(
        compose: dict[str, Any], component: Component) -> None:
    service = services(compose)[component.name]
    assert service["command"] == server_command(component)
    # its own database migrated first; then the server, in the shell's place (the signals go to it)
    migrate, server = service["command"][2].split(" && ")
    assert migrate == f"swx migrate --component {component.name}"
    assert server == (f"exec python -m services.kernel.web.server {component.app} --factory --host 0.0.0.0 "
                      f"--port {CONTAINER_PORT}")
    assert environment(service) == component.env
    assert component.url == f"http://{component.name}:{CONTAINER_PORT}"


@pytest.mark.parametrize("name", sorted({c.name for c in COMPONENTS} | {"hub-worker"}))
def test_each_container_migrates_the_database_its_server_opens(
        compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``swx migrate --component NAME`` reads the container's environment as the server does."""
    for key in list(os.environ):
        if key.startswith("SWX_") or key == "DATABASE_URL":
            monkeypatch.delenv(key)
    env = environment(services(compose)[name])
    migrate = services(compose)[name]["command"][2].split(" && ")[0]
    component = migrate.removeprefix("swx migrate --component ")
    assert component == name.removesuffix("-worker")
    url = next(value for key, value in env.items() if key.endswith("_DATABASE_URL"))
    assert migration_target(component, environ=env).url == url


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.name)
def test_each_component_is_published_on_the_port_swx_up_gives_it(
        compose: dict[str, Any], component: Component, tmp_path: Path) -> None:
    local = next(c for c in topology(data_dir=tmp_path) if c.name == component.name)
    assert services(compose)[component.name]["ports"] == [f"127.0.0.1:{local.port}:{CONTAINER_PORT}"]


def test_every_dependency_waits_until_healthy_or_done(compose: dict[str, Any]) -> None:
    every = services(compose)
    for name, service in every.items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            wanted = "service_completed_successfully" if dependency in ONE_SHOTS else "service_healthy"
            assert condition == {"condition": wanted}, f"{name} -> {dependency}"
            if wanted == "service_healthy":
                target = every[dependency]
                # a healthcheck of its own, or the image's HEALTHCHECK (the Dockerfile's)
                assert "healthcheck" in target or "build" in target, dependency
                assert not (target.get("healthcheck") or {}).get("disable"), dependency
    # the secrets first (the server's own password among them), then the server, then the roles
    assert "depends_on" not in every["init"]
    assert set(every["postgres"]["depends_on"]) == {"init"}
    assert set(every["init-databases"]["depends_on"]) == {"postgres"}
    for component in COMPONENTS:
        assert set(every[component.name]["depends_on"]) == {"init-databases", "postgres"}


def test_hub_workers_scale_with_the_hubs_configuration(compose: dict[str, Any]) -> None:
    every = services(compose)
    worker = every["hub-worker"]
    assert worker["command"] == HUB_WORKER_COMMAND
    assert HUB_WORKER_COMMAND[2].endswith("&& exec swx hub-worker")
    assert "container_name" not in worker
    assert "ports" not in worker
    assert environment(worker) == environment(every["hub"])
    assert worker["volumes"] == every["hub"]["volumes"], "the hub's secrets, and no other"
    # the hub creates the tables (its migrations) that the workers claim messages from
    assert worker["depends_on"] == {"hub": {"condition": "service_healthy"}}
    assert "SWX_HUB_RUN_WORKER" not in environment(every["hub"]), "the hub keeps its own worker"
    assert environment(worker)["SWX_HUB_DATABASE_URL"].startswith("postgresql"), "SKIP LOCKED needs PostgreSQL"


def test_no_service_has_a_fixed_container_name(compose: dict[str, Any]) -> None:
    assert [name for name, service in services(compose).items() if "container_name" in service] == []


def test_postgres_keeps_its_data_and_takes_its_administrator_password_from_its_own_secrets(
        compose: dict[str, Any]) -> None:
    postgres = services(compose)["postgres"]
    # the official image unless SWX_POSTGRES_IMAGE names another (deploy/compose.offline.yml sets one)
    assert postgres["image"] == "${SWX_POSTGRES_IMAGE:-postgres:17}"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    volume = next(v.split(":")[0] for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume in compose["volumes"]
    env = environment(postgres)
    assert "POSTGRES_PASSWORD" not in env, "a password written in the compose file is no secret"
    assert env["POSTGRES_PASSWORD_FILE"] == f"{COMPOSE_SECRETS_DIR}/{POSTGRES_PASSWORD_FILE}"
    assert mounts(postgres)["secrets-postgres"] == (str(COMPOSE_SECRETS_DIR), True)
    admin = make_url(COMPOSE_DATABASE_ADMIN_URL)
    assert (admin.username, admin.password, admin.host) == (env["POSTGRES_USER"], None, "postgres")
    assert make_url(COMPOSE_DATABASE_URL).username is None


def init_script(compose: dict[str, Any]) -> str:
    command = services(compose)["init"]["command"]
    assert command[:2] == ["sh", "-c"]
    script: str = command[2]
    return script


def mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """A service's named volumes: volume -> (where it is mounted, whether read-only)."""
    found = {}
    for entry in service.get("volumes") or []:
        volume, target, *options = entry.split(":")
        found[volume] = (target, options == ["ro"])
    return found


class InitRun:
    """The init's network step, run as ``sh`` runs it, on folders standing in for its volumes."""

    def __init__(self, compose: dict[str, Any], root: Path) -> None:
        self.step = next(line for line in init_script(compose).splitlines() if "swx keys" in line)
        init_mounts = mounts(services(compose)["init"])
        self.volumes = {volume: root / volume for volume in init_mounts}
        # each mount path, wherever a word starts with it, becomes its volume's folder; the
        # components' volumes are mounted side by side, one folder each, in --secrets-dir
        secrets_root = {str(Path(target).parent) for volume, (target, _) in init_mounts.items()
                        if volume.startswith("secrets-")}
        assert len(secrets_root) == 1, secrets_root
        for volume, (target, _) in init_mounts.items():
            if volume.startswith("secrets-"):
                assert Path(target).name == volume.removeprefix("secrets-"), volume
                self.volumes[volume] = root / "secrets" / Path(target).name
        for target, folder in [*((t, self.volumes[v]) for v, (t, _) in init_mounts.items()),
                               (secrets_root.pop(), root / "secrets")]:
            self.step = re.sub(rf"(?<!\S){re.escape(target)}(?=/|\s|$)", str(folder), self.step)
        for folder in self.volumes.values():
            folder.mkdir(parents=True, exist_ok=True)  # an empty volume

    def run(self) -> str:
        env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin", "COLUMNS": "200", "TERM": "dumb"}
        done = subprocess.run(["sh", "-c", self.step], capture_output=True, text=True, env=env, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def files_of(self, service: dict[str, Any]) -> dict[str, bytes]:
        """Every file a service can read from its volumes, by its path in the container."""
        found = {}
        for volume, (target, _) in mounts(service).items():
            if volume in self.volumes:
                for file in self.volumes[volume].iterdir():
                    found[f"{target}/{file.name}"] = file.read_bytes()
        return found

    def snapshot(self) -> dict[str, bytes]:
        return {str(file): file.read_bytes() for folder in self.volumes.values() for file in folder.rglob("*")
                if file.is_file()}


@pytest.fixture(scope="module")
def init_run(compose: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> InitRun:
    run = InitRun(compose, tmp_path_factory.mktemp("volumes"))
    run.run()
    return run


def test_init_fills_only_volumes_of_the_compose_file_and_their_mount_points_exist_in_the_image(
        compose: dict[str, Any]) -> None:
    init = services(compose)["init"]
    assert "build" in init
    assert set(mounts(init)) <= set(compose["volumes"])
    assert not any(read_only for _, read_only in mounts(init).values()), "the init writes every volume it mounts"
    # an empty named volume takes the owner of the image's directory: each must exist, owned by swx
    run = " ".join(argument for op, argument in dockerfile_instructions() if op == "RUN")
    loop = re.search(r'for component in ([\w -]+); do\s+mkdir -p -m 0700 "/secrets/\$component"', run)
    assert loop is not None
    created = {f"/secrets/{name}" for name in loop[1].split()}
    created |= {path for found in re.findall(r"mkdir -p(?: -m \d+)? ((?:/[\w/-]+ ?)+)", run) for path in found.split()}
    assert "chown swx:swx /network /var/lib/swx /var/lib/swx-network /secrets/*" in run
    for volume, (target, _) in mounts(init).items():
        assert target in created, f"{volume}: {target} is not made in the image"


def test_init_writes_the_public_directory_and_every_components_secrets_once(
        compose: dict[str, Any], init_run: InitRun) -> None:
    every = services(compose)
    script = init_script(compose)
    assert every["init-databases"]["command"] == ["python", "-m", "services.cli.compose", "create-databases"]
    template = re.search(r"--endpoint-template '([^']+)'", script)
    assert template is not None
    assert {country: template[1].format(country=country.lower()) for country in endpoints(COMPONENTS)} == (
        endpoints(COMPONENTS))
    assert f"[ -f {COMPOSE_NETWORK_FILE} ]" in script
    public = json.loads(init_run.files_of(every["hub"])[str(COMPOSE_NETWORK_FILE)])
    assert {c: p["endpoint"] for c, p in public["participants"].items()} == endpoints(COMPONENTS)
    # every later start keeps every key, token and password
    before = init_run.snapshot()
    assert "keeping the network directory" in init_run.run()
    assert init_run.snapshot() == before


def secret_values(init_run: InitRun) -> dict[str, str]:
    """Every secret the init wrote (from the whole directory), by what it is."""
    whole = init_run.volumes["network-secrets"]
    found = {file.name: file.read_text(encoding="utf-8").strip() for file in whole.glob("*.token")}
    found |= {f"{file.name}": file.read_text(encoding="utf-8") for file in whole.glob("*.private.pem")}
    found |= {f"password of {role}": password
              for role, password in database_passwords(whole / PGPASS_FILE).items()}
    return found


@pytest.mark.parametrize("name", sorted({c.name for c in COMPONENTS} | {"hub-worker"}))
def test_no_service_is_given_another_components_key_token_or_database_password(
        compose: dict[str, Any], init_run: InitRun, name: str) -> None:
    service = services(compose)[name]
    component = name.removesuffix("-worker")
    plan = COMPONENT_SECRETS[component]
    own_role = database_role(component)
    mounted = mounts(service)
    assert mounted == {"network": (str(COMPOSE_NETWORK_FILE.parent), True),
                       f"secrets-{component}": (str(COMPOSE_SECRETS_DIR), True)}
    readable = init_run.files_of(service)
    wanted = {f"{COMPOSE_SECRETS_DIR}/{c}.private.pem" for c in plan.signs_as}
    wanted |= {f"{COMPOSE_SECRETS_DIR}/{i}.token" for i in plan.sends_as} | {f"{COMPOSE_SECRETS_DIR}/{PGPASS_FILE}"}
    assert {path for path in readable if path.startswith(f"{COMPOSE_SECRETS_DIR}/")} == wanted
    assert not [p for p in readable if p.startswith(f"{COMPOSE_NETWORK_FILE.parent}/")
                and p.endswith((".private.pem", ".token", PGPASS_FILE, POSTGRES_PASSWORD_FILE))]
    own = {f"{i}.token" for i in plan.sends_as} | {f"{c}.private.pem" for c in plan.signs_as}
    own.add(f"password of {own_role}")
    everything = b"\n".join(readable.values()).decode("utf-8") + "\n".join(environment(service).values())
    leaked = [what for what, value in secret_values(init_run).items() if what not in own and value in everything]
    assert leaked == [], f"{name} can read {leaked}"
    for what in own:
        assert secret_values(init_run)[what] in everything, f"{name} lacks {what}"


@pytest.mark.parametrize("name", sorted({c.name for c in COMPONENTS} | {"hub-worker"}))
def test_each_service_connects_as_its_own_database_role_only(
        compose: dict[str, Any], init_run: InitRun, name: str) -> None:
    service = services(compose)[name]
    own_role = database_role(name.removesuffix("-worker"))
    env = environment(service)
    urls = [make_url(value) for key, value in env.items() if key.endswith("DATABASE_URL")]
    assert [(url.username, url.password, url.database) for url in urls] == [(own_role, None, own_role)]
    every_role = {database_role(c.name) for c in COMPONENTS}
    named = {role for role in every_role for value in env.values() if re.search(rf"\b{role}\b", value)}
    assert named == {own_role}
    assert env["PGPASSFILE"] == f"{COMPOSE_SECRETS_DIR}/{PGPASS_FILE}"
    pgpass = init_run.files_of(service)[env["PGPASSFILE"]]
    assert list(database_passwords_from(pgpass)) == [own_role]


def database_passwords_from(content: bytes) -> dict[str, str]:
    return {line.split(":")[3]: line.split(":")[4] for line in content.decode().splitlines() if line}


def test_the_database_step_holds_every_role_and_the_server_only_its_own_password(
        compose: dict[str, Any], init_run: InitRun) -> None:
    every = services(compose)
    step = every["init-databases"]
    assert mounts(step) == {"secrets-init-databases": (str(COMPOSE_SECRETS_DIR), True)}
    assert environment(step) == {"PGPASSFILE": f"{COMPOSE_SECRETS_DIR}/{PGPASS_FILE}"}
    passwords = database_passwords_from(init_run.files_of(step)[environment(step)["PGPASSFILE"]])
    admin = make_url(COMPOSE_DATABASE_ADMIN_URL).username
    assert set(passwords) == {make_url(v).username for c in COMPONENTS for k, v in c.env.items()
                              if k.endswith("_DATABASE_URL")} | {admin}
    assert len(set(passwords.values())) == len(passwords), "each role has a password of its own"
    server = init_run.files_of(every["postgres"])
    assert server == {f"{COMPOSE_SECRETS_DIR}/{POSTGRES_PASSWORD_FILE}": (passwords[admin] + "\n").encode()}


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.name)
def test_every_variable_is_one_the_service_reads(component: Component) -> None:
    """No typo can hide: each key is a shared variable or the service's prefix plus a field."""
    cls = settings_class(component)
    unknown = unknown_variables(cls, component.env)
    assert not unknown, f"{component.name}: {unknown} is not a setting of {cls.__name__}"


def unknown_variables(cls: type[BaseSettings], env: dict[str, str]) -> list[str]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    own = {f"{prefix}{field}".upper() for field in cls.model_fields}
    return sorted(set(env) - own - SHARED_VARIABLES)


@pytest.mark.parametrize("name", ["hub", "hub-worker", "customs", "immigration", "port", "nsw-vn", "nsw-jp"])
def test_the_compose_environment_configures_the_service_as_written(
        compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The services' own settings classes read the compose file's environment (embedded: no
    container), and every value arrives as written."""
    for key in list(os.environ):
        if key.startswith("SWX_") or key == "DATABASE_URL":
            monkeypatch.delenv(key)
    env = environment(services(compose)[name])
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    component = next(c for c in COMPONENTS if c.name == name.removesuffix("-worker"))
    assert not unknown_variables(settings_class(component), env)
    settings: Any = settings_class(component)()
    prefix = str(type(settings).model_config.get("env_prefix", ""))

    for key, value in env.items():
        if key.startswith(prefix) and key.removeprefix(prefix).lower() in type(settings).model_fields:
            assert str(getattr(settings, key.removeprefix(prefix).lower())) == value, key
    assert settings.network_file == COMPOSE_NETWORK_FILE
    assert settings.hub_url == "http://hub:8000"
    service = "hub" if name == "hub-worker" else name
    assert settings.database_for(service.split("-")[0]) == env[f"{prefix}DATABASE_URL"]
    assert settings.database_url.startswith("postgresql+psycopg://")
    if isinstance(settings, NSWSettings):
        assert settings.country == name.removeprefix("nsw-").upper()
        for agency in ("customs", "immigration", "port"):
            assert settings.agency_url(agency) == f"http://{agency}:{CONTAINER_PORT}"
    if name != "hub-worker":
        # what the server's ``--factory`` calls in the container, on this environment
        module, factory = component.app.split(":")
        app = getattr(importlib.import_module(module), factory)()
        assert app.state.settings.model_dump() == settings.model_dump()


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines
            if line and not line.startswith("#")]


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, in order, each starting with its ``FROM``."""
    stages: list[list[tuple[str, str]]] = []
    for op, argument in dockerfile_instructions():
        if op == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((op, argument))
    return stages


def global_arguments() -> dict[str, str]:
    """The Dockerfile's ``ARG``s before its first ``FROM``, with their defaults."""
    found = {}
    for op, argument in dockerfile_instructions():
        if op == "FROM":
            break
        if op == "ARG":
            name, _, default = argument.partition("=")
            found[name] = default
    return found


def test_the_image_is_slim_python_311_by_default_run_by_a_user_and_health_checked() -> None:
    """Both stages on one base, a build argument: python:3.11-slim unless told otherwise
    (deploy/compose.offline.yml gives Debian's Python 3.11)."""
    bases = [argument.split()[0] for op, argument in dockerfile_instructions() if op == "FROM"]
    assert bases == ["${BASE_IMAGE}"] * len(dockerfile_stages())
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", global_arguments()["BASE_IMAGE"])
    final = dockerfile_stages()[-1]
    users = [argument for op, argument in final if op == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    healthchecks = [argument for op, argument in final if op == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert f"http://127.0.0.1:{CONTAINER_PORT}/healthz" in healthchecks[0]
    assert "urllib" in healthchecks[0]
    assert ("EXPOSE", str(CONTAINER_PORT)) in final


def test_the_image_installs_the_built_wheel_and_not_the_source_tree() -> None:
    """The first stage builds swx's wheel from exactly what the wheel ships (pyproject.toml's
    packages and the data folders it maps into them, the README) and installs the built
    wheels, offline and not editable, into a virtual environment it then rids of pip and
    setuptools; the final stage takes that environment and nothing from the project folder:
    the code finds its schemas, samples, migrations and templates inside the installed package."""
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = {"pyproject.toml", pyproject["project"]["readme"], "services",
               *pyproject["tool"]["setuptools"]["package-dir"].values()}
    stages = dockerfile_stages()
    assert len(stages) == 2
    build, final = stages
    copied = {Path(source).as_posix().removeprefix("./") for op, argument in build if op == "COPY"
              for source in argument.split()[:-1]}
    assert shipped <= copied, shipped - copied
    runs = [argument for op, argument in build if op == "RUN"]
    assert any("pip wheel --no-deps" in argument for argument in runs)
    installs = [argument for argument in runs if "pip install" in argument]
    assert len(installs) == 1
    assert "--no-index --find-links /wheels swx" in installs[0]
    assert not {"-e", "--editable"} & set(installs[0].split())
    assert "pip uninstall --yes pip setuptools" in installs[0]
    environments = [argument for argument in runs if "python -m venv" in argument]
    assert environments == ["python -m venv /opt/swx"]
    # the final stage: the installed environment, and no other file from the build or the project
    assert [argument for op, argument in final if op in ("COPY", "ADD")] == ["--from=build /opt/swx /opt/swx"]
    assert any(op == "ENV" and "PATH=/opt/swx/bin:$PATH" in argument for op, argument in final)
    ignored = [line.strip() for line in (PROJECT / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    for path in shipped:
        relative = Path(path)
        prefixes = [str(Path(*relative.parts[:i])) for i in range(1, len(relative.parts) + 1)]
        assert (PROJECT / path).exists(), path
        assert not [(p, pattern) for p in prefixes for pattern in ignored if fnmatch.fnmatch(p, pattern)], path
    for secret in ("var", "keys", ".venv", ".git"):
        assert secret in ignored
    # of deploy/, only the wheelhouse (what deploy/offline-images.sh builds) goes to the build
    assert ignored.index("!deploy/wheelhouse") > ignored.index("deploy")


OFFLINE_FILE = PROJECT / "deploy" / "compose.offline.yml"
OFFLINE_SCRIPT = PROJECT / "deploy" / "offline-images.sh"


def offline_script_setting(name: str) -> str:
    found = re.search(rf"^{name}=(\S+)$", OFFLINE_SCRIPT.read_text(encoding="utf-8"), re.MULTILINE)
    assert found is not None, name
    return found[1]


def test_the_compose_file_names_no_project_and_no_version(compose: dict[str, Any]) -> None:
    """docker-compose 1.29 refuses a top-level ``name``; the project is the folder's, or -p's."""
    assert not {"name", "version"} & set(compose)


def test_the_offline_file_builds_on_debian_python_from_the_wheelhouse_alone_without_a_network(
        compose: dict[str, Any]) -> None:
    offline: dict[str, Any] = yaml.safe_load(OFFLINE_FILE.read_text(encoding="utf-8"))
    built = {name for name, service in services(compose).items() if "build" in service}
    assert set(offline["services"]) == built | {"postgres"}
    build_arguments = global_arguments() | {argument.partition("=")[0]: argument.partition("=")[2]
                                            for op, argument in dockerfile_stages()[0] if op == "ARG"}
    for name in built:
        build = offline["services"][name]["build"]
        assert build["context"] == "."
        assert build["network"] == "none", "nothing is fetched during the build: the wheels are in the wheelhouse"
        assert build["args"] == {"BASE_IMAGE": offline_script_setting("PYTHON_IMAGE"), "PIP_NO_INDEX": "1"}
        assert set(build["args"]) <= set(build_arguments)
    assert build_arguments["PIP_NO_INDEX"] == "0", "with a registry, pip may use its index"
    postgres = offline["services"]["postgres"]
    assert postgres["image"] == offline_script_setting("POSTGRES_IMAGE")
    assert postgres["stop_signal"] == "SIGINT"


def test_the_offline_file_is_valid_against_the_compose_specification(external: Path) -> None:
    schema = json.loads((external / "compose-spec" / "compose-spec.json").read_text(encoding="utf-8"))
    offline = yaml.safe_load(OFFLINE_FILE.read_text(encoding="utf-8"))
    errors = sorted(Draft7Validator(schema).iter_errors(offline), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors)


@pytest.mark.parametrize("files", [["docker-compose.yml"], ["docker-compose.yml", "deploy/compose.offline.yml"]],
                         ids=["registry", "offline"])
def test_docker_compose_1_29_reads_the_files(files: list[str]) -> None:
    """Debian's docker-compose (1.29) checks the files as it will run them (no engine needed)."""
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (Debian: apt-get install docker-compose)")
    options = [word for file in files for word in ("-f", file)]
    done = subprocess.run(["docker-compose", *options, "config", "-q"], cwd=PROJECT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "COMPOSE_PROJECT_NAME": "swxcheck"}, check=False)
    assert done.returncode == 0, done.stderr


def test_the_readme_and_the_operations_page_give_the_same_compose_commands() -> None:
    """Both paths, as tests/deploy/test_compose_e2e.py runs them from docs/operations.md."""
    readme = console_blocks(README)
    for first in (REGISTRY_FIRST_COMMAND, OFFLINE_FIRST_COMMAND):
        assert docs_commands(first) in readme, first
    offline = docs_commands(OFFLINE_FIRST_COMMAND)
    assert all(f"-f docker-compose.yml -f {OFFLINE_FILE.relative_to(PROJECT)} " in command for command in offline[1:])
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^offline-images:\n\tdeploy/offline-images\.sh$", makefile, re.MULTILINE)


def test_export_network_hands_this_machine_the_published_endpoints_and_the_callers_tokens_only(
        init_run: InitRun, tmp_path: Path) -> None:
    """What the docs' copy command extracts: enough for ``swx demo --url`` and ``swx submit``
    from this machine, and no private key, password or the hub's own token."""
    archive = io.BytesIO()
    written = export_network(init_run.volumes["network-secrets"], archive)
    archive.seek(0)
    with tarfile.open(fileobj=archive) as tar:
        members = tar.getmembers()
        for member in members:
            assert member.isfile(), member.name
            content = tar.extractfile(member)
            assert content is not None
            (tmp_path / member.name).write_bytes(content.read())
            (tmp_path / member.name).chmod(member.mode)
    names = [member.name for member in members]
    assert names == written
    assert sorted(names) == sorted(["network.json", *(f"{who}.token" for who in (*PARTICIPANTS, OPERATOR))])
    copied = load_network(tmp_path / "network.json")
    local = {c.name: c.url for c in topology(data_dir=tmp_path)}
    assert {country: p.endpoint for country, p in copied.participants.items()} == {
        country: local[f"nsw-{country.lower()}"] for country in PARTICIPANTS}
    whole = load_network(init_run.volumes["network-secrets"] / "network.json")
    assert copied.operator_token == whole.operator_token
    assert {c: copied.token_of(c) for c in PARTICIPANTS} == {c: whole.token_of(c) for c in PARTICIPANTS}
    for token in tmp_path.glob("*.token"):
        assert token.stat().st_mode & 0o077 == 0, token


def test_the_compose_steps_refuse_other_commands_and_a_terminal(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert compose_main(["drop-databases"]) == 2
    assert "usage: python -m services.cli.compose create-databases | export-network" in capsys.readouterr().err
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert compose_main(["export-network"]) == 2
    assert "pipe it to tar" in capsys.readouterr().err


def test_offline_images_says_what_it_makes_and_refuses_what_it_does_not_know(tmp_path: Path) -> None:
    def script(*arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(OFFLINE_SCRIPT), *arguments], capture_output=True, text=True, timeout=60,
                              env={**os.environ, **env}, check=False)

    shown = script("--help")
    assert shown.returncode == 0
    assert offline_script_setting("PYTHON_IMAGE") in shown.stdout
    assert "set -euo" not in shown.stdout
    refused = script("--bogus")
    assert (refused.returncode, refused.stderr) == (2, "offline-images: unknown argument '--bogus' (only --rebuild)\n")
    if shutil.which("docker") is None:
        return  # the Python check comes after the engine's
    not_python = tmp_path / "python"
    not_python.write_text("#!/bin/sh\nexit 1\n")
    not_python.chmod(0o755)
    wrong = script(PYTHON=str(not_python))
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("offline-images: ")
