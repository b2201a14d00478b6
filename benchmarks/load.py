"""The load generator of the benchmarks: each of a list of prepared requests sent once, with a
fixed number in flight.

``wrk`` (Debian package ``wrk``), a C client, is used when it is installed: it leaves the
two cores to the servers. Its Lua script (``WRK_SCRIPT``) sends pre-built raw requests in
turn, each exactly once (wrk calls ``request()`` once before the run to check the script: that
call is answered without using up a request): ``delay()`` hands out one request slot per remaining request and
holds further connections back, and the last response stops the thread and tells this
process, which ends the run with SIGINT (wrk otherwise runs for a fixed time). Without wrk
an asyncio httpx client does the same work, and takes its CPU from the servers: the result
says which client ran, and ``load_client`` warns once.

The wall time runs from wrk's first request slot (or the Python client's first send) to the
last response. Latency percentiles are wrk's own (microsecond histogram) or computed from
the Python client's samples.
"""

import asyncio
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

WRK_SCRIPT = r"""
local requests, total, reserved, sent, answered = {}, 0, 0, 0, 0
statuses = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local folder = args[1]
  total = tonumber(args[2])
  for n = 0, total - 1 do
    local file = assert(io.open(string.format("%s/request-%06d.http", folder, n), "rb"))
    requests[n] = file:read("*a")
    file:close()
  end
end

function delay()
  if reserved == 0 then
    io.write("STARTED\n")
    io.flush()
  end
  if reserved < total then
    reserved = reserved + 1
    return 0
  end
  return 3600000  -- every request is out: this connection sends nothing more
end

function request()
  if reserved == 0 then
    return requests[0]  -- wrk's check of the script before the run: not a request sent
  end
  local raw = requests[sent]
  sent = sent + 1
  return raw
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  answered = answered + 1
  if answered == total then
    io.write("FINISHED\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      io.write(string.format("STATUS %d %d\n", status, count))
    end
  end
  io.write(string.format("LATENCY %f %f %f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000,
                         latency.max / 1000))
  local errors = summary.errors
  io.write(string.format("ERRORS %d %d %d %d\n", errors.connect, errors.read, errors.write, errors.timeout))
end
"""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass
class LoadResult:
    client: str
    requests: int
    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: str = ""

    def count(self, *statuses: int) -> int:
        return sum(self.statuses.get(s, 0) for s in statuses)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


_warned = False


def load_client(*, python: bool = False) -> str:
    """``wrk`` when it is installed (and not turned down), else the Python client, with a warning once."""
    global _warned
    if not python and shutil.which("wrk"):
        return "wrk"
    if not python and not _warned:
        print("warning: wrk is not installed (apt-get install wrk): the load comes from a Python client, "
              "which takes CPU from the servers; the wall-clock figures are lower than they should be",
              file=sys.stderr)
        _warned = True
    return "python"


def run_load(base_url: str, requests: Sequence[Request], *, connections: int, work: Path,
             python: bool = False, timeout: float = 600.0) -> LoadResult:
    """Send every request once, ``connections`` in flight; ``work`` is a scratch folder."""
    if load_client(python=python) == "wrk":
        return _with_wrk(base_url, requests, connections=connections, work=work, timeout=timeout)
    return asyncio.run(_with_python(base_url, requests, connections=connections, timeout=timeout))


def _raw(request: Request, host: str) -> bytes:
    head = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}",
            *(f"{k}: {v}" for k, v in request.headers.items())]
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        head.append(f"Content-Length: {len(request.body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.body


def _with_wrk(base_url: str, requests: Sequence[Request], *, connections: int, work: Path,
              timeout: float) -> LoadResult:
    folder = work / f"wrk-{time.monotonic_ns()}"
    folder.mkdir(parents=True)
    host = base_url.split("://", 1)[1].rstrip("/")
    for n, request in enumerate(requests):
        (folder / f"request-{n:06d}.http").write_bytes(_raw(request, host))
    script = folder / "requests.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    # one thread: ample for the rates measured here, and it leaves the most CPU to the servers
    command = ["wrk", "-t", "1", "-c", str(min(connections, len(requests))), "-d", f"{int(timeout)}s",
               "--timeout", "60s", "-s", str(script), base_url, "--", str(folder), str(len(requests))]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    started = finished = 0.0
    lines = []
    try:
        for line in process.stdout:
            if line.startswith("STARTED") and not started:
                started = time.perf_counter()
            elif line.startswith("FINISHED"):
                finished = time.perf_counter()
                process.send_signal(signal.SIGINT)
            else:
                lines.append(line)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    shutil.rmtree(folder, ignore_errors=True)
    if not finished:
        error = process.stderr.read() if process.stderr else ""
        raise RuntimeError(f"wrk did not finish every request: {''.join(lines)[-400:]} {error[-400:]}")
    result = LoadResult("wrk", requests=len(requests), seconds=finished - started)
    for line in lines:
        kind, *values = line.split()
        if kind == "STATUS":
            result.statuses[int(values[0])] = int(values[1])
        elif kind == "LATENCY":
            result.p50_ms, result.p99_ms = float(values[0]), float(values[1])
        elif kind == "ERRORS" and any(int(v) for v in values):
            result.errors = "connect {} read {} write {} timeout {}".format(*values)
    return result


async def _with_python(base_url: str, requests: Sequence[Request], *, connections: int,
                       timeout: float) -> LoadResult:
    latencies: list[float] = []
    result = LoadResult("python httpx", requests=len(requests), seconds=0.0)
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        async def worker() -> None:
            while not queue.empty():
                request = queue.get_nowait()
                began = time.perf_counter()
                try:
                    response = await client.request(request.method, request.path, headers=dict(request.headers),
                                                    content=request.body or None)
                except httpx.HTTPError as error:
                    result.errors = f"{type(error).__name__}: {error}"
                    continue
                latencies.append(time.perf_counter() - began)
                result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1

        began = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(connections))), timeout)
        result.seconds = time.perf_counter() - began
    if len(latencies) >= 2:
        cuts = statistics.quantiles(latencies, n=100)
        result.p50_ms, result.p99_ms = cuts[49] * 1000, cuts[98] * 1000
    return result
