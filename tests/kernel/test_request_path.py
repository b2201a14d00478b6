"""What every request goes through in the kernel's web layer: its unit of work (committed
before the response, rolled back when the endpoint or the commit fails), the request
metrics by route template and status, and dependencies that run on the event loop, so
that a request crosses the thread pool only for its endpoint and the end of its unit of work."""

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlmodel import Session

from services.kernel.network import OPERATOR, load_network
from services.kernel.web.deps import (
    EngineDep,
    IntakeDep,
    MetricsDep,
    NetworkDep,
    OutboxWakeDep,
    SessionDep,
    SettingsDep,
)
from services.kernel.web.identity import CallerDep, OperatorDep
from services.kernel.web.problems import Conflict, NotFound
from services.kernel.web.service import create_service_app
from services.port.app import SCHEMA as PORT
from services.port.config import PortSettings

router = APIRouter()


@router.post("/probes/{name}", status_code=201)
def store_probe(name: str, session: SessionDep, fail: bool = False, fail_commit: bool = False) -> dict[str, str]:
    session.execute(text("INSERT INTO probe (name) VALUES (:name)"), {"name": name})
    if fail:
        raise Conflict(f"{name} is refused after it was written")
    session.info["fail_commit"] = fail_commit
    return {"stored": name}


@router.get("/probes/{name}")
def read_probe(name: str, session: SessionDep) -> dict[str, str]:
    if session.execute(text("SELECT name FROM probe WHERE name = :name"), {"name": name}).first() is None:
        raise NotFound(f"no probe {name}")
    return {"name": name}


@router.post("/everything", status_code=202)
def use_every_dependency(operator: OperatorDep, caller: CallerDep, session: SessionDep, settings: SettingsDep,
                         network: NetworkDep, metrics: MetricsDep, engine: EngineDep, intake: IntakeDep,
                         wake_outbox: OutboxWakeDep) -> JSONResponse:
    session.execute(text("INSERT INTO probe (name) VALUES ('everything')"))
    wake_outbox()
    # a response rather than a value: FastAPI validates a plain ``def`` endpoint's value in a worker thread
    return JSONResponse({"caller": caller.country}, status_code=202)


@router.post("/refused")
def refuse_before_the_database(caller: CallerDep, session: SessionDep) -> None:
    raise Conflict("refused before the session did anything")


@pytest.fixture
def make_client(database_url: str, network_file: Path, hub: Any,
                tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(*, raise_server_exceptions: bool = True) -> TestClient:
        settings = PortSettings(database_url=database_url, network_file=network_file, data_dir=tmp_path,
                                hub_url="http://hub.test")
        app = create_service_app(name="port", title="port", description="port", settings=settings,
                                 routers=[router], schema=PORT, hub_client=hub.client())
        client = TestClient(app, raise_server_exceptions=raise_server_exceptions).__enter__()
        clients.append(client)
        with _engine(client.app).begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS probe (name VARCHAR(40) PRIMARY KEY)"))
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


def _engine(app: Any) -> Any:
    return app.state.engine


def _stored(database_url: str) -> list[str]:
    """The probes another connection sees: what was committed."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text("SELECT name FROM probe ORDER BY name"))]
    finally:
        engine.dispose()


def test_the_unit_of_work_is_committed_before_the_response_and_rolled_back_when_the_endpoint_fails(
        make_client: Callable[..., TestClient], database_url: str) -> None:
    client = make_client()
    assert client.post("/probes/kept").status_code == 201
    assert _stored(database_url) == ["kept"]
    refused = client.post("/probes/dropped", params={"fail": True})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert _stored(database_url) == ["kept"]
    assert client.get("/probes/kept").status_code == 200
    assert client.get("/probes/dropped").status_code == 404


def test_a_commit_that_fails_is_rolled_back_and_answered_as_an_error(
        make_client: Callable[..., TestClient], database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    commit = Session.commit

    def failing_commit(session: Session) -> None:
        if session.info.get("fail_commit"):
            raise RuntimeError("the commit failed")
        commit(session)

    monkeypatch.setattr(Session, "commit", failing_commit)
    client = make_client(raise_server_exceptions=False)
    response = client.post("/probes/lost", params={"fail_commit": True})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert _stored(database_url) == []
    assert client.post("/probes/next").status_code == 201, "the failed unit of work left the database usable"
    assert _stored(database_url) == ["next"]


def test_request_metrics_count_each_route_template_and_status(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    client.post("/probes/one")
    client.post("/probes/two")
    client.post("/probes/three", params={"fail": True})
    client.get("/probes/one")
    client.get("/probes/absent")
    client.get("/nowhere")
    text_form = client.get("/metrics").text
    counts = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text_form.splitlines()
              if line.startswith(("swx_http_requests_total{", "swx_http_request_seconds_count{"))}
    assert counts == {
        'swx_http_requests_total{method="POST",route="/probes/{name}",service="port",status="201"}': 2.0,
        'swx_http_requests_total{method="POST",route="/probes/{name}",service="port",status="409"}': 1.0,
        'swx_http_requests_total{method="GET",route="/probes/{name}",service="port",status="200"}': 1.0,
        'swx_http_requests_total{method="GET",route="/probes/{name}",service="port",status="404"}': 1.0,
        'swx_http_requests_total{method="GET",route="unmatched",service="port",status="404"}': 1.0,
        'swx_http_request_seconds_count{route="/probes/{name}",service="port"}': 5.0,
        'swx_http_request_seconds_count{route="unmatched",service="port"}': 1.0,
    }


@pytest.fixture
def worker_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions that run in a worker thread of the request's loop."""
    ran: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def noted(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        ran.append(_name(function))
        return await run_sync(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", noted)
    return ran


def _name(function: Any) -> str:
    if isinstance(function, functools.partial):
        return _name(function.keywords.get("function", function.func))
    return str(getattr(function, "__name__", function))


def test_a_request_crosses_the_thread_pool_only_for_its_endpoint_and_the_end_of_its_unit_of_work(
        make_client: Callable[..., TestClient], network_file: Path, database_url: str,
        worker_threads: list[str]) -> None:
    client = make_client()
    operator = {"Authorization": f"Bearer {load_network(network_file).token_of(OPERATOR)}"}
    worker_threads.clear()
    response = client.post("/everything", headers=operator)
    assert response.status_code == 202
    assert worker_threads == ["use_every_dependency", "_commit_and_close"]
    assert _stored(database_url) == ["everything"]


def test_a_request_refused_before_its_session_did_anything_crosses_the_thread_pool_once(
        make_client: Callable[..., TestClient], network_file: Path, worker_threads: list[str]) -> None:
    client = make_client()
    operator = {"Authorization": f"Bearer {load_network(network_file).token_of(OPERATOR)}"}
    worker_threads.clear()
    assert client.post("/refused", headers=operator).status_code == 409
    assert worker_threads == ["refuse_before_the_database"]
    assert client.post("/refused").status_code == 401
    assert worker_threads == ["refuse_before_the_database"], "a caller refused 401 reached the endpoint's thread"
