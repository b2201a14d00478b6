"""Each service's Alembic migrations build exactly the tables its models describe."""

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine

from services.kernel.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2] / "services"
SERVICES = [p.parent.parent.name for p in sorted(ROOT.glob("*/migrations/env.py"))]


def _service_metadata(service: str) -> MetaData:
    """The service's tables only (SQLModel keeps every service's tables in one metadata)."""
    env = (ROOT / service / "migrations" / "env.py").read_text()
    assert "TABLES" in env, f"{service}'s env.py must name its TABLES"
    module = importlib.import_module(f"services.{service}.models")
    from services.kernel.answers import ReceivedAnswer
    from services.kernel.outbox import OutboxMessage

    # the kernel's tables a service keeps are those its env.py names
    tables = {t.__table__ for t in (OutboxMessage, ReceivedAnswer) if t.__name__ in env}  # type: ignore[attr-defined]
    tables |= {obj.__table__ for obj in vars(module).values() if hasattr(obj, "__table__")}
    metadata = MetaData()
    for table in tables:
        table.to_metadata(metadata)
    return metadata


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models(service: str, database_url: str) -> None:
    upgrade(migrations=ROOT / service / "migrations", url=database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), _service_metadata(service))
    finally:
        engine.dispose()
    assert differences == [], f"{service}: write a migration for {differences}"


def test_every_service_with_tables_has_migrations() -> None:
    assert {"customs", "immigration", "port", "hub", "nsw"} <= set(SERVICES)
