"""A component's database read directly by a benchmark, to watch progress without asking the server.

A benchmark that polled a component over HTTP to see whether the work is done would add
that polling to the CPU it measures; a read-only count in the component's own database
costs the component nothing (SQLite runs in WAL mode: a reader does not hold up the writer).
The queries name the tables of the current schema; they are the benchmarks' only tie to it.
"""

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from services.cli.launcher import Component

from services.cli.launcher import LocalNetwork


def database_url(network: LocalNetwork, name: str) -> str:
    """The database the component ``name`` runs on: its ``*_DATABASE_URL``, else its SQLite file."""
    env = network.component(name).env
    url = next((v for k, v in env.items() if k.endswith("_DATABASE_URL")), None)
    return url or f"sqlite:///{network.data_dir / f'{name}.db'}"


class Ledger:
    """Read-only queries on one component's database."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)

    def count(self, sql: str, **params: Any) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(text(sql), params).scalar_one())

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params).all()]

    def close(self) -> None:
        self.engine.dispose()


def wait_for_count(probe: Callable[[], int], expected: int, *, patience: float = 60.0,
                   interval: float = 0.5) -> int:
    """Poll ``probe`` until it reaches ``expected``, or has not moved for ``patience`` seconds; its last value."""
    seen, changed = -1, time.monotonic()
    while True:
        now = probe()
        if now >= expected:
            return now
        if now != seen:
            seen, changed = now, time.monotonic()
        elif time.monotonic() - changed >= patience:
            return now
        time.sleep(interval)


def drop_databases(components: "Iterable[Component]") -> None:
    """Drop the PostgreSQL databases a benchmark's components were given (none on SQLite)."""
    from sqlalchemy.engine import make_url

    urls = [make_url(v) for c in components for k, v in c.env.items() if k.endswith("_DATABASE_URL")]
    if not urls:
        return
    admin = create_engine(urls[0].set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for url in urls:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()
