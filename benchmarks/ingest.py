"""Ingest throughput: customs ``POST /declarations`` against a bare FastAPI echo, same run.

Both run under uvicorn with one worker on loopback; a load generator keeps 32 requests in
flight, each a distinct valid 10-item XML declaration (a new LRN each, so idempotency does
not short-cut anything). Printed: accepted/s, p50 and p99 latency for each, and the ratio
customs / echo.

The load comes from ``wrk`` (Debian package ``wrk``) when it is installed: a C client
leaves the servers the CPU. Without it a Python client (httpx) does the same work, more
slowly, and the table says so.

Run: ``python benchmarks/ingest.py [--requests 2000] [--concurrency 32] [--seconds 10]``.
"""

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate import FIXTURES, grow  # noqa: E402

from services.kernel import canonical  # noqa: E402
from services.kernel.network import create_development_network  # noqa: E402
from services.kernel.registry import REGISTRY  # noqa: E402
from services.kernel.validation import validate  # noqa: E402

ECHO_APP = """
from fastapi import FastAPI, Request, Response
app = FastAPI()

@app.post("/declarations")
async def echo(request: Request) -> Response:
    return Response(await request.body(), status_code=201, media_type="application/xml")

@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def declarations(count: int) -> list[bytes]:
    """``count`` distinct valid 10-item TH export declarations as canonical XML."""
    message_type = REGISTRY.get("customs.declaration", "1.0")
    source = next(p for p in sorted((FIXTURES / "customs.declaration" / "valid").glob("*.json"))
                  if json.loads(p.read_text()).get("document_type") == message_type.key
                  and json.loads(p.read_text())["GoodsShipment"]["ExportCountry"]["ID"] == "TH")
    base = grow("customs.declaration", json.loads(source.read_text()), 10)
    documents = []
    for n in range(count):
        data = dict(base, FunctionalReferenceID=f"BENCH-{os.getpid()}-{n:06d}")
        report = validate(json.dumps(data).encode())
        if not report.valid or report.document is None:
            raise SystemExit(f"benchmark declaration {n} is not valid: {[f.code for f in report.errors]}")
        documents.append(canonical.xml_bytes(report.document, message_type))
    return documents


def start(command: list[str], *, env: dict[str, str], port: int, cwd: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.stderr.read().decode() if process.stderr else ''}")
        time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not become healthy in 60 s")


async def load(url: str, bodies: list[bytes], *, token: str, concurrency: int) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    accepted = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        async def worker() -> None:
            nonlocal accepted
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                accepted += response.status_code == 201

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return accepted, elapsed, latencies


WRK_SCRIPT = """
local bodies, index, threads = {}, 0, 0
all_threads = {}
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
  table.insert(all_threads, thread)
end
function init(args)
  local count, token = tonumber(args[1]), args[2]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/xml"
  wrk.headers["Authorization"] = "Bearer " .. token
  stride, index, created, other = tonumber(args[3]), id, 0, 0
  for n = 0, count - 1 do
    local file = io.open(string.format("%s/body-%06d.xml", args[4], n), "rb")
    bodies[n] = file:read("*a")
    file:close()
  end
  total = count
end
function request()
  local body = bodies[index % total]
  index = index + stride
  return wrk.format(nil, nil, nil, body)
end
function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local made, refused = 0, 0
  for _, thread in ipairs(all_threads or {}) do
    made = made + thread:get("created")
    refused = refused + thread:get("other")
  end
  io.write(string.format("RESULT %d %d %d %f %f %f\\n", made, refused, summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def measure_with_wrk(url: str, bodies: list[bytes], *, token: str, concurrency: int, seconds: int,
                     work: Path) -> dict[str, float]:
    folder = work / "bodies"
    folder.mkdir(exist_ok=True)
    for n, body in enumerate(bodies):
        (folder / f"body-{n:06d}.xml").write_bytes(body)
    script = work / "ingest.lua"
    script.write_text(WRK_SCRIPT)
    threads = 2
    result = subprocess.run(["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s", "--latency",
                             "-s", str(script), url, "--", str(len(bodies)), token, str(threads), str(folder)],
                            capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT"))
    made, refused, total, duration, p50, p99 = (float(v) for v in line.split()[1:])
    return {"accepted": made, "total": made + refused, "rate": made / duration, "p50": p50, "p99": p99}


def measure(name: str, command: list[str], *, env: dict[str, str], port: int, bodies: list[bytes], token: str,
            concurrency: int, cwd: Path, seconds: int, work: Path) -> dict[str, float]:
    process = start(command, env=env, port=port, cwd=cwd)
    try:
        if shutil.which("wrk"):
            asyncio.run(load(f"http://127.0.0.1:{port}/declarations", bodies[:100], token=token,
                             concurrency=concurrency))  # warm-up
            return measure_with_wrk(f"http://127.0.0.1:{port}/declarations", bodies[100:], token=token,
                                    concurrency=concurrency, seconds=seconds, work=work / name)
        asyncio.run(load(f"http://127.0.0.1:{port}/declarations", bodies[:100], token=token,
                         concurrency=concurrency))  # warm-up
        accepted, elapsed, latencies = asyncio.run(load(f"http://127.0.0.1:{port}/declarations", bodies[100:],
                                                        token=token, concurrency=concurrency))
    finally:
        process.terminate()
        process.wait(timeout=30)
    quantiles = statistics.quantiles(latencies, n=100)
    return {"accepted": accepted, "total": len(latencies), "rate": accepted / elapsed,
            "p50": quantiles[49] * 1000, "p99": quantiles[98] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10, help="test length with wrk")
    args = parser.parse_args()
    bodies = declarations(args.requests + 100)
    project = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        network = create_development_network(work / "network.json")
        (work / "echo_app.py").write_text(ECHO_APP)
        uvicorn = [sys.executable, "-m", "uvicorn", "--workers", "1", "--log-level", "warning", "--no-access-log"]
        env = dict(os.environ, SWX_NETWORK_FILE=str(work / "network.json"), SWX_CUSTOMS_DATA_DIR=str(work),
                   SWX_CUSTOMS_DATABASE_URL=f"sqlite:///{work / 'customs.db'}", SWX_CUSTOMS_LOG_LEVEL="WARNING",
                   PYTHONPATH=f"{work}{os.pathsep}{project}")
        echo_port, customs_port = free_port(), free_port()
        common = {"env": env, "bodies": bodies, "concurrency": args.concurrency, "seconds": args.seconds,
                  "work": work}
        (work / "echo").mkdir()
        (work / "customs").mkdir()
        echo = measure("echo", [*uvicorn, "--port", str(echo_port), "echo_app:app"], port=echo_port,
                       token="unused", cwd=work, **common)  # type: ignore[arg-type]
        customs = measure("customs", [*uvicorn, "--port", str(customs_port), "--factory",
                                      "services.customs.app:create_app"], port=customs_port,
                          token=network.token_of("TH"), cwd=project, **common)  # type: ignore[arg-type]
    client = f"wrk, {args.seconds} s" if shutil.which("wrk") else f"Python httpx client, {args.requests} requests"
    table = Table(title=f"POST /declarations, 10-item XML, {args.concurrency} in flight, uvicorn 1 worker, "
                        f"load from {client}", header_style="bold")
    for column in ("server", "accepted", "accepted/s", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right")
    for name, result in (("bare FastAPI echo", echo), ("customs", customs)):
        table.add_row(name, f"{result['accepted']:.0f}/{result['total']:.0f}", f"{result['rate']:,.0f}",
                      f"{result['p50']:.1f}", f"{result['p99']:.1f}")
    console = Console(width=120)
    console.print(table)
    console.print(f"ratio customs / echo: {customs['rate'] / echo['rate']:.2f}")


if __name__ == "__main__":
    main()
