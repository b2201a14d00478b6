"""Every service's API docs work with no internet: ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc)
name only the service's own files, and the service serves each of them."""

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from services.kernel.network import create_development_network

SERVICES = ("customs", "immigration", "port", "hub", "nsw")
BASE = "http://testserver"
REFERENCE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
SPEC_URL = re.compile(r"""(?:\burl:\s*|\bspec-url=)["']([^"']+)["']""")


def _app(name: str, folder: Path) -> Any:
    network_file = folder / "network" / "network.json"
    common: dict[str, Any] = {"database_url": f"sqlite:///{folder / 'docs.db'}", "network_file": network_file,
                              "data_dir": folder}
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(503)))
    if name == "hub":
        from services.hub.app import create_app as create_hub
        from services.hub.config import HubSettings

        return create_hub(HubSettings(**common, run_worker=False))
    if name == "nsw":
        from services.nsw.app import create_app as create_nsw
        from services.nsw.config import NSWSettings

        return create_nsw(NSWSettings(**common, country="VN", hub_url="http://hub.test",
                                      customs_url="http://customs.test"), hub_client=client, agency_client=client)
    app_module = importlib.import_module(f"services.{name}.app")
    config = importlib.import_module(f"services.{name}.config")
    settings_class = next(v for k, v in vars(config).items() if k.endswith("Settings") and k != "ServiceSettings")
    return app_module.create_app(settings_class(**common))


@pytest.fixture(params=SERVICES)
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    create_development_network(tmp_path / "network" / "network.json")
    with TestClient(_app(request.param, tmp_path), base_url=BASE) as test_client:
        yield test_client


def _local(page_url: str, reference: str) -> str:
    """The reference as a URL of this service; fails when it leads anywhere else."""
    absolute = urljoin(page_url, reference)
    parts = urlsplit(absolute)
    assert (parts.scheme, parts.netloc) == ("http", "testserver"), f"{reference} leaves the service"
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_name_only_the_services_own_files_and_each_is_served(client: TestClient, page: str) -> None:
    html = client.get(page)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    # what the page's scripts would fetch on their own (ReDoc's logo from cdn.redoc.ly) stays in
    assert "img-src 'self' data:" in html.headers["content-security-policy"]
    assert "connect-src 'self'" in html.headers["content-security-policy"]
    references = REFERENCE.findall(html.text)
    assert len(references) >= 2, references  # the script, and the style sheet or the icon
    assert not re.search(r"(?i)cdn|googleapis|unpkg|jsdelivr", html.text)
    for reference in references:
        answer = client.get(_local(f"{BASE}{page}", reference))
        assert answer.status_code == 200, reference
        assert answer.content, reference
    scripts = [r for r in references if r.endswith(".js")]
    assert scripts
    for script in scripts:
        assert client.get(_local(f"{BASE}{page}", script)).headers["content-type"].startswith("text/javascript")
    (spec,) = SPEC_URL.findall(html.text)
    assert client.get(_local(f"{BASE}{page}", spec)).json()["openapi"].startswith("3.")


def test_swagger_ui_does_not_ask_the_online_validator(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text


def test_only_the_documentation_files_are_served(client: TestClient) -> None:
    assert client.get("/docs/assets/core.py").status_code == 404
    assert client.get("/docs/assets/..%2Fcore.py").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404  # no OAuth2 flow: only bearer tokens
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]


def test_the_pages_follow_the_services_root_path_behind_a_proxy(tmp_path: Path) -> None:
    create_development_network(tmp_path / "network" / "network.json")
    with TestClient(_app("port", tmp_path), base_url=BASE, root_path="/port") as proxied:
        html = proxied.get("/docs").text
    references = REFERENCE.findall(html)
    assert references
    assert all(reference.startswith("/port/docs/assets/") for reference in references), references
    assert "'/port/openapi.json'" in html
