"""The network as real processes (uvicorn on loopback, started by the launcher), with
helpers to send signed envelopes concurrently, read states at the hub and the receiver, and
wait for conditions. Every failure message ends with the tail of the components' logs."""

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.cli.launcher import LocalNetwork, free_base_port
from services.hub.models import STATES
from services.kernel import canonical
from services.kernel.messages.exchange import Envelope
from services.kernel.network import load_network, load_signing_keys
from services.kernel.signing import sign

PROJECT = Path(__file__).resolve().parents[2]
STANDIN = Path(__file__).resolve().parent / "standin_receiver.py"
PAYLOAD = PROJECT / "fixtures" / "customs.response" / "valid" / "th-accepted-green-lane-natural-rubber-export.json"
"""A customs response: the receiving NSW stores and acknowledges it and answers nothing, so
one message sent is one message received."""
DOCUMENT_TYPE = "customs.response/1.0"

FAST = {
    "SWX_HUB_RETRY_BASE": "0.2", "SWX_HUB_RETRY_CAP": "1", "SWX_HUB_LEASE": "3", "SWX_HUB_DELIVERY_TIMEOUT": "2",
    "SWX_HUB_POLL_INTERVAL": "0.2", "SWX_HUB_MAX_ATTEMPTS": "200",
    # a received customs response is handed to the receiving country's customs service; no
    # customs service runs here, so the handover is switched off rather than retried forever
    "SWX_NSW_CUSTOMS_URL": "",
}
"""Hub timing for tests: retries within a second, a lost lease taken up after 3 s."""


@dataclass(frozen=True)
class Sent:
    """The outcome of sending envelopes: which got a 202, and what happened to the others."""

    accepted: list[str]
    refused: dict[str, str]
    """message_id -> the status or the connection error instead of a 202."""


@dataclass
class RunningNetwork:
    """A ``LocalNetwork`` and the extra processes of one test (workers, stand-ins)."""

    net: LocalNetwork
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))

    # --- processes -------------------------------------------------------------------
    def start(self, *names: str, env: Mapping[str, str] | None = None) -> None:
        try:
            self.net.start(*names, env=env)
        except RuntimeError as error:
            raise AssertionError(self.explain(str(error))) from None

    def spawn(self, name: str, command: list[str], *, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        """Run ``command`` as a process of this network, logging to ``logs/<name>.log``."""
        log = self.net.log_file(name)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as stream:
            process = subprocess.Popen(command, env={**os.environ, **env}, stdout=stream, stderr=subprocess.STDOUT,
                                       cwd=PROJECT, start_new_session=True)
        self.processes[name] = process
        return process

    def start_hub_worker(self, name: str, *, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """A ``swx hub-worker`` process with the hub's environment (and ``env`` on top, as the
        hub was started with)."""
        return self.spawn(name, [sys.executable, "-m", "services.cli.main", "hub-worker"],
                          env={**self.net.component("hub").env, **(env or {})})

    def start_standin(self, routes: Mapping[str, Mapping[str, str]], *, hold: float = 5.0) -> str:
        """A stand-in receiver process (``standin_receiver.py``); its base URL."""
        port = free_base_port(1)
        command = [sys.executable, "-m", "uvicorn", "--factory", "standin_receiver:create_app", "--app-dir",
                   str(STANDIN.parent), "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        process = self.spawn("standin", command, env={"SWX_STANDIN_ROUTES": json.dumps(routes),
                                                       "SWX_STANDIN_HOLD": str(hold)})
        url = f"http://127.0.0.1:{port}"
        self.wait_for(lambda: process.poll() is None and self._answers(f"{url}/calls"), timeout=30,
                      what="the stand-in receiver to listen")
        return url

    def _answers(self, url: str) -> bool:
        try:
            return self.http.get(url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        self.net.stop()
        self.http.close()

    # --- envelopes -------------------------------------------------------------------
    def envelope(self, *, sender: str = "TH", receiver: str = "VN") -> Envelope:
        """A freshly signed envelope carrying the customs response fixture."""
        payload = PAYLOAD.read_text(encoding="utf-8")
        unsigned = Envelope(message_id=str(uuid.uuid4()), conversation_id=str(uuid.uuid4()), sender=sender,
                            receiver=receiver, document_type=DOCUMENT_TYPE, created_at=datetime.now(UTC),
                            payload_format="json", payload=payload, payload_digest=canonical.digest(payload))
        return sign(unsigned, private_key=self.keys[sender], key_id=sender)

    @property
    def keys(self) -> dict[str, Any]:
        return load_signing_keys(self.net.network_file)

    def send(self, envelopes: list[Envelope], *, concurrency: int = 32,
             after: tuple[int, Callable[[], None]] | None = None) -> Sent:
        """POST every envelope to the hub, ``concurrency`` at a time; ``after=(n, action)`` runs
        ``action`` in a thread once ``n`` envelopes got their 202, while the others are in flight."""
        return asyncio.run(self._send(envelopes, concurrency=concurrency, after=after))

    async def _send(self, envelopes: list[Envelope], *, concurrency: int,
                    after: tuple[int, Callable[[], None]] | None) -> Sent:
        url, token = f"{self.net.url('hub')}/messages", self.net.token(envelopes[0].sender)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        accepted: list[str] = []
        refused: dict[str, str] = {}
        gate = asyncio.Semaphore(concurrency)
        actions: list[asyncio.Task[None]] = []

        async def post(client: httpx.AsyncClient, envelope: Envelope) -> None:
            async with gate:
                try:
                    response = await client.post(url, content=canonical.json_text(envelope).encode(), headers=headers)
                except httpx.HTTPError as error:
                    refused[envelope.message_id] = type(error).__name__
                    return
            if response.status_code != 202:
                refused[envelope.message_id] = f"{response.status_code} {response.text[:200]}"
                return
            accepted.append(envelope.message_id)
            if after is not None and len(accepted) == after[0]:
                actions.append(asyncio.create_task(asyncio.to_thread(after[1])))

        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
            await asyncio.gather(*(post(client, envelope) for envelope in envelopes))
        await asyncio.gather(*actions)
        return Sent(accepted=accepted, refused=refused)

    def expect_accepted(self, sent: Sent, count: int) -> None:
        """Every one of ``count`` envelopes got its 202."""
        refused = dict(list(sent.refused.items())[:5])
        assert len(sent.accepted) == count, self.explain(f"{len(sent.refused)} envelope(s) got no 202: {refused}")

    # --- reading states --------------------------------------------------------------
    def _get(self, url: str, *, token: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.http.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, self.explain(f"GET {url} answered {response.status_code}: "
                                                         f"{response.text[:500]}")
        return response.json()

    def _pages(self, url: str, *, token: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = self._get(url, token=token, params={**(params or {}), "limit": 1000, "offset": len(items)})
            items.extend(page["items"])
            if not page["items"] or len(items) >= page["total"]:
                return items

    def hub_messages(self, **filters: str) -> list[dict[str, Any]]:
        """Every message at the hub (as the operator sees them), filtered like ``GET /messages``."""
        return self._pages(f"{self.net.url('hub')}/messages", token=self.net.token("OPERATOR"), params=filters)

    def hub_count(self, **filters: str) -> int:
        page = self._get(f"{self.net.url('hub')}/messages", token=self.net.token("OPERATOR"),
                         params={**filters, "limit": 1})
        return int(page["total"])

    def hub_states(self) -> dict[str, int]:
        return {state: n for state in STATES if (n := self.hub_count(state=state))}

    def hub_records(self, message_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``GET /messages/{id}`` (state, attempts, timeline, receipt) for each message."""
        token, hub = self.net.token("OPERATOR"), self.net.url("hub")
        ids = list(message_ids)
        with ThreadPoolExecutor(max_workers=16) as pool:
            records = pool.map(lambda m: self._get(f"{hub}/messages/{m}", token=token), ids)
            return dict(zip(ids, records, strict=True))

    def inbox(self, country: str = "VN", **filters: str) -> list[dict[str, Any]]:
        """What the country's real NSW endpoint lists as received (``deliveries`` per message)."""
        return self._pages(f"{self.net.url(f'nsw-{country.lower()}')}/inbox", token=self.net.token(country),
                           params=filters)

    def hub_token(self) -> str:
        return load_network(self.net.network_file).hub_token

    # --- waiting and explaining --------------------------------------------------------
    def wait_for(self, condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.25) -> float:
        """Poll ``condition`` until it holds; the seconds it took. On timeout, fail with the
        hub's states and the logs."""
        started = time.monotonic()
        while not condition():
            if time.monotonic() - started > timeout:
                raise AssertionError(self.explain(f"timed out after {timeout:g} s waiting for {what}"))
            time.sleep(interval)
        return time.monotonic() - started

    def expect_quiet_logs(self) -> None:
        """No component logged an error or a traceback: every fault here is one the network
        is built to absorb."""
        logs = self.net.data_dir / "logs"
        noisy = {log.name: n for log in sorted(logs.glob("*.log"))
                 if (n := self.count_lines(log, " ERROR ") + self.count_lines(log, "Traceback"))}
        assert not noisy, self.explain(f"errors in the logs: {noisy}")

    @staticmethod
    def count_lines(path: Path, marker: str) -> int:
        """How many lines of a log name ``marker`` (an event like ``message.delivered``)."""
        if not path.exists():
            return 0
        return sum(marker in line for line in path.read_text(encoding="utf-8", errors="replace").splitlines())

    def explain(self, message: str, *, lines: int = 30) -> str:
        """``message``, the hub's message states (when it answers) and the tail of every log."""
        parts = [message]
        if self.net.running("hub"):
            try:
                parts.append(f"hub states: {self.hub_states()}")
            except (AssertionError, httpx.HTTPError) as error:
                parts.append(f"hub states unavailable: {error!s:.200}")
        logs = self.net.data_dir / "logs"
        for log in sorted(logs.glob("*.log")) if logs.is_dir() else []:
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name} (last {len(tail)} lines) ---\n" + "\n".join(tail))
        return "\n".join(parts)


@pytest.fixture
def network(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Callable[..., RunningNetwork]]:
    """Prepares a network in ``tmp_path`` on free ports (``options`` go to ``LocalNetwork.prepare``,
    ``extra_env`` on top of ``FAST``); every process it started is stopped at teardown."""
    caplog.set_level(logging.WARNING, logger="httpx")  # not a line per request in a failure's report
    running: list[RunningNetwork] = []

    def prepare(*, extra_env: Mapping[str, str] | None = None, **options: Any) -> RunningNetwork:
        net = LocalNetwork.prepare(data_dir=tmp_path / "net", base_port=free_base_port(),
                                   extra_env={**FAST, **(extra_env or {})}, **options)
        running.append(RunningNetwork(net))
        return running[-1]

    try:
        yield prepare
    finally:
        for each in running:
            each.stop_all()
