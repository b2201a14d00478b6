"""The kernel's tables (outbox, received answers) have one history of their own, applied once
in each database; a database the previous version made, whose service histories built those
tables, upgrades to it with every row kept and ends with the schema a new database gets."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlmodel
from alembic import command
from alembic.util import CommandError
from sqlalchemy import Column, Index, Integer, MetaData, Table, Text, UniqueConstraint, create_engine, inspect, text
from sqlmodel import Session, select

from services.customs.app import SCHEMA as CUSTOMS
from services.hub.app import SCHEMA as HUB
from services.immigration.app import SCHEMA as IMMIGRATION
from services.kernel.migrate import (
    KERNEL_VERSION_TABLE,
    SERVICE_VERSION_TABLE,
    Schema,
    SchemaNotCurrent,
    alembic_config,
    behind,
    require_current,
    upgrade,
)
from services.kernel.outbox import OutboxMessage
from services.nsw.app import SCHEMA as NSW
from services.port.app import SCHEMA as PORT
from tests.conftest import POSTGRES_ADMIN_URL

SCHEMAS = {schema.service: schema for schema in (CUSTOMS, HUB, IMMIGRATION, PORT, NSW)}
VERSION_TABLES = (SERVICE_VERSION_TABLE, KERNEL_VERSION_TABLE)
String = sqlmodel.sql.sqltypes.AutoString
Moment = sqlmodel.sql.sqltypes.UTCDateTime
SENT_AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
KERNEL_HEADS = {"outbox": "outbox_0002", "answers": "answers_0001"}


def old_kernel_tables(*, dead_letters: bool, answers: bool) -> MetaData:
    """The outbox and ``received_answer`` as the services' own histories created them before
    the kernel had a history: the initial revision's outbox, the dead-letter columns a later
    revision added, the received-answers revision."""
    metadata = MetaData()
    Table("outbox", metadata,
          Column("id", Integer, primary_key=True), Column("message_id", String(36), nullable=False),
          Column("conversation_id", String(36), nullable=False), Column("in_reply_to", String(36)),
          Column("sender", String(2), nullable=False), Column("receiver", String(2), nullable=False),
          Column("document_type", String(64), nullable=False), Column("payload_format", String(4), nullable=False),
          Column("payload", Text, nullable=False), Column("payload_digest", String(64), nullable=False),
          Column("subject", String(64), nullable=False), Column("state", String(8), nullable=False),
          Column("attempts", Integer, nullable=False), Column("next_attempt_at", Moment, nullable=False),
          Column("last_error", String(1024)), Column("created_at", Moment, nullable=False),
          Column("sent_at", Moment),
          *([Column("requeued_at", Moment), Column("failed_at", Moment)] if dead_letters else []),
          Index("ix_outbox_message_id", "message_id", unique=True),
          Index("ix_outbox_next_attempt_at", "next_attempt_at"), Index("ix_outbox_state", "state"),
          Index("ix_outbox_subject", "subject"))
    if answers:
        Table("received_answer", metadata,
              Column("id", Integer, primary_key=True), Column("sender", String(2), nullable=False),
              Column("receiver", String(2), nullable=False), Column("message_id", String(36), nullable=False),
              Column("in_reply_to", String(36), nullable=False), Column("conversation_id", String(36), nullable=False),
              Column("document_type", String(64), nullable=False), Column("payload_digest", String(64), nullable=False),
              Column("received_at", Moment, nullable=False),
              UniqueConstraint("sender", "message_id", name="uq_received_answer_sender_message"),
              Index("ix_received_answer_in_reply_to", "in_reply_to"))
    return metadata


def outbox_row(*, dead_letters: bool) -> dict[str, Any]:
    row = {"id": 7, "message_id": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()), "in_reply_to": None,
           "sender": "TH", "receiver": "VN", "document_type": "customs.acdd/1.0", "payload_format": "xml",
           "payload": "<ACDD>kept as it was</ACDD>", "payload_digest": "a" * 64, "subject": "THMRN0000000000001",
           "state": "FAILED", "attempts": 4, "next_attempt_at": SENT_AT, "last_error": "hub unreachable",
           "created_at": SENT_AT, "sent_at": None}
    return row | ({"requeued_at": SENT_AT, "failed_at": SENT_AT} if dead_letters else {})


ANSWER_ROW = {"id": 3, "sender": "VN", "receiver": "TH", "message_id": str(uuid.uuid4()),
              "in_reply_to": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()),
              "document_type": "customs.response/1.0", "payload_digest": "b" * 64, "received_at": SENT_AT}


def rows(url: str, table: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings()]
    finally:
        engine.dispose()


def versions(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(table):
                return set()
            return {row[0] for row in connection.execute(text(f"SELECT version_num FROM {table}"))}
    finally:
        engine.dispose()


def reflected(url: str) -> dict[str, Any]:
    """Every table but the version tables, as the database describes it: columns in order
    with their types, nullability and defaults, keys, indexes and constraints."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = inspect(connection)
            return {name: {
                "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                            for c in found.get_columns(name)],
                "primary key": found.get_pk_constraint(name)["constrained_columns"],
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                  for i in found.get_indexes(name)),
                "unique": sorted((u["name"], tuple(u["column_names"])) for u in found.get_unique_constraints(name)),
                "foreign keys": sorted((tuple(f["constrained_columns"]), f["referred_table"])
                                       for f in found.get_foreign_keys(name)),
            } for name in sorted(found.get_table_names()) if name not in VERSION_TABLES}
    finally:
        engine.dispose()


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
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


@pytest.mark.parametrize(("service", "kernel"), [
    ("customs", ("outbox", "answers")), ("immigration", ("outbox", "answers")), ("port", ("outbox", "answers")),
    ("nsw", ("outbox",)), ("hub", ())])
def test_a_new_database_gets_the_kernel_branches_its_service_uses_recorded_once(
        service: str, kernel: tuple[str, ...], database_url: str) -> None:
    schema = SCHEMAS[service]
    was = upgrade(schema, database_url)
    assert [each.history for each in was] == [*(f"kernel {branch}" for branch in kernel), service]
    assert versions(database_url, KERNEL_VERSION_TABLE) == {KERNEL_HEADS[branch] for branch in kernel}
    assert len(versions(database_url, SERVICE_VERSION_TABLE)) == 1
    assert behind(schema, database_url) == []
    assert upgrade(schema, database_url) == [], "a second run has nothing to do"


LEGACY = [
    # service, the revision the old history left, the new service revision with the same service
    # tables, whether the outbox had its dead-letter columns, whether received_answer was there
    pytest.param("customs", "0005", "0005", True, True, id="customs-at-its-old-head"),
    pytest.param("customs", "0004", "0003", True, True, id="customs-at-retired-0004"),
    pytest.param("customs", "0002", "0001", False, True, id="customs-at-retired-0002"),
    pytest.param("immigration", "0003", "0001", True, True, id="immigration-at-its-old-head"),
    pytest.param("port", "0004", "0004", True, True, id="port-at-its-old-head"),
    pytest.param("port", "0001", "0001", False, False, id="port-before-answers"),
    pytest.param("nsw", "0003", "0003", True, False, id="nsw-at-its-old-head"),
    pytest.param("nsw", "0002", "0002", False, False, id="nsw-before-dead-letters"),
]


@pytest.mark.parametrize(("service", "old_revision", "same_tables_as", "dead_letters", "answers"), LEGACY)
def test_a_database_the_previous_version_made_upgrades_with_every_row_and_the_new_schema(
        service: str, old_revision: str, same_tables_as: str, dead_letters: bool, answers: bool,
        database_url: str, fresh_url: str) -> None:
    schema = SCHEMAS[service]
    command.upgrade(alembic_config(migrations=schema.migrations, url=database_url), same_tables_as)
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            old = old_kernel_tables(dead_letters=dead_letters, answers=answers)
            old.create_all(connection)
            connection.execute(old.tables["outbox"].insert().values(outbox_row(dead_letters=dead_letters)))
            if answers:
                connection.execute(old.tables["received_answer"].insert().values(ANSWER_ROW))
            connection.execute(text(f"UPDATE {SERVICE_VERSION_TABLE} SET version_num = :old"), {"old": old_revision})
    finally:
        engine.dispose()
    outbox_before = rows(database_url, "outbox")
    answers_before = rows(database_url, "received_answer") if answers else []
    with pytest.raises(SchemaNotCurrent, match=rf"swx migrate --component {service}\b"):
        require_current(schema, database_url, component=service)

    was = upgrade(schema, database_url)

    adopted = {each.history: each.at for each in was if each.adopted}
    assert adopted == {"kernel outbox": "outbox_0002" if dead_letters else "outbox_0001",
                       **({"kernel answers": "answers_0001"} if answers else {})}
    [outbox] = rows(database_url, "outbox")
    assert {name: outbox[name] for name in outbox_before[0]} == outbox_before[0]
    assert set(outbox) == set(outbox_row(dead_letters=True))
    if answers:
        assert rows(database_url, "received_answer") == answers_before
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            [message] = session.exec(select(OutboxMessage)).all()
        assert (message.message_id, message.payload, message.state) == (
            outbox_before[0]["message_id"], "<ACDD>kept as it was</ACDD>", "FAILED")
    finally:
        engine.dispose()
    assert behind(schema, database_url) == []
    assert versions(database_url, KERNEL_VERSION_TABLE) == {KERNEL_HEADS[branch] for branch in schema.kernel}
    upgrade(schema, fresh_url)
    assert reflected(database_url) == reflected(fresh_url)


def test_an_absent_sqlite_database_is_not_current_and_is_not_created_by_the_check(tmp_path: Path) -> None:
    file = tmp_path / "var" / "customs.db"
    with pytest.raises(SchemaNotCurrent) as refused:
        require_current(CUSTOMS, f"sqlite:///{file}", component="customs")
    message = str(refused.value)
    assert "customs not applied" in message
    assert "kernel outbox not applied" in message
    assert "Run `swx migrate --component customs`" in message
    assert not file.parent.exists(), "the check made the database's folder"


def test_a_database_behind_its_service_head_says_where_it_is(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'customs.db'}"
    upgrade(CUSTOMS, url)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE {SERVICE_VERSION_TABLE} SET version_num = '0003'"))
    finally:
        engine.dispose()
    assert [str(each) for each in behind(CUSTOMS, url)] == ["customs at 0003 (head 0006)"]


def test_a_schema_naming_a_branch_the_kernel_has_not_is_refused() -> None:
    with pytest.raises(ValueError, match="no kernel migration branch parcels"):
        Schema("customs", CUSTOMS.migrations, kernel=("outbox", "parcels"))


def test_a_retired_revision_id_used_again_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """customs retired 0002 and 0004; were a new revision called 0005 retired too, every run
    would move a database at 0005 back and apply it again."""
    from services.kernel.migrate import _refuse_reused_ids, _scripts

    scripts = _scripts(CUSTOMS.migrations)
    _refuse_reused_ids(scripts, {"0002": "0001", "0004": "0003"})
    with pytest.raises(CommandError, match="revision id.s. 0005 .* were retired"):
        _refuse_reused_ids(scripts, {"0004": "0003", "0005": "0003"})
