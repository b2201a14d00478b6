"""Each credential has a token bucket on the routes that take documents in: past its burst
it gets 429 problem+json with Retry-After, counted in /metrics, while other credentials
and other routes go on."""

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kernel.network import create_development_network, load_network
from services.kernel.web.ratelimit import TokenBuckets

LIMITED = {
    "customs": [("POST", "/declarations"), ("POST", "/certificates-of-origin")],
    "immigration": [("POST", "/manifests")],
    "port": [("POST", "/vessel-calls")],
    "hub": [("POST", "/messages")],
}


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """A started service app with the given settings on top of a fresh network and database."""
    create_development_network(tmp_path / "network.json")
    clients: list[TestClient] = []

    def make(service: str, **overrides: Any) -> TestClient:
        app_module = importlib.import_module(f"services.{service}.app")
        config = importlib.import_module(f"services.{service}.config")
        settings_class = next(v for k, v in vars(config).items() if k.endswith("Settings") and k != "ServiceSettings")
        settings = settings_class(database_url=f"sqlite:///{tmp_path / f'{service}.db'}", data_dir=tmp_path,
                                  network_file=tmp_path / "network.json", **overrides)
        client = TestClient(app_module.create_app(settings)).__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def tokens(tmp_path: Path) -> dict[str, str]:
    network = load_network(tmp_path / "network.json")
    return {code: p.token for code, p in network.participants.items()}


def post(client: TestClient, path: str, token: str) -> Any:
    return client.post(path, content=b'{"not": "a document"}',
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


@pytest.mark.parametrize(("service", "path"), [(s, p) for s, routes in LIMITED.items() for _, p in routes])
def test_a_credential_past_its_burst_gets_429_with_retry_after(
        start: Callable[..., TestClient], tokens: dict[str, str], service: str, path: str) -> None:
    client = start(service, rate_limit_per_second=0.01, rate_limit_burst=3)

    statuses = [post(client, path, tokens["TH"]).status_code for _ in range(4)]

    assert 429 not in statuses[:3]
    assert statuses[3] == 429
    refused = post(client, path, tokens["TH"])
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["status"] == 429
    assert tokens["TH"] not in refused.text


def test_other_credentials_and_other_routes_go_on(start: Callable[..., TestClient], tokens: dict[str, str]) -> None:
    client = start("customs", rate_limit_per_second=0.01, rate_limit_burst=1)
    post(client, "/declarations", tokens["TH"])

    assert post(client, "/declarations", tokens["TH"]).status_code == 429
    assert post(client, "/declarations", tokens["VN"]).status_code != 429
    listing = client.get("/declarations", headers={"Authorization": f"Bearer {tokens['TH']}"})
    assert listing.status_code == 200


def test_a_request_without_a_credential_is_refused_401_not_429(start: Callable[..., TestClient]) -> None:
    client = start("customs", rate_limit_per_second=0.01, rate_limit_burst=1)

    statuses = {client.post("/declarations", content=b"{}", headers={"Content-Type": "application/json"}).status_code
                for _ in range(3)}

    assert statuses == {401}


def test_refusals_are_counted_in_metrics(start: Callable[..., TestClient], tokens: dict[str, str]) -> None:
    client = start("hub", rate_limit_per_second=0.01, rate_limit_burst=1)
    for _ in range(3):
        post(client, "/messages", tokens["TH"])

    metrics = client.get("/metrics").text

    assert 'swx_rate_limited_total{method="POST",route="/messages",service="hub"} 2.0' in metrics


def test_the_default_limit_is_far_above_what_tests_and_demos_send(start: Callable[..., TestClient],
                                                                   tokens: dict[str, str]) -> None:
    client = start("immigration")

    assert {post(client, "/manifests", tokens["TH"]).status_code for _ in range(50)} == {422}


def test_a_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=2.0, burst=2, clock=lambda: now[0])

    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] = 0.5
    assert buckets.take("a") == 0.0
    assert buckets.take("b") == 0.0  # another credential has its own bucket


def test_buckets_are_bounded_in_number() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1, clock=lambda: 0.0, max_credentials=100)
    for i in range(1_000):
        buckets.take(f"credential-{i}")

    assert len(buckets._buckets) == 100
