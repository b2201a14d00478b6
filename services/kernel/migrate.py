"""Alembic migrations, run programmatically: each service keeps its own ``migrations/``.

A service's ``migrations/env.py`` is two lines (``run_env(metadata)``); its versions are
ordinary Alembic revisions. ``upgrade`` brings a database to head at start-up.
"""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, engine_from_config, pool


def alembic_config(*, migrations: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(*, migrations: Path, url: str) -> None:
    command.upgrade(alembic_config(migrations=migrations, url=url), "head")


def run_env(context: Any, metadata: MetaData, *, tables: set[str]) -> None:
    """The body of every service's ``env.py``: migrate only this service's ``tables``
    (SQLModel keeps every service's tables in one metadata)."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or table.name in tables
    config = context.config
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}) or
                                     {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, include_object=include,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
