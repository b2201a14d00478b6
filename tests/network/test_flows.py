"""The four flows of ARCHITECTURE section 2, end to end across real processes: the hub, the
three agency services and the six NSW endpoints, each a uvicorn process on loopback."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.cli.flows import FLOWS, Exchange, Step
from services.cli.launcher import LocalNetwork, free_base_port
from services.kernel.participants import OPERATOR, PARTICIPANTS

pytestmark = pytest.mark.network

FAST_RETRIES = {"SWX_HUB_RETRY_BASE": "0.2", "SWX_HUB_RETRY_CAP": "1", "SWX_HUB_DELIVERY_TIMEOUT": "3"}


@pytest.fixture
def network(tmp_path: Path) -> Iterator[LocalNetwork]:
    net = LocalNetwork.prepare(data_dir=tmp_path / "net", base_port=free_base_port(), extra_env=FAST_RETRIES)
    try:
        net.start()
        yield net
    finally:
        net.stop()


def test_the_four_flows_hold_across_real_processes(network: LocalNetwork) -> None:
    steps: list[Step] = []
    tokens = {country: network.token(country) for country in (*PARTICIPANTS, OPERATOR)}
    with httpx.Client(timeout=10) as client:
        exchange = Exchange(urls={c.name: c.url for c in network.components}, tokens=tokens, client=client,
                            report=steps.append)
        for title, flow in FLOWS:
            options = {"control": network} if flow.__name__ == "outage_drill" else {}
            try:
                flow(exchange, **options)
            except Exception as error:
                trace = "\n".join(f"{s.elapsed:6.2f} {s.flow} | {s.hop} | {s.what}" for s in steps)
                logs = "\n".join(f"--- {c.name}\n{network.log_file(c.name).read_text()[-1500:]}"
                                 for c in network.components)
                pytest.fail(f"{title}: {error}\n{trace}\n{logs}")
    flows_seen = {step.flow for step in steps}
    assert len(flows_seen) == 4
