"""Shared test fixtures: where the project and the read-only external corpora are, the
markers that split the suite, an environment the developer's shell cannot change, and
databases migrated as ``swx migrate`` leaves them for the apps the tests start."""

import functools
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from services.kernel.migrate import Schema

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"


def _is_setting(name: str) -> bool:
    """A variable the product reads. ``SWX_TEST_*`` and ``SWX_SCREENSHOT_DIR`` steer the tests
    (no component reads them) and stay, also for pytest-xdist's workers."""
    if name == "DATABASE_URL":
        return True
    return name.startswith("SWX_") and not name.startswith("SWX_TEST_") and name != "SWX_SCREENSHOT_DIR"


POSTGRES_ADMIN_URL = os.environ.get("SWX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
"""The server the ``postgres`` tests create their databases on (never ``DATABASE_URL``, which
names a database of the product, not one to create others on)."""

SHELL_SETTINGS = {name: os.environ.pop(name) for name in list(os.environ) if _is_setting(name)}
"""The ``SWX_*`` / ``DATABASE_URL`` values the shell had, taken out of the environment as this
file is loaded: before every other conftest and test module, since some settings are read when
a module is imported (``SWX_SCHEMA_DIR``), and before pytest-xdist starts its workers."""


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("timeout"):
        raise pytest.UsageError("pytest-timeout is not installed (a dev dependency: make installs it); "
                                "without it a hung test would hang the run")


def pytest_unconfigure(config: pytest.Config) -> None:
    os.environ.update(SHELL_SETTINGS)  # pytest run in process (pytest.main) hands the shell back
    SHELL_SETTINGS.clear()


@pytest.fixture(scope="session", autouse=True)
def settings_not_from_the_shell() -> Iterator[None]:
    """No ``SWX_*`` or ``DATABASE_URL`` from the developer's shell reaches a test or a process it
    starts: results do not depend on who runs them. Also clears what a module set while being
    imported. A test that needs a setting passes it (``monkeypatch.setenv``, ``extra_env``)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if _is_setting(name)]:
            patch.delenv(name)
        yield


@pytest.fixture(scope="session")
def external() -> Path:
    """``../shared/external``: skipped when absent locally, a failure when absent in CI."""
    folder = SHARED / "external"
    if not folder.is_dir():
        reason = f"the external corpora are not at {folder} (clone ../shared beside the project)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return folder


@functools.cache
def _postgres_reachable() -> bool:
    """Asked once per run: every ``postgres`` test skips (or fails in CI) for the same reason."""
    from sqlalchemy import create_engine

    from services.kernel.db import database_is_up

    engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        return database_is_up(engine)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, and a PostgreSQL database when the server is up
    (always under CI=true, where an unreachable server is a failure)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    if not _postgres_reachable():
        reason = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from sqlalchemy import create_engine, text

    name = f"swx_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Callable[["Schema"], Path]:
    """A SQLite database at the head of every history a schema needs, made once a session
    (once a pytest-xdist worker) for each service, to be copied rather than migrated again."""
    from services.kernel.migrate import upgrade

    folder = tmp_path_factory.mktemp("migrated")
    made: dict[Schema, Path] = {}

    def template(schema: "Schema") -> Path:
        if schema not in made:
            path = folder / f"{schema.service}.db"
            upgrade(schema, f"sqlite:///{path}")
            made[schema] = path
        return made[schema]

    return template


@pytest.fixture(autouse=True)
def migrated_databases(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                       migrated_template: Callable[["Schema"], Path]) -> None:
    """An app a test starts (``create_app(settings)`` in a ``TestClient``) finds its database
    as ``swx migrate`` leaves it, as the launcher's servers do: where the lifespan checks the
    schema, an absent or empty SQLite file is first copied from ``migrated_template``, and an
    empty PostgreSQL database migrated. A database the test made itself is left as it is, so
    an upgrade test sees its own. The servers themselves never migrate; a test of what they
    do on a bare database says so with ``@pytest.mark.bare_database``."""
    if request.node.get_closest_marker("bare_database"):
        return
    from services.kernel.web import service

    check = service.require_current

    def migrated_then_checked(schema: "Schema", url: str, *, component: str) -> None:
        _migrate_if_bare(schema, url, migrated_template)
        check(schema, url, component=component)

    monkeypatch.setattr(service, "require_current", migrated_then_checked)


def _migrate_if_bare(schema: "Schema", url: str, template: Callable[["Schema"], Path]) -> None:
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url

    from services.kernel.migrate import upgrade

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        file = Path(parsed.database)
        if not file.exists() or file.stat().st_size == 0:
            file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template(schema), file)
            return
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            bare = not inspect(connection).get_table_names()
    finally:
        engine.dispose()
    if bare:
        upgrade(schema, url)


class HubStandIn:
    """Stands in for the hub's ``POST /messages`` (httpx MockTransport): records envelopes,
    answers with the queued statuses (202 by default)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.authorizations: list[str] = []
        self.statuses: list[int] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        status = self.statuses.pop(0) if self.statuses else 202
        if status == 202:
            self.received.append(json.loads(request.content))
            self.authorizations.append(request.headers.get("authorization", ""))
        return httpx.Response(status, json={"status": status})

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


@pytest.fixture
def hub() -> HubStandIn:
    return HubStandIn()


@pytest.fixture
def network_file(tmp_path: Path) -> Path:
    from services.kernel.network import create_development_network

    path = tmp_path / "network.json"
    create_development_network(path)
    return path


def wait_until(condition: Callable[[], bool], *, timeout: float = 10.0, what: str = "condition") -> None:
    """Poll until ``condition`` holds (no fixed sleeps); fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def eventually() -> Callable[..., None]:
    return wait_until
