"""The port service in process, with a stand-in hub, and each country's token."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kernel.network import load_network
from services.port.app import create_app
from services.port.config import PortSettings


@pytest.fixture
def client(database_url: str, network_file: Path, hub: Any, tmp_path: Path) -> Iterator[TestClient]:
    settings = PortSettings(database_url=database_url, network_file=network_file, data_dir=tmp_path,
                            hub_url="http://hub.test")
    with TestClient(create_app(settings, hub_client=hub.client())) as test_client:
        yield test_client


@pytest.fixture
def tokens(network_file: Path) -> dict[str, str]:
    network = load_network(network_file)
    return {code: p.token for code, p in network.participants.items()} | {"OPERATOR": network.operator_token}
