"""The floor every benchmark compares with: a bare FastAPI app that echoes what it is sent.

It is served exactly as the components are (``python -m services.kernel.web.server ...
--log-level warning --no-access-log``: uvicorn, the h11 protocol with the deadlines, the
concurrency gate), so the difference between a component and the echo is the component's
own work, not the server stack. ``measure_echo`` sends the same requests to it with the
same load generator and reports the echo's CPU milliseconds per request from ``/proc``.
"""

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from load import LoadResult, Request, run_load
from proc_cpu import CpuMeter, Usage

PROJECT = Path(__file__).resolve().parents[1]

ECHO_APP = '''
"""A bare FastAPI app: any POST answers its own body, as JSON when it came as JSON."""

from fastapi import FastAPI, Request, Response

app = FastAPI()


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/{path:path}")
async def echo(path: str, request: Request) -> Response:
    body = await request.body()
    return Response(body, status_code=int(request.headers.get("x-echo-status", "200")),
                    media_type=request.headers.get("content-type", "application/octet-stream"))
'''


@dataclass(frozen=True)
class EchoFloor:
    """The echo's cost per request in one run."""

    cpu_ms: float
    """Server CPU milliseconds per request."""
    load: LoadResult
    usage: Usage


class EchoServer:
    """The echo app in a process of its own, on a free port, while the ``with`` block runs."""

    def __init__(self, work: Path, port: int) -> None:
        self.work, self.port = work, port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "EchoServer":
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / "echo_app.py").write_text(ECHO_APP, encoding="utf-8")
        command = [sys.executable, "-m", "services.kernel.web.server", "echo_app:app", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(self.work), str(PROJECT)]))
        self.process = subprocess.Popen(command, cwd=self.work, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("the echo server did not start")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


def echo_requests(requests: Sequence[Request], *, status: int = 200) -> list[Request]:
    """The same requests aimed at the echo, answered with ``status``."""
    return [replace(r, headers={**r.headers, "X-Echo-Status": str(status)}) for r in requests]


def measure_echo(requests: Sequence[Request], *, connections: int, work: Path, port: int,
                 python: bool = False) -> EchoFloor:
    """Start the echo, warm it up, and measure its CPU per request for ``requests`` sent once each."""
    with EchoServer(work / "echo", port) as echo:
        warmup = list(requests[: min(100, len(requests))])
        run_load(echo.url, warmup, connections=connections, work=work, python=python)
        meter = CpuMeter({"bare FastAPI echo": echo.pid})
        meter.start()
        result = run_load(echo.url, requests, connections=connections, work=work, python=python)
        (usage,) = meter.stop()
    return EchoFloor(cpu_ms=(usage.cpu_ms + usage.child_ms) / max(len(requests), 1), load=result, usage=usage)
