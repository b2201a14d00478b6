"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file must be valid Compose, run every component of the launcher's topology
(``compose_topology()``, the same description ``swx up`` runs) with the same app and the
same environment, start in a safe order, and pass only variables the services' settings
understand. The image must hold every file the code reads at run time.
"""

import fnmatch
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from pydantic_settings import BaseSettings

from services.cli.launcher import (
    COMPOSE_DATABASE_URL,
    COMPOSE_NETWORK_FILE,
    CONTAINER_PORT,
    Component,
    compose_topology,
    endpoints,
    topology,
)
from services.customs.config import CustomsSettings
from services.hub.config import HubSettings
from services.immigration.config import ImmigrationSettings
from services.nsw.config import NSWSettings
from services.port.config import PortSettings

PROJECT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT / "docker-compose.yml"
DOCKERFILE = PROJECT / "Dockerfile"

COMPONENTS = compose_topology()
NON_COMPONENTS = {"postgres", "init", "hub-worker"}
SHARED_VARIABLES = {"SWX_NETWORK_FILE", "SWX_HUB_URL", "SWX_CUSTOMS_URL", "SWX_IMMIGRATION_URL", "SWX_PORT_URL",
                    "DATABASE_URL"}
"""Read by every service beside its own prefixed settings (``ServiceSettings``, ``NSWSettings``)."""


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
    assert service["command"] == ["uvicorn", "--factory", component.app, "--host", "0.0.0.0",
                                  "--port", str(CONTAINER_PORT)]
    assert environment(service) == component.env
    assert component.url == f"http://{component.name}:{CONTAINER_PORT}"


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.name)
def test_each_component_is_published_on_the_port_swx_up_gives_it(
        compose: dict[str, Any], component: Component, tmp_path: Path) -> None:
    local = next(c for c in topology(data_dir=tmp_path) if c.name == component.name)
    assert services(compose)[component.name]["ports"] == [f"127.0.0.1:{local.port}:{CONTAINER_PORT}"]


def test_every_dependency_waits_until_healthy_or_done(compose: dict[str, Any]) -> None:
    every = services(compose)
    for name, service in every.items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            wanted = "service_completed_successfully" if dependency == "init" else "service_healthy"
            assert condition == {"condition": wanted}, f"{name} -> {dependency}"
            if wanted == "service_healthy":
                target = every[dependency]
                # a healthcheck of its own, or the image's HEALTHCHECK (the Dockerfile's)
                assert "healthcheck" in target or "build" in target, dependency
                assert not (target.get("healthcheck") or {}).get("disable"), dependency
    for component in COMPONENTS:
        assert set(every[component.name]["depends_on"]) == {"init", "postgres"}


def test_hub_workers_scale_with_the_hubs_configuration(compose: dict[str, Any]) -> None:
    every = services(compose)
    worker = every["hub-worker"]
    assert worker["command"] == ["swx", "hub-worker"]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert environment(worker) == environment(every["hub"])
    # the hub creates the tables (its migrations) that the workers claim messages from
    assert worker["depends_on"] == {"hub": {"condition": "service_healthy"}}
    assert "SWX_HUB_RUN_WORKER" not in environment(every["hub"]), "the hub keeps its own worker"
    assert environment(worker)["SWX_HUB_DATABASE_URL"].startswith("postgresql"), "SKIP LOCKED needs PostgreSQL"


def test_no_service_has_a_fixed_container_name(compose: dict[str, Any]) -> None:
    assert [name for name, service in services(compose).items() if "container_name" in service] == []


def test_postgres_keeps_its_data_and_matches_the_components_credentials(compose: dict[str, Any]) -> None:
    postgres = services(compose)["postgres"]
    assert postgres["image"].split(":")[0] == "postgres"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    volume = next(v.split(":")[0] for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume in compose["volumes"]
    env = environment(postgres)
    assert COMPOSE_DATABASE_URL == f"postgresql+psycopg://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@postgres:5432"


def test_components_share_the_network_directory_read_only_and_only_init_writes_it(compose: dict[str, Any]) -> None:
    mount = f"network:{COMPOSE_NETWORK_FILE.parent}"
    assert "network" in compose["volumes"]
    every = services(compose)
    for name in [c.name for c in COMPONENTS] + ["hub-worker"]:
        assert every[name]["volumes"] == [f"{mount}:ro"], name
    assert every["init"]["volumes"] == [mount]


def init_script(compose: dict[str, Any]) -> str:
    command = services(compose)["init"]["command"]
    assert command[:2] == ["sh", "-c"]
    script: str = command[2]
    return script


def test_init_creates_the_topologys_databases_and_a_network_directory_listing_its_endpoints(
        compose: dict[str, Any]) -> None:
    script = init_script(compose)
    assert "python -m services.cli.launcher create-databases" in script.splitlines()
    template = re.search(r"--endpoint-template '([^']+)'", script)
    assert template is not None
    assert {country: template[1].format(country=country.lower()) for country in endpoints(COMPONENTS)} == (
        endpoints(COMPONENTS))
    assert f"swx keys {COMPOSE_NETWORK_FILE.parent} " in script
    assert f"[ -f {COMPOSE_NETWORK_FILE} ]" in script


def test_init_keeps_the_keys_and_tokens_on_every_later_start(compose: dict[str, Any], tmp_path: Path) -> None:
    """The network step of the init, run twice as ``sh`` runs it, on a folder standing in for
    the volume: the first run writes the directory, the second changes nothing."""
    folder = tmp_path / "network"
    folder.mkdir()  # the volume: an empty directory
    step = next(line for line in init_script(compose).splitlines() if "swx keys" in line)
    # the volume's path wherever a word starts with it (the network file's path among them)
    step = re.sub(rf"(?<!\S){re.escape(str(COMPOSE_NETWORK_FILE.parent))}(?=/|\s)", str(folder), step)
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin", "COLUMNS": "160", "TERM": "dumb"}

    def run() -> str:
        done = subprocess.run(["sh", "-c", step], capture_output=True, text=True, env=env, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run()
    written = (folder / "network.json").read_text(encoding="utf-8")
    directory = json.loads(written)
    assert {c: p["endpoint"] for c, p in directory["participants"].items()} == endpoints(COMPONENTS)
    assert "keeping the network directory" in run()
    assert (folder / "network.json").read_text(encoding="utf-8") == written


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
        # what ``uvicorn --factory`` calls in the container, on this environment
        module, factory = component.app.split(":")
        app = getattr(importlib.import_module(module), factory)()
        assert app.state.settings.model_dump() == settings.model_dump()


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines
            if line and not line.startswith("#")]


def test_the_image_is_slim_python_311_run_by_a_user_and_health_checked() -> None:
    instructions = dockerfile_instructions()
    bases = [argument for op, argument in instructions if op == "FROM"]
    assert len(bases) == 1
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", bases[0]), bases
    users = [argument for op, argument in instructions if op == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    healthchecks = [argument for op, argument in instructions if op == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert f"http://127.0.0.1:{CONTAINER_PORT}/healthz" in healthchecks[0]
    assert "urllib" in healthchecks[0]
    assert ("EXPOSE", str(CONTAINER_PORT)) in instructions


def test_the_image_holds_every_file_the_code_reads_at_run_time() -> None:
    """The code finds migrations, schemas, fixtures (the NSW watchlist, OpenAPI examples) and
    the hub's templates from its own location, so the image runs the project in place
    (``COPY . .`` and an editable install): none of those may be left out of the build."""
    from services.hub.app import MIGRATIONS
    from services.kernel.registry import SCHEMA_ROOT
    from services.kernel.web.examples import FIXTURES

    instructions = dockerfile_instructions()
    assert ("COPY", ". .") in instructions
    assert any(op == "RUN" and "pip install --no-deps -e ." in argument for op, argument in instructions)
    ignored = [line.strip() for line in (PROJECT / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    needed = [MIGRATIONS, SCHEMA_ROOT, FIXTURES, NSWSettings.model_fields["watchlist"].default,
              PROJECT / "services" / "hub" / "templates", PROJECT / "pyproject.toml", PROJECT / "README.md"]
    for path in needed:
        relative = path.relative_to(PROJECT)
        prefixes = [str(Path(*relative.parts[:i])) for i in range(1, len(relative.parts) + 1)]
        assert path.exists(), path
        assert not [(p, pattern) for p in prefixes for pattern in ignored if fnmatch.fnmatch(p, pattern)], relative
    for secret in ("var", "keys", ".venv", ".git"):
        assert secret in ignored
