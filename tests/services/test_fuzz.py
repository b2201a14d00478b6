"""Fuzzing every agency service's endpoints: whatever arrives, the answer is never a 5xx.

Bodies are random bytes, random JSON, and valid fixtures with one value replaced at a random
place (which reaches past the schema into the services' own logic). Each answer that is an
error must be problem+json.
"""

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.kernel.migrate import upgrade
from services.kernel.network import load_network

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {  # service -> (fixture type, submission path, item paths to GET)
    "port": ("port.vessel-call", "/vessel-calls", ["/vessel-calls/{id}", "/vessel-calls"]),
    "customs": ("customs.declaration", "/declarations", ["/declarations/{id}", "/declarations"]),
    "immigration": ("immigration.passenger-manifest", "/manifests",
                    ["/manifests/{id}", "/manifests/{id}/responses", "/manifests"]),
}
MEDIA = ["application/json", "application/xml", "application/edifact", "text/plain", "application/json; charset=utf-8",
         "", "multipart/form-data; boundary=x"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    holder = copy
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return copy


@pytest.fixture(scope="module", params=list(SERVICES))
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, TestClient, str]]:
    name = request.param
    folder = tmp_path_factory.mktemp(name)
    from services.kernel.network import create_development_network

    network = create_development_network(folder / "network.json")
    app_module = importlib.import_module(f"services.{name}.app")
    config = importlib.import_module(f"services.{name}.config")
    settings_class = next(v for k, v in vars(config).items() if k.endswith("Settings") and k != "ServiceSettings")
    url = f"sqlite:///{folder / 'fuzz.db'}"
    upgrade(app_module.SCHEMA, url)  # as `swx migrate` would: the module-wide app outlives the per-test fixture
    settings_obj = settings_class(database_url=url, network_file=folder / "network.json", data_dir=folder)
    with TestClient(app_module.create_app(settings_obj), raise_server_exceptions=False) as client:
        yield name, client, network.operator_token
    assert load_network(folder / "network.json")


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", response.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400), media=st.sampled_from(MEDIA))
def test_random_bytes_never_5xx(service: tuple[str, TestClient, str], body: bytes, media: str) -> None:
    name, client, token = service
    headers = {"Authorization": f"Bearer {token}"} | ({"Content-Type": media} if media else {})
    _check(client.post(SERVICES[name][1], content=body, headers=headers))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), value=JSON_VALUES)
def test_mutated_fixture_never_5xx(service: tuple[str, TestClient, str], data: st.DataObject, value: Any) -> None:
    name, client, token = service
    type_id, submit, reads = SERVICES[name]
    fixtures = sorted((ROOT / "fixtures" / type_id / "valid").glob("*.json"))
    document = json.loads(data.draw(st.sampled_from(fixtures)).read_text())
    path = data.draw(st.sampled_from(list(_paths(document))))
    mutated = _replace(document, path, value)
    response = client.post(submit, content=json.dumps(mutated), headers={"Authorization": f"Bearer {token}",
                                                                        "Content-Type": "application/json"})
    _check(response)
    identifier = data.draw(st.text(max_size=40) | st.just(response.json().get("id", "x") if response.status_code < 300
                                                          else "x"))
    for read in reads:
        _check(client.get(read.replace("{id}", quote(identifier, safe="")),
                          headers={"Authorization": f"Bearer {token}"}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["limit", "offset", "status", "lane", "type", "journey", "port_of_call",
                                               "imo_number", "lrn"]), st.text(max_size=12), max_size=4),
       accept=st.sampled_from(["application/json", "application/xml", "text/html", "*/*", "application/xml;q=0",
                               "nonsense"]))
def test_list_queries_never_5xx(service: tuple[str, TestClient, str], params: dict[str, str], accept: str) -> None:
    name, client, token = service
    listing = SERVICES[name][2][-1]
    _check(client.get(listing, params=params, headers={"Authorization": f"Bearer {token}", "Accept": accept}))
