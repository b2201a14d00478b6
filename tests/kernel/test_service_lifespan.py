"""What every service's lifespan does before it serves: it checks that its database is
migrated (it never migrates: ``swx migrate`` does, before the servers start), then runs the
service's own work inside the kernel's, once the database, the network and the outbox are up."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from services.customs.app import SCHEMA as CUSTOMS
from services.customs.app import create_app as create_customs
from services.customs.config import CustomsSettings
from services.kernel.migrate import upgrade
from services.kernel.outbox import OutboxDispatcher
from services.kernel.web.service import StartupRefused, create_service_app
from services.port.app import SCHEMA as PORT
from services.port.app import create_app as create_port
from services.port.config import PortSettings


@pytest.mark.bare_database
def test_a_server_on_a_database_never_migrated_refuses_to_start_naming_swx_migrate(
        tmp_path: Path, network_file: Path) -> None:
    settings = PortSettings(data_dir=tmp_path, network_file=network_file)
    with pytest.raises(StartupRefused, match=r"Run `swx migrate --component port` with this server's settings"), \
            TestClient(create_port(settings)):
        pass
    assert not (tmp_path / "port.db").exists(), "the server made a database it does not migrate"


def test_a_server_on_a_database_behind_refuses_to_start_saying_where_it_is(tmp_path: Path, network_file: Path) -> None:
    url = f"sqlite:///{tmp_path / 'customs.db'}"
    upgrade(CUSTOMS, url)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    finally:
        engine.dispose()
    settings = CustomsSettings(database_url=url, data_dir=tmp_path, network_file=network_file)
    with pytest.raises(StartupRefused, match=r"customs at 0003 \(head 0006\)"), TestClient(create_customs(settings)):
        pass


def test_a_server_whose_database_is_unreachable_refuses_to_start_saying_so(tmp_path: Path, network_file: Path) -> None:
    settings = PortSettings(database_url="postgresql+psycopg://postgres@127.0.0.1:9/nowhere", data_dir=tmp_path,
                            network_file=network_file)
    with pytest.raises(StartupRefused, match=r"^cannot reach the port database \(postgresql\+psycopg://postgres@"), \
            TestClient(create_port(settings)):
        pass


def test_service_lifespans_run_in_order_inside_the_kernel_once_its_parts_are_up(
        tmp_path: Path, network_file: Path, hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    stop_outbox = OutboxDispatcher.stop

    async def stop_and_say(dispatcher: OutboxDispatcher) -> None:
        seen.append("the outbox stops")
        await stop_outbox(dispatcher)

    monkeypatch.setattr(OutboxDispatcher, "stop", stop_and_say)

    def work(name: str) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            parts = ("engine", "network", "dispatcher")
            up = [part for part in parts if getattr(app.state, part, None) is not None]
            seen.append(f"{name} starts with {', '.join(up)}")
            yield
            seen.append(f"{name} stops")

        return lifespan

    settings = PortSettings(data_dir=tmp_path, network_file=network_file, hub_url="http://hub.test")
    app = create_service_app(name="port", title="port", description="port", settings=settings, routers=[],
                             schema=PORT, hub_client=hub.client(), lifespans=[work("first"), work("second")])
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        seen.append("serving")
    assert seen == ["first starts with engine, network, dispatcher", "second starts with engine, network, dispatcher",
                    "serving", "second stops", "first stops", "the outbox stops"]
