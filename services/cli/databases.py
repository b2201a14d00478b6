"""Each component's PostgreSQL database, and with passwords its own role owning it.

``swx up`` on a PostgreSQL server creates the databases only (every component reaches the
server as the one role of its URL); the compose init-databases step (``services.cli.compose``)
also gives each component a role of its own, owning its database and everything in it.
"""

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING

from services.cli.launcher import Component, LaunchError

if TYPE_CHECKING:
    from psycopg import sql
    from sqlalchemy.engine import URL
    from sqlalchemy.engine import Connection as SAConnection

RELATION_KINDS = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "f": "FOREIGN TABLE",
                  "S": "SEQUENCE"}
"""The relations handed over, by ``pg_class.relkind``, with the ALTER statement for each:
indexes and TOAST tables follow their table."""


def create_databases(components: list[Component], *, admin_url: str | None = None,
                     passwords: Mapping[str, str] | None = None) -> list[str]:
    """Create each component's PostgreSQL database when it does not exist yet; the names of
    those created. ``admin_url`` may create roles and databases (default: each component's
    own URL, on the ``postgres`` database).

    With ``passwords`` (role -> password), each database belongs to the role its component's
    URL names: the role is created, or given its password again, owns the database and every
    object in its schema ``public`` (``hand_over``: a database created by an earlier version,
    as the administrator, keeps its data), and no other role may connect to it: ``REVOKE
    CONNECT ... FROM PUBLIC`` is a permission, checked after authentication, so it holds even
    where pg_hba trusts every role."""
    from psycopg import sql
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    created = []
    for component in components:
        url = next((v for k, v in component.env.items() if k.endswith("_DATABASE_URL")), None)
        if url is None or not url.startswith("postgresql"):
            continue
        target = make_url(url)
        database, role = sql.Identifier(str(target.database)), sql.Identifier(str(target.username))
        admin_server = make_url(admin_url) if admin_url else target.set(database="postgres")
        admin = create_engine(admin_server, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                run = partial(_execute_composed, connection)
                if passwords is not None:
                    password = passwords.get(str(target.username))
                    if password is None:
                        raise LaunchError(f"no password for the database role {target.username} of {component.name}")
                    known = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :name"),
                                               {"name": target.username}).first()
                    run(sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}" if known else
                                "CREATE ROLE {} WITH LOGIN PASSWORD {}").format(role, sql.Literal(password)))
                exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                            {"name": target.database}).first()
                if exists is None:
                    run(sql.SQL("CREATE DATABASE {}").format(database))
                    created.append(str(target.database))
                if passwords is not None:
                    run(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database, role))
                    run(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(database))
        finally:
            admin.dispose()
        if passwords is not None and exists is not None:
            hand_over(admin_server.set(database=target.database), str(target.username))
    return created


def hand_over(database_url: "URL", role_name: str) -> None:
    """Make ``role_name`` the owner of the schema ``public`` of the database at
    ``database_url`` (as its administrator) and of every table, sequence, view and type in it,
    so that the component reaching it as that role may read, write and migrate what an earlier
    version created as another role (before per-component roles: the administrator).
    Objects the role owns already are left alone (no lock is taken on them).

    Object by object rather than ``REASSIGN OWNED BY <old> TO <role>``: the old owner is the
    server's administrator, which owns the system catalogs (REASSIGN refuses them) and every
    other component's database (REASSIGN would hand those to this role too)."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            _hand_over_schema(connection, role_name)
    finally:
        engine.dispose()


def _hand_over_schema(connection: "SAConnection", role_name: str) -> None:
    from psycopg import sql
    from sqlalchemy import text

    role = sql.Identifier(role_name)
    run = partial(_execute_composed, connection)
    # pg_database_owner (the default since PostgreSQL 15) is whoever owns the database: the role now
    schema_owner = connection.execute(text("SELECT nspowner::regrole::text FROM pg_namespace "
                                           "WHERE nspname = 'public'")).scalar_one_or_none()
    if schema_owner not in (None, "pg_database_owner", role_name):
        run(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(role))
    not_owned = "n.nspname = 'public' AND pg_get_userbyid({}) <> :role"
    # tables first: each takes its own sequences (serial, identity) along, which may not be
    # handed over apart from it; then the sequences of no table
    for kinds in ([kind for kind in RELATION_KINDS if kind != "S"], ["S"]):
        relations = connection.execute(text(
            "SELECT c.relkind, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE {not_owned.format('c.relowner')} AND c.relkind = ANY(:kinds) ORDER BY c.relname"),
            {"role": role_name, "kinds": kinds}).all()
        for kind, name in relations:
            run(sql.SQL(f"ALTER {RELATION_KINDS[kind]} public.{{}} OWNER TO {{}}").format(sql.Identifier(name), role))
    # enums, ranges (their multirange follows), domains and free-standing composite types; a
    # table's row type and every array type follow their table or element type
    types = connection.execute(text(
        "SELECT t.typtype, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "LEFT JOIN pg_class c ON c.oid = t.typrelid "
        f"WHERE {not_owned.format('t.typowner')} "
        "AND (t.typtype IN ('e', 'r', 'd') OR (t.typtype = 'c' AND c.relkind = 'c')) ORDER BY t.typname"),
        {"role": role_name}).all()
    for kind, name in types:
        statement = "ALTER DOMAIN public.{} OWNER TO {}" if kind == "d" else "ALTER TYPE public.{} OWNER TO {}"
        run(sql.SQL(statement).format(sql.Identifier(name), role))


def _execute_composed(connection: "SAConnection", statement: "sql.Composed") -> None:
    """Run a statement whose identifiers and literals psycopg quoted (DDL takes no parameters)."""
    connection.exec_driver_sql(statement.as_string(connection.connection.driver_connection))

