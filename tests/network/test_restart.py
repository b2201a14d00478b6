"""``swx up`` as a user runs it, and what a restart of the whole network keeps."""

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.cli.flows import DECLARATION, Exchange
from services.cli.launcher import LocalNetwork, free_base_port
from services.kernel.participants import OPERATOR, PARTICIPANTS

pytestmark = pytest.mark.network

PROJECT = Path(__file__).resolve().parents[2]
FAST = {"SWX_HUB_RETRY_BASE": "0.2", "SWX_HUB_RETRY_CAP": "1", "SWX_HUB_DELIVERY_TIMEOUT": "3"}


def test_swx_up_serves_swx_demo_url_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    base = free_base_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "up", "--data-dir", str(tmp_path / "var"), "--base-port",
         str(base)], cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "TERM": "dumb"})
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("ready"):
                break
        output = "".join(lines)
        assert any(line.startswith("ready") for line in lines), output
        for port in (base, base + 1, base + 2, base + 3, *(base + 11 + i for i in range(6))):
            assert f"http://127.0.0.1:{port}" in output
        assert httpx.get(f"http://127.0.0.1:{base}/healthz").json()["status"] == "ok"
        demo = subprocess.run(
            [sys.executable, "-m", "services.cli.main", "demo", "--url", f"http://127.0.0.1:{base}",
             "--network-file", str(tmp_path / "var" / "network" / "network.json")],
            cwd=PROJECT, capture_output=True, text=True, timeout=180,
            env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "TERM": "dumb"})
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
        assert demo.stdout.count("held:") == 4
        assert "suspended at the hub" in demo.stdout
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    for port in (base, base + 16):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz")


def test_a_message_accepted_before_a_restart_is_delivered_after_it(tmp_path: Path) -> None:
    net = LocalNetwork.prepare(data_dir=tmp_path / "var", base_port=free_base_port(), extra_env=FAST)
    tokens = {country: net.token(country) for country in (*PARTICIPANTS, OPERATOR)}
    try:
        net.start()
        net.stop("nsw-vn")
        with httpx.Client(timeout=10) as client:
            exchange = Exchange(urls={c.name: c.url for c in net.components}, tokens=tokens, client=client)
            xml = DECLARATION.read_text(encoding="utf-8").replace("TH-SIAMRUB-2026-000417", "TH-SIAMRUB-RESTART")
            declared = exchange.call("POST", "customs", "/declarations", country="TH", expect=(201,),
                                     content=xml.encode(), headers={"Content-Type": "application/xml"})
            message_id = declared["messages"][0]["message_id"]

            def retrying() -> dict[str, Any] | None:
                record = exchange.hub_message(message_id, country="TH")
                return record if record and record["state"] == "WAITING_FOR_RETRY" else None

            exchange.wait("the ACDD to wait for VN", retrying)
            net.stop()  # the whole network, VN's endpoint still down
            net.start()  # everything, VN's endpoint included
            record = exchange.until_state("restart", message_id, "ACKNOWLEDGED", country="TH")
            outcome = exchange.wait("the customs response", lambda: exchange.call(
                "GET", "customs", f"/declarations/{declared['mrn']}", country="TH").get("outcome"))
    finally:
        net.stop()
    assert record["attempts"] >= 2
    assert outcome["function"] == "accepted"
