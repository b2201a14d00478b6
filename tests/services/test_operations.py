"""What operators rely on in every service: health reflects the database, OpenAPI is complete."""

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.kernel.db import make_engine
from services.kernel.network import create_development_network

SERVICES = ["customs", "immigration", "port"]


@pytest.fixture(params=SERVICES)
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    create_development_network(tmp_path / "network.json")
    app_module = importlib.import_module(f"services.{request.param}.app")
    config = importlib.import_module(f"services.{request.param}.config")
    settings_class = next(v for k, v in vars(config).items() if k.endswith("Settings") and k != "ServiceSettings")
    settings = settings_class(database_url=f"sqlite:///{tmp_path / 'ops.db'}", network_file=tmp_path / "network.json",
                              data_dir=tmp_path)
    with TestClient(app_module.create_app(settings)) as test_client:
        yield test_client


def test_healthz_is_503_when_the_database_is_unreachable(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    working = client.app.state.engine  # type: ignore[attr-defined]
    client.app.state.engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")  # type: ignore[attr-defined]
    try:
        response = client.get("/healthz")
    finally:
        client.app.state.engine.dispose()  # type: ignore[attr-defined]
        client.app.state.engine = working  # type: ignore[attr-defined]
    assert response.status_code == 503
    assert response.json()["database"] == "down"
    assert response.headers["retry-after"]


def test_every_body_in_openapi_has_json_and_xml_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    posts = [(path, item["post"]) for path, item in spec["paths"].items() if "post" in item]
    bodies = [(path, op["requestBody"]["content"]) for path, op in posts if "requestBody" in op]
    assert bodies, "the service takes no documents?"
    for path, content in bodies:
        # an answer is the signed envelope as the NSW endpoint received it: JSON only (415 otherwise)
        formats = ("application/json",) if path == "/answers" else ("application/json", "application/xml")
        for media in formats:
            assert content[media].get("example"), f"{path} has no {media} example"


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "swx_http_requests_total" in response.text
