"""Alembic migrations, run before the servers: ``swx migrate`` brings a database to head, a
server only checks that it is there (``require_current``) and refuses to start otherwise.

A service's database holds its own tables and the kernel's tables it uses, each kind with a
history of its own:

- the service's, in ``services/<service>/migrations/`` (version table ``alembic_version``);
  its ``env.py`` is one call, ``run_env(...)``, its versions ordinary Alembic revisions;
- the kernel's, in ``services/kernel/migrations/`` (version table ``alembic_version_kernel``),
  one branch per kernel table: ``outbox`` (``services.kernel.outbox``) and ``answers``
  (``services.kernel.received_answers``). A service's ``Schema`` names the branches it uses: the NSW
  endpoints keep an outbox but receive no answers, the hub uses neither.

Why a history and version table of its own rather than a labelled branch inside every
service's history: the kernel's revisions are then written once and applied once in each
database, whichever service it belongs to; each service's history stays one line with one
head; and the ``alembic_version`` row of a database made before the split stays valid as it is.

A database made before the split has the kernel's tables, built by its service's own history,
and no kernel version: ``upgrade`` adopts each such table (records the kernel revision its
columns show, ``ADOPTABLE``), then upgrades it like any other. The service revisions that
built kernel tables are gone from the services' histories; a database stamped at one is moved
to the revision before it (``run_env``'s ``retired``).
"""

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, MetaData, column, create_engine, engine_from_config, inspect, pool, table
from sqlalchemy import text as sql_text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from services.kernel import resources

log = logging.getLogger("swx.migrate")

SERVICE_VERSION_TABLE = "alembic_version"
KERNEL_VERSION_TABLE = "alembic_version_kernel"
KERNEL_MIGRATIONS = resources.migrations_dir("services.kernel")
KERNEL_BRANCHES = ("outbox", "answers")

ADOPTABLE: dict[str, tuple[str, tuple[tuple[str, str | None], ...]]] = {
    "outbox": ("outbox", (("outbox_0002", "failed_at"), ("outbox_0001", None))),
    "answers": ("received_answer", (("answers_0001", None),)),
}
"""For each kernel branch, the table the services' histories built before the kernel had a
history, and the kernel revisions it may stand at, newest first: the first whose column is
there (None: the table alone). Frozen: only databases made before the split need it."""

MIGRATION_LOCK = 0x5357_4D49
"""PostgreSQL advisory lock key: two processes migrating one database at once take turns."""


@dataclass(frozen=True)
class Schema:
    """What a service keeps in its database: its own history (``migrations``, Alembic's
    script folder) and the kernel branches it uses (``kernel``: ``outbox``, ``answers``)."""

    service: str
    migrations: Path
    kernel: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.kernel) - set(KERNEL_BRANCHES))
        if unknown:
            raise ValueError(f"{self.service}: no kernel migration branch {', '.join(unknown)} "
                             f"(there are {', '.join(KERNEL_BRANCHES)})")


@dataclass(frozen=True)
class Behind:
    """A history the database is not at the head of."""

    history: str
    """``customs``, ``kernel outbox`` ..."""
    at: str | None
    """The revision the database is at; None when none of the history is applied."""
    head: str
    adopted: bool = False
    """A kernel table a service's own history had built, found at ``at`` and kept with its rows."""

    def __str__(self) -> str:
        if self.adopted:
            return f"{self.history} adopted at {self.at} (head {self.head})"
        if self.at is None:
            return f"{self.history} not applied (head {self.head})"
        return f"{self.history} at {self.at} (head {self.head})"


class SchemaNotCurrent(RuntimeError):
    """The database is not at the head of every history its service needs."""


def shown_url(url: str) -> str:
    """The URL as messages show it: without its password (a URL that does not parse is not
    shown, since its password could not be told apart)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(a database URL that does not parse)"


def behind(schema: Schema, url: str) -> list[Behind]:
    """The histories the database at ``url`` is not at the head of (empty: it is current).
    A SQLite file that does not exist is not created: none of its histories is applied."""
    file = _sqlite_file(url)
    if file is not None and not file.exists():
        return [Behind(history, None, head) for history, head in _heads(schema)]
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return _behind(connection, schema)
    finally:
        engine.dispose()


def require_current(schema: Schema, url: str, *, component: str) -> None:
    """Raise ``SchemaNotCurrent``, naming the command that mends it, unless the database at
    ``url`` is current. ``component`` is the name ``swx migrate --component`` takes."""
    missing = behind(schema, url)
    if missing:
        raise SchemaNotCurrent(
            f"the {component} database ({shown_url(url)}) is not migrated for this version of swx: "
            f"{'; '.join(map(str, missing))}. Run `swx migrate --component {component}` with this server's "
            "settings, then start it again")


def upgrade(schema: Schema, url: str) -> list[Behind]:
    """Bring the database at ``url`` to the head of every history ``schema`` needs, the
    kernel's branches first, on one connection (on PostgreSQL in one transaction: all of it
    or none); what was behind, kernel tables adopted among it (empty: it was current and
    nothing ran). Safe to run again, and by several processes at once on PostgreSQL."""
    file = _sqlite_file(url)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            was = _behind(connection, schema)
            if not was:
                return []
            adopted = _adopt_kernel_tables(connection, schema.kernel)
            kernel = alembic_config(migrations=KERNEL_MIGRATIONS, connection=connection)
            for branch in schema.kernel:
                command.upgrade(kernel, f"{branch}@head")
            command.upgrade(alembic_config(migrations=schema.migrations, connection=connection), "head")
    finally:
        engine.dispose()
    return [replace(each, at=adopted[each.history], adopted=True) if each.history in adopted else each
            for each in was]


def alembic_config(*, migrations: Path, url: str | None = None, connection: Connection | None = None) -> Config:
    """Alembic's configuration for one script folder, on ``url`` or on an open ``connection``
    (whose transaction the migrations then join)."""
    config = Config()
    config.set_main_option("script_location", str(migrations))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def run_env(context: Any, metadata: MetaData, *, tables: set[str], version_table: str = SERVICE_VERSION_TABLE,
            retired: Mapping[str, str] | None = None) -> None:
    """The body of every ``env.py``: migrate only ``tables`` (SQLModel keeps every service's
    tables in one metadata), recorded in ``version_table``. ``retired`` maps revisions the
    history no longer has (they built kernel tables) to the revision before them."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table_ = obj if type_ == "table" else getattr(obj, "table", None)
        return table_ is None or table_.name in tables

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, include_object=include,
                          version_table=version_table, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            _refuse_reused_ids(context.script, retired or {})
            _forget_retired(connection, version_table, retired or {})
            context.run_migrations()

    config = context.config
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        migrate(given)
        return
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}) or
                                     {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        migrate(connection)


# --- reading where a database stands ------------------------------------------------------------
@functools.cache
def _scripts(migrations: Path) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(migrations=migrations))


def _branch_head(branch: str) -> str:
    (head,) = _scripts(KERNEL_MIGRATIONS).get_revisions(f"{branch}@head")
    assert head is not None
    return head.revision


def _kernel_history(branch: str) -> str:
    return f"kernel {branch}"


def _heads(schema: Schema) -> list[tuple[str, str]]:
    """Each history ``schema`` needs, with its head revision, the kernel's first."""
    found = [(_kernel_history(branch), _branch_head(branch)) for branch in schema.kernel]
    head = _scripts(schema.migrations).get_current_head()
    assert head is not None, f"{schema.migrations} has no revision"
    return [*found, (schema.service, head)]


def _current(connection: Connection, version_table: str) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection, opts={"version_table": version_table}).get_current_heads())


def _on_branch(revision: str, branch: str) -> bool:
    try:
        script = _scripts(KERNEL_MIGRATIONS).get_revision(revision)
    except CommandError:  # a revision this code does not know (a newer swx's)
        return False
    return script is not None and branch in script.branch_labels


def _behind(connection: Connection, schema: Schema) -> list[Behind]:
    kernel_at = _current(connection, KERNEL_VERSION_TABLE)
    positions = {_kernel_history(branch): [revision for revision in kernel_at if _on_branch(revision, branch)]
                 for branch in schema.kernel}
    positions[schema.service] = list(_current(connection, SERVICE_VERSION_TABLE))
    return [Behind(history, ", ".join(positions[history]) or None, head)
            for history, head in _heads(schema) if positions[history] != [head]]


def _adopt_kernel_tables(connection: Connection, branches: tuple[str, ...]) -> dict[str, str]:
    """Record the kernel revision of each kernel table a service's own history built before
    the kernel had one (no kernel version for its branch yet): the rows stay, and the upgrade
    that follows applies only what is newer. The revision recorded for each history adopted."""
    context = MigrationContext.configure(connection, opts={"version_table": KERNEL_VERSION_TABLE})
    recorded = context.get_current_heads()
    inspector = inspect(connection)
    adopted = {}
    for branch in branches:
        table_name, marks = ADOPTABLE[branch]
        if any(_on_branch(revision, branch) for revision in recorded) or not inspector.has_table(table_name):
            continue
        columns = {found["name"] for found in inspector.get_columns(table_name)}
        revision = next(revision for revision, mark in marks if mark is None or mark in columns)
        context.stamp(_scripts(KERNEL_MIGRATIONS), revision)
        log.info("migrate.adopted table=%s revision=%s", table_name, revision)
        adopted[_kernel_history(branch)] = revision
    return adopted


def _refuse_reused_ids(scripts: ScriptDirectory, retired: Mapping[str, str]) -> None:
    """A retired revision's id must never name a revision again: each run moves a database
    stamped with it back to the revision before, which would apply the new one again and again."""
    known = {script.revision for script in scripts.walk_revisions()} if retired else set()
    reused = sorted(set(retired) & known)
    if reused:
        raise CommandError(f"revision id(s) {', '.join(reused)} in {scripts.dir} were retired (a database stamped "
                           "with one is moved back to the revision before it): give the new revision another id")


def _forget_retired(connection: Connection, version_table: str, retired: Mapping[str, str]) -> None:
    if not retired or not inspect(connection).has_table(version_table):
        return
    versions = table(version_table, column("version_num"))
    for gone, before in retired.items():
        connection.execute(versions.update().where(versions.c.version_num == gone).values(version_num=before))


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for another backend or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _engine(url: str) -> Engine:
    # a server that drops packets must not hold `swx up`'s supervisor for the system's TCP timeout
    timeout = {"connect_timeout": 10} if make_url(url).get_backend_name() == "postgresql" else {}
    return create_engine(url, poolclass=pool.NullPool, connect_args=timeout)
