"""Each service's migrations, with the kernel's branches it uses, build exactly the tables its
models describe (and the kernel's models, for the kernel tables)."""

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine

from services.kernel.migrate import KERNEL_VERSION_TABLE, SERVICE_VERSION_TABLE, Schema, upgrade
from services.kernel.outbox import OutboxMessage
from services.kernel.received_answers import ReceivedAnswer

ROOT = Path(__file__).resolve().parents[2] / "services"
SERVICES = [p.parent.parent.name for p in sorted(ROOT.glob("*/migrations/env.py")) if p.parent.parent.name != "kernel"]
KERNEL_TABLES = {"outbox": OutboxMessage, "answers": ReceivedAnswer}
"""Each kernel branch's table."""


def _schema(service: str) -> Schema:
    schema: Schema = importlib.import_module(f"services.{service}.app").SCHEMA
    return schema


def _service_metadata(service: str) -> MetaData:
    """The service's tables and the kernel's it uses (SQLModel keeps every table in one metadata)."""
    module = importlib.import_module(f"services.{service}.models")
    tables = {obj.__table__ for obj in vars(module).values() if hasattr(obj, "__table__")}
    tables |= {KERNEL_TABLES[branch].__table__ for branch in _schema(service).kernel}  # type: ignore[attr-defined]
    metadata = MetaData()
    for table in tables:
        table.to_metadata(metadata)
    return metadata


def _not_a_version_table(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name in (SERVICE_VERSION_TABLE, KERNEL_VERSION_TABLE))


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models(service: str, database_url: str) -> None:
    upgrade(_schema(service), database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": _not_a_version_table})
            differences = compare_metadata(context, _service_metadata(service))
    finally:
        engine.dispose()
    assert differences == [], f"{service}: write a migration for {differences}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_history_builds_only_the_service_own_tables(service: str) -> None:
    """The kernel's tables come from the kernel's history, once, never again from a service's."""
    env = (ROOT / service / "migrations" / "env.py").read_text()
    assert "TABLES" in env, f"{service}'s env.py must name its TABLES"
    named = [model.__name__ for model in KERNEL_TABLES.values() if model.__name__ in env]
    assert not named, f"{service}'s env.py names the kernel's {named}"
    for revision in (ROOT / service / "migrations" / "versions").glob("*.py"):
        text = revision.read_text()
        for model in KERNEL_TABLES.values():
            assert f'"{model.__tablename__}"' not in text, f"{revision.name} touches {model.__tablename__}"


def test_every_service_with_tables_has_migrations() -> None:
    assert {"customs", "immigration", "port", "hub", "nsw"} <= set(SERVICES)
