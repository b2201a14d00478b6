"""The OpenAPI documents are the contract: a bounded property-based run over every service.

Schemathesis reads each app's own ``/openapi.json`` and generates requests for every
operation, valid ones (positive) and ones that break the document (negative), sent in
process with a credential that may use the operation. Every answer is checked: no server
error, its status listed for the operation, its body valid against the listed schema, its
content type the listed one. The run is deterministic (derandomized) and bounded (a few
examples per operation and mode), so CI on two cores runs it in well under a minute or two.
"""

import importlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.kernel.network import Network, create_development_network

pytestmark = pytest.mark.slow

SERVICES = ("customs", "immigration", "port", "hub", "nsw")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12  # per operation and generation mode
REQUESTS: Counter[str] = Counter()
"""Requests sent per service, shown at the end of the run (tests/services/conftest.py)."""

# who may call what: the operator sees everything, but only the hub delivers to an inbox,
# only a participant sends a message or posts an answer
CALLER_FOR = {("POST", "/inbox"): "HUB", ("POST", "/messages"): "TH", ("POST", "/answers"): "VN"}


def _accept_everything(request: httpx.Request) -> httpx.Response:
    return httpx.Response(202, json={"status": "queued"})


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(_accept_everything))


def _app(name: str, folder: Path) -> Any:
    network_file = folder / "network" / "network.json"
    common: dict[str, Any] = {"database_url": f"sqlite:///{folder / 'contract.db'}", "network_file": network_file,
                              "data_dir": folder}
    if name == "hub":
        from services.hub.app import create_app as create_hub
        from services.hub.config import HubSettings

        return create_hub(HubSettings(**common, run_worker=False))
    if name == "nsw":
        from services.nsw.app import create_app as create_nsw
        from services.nsw.config import NSWSettings

        return create_nsw(NSWSettings(**common, country="VN", hub_url="http://hub.test",
                                      customs_url="http://customs.test"),
                          hub_client=_client(), agency_client=_client())
    app_module = importlib.import_module(f"services.{name}.app")
    config = importlib.import_module(f"services.{name}.config")
    settings_class = next(v for k, v in vars(config).items() if k.endswith("Settings") and k != "ServiceSettings")
    return app_module.create_app(settings_class(**common))


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, TestClient, Network]]:
    network = create_development_network(tmp_path / "network" / "network.json")
    with TestClient(_app(request.param, tmp_path), raise_server_exceptions=False) as client:
        yield request.param, client, network


def _token(network: Network, caller: str) -> str:
    return network.operator_token if caller == "OPERATOR" else network.token_of(caller)


def _httpx_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis serialises a case for ``requests``; the test client speaks httpx."""
    kwargs = dict(kwargs)
    assert not kwargs.pop("cookies", None), "no operation takes cookies"
    body = kwargs.pop("data", None)
    if body is not None:
        kwargs["content"] = body
    kwargs.pop("timeout", None)
    return kwargs


def _exercise(client: TestClient, operation: Any, mode: GenerationMode, headers: dict[str, str],
              count: Callable[[], None]) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=timedelta(seconds=10),
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        arguments = _httpx_arguments(case.as_transport_kwargs(base_url="http://testserver", headers=headers))
        response = client.request(**arguments)
        count()
        case.validate_response(response, checks=CHECKS)

    run()


def test_every_operation_keeps_its_openapi_contract(service: tuple[str, TestClient, Network]) -> None:
    name, client, network = service
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations

    failures: list[str] = []

    def count() -> None:
        REQUESTS[name] += 1

    for operation in operations:
        caller = CALLER_FOR.get((operation.method.upper(), operation.path), "OPERATOR")
        headers = {"Authorization": f"Bearer {_token(network, caller)}"}
        breakable = any(len(part) for part in (operation.path_parameters, operation.query, operation.body))
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if breakable else (GenerationMode.POSITIVE,)
        for mode in modes:
            try:
                _exercise(client, operation, mode, headers, count)
            except Unsatisfiable:  # nothing in the operation can be made invalid (a free-text path segment)
                assert mode is GenerationMode.NEGATIVE, f"no valid request for {operation.path}"
            except (Exception, BaseExceptionGroup) as failure:  # run them all; the report names each failure
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {failure}")
    assert not failures, "\n\n".join(failures)


LISTS = {"hub": ["/messages"], "customs": ["/declarations"], "immigration": ["/manifests"],
         "port": ["/vessel-calls"], "nsw": ["/inbox"]}


@pytest.mark.parametrize("offset", [2**63, 2**31, -1])
def test_an_offset_out_of_range_is_a_problem_never_a_server_error(
        service: tuple[str, TestClient, Network], offset: int) -> None:
    name, client, network = service
    for path in LISTS[name]:
        response = client.get(path, params={"offset": offset},
                              headers={"Authorization": f"Bearer {network.operator_token}"})
        assert response.status_code == 400, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["location"]["pointer"] == "/query/offset"
