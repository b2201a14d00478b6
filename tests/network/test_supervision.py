"""``swx up`` supervises its components: one that dies comes back on its port while the
others keep running; one that keeps failing stops the network with its reason."""

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from services.cli.flows import DECLARATION, Exchange
from services.cli.launcher import free_base_port, topology
from services.kernel.network import load_network
from services.kernel.participants import OPERATOR, PARTICIPANTS

pytestmark = pytest.mark.network

PROJECT = Path(__file__).resolve().parents[2]
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "TERM": "dumb"}


class SwxUp:
    """``swx up`` as a subprocess, its console output read line by line in a thread."""

    def __init__(self, data_dir: Path, base_port: int, *options: str) -> None:
        self.data_dir, self.base_port = data_dir, base_port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "up", "--data-dir", str(data_dir), "--base-port",
             str(base_port), *options], cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=ENV)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, matches: Callable[[str], bool], *, timeout: float, what: str) -> str:
        """The first console line that ``matches``, waiting for it; fails with the output so far."""
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if matches(line):
                    return line
            seen = len(self.lines)
            if self.process.poll() is not None and not self.reader.is_alive() and seen == len(self.lines):
                raise AssertionError(f"swx up exited ({self.process.returncode}) before {what}:\n{self.output}")
            try:
                self.process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
            timeout -= 0.1
            if timeout < 0:
                raise AssertionError(f"timed out waiting for {what}:\n{self.output}")

    def pids(self) -> dict[str, int]:
        return {pid_file.stem: int(pid_file.read_text()) for pid_file in (self.data_dir / "run").glob("*.pid")}

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def swx_up(tmp_path: Path) -> Iterator[Callable[..., SwxUp]]:
    started: list[SwxUp] = []

    def start(base_port: int, *options: str) -> SwxUp:
        started.append(SwxUp(tmp_path / "var", base_port, *options))
        return started[-1]

    try:
        yield start
    finally:
        for each in started:
            each.close()


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def ports(base: int, data_dir: Path) -> dict[str, int]:
    return {c.name: c.port for c in topology(data_dir=data_dir, base_port=base)}


def test_a_killed_endpoint_comes_back_on_its_port_and_the_others_keep_running(
        swx_up: Callable[..., SwxUp], tmp_path: Path) -> None:
    base = free_base_port()
    up = swx_up(base)
    up.wait_for_line(lambda line: line.startswith("ready"), timeout=120, what="the network to be ready")
    before = up.pids()
    assert sorted(before) == sorted(ports(base, up.data_dir)), up.output
    assert all(alive(pid) for pid in before.values())

    os.kill(before["nsw-vn"], signal.SIGKILL)
    exited = up.wait_for_line(lambda line: "nsw-vn exited" in line, timeout=30, what="the exit to be reported")
    assert "killed by SIGKILL" in exited
    assert str(up.data_dir / "logs" / "nsw-vn.log") in exited
    up.wait_for_line(lambda line: "nsw-vn is back" in line, timeout=90, what="nsw-vn to come back")

    after = up.pids()
    assert after["nsw-vn"] != before["nsw-vn"]
    assert alive(after["nsw-vn"])
    assert {n: p for n, p in after.items() if n != "nsw-vn"} == {n: p for n, p in before.items() if n != "nsw-vn"}
    assert httpx.get(f"http://127.0.0.1:{base + 16}/healthz").status_code == 200

    # a declaration TH -> VN after the restart: its ACDD reaches VN's new process, which answers
    network = load_network(up.data_dir / "network" / "network.json")
    tokens = {c: network.operator_token if c == OPERATOR else network.token_of(c) for c in (*PARTICIPANTS, OPERATOR)}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports(base, up.data_dir).items()}
    with httpx.Client(timeout=10) as client:
        exchange = Exchange(urls=urls, tokens=tokens, client=client)
        xml = DECLARATION.read_text(encoding="utf-8").replace("TH-SIAMRUB-2026-000417", "TH-SIAMRUB-SUPERVISED")
        declared = exchange.call("POST", "customs", "/declarations", country="TH", expect=(201,),
                                 content=xml.encode(), headers={"Content-Type": "application/xml"})
        message_id = declared["messages"][0]["message_id"]
        record = exchange.until_state("supervision", message_id, "ACKNOWLEDGED", country="TH")
        inbox = exchange.call("GET", "nsw-vn", "/inbox", country="VN")
    assert record["receiver"] == "VN"
    assert message_id in {item["message_id"] for item in inbox["items"]}

    up.process.send_signal(signal.SIGINT)
    assert up.process.wait(timeout=60) == 0, up.output
    assert not any(listening(port) for port in ports(base, up.data_dir).values())
    assert not any(alive(pid) for pid in after.values())
    assert up.pids() == {}


def test_a_component_that_keeps_failing_stops_the_network_with_its_reason(
        swx_up: Callable[..., SwxUp], tmp_path: Path) -> None:
    base = free_base_port()
    with socket.socket() as squatter:  # VN's port is taken: its endpoint fails at every start
        squatter.bind(("127.0.0.1", base + 16))
        squatter.listen()
        up = swx_up(base, "--max-restarts", "2")
        assert up.process.wait(timeout=180) == 1, up.output
        up.reader.join(timeout=5)
    output = up.output
    assert not any(line.startswith("ready") for line in up.lines), output
    assert output.count("nsw-vn exited (exit code 3); restarting it in") == 2, output
    error = next(line for line in up.lines if line.startswith("error:"))
    assert "nsw-vn keeps failing: it exited (exit code 3) after 2 restarts" in error, output
    assert "address already in use" in output.split(error, 1)[1], output  # the end of its log, shown
    others = {name: port for name, port in ports(base, up.data_dir).items() if name != "nsw-vn"}
    assert not any(listening(port) for port in others.values()), output
