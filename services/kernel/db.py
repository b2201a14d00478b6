"""Database engines and sessions: SQLite by default, PostgreSQL through ``DATABASE_URL``.

One session per request, committed by the dependency when the endpoint succeeds and rolled
back when it raises; repositories only ``flush()``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Insert, Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine


def make_engine(url: str) -> Engine:
    """An engine tuned for its backend (SQLite: WAL, foreign keys, a busy timeout)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        # once per connection (the pool keeps them): foreign_keys and synchronous are per connection
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # type: ignore[no-untyped-def]
            # pysqlite's own transaction handling breaks SAVEPOINT: let SQLAlchemy emit BEGIN
            connection.isolation_level = None
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):  # type: ignore[no-untyped-def]
            # IMMEDIATE takes the write lock up front (waiting up to the busy timeout): a deferred
            # transaction that read first fails at once with "database is locked" when it writes.
            # Through SQLAlchemy, not the raw driver: a lock it cannot get is then an
            # OperationalError like any other (database_is_up, the NSW's 503 rely on that)
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # pre-ping: one round trip at each checkout (once per request's unit of work). Kept: after a
    # PostgreSQL restart every pooled connection is dead, and without it the first request after
    # the restart would fail on one (SQLAlchemy only then drops the others) rather than reconnect
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def database_is_up(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


Row = TypeVar("Row", bound=SQLModel)


def add_flushed(session: Session, row: Row) -> Row:
    """Add ``row`` to the unit of work and flush it, so that its generated key is set and a
    constraint it breaks shows here; the request's session commits."""
    session.add(row)
    session.flush()
    return row


def insert_once(session: Session, record: SQLModel) -> Any | None:
    """Insert ``record`` (its columns that are not None) unless that breaks a unique
    constraint; its primary key, or None when a row with the same key was there."""
    table: Table = record.__table__  # type: ignore[attr-defined]
    values = {column.name: value for column in table.columns if (value := getattr(record, column.name)) is not None}
    return insert_values_once(session, table, values)


def insert_values_once(session: Session, table: Table, values: Mapping[str, Any]) -> Any | None:
    """Insert a row of ``table`` with ``values`` unless that breaks a unique constraint; its
    primary key, or None when a row with the same key was there.

    ``ON CONFLICT DO NOTHING`` rather than a plain INSERT: two requests racing with the same
    key give one row and one None, never an integrity error (PostgreSQL makes the second wait
    for the first's transaction, then skips). A savepoint would do it too, but pysqlite
    releasing the outermost savepoint commits. RETURNING rather than rowcount, which psycopg
    reports as -1 for this statement. The statement is built once per table and backend and
    given the values as parameters: building it with ``.values()`` each time cost more than
    running it.
    """
    connection = session.connection()
    inserted = connection.execute(_insert_once(table, connection.dialect.name), dict(values)).first()
    return None if inserted is None else inserted[0]


@functools.cache
def _insert_once(table: Table, dialect: str) -> Insert:
    backend: Any = postgresql if dialect == "postgresql" else sqlite
    key = next(iter(table.primary_key.columns))
    statement: Insert = backend.insert(table).on_conflict_do_nothing().returning(key)
    return statement
