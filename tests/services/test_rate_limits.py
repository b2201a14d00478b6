"""Each identity has a token bucket on the routes that take documents in: past its burst
it gets 429 problem+json with Retry-After, counted in /metrics, while other identities and
other routes go on. Tokens the network does not know share one bucket: a flood of them is
limited, and cannot push anyone else's bucket out."""

import asyncio
import importlib
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Counter
from starlette.types import Message, Receive, Scope, Send

from services.kernel.network import create_development_network, load_network
from services.kernel.web.ratelimit import UNKNOWN, RateLimitMiddleware, TokenBuckets

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


def test_tokens_the_network_does_not_know_share_one_limited_bucket(start: Callable[..., TestClient],
                                                                   tokens: dict[str, str]) -> None:
    client = start("customs", rate_limit_per_second=0.01, rate_limit_burst=3)

    statuses = [post(client, "/declarations", secrets.token_urlsafe(24)).status_code for _ in range(6)]

    assert statuses == [401, 401, 401, 429, 429, 429]
    assert "tokens this network does not know" in post(client, "/declarations", "made-up").json()["detail"]
    assert post(client, "/declarations", tokens["TH"]).status_code == 422  # a known country is not held back


async def _no_content(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_a_flood_of_made_up_tokens_cannot_refill_a_country_by_pushing_its_bucket_out(tmp_path: Path) -> None:
    """Buckets were once kept per token hash, 10,000 at most: as many cheap requests with
    random tokens dropped an abuser's empty bucket, and it started again full."""
    network = create_development_network(tmp_path / "network.json")
    token = load_network(tmp_path / "network.json").participants["TH"].token
    buckets = TokenBuckets(rate=0.001, burst=1)
    refused = Counter("refused", "refused", ["service", "method", "route"], registry=CollectorRegistry())
    limited = RateLimitMiddleware(_no_content, buckets=buckets, routes=[("POST", "/declarations")],
                                  refused=refused, service="customs")
    app = SimpleNamespace(state=SimpleNamespace(network=network))

    async def status(bearer: str) -> int:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {"type": "http", "method": "POST", "path": "/declarations", "app": app,
                 "headers": [(b"authorization", f"Bearer {bearer}".encode())]}
        await limited(scope, receive, send)
        return int(sent[0]["status"])

    async def flood() -> tuple[int, int, list[int]]:
        first, second = await status(token), await status(token)
        garbage = [await status(f"made-up-{i}") for i in range(12_000)]
        return first, second, garbage

    first, second, garbage = asyncio.run(flood())

    assert (first, second) == (204, 429)
    assert asyncio.run(status(token)) == 429
    assert garbage.count(204) == 1  # the shared bucket's one token, then 429 for the rest
    assert set(buckets.keys()) == {"TH", UNKNOWN}
