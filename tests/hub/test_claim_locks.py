"""What a claim locks on PostgreSQL: no more of a held-back receiver's messages than its cap,
so the rows it may not take stay free for other workers."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.hub import repository
from services.hub.app import SCHEMA
from services.hub.models import HubMessage
from services.kernel.clock import utcnow
from services.kernel.db import make_engine
from services.kernel.migrate import upgrade
from tests.hub.test_fair_claiming import seed


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite locks the whole database, not rows")
    upgrade(SCHEMA, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def free(engine: Engine, receiver: str) -> int:
    """How many of ``receiver``'s messages another worker could lock now."""
    table = HubMessage.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        locked = (select(table.c.id).where(table.c.receiver == receiver)
                  .with_for_update(skip_locked=True).subquery())
        return int(connection.execute(select(func.count()).select_from(locked)).scalar_one())


def test_a_capped_receiver_s_rows_beyond_its_cap_are_not_locked(engine: Engine) -> None:
    now = utcnow()
    seed(engine, "TH", 30, at=now - timedelta(minutes=2))  # oldest: what the first look locks
    seed(engine, "VN", 30, at=now - timedelta(minutes=1))
    with Session(engine) as session:
        claimed = repository.claim_due(session, limit=10, now=now, caps={"VN": 2})
        assert [due.receiver for due in claimed].count("VN") == 2
        assert free(engine, "VN") == 30 - 2
        session.rollback()
