"""One PostgreSQL role per component, on the local server: what the compose init-databases
step (``create_databases`` with passwords) makes of the components' URLs.

The local server trusts every role on loopback (pg_hba ``trust``), so these tests show that
the isolation does not rest on passwords: a role may not even open another component's
database, because CONNECT on it was revoked from PUBLIC.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from services.cli.databases import create_databases
from services.cli.launcher import Component, LaunchError
from services.hub.app import SCHEMA as HUB_SCHEMA
from services.kernel.migrate import upgrade
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_reachable

pytestmark = pytest.mark.postgres


@pytest.fixture
def prefix() -> Iterator[str]:
    """A unique prefix for the roles and databases of one test; all dropped afterwards."""
    if not _postgres_reachable():
        reason = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    prefix = f"swx_roles_{uuid.uuid4().hex[:10]}"
    yield prefix
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            names = [row[0] for row in connection.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{prefix}%"})]
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            roles = [row[0] for row in connection.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"), {"p": f"{prefix}%"})]
            for role in roles:
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    finally:
        admin.dispose()


def server() -> str:
    url = make_url(POSTGRES_ADMIN_URL)
    return f"{url.drivername}://{url.host}:{url.port or 5432}"


def component(name: str, prefix: str) -> Component:
    database = f"{prefix}_{name}".replace("-", "_")
    return Component(name, "services.hub.app:create_app", 8000,
                     {"SWX_X_DATABASE_URL": f"{server()}/{database}".replace("://", f"://{database}@", 1)})


def database_of(component: Component) -> str:
    return component.env["SWX_X_DATABASE_URL"].rsplit("/", 1)[-1]


def as_role(role: str, database: str) -> str:
    return f"{server()}/{database}".replace("://", f"://{role}:wrong-password-trust-ignores-it@", 1)


def test_each_component_gets_a_role_owning_its_database_and_no_other(prefix: str) -> None:
    hub, customs = component("hub", prefix), component("customs", prefix)
    passwords = {database_of(c): uuid.uuid4().hex for c in (hub, customs)}
    created = create_databases([hub, customs], admin_url=POSTGRES_ADMIN_URL, passwords=passwords)
    assert sorted(created) == sorted(passwords)

    own = create_engine(hub.env["SWX_X_DATABASE_URL"])
    try:
        with own.begin() as connection:
            assert connection.execute(text("SELECT current_user, current_database()")).one() == (
                database_of(hub), database_of(hub))
            # the owner can create its tables (what its migrations do)
            connection.execute(text("CREATE TABLE probe (id integer)"))
            owner = connection.execute(text("SELECT datdba::regrole::text FROM pg_database "
                                            "WHERE datname = current_database()")).scalar_one()
            assert owner == database_of(hub)
    finally:
        own.dispose()

    # hub's role opening customs' database: refused by permission, although pg_hba trusts it
    intruder = create_engine(as_role(database_of(hub), database_of(customs)))
    try:
        with pytest.raises(DBAPIError, match="permission denied for database") as refused:
            intruder.connect().close()
        # a privilege check, after authentication succeeded (a wrong password is no part of it)
        assert "does not have CONNECT privilege" in str(refused.value)
    finally:
        intruder.dispose()


def test_the_step_runs_again_and_gives_each_role_its_password_again(prefix: str) -> None:
    port = component("port", prefix)
    role = database_of(port)

    def role_row() -> tuple[object, ...]:
        admin = create_engine(POSTGRES_ADMIN_URL)
        try:
            with admin.connect() as connection:
                return tuple(connection.execute(text(
                    "SELECT rolpassword, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, "
                    "has_database_privilege('public', :r, 'CONNECT') FROM pg_authid WHERE rolname = :r"),
                    {"r": role}).one())
        finally:
            admin.dispose()

    assert create_databases([port], admin_url=POSTGRES_ADMIN_URL, passwords={role: "first"}) == [role]
    first = role_row()
    assert create_databases([port], admin_url=POSTGRES_ADMIN_URL, passwords={role: "second"}) == []
    second = role_row()
    assert first[0] is not None
    assert second[0] != first[0], "the password was not set again"
    assert first[1:] == second[1:] == (True, False, False, False, False)


def test_a_component_without_a_password_is_refused_before_anything_is_created(prefix: str) -> None:
    nsw = component("nsw-vn", prefix)
    with pytest.raises(LaunchError, match="no password for the database role"):
        create_databases([nsw], admin_url=POSTGRES_ADMIN_URL, passwords={})
    admin = create_engine(POSTGRES_ADMIN_URL)
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                      {"d": database_of(nsw)}).first() is None
    finally:
        admin.dispose()


def test_without_passwords_only_the_databases_are_created_as_swx_up_does(prefix: str) -> None:
    """``swx up`` on a PostgreSQL server: one server URL for every component, no roles."""
    database = f"{prefix}_immigration"
    local = Component("immigration", "services.immigration.app:create_app", 8000,
                      {"SWX_X_DATABASE_URL": POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"})
    assert create_databases([local]) == [database]
    admin = create_engine(POSTGRES_ADMIN_URL)
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :d"),
                                      {"d": database}).first() is None
    finally:
        admin.dispose()


def test_a_database_an_earlier_version_made_as_the_administrator_is_handed_to_the_component_role(
        prefix: str) -> None:
    """An upgrade keeps the data: before per-component roles, every component reached the
    server as its administrator, which thus owns the tables, sequences, views and types."""
    hub, customs = component("hub", prefix), component("customs", prefix)
    old = make_url(POSTGRES_ADMIN_URL).set(database=database_of(hub))
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database_of(hub)}"'))
    finally:
        admin.dispose()
    upgrade(HUB_SCHEMA, old.render_as_string(hide_password=False))
    before = create_engine(old)
    try:
        with before.begin() as connection:
            for statement in ("CREATE TYPE kind AS ENUM ('accepted', 'delivered')",
                              "CREATE DOMAIN short_note AS varchar(40)",
                              "CREATE TABLE accepted (id serial PRIMARY KEY, kind kind NOT NULL, note short_note)",
                              "CREATE SEQUENCE ticket",
                              "CREATE VIEW accepted_notes AS SELECT id, note FROM accepted",
                              "INSERT INTO accepted (kind, note) VALUES ('accepted', 'before the upgrade')"):
                connection.execute(text(statement))
    finally:
        before.dispose()

    passwords = {database_of(c): uuid.uuid4().hex for c in (hub, customs)}
    assert create_databases([hub, customs], admin_url=POSTGRES_ADMIN_URL, passwords=passwords) == [
        database_of(customs)]

    own = create_engine(hub.env["SWX_X_DATABASE_URL"])
    try:
        with own.begin() as connection:
            assert connection.execute(text("SELECT current_user")).scalar_one() == database_of(hub)
            connection.execute(text("INSERT INTO accepted (kind, note) VALUES ('delivered', 'after it')"))
            assert connection.execute(text("SELECT kind::text, note FROM accepted ORDER BY id")).all() == [
                ("accepted", "before the upgrade"), ("delivered", "after it")]
            assert connection.execute(text("SELECT count(*) FROM accepted_notes")).scalar_one() == 2
            assert connection.execute(text("SELECT nextval('ticket')")).scalar_one() == 1
            # the hub's own tables: every privilege, and what its next migration may do to them
            tables = connection.execute(text(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
                "ORDER BY relname")).scalars().all()
            assert {"alembic_version", "hub_message", "hub_transition"} <= set(tables), tables
            for table in tables:
                assert connection.execute(text("SELECT has_table_privilege(:t, 'SELECT, INSERT, UPDATE, DELETE')"),
                                          {"t": f"public.{table}"}).scalar_one(), table
                connection.execute(text(f'ALTER TABLE "{table}" ADD COLUMN probe_after_upgrade integer'))
            for sequence in connection.execute(text(
                    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                    "AND relkind = 'S'")).scalars():
                connection.execute(text("SELECT nextval(:s)"), {"s": f"public.{sequence}"})
            connection.execute(text("ALTER TYPE kind ADD VALUE 'dead_letter'"))
            connection.execute(text("ALTER DOMAIN short_note SET NOT NULL"))
    finally:
        own.dispose()
    # and `swx migrate` migrates it as the hub's own role, before the hub starts
    upgrade(HUB_SCHEMA, hub.env["SWX_X_DATABASE_URL"])

    intruder = create_engine(as_role(database_of(customs), database_of(hub)))
    try:
        with pytest.raises(DBAPIError, match="permission denied for database"):
            intruder.connect().close()
    finally:
        intruder.dispose()
    # run again (at every start), with nothing left to hand over
    assert create_databases([hub], admin_url=POSTGRES_ADMIN_URL, passwords=passwords) == []
