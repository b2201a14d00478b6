"""Ingest: customs ``POST /declarations`` against a bare FastAPI echo, same run, same client.

Customs runs as ``swx up`` runs it (``python -m services.kernel.web.server
services.customs.app:create_app --factory``), and so does the echo (``echo.py``). A load
generator sends each of ``--requests`` distinct valid 10-item XML declarations once (a new
LRN each, so idempotency does not short-cut anything), ``--concurrency`` in flight. Customs
stores an ACDD for each in its outbox, but runs without a hub URL, so nothing dispatches
it: this is the cost of accepting a declaration (``network.py`` has the rest).

Printed for each server: accepted/s, p50 and p99 latency, and CPU milliseconds per request
from ``/proc`` (``proc_cpu.py``, warm-up excluded); the ratios customs / echo of throughput
and of CPU. The load comes from wrk when it is installed (``load.py``), else from a Python
client, with a warning.

Run: ``python benchmarks/ingest.py [--requests 1000] [--concurrency 32] [--items 10]``.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from echo import measure_echo
from load import LoadResult, Request, load_client, run_load
from proc_cpu import CpuMeter, Usage, cpu_table
from rich.console import Console
from rich.table import Table
from validate import FIXTURES, grow

from services.cli.launcher import LocalNetwork, free_base_port
from services.kernel import canonical
from services.kernel.registry import REGISTRY
from services.kernel.validation import validate

WARMUP = 50


def declarations(count: int, *, items: int = 10) -> list[bytes]:
    """``count`` distinct valid TH export declarations with ``items`` goods items, as canonical XML."""
    message_type = REGISTRY.get("customs.declaration", "1.0")
    source = next(p for p in sorted((FIXTURES / "customs.declaration" / "valid").glob("*.json"))
                  if json.loads(p.read_text()).get("document_type") == message_type.key
                  and json.loads(p.read_text())["GoodsShipment"]["ExportCountry"]["ID"] == "TH")
    base = grow("customs.declaration", json.loads(source.read_text()), items)
    documents = []
    for n in range(count):
        data = dict(base, FunctionalReferenceID=f"BENCH-{os.getpid()}-{n:06d}")
        report = validate(json.dumps(data).encode())
        if not report.valid or report.document is None:
            raise SystemExit(f"benchmark declaration {n} is not valid: {[f.code for f in report.errors]}")
        documents.append(canonical.xml_bytes(report.document, message_type))
    return documents


def measure_customs(requests: list[Request], *, args: argparse.Namespace, work: Path) -> tuple[LoadResult, Usage]:
    """Customs alone (no hub), warmed up, then measured for ``requests``."""
    network = LocalNetwork.prepare(data_dir=work / "data", base_port=free_base_port(),
                                   extra_env={"SWX_CUSTOMS_LOG_LEVEL": "WARNING", "SWX_HUB_URL": ""})
    network.start("customs")
    try:
        url = network.url("customs")
        token = {"Authorization": f"Bearer {network.token('TH')}"}
        signed = [Request(r.method, r.path, {**r.headers, **token}, r.body) for r in requests]
        run_load(url, signed[:WARMUP], connections=args.concurrency, work=work, python=args.python_client)
        meter = CpuMeter({"customs": network.pid("customs") or 0})
        meter.start()
        result = run_load(url, signed[WARMUP:], connections=args.concurrency, work=work, python=args.python_client)
        (usage,) = meter.stop()
    finally:
        network.stop()
    return result, usage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="declarations measured, after a warm-up of 50")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--items", type=int, default=10, help="goods items per declaration")
    parser.add_argument("--python-client", action="store_true", help="load from the Python client, not wrk")
    args = parser.parse_args()
    client = load_client(python=args.python_client)
    requests = [Request("POST", "/declarations", {"Content-Type": "application/xml"}, body)
                for body in declarations(args.requests + WARMUP, items=args.items)]
    with tempfile.TemporaryDirectory(prefix="swx-ingest-") as folder:
        work = Path(folder)
        echo = measure_echo([Request(r.method, r.path, {**r.headers, "X-Echo-Status": "201"}, r.body)
                             for r in requests[WARMUP:]], connections=args.concurrency, work=work,
                            port=free_base_port(1), python=args.python_client)
        customs, usage = measure_customs(requests, args=args, work=work)
    table = Table(title=f"POST /declarations, {args.items}-item XML, {args.concurrency} in flight, one process per "
                        f"server, load from {client}, {os.cpu_count()} cores shared", header_style="bold")
    for column in ("server", "accepted", "accepted/s", "p50 ms", "p99 ms", "CPU ms / request"):
        table.add_column(column, justify="right")
    for name, result, cpu in (("bare FastAPI echo", echo.load, echo.cpu_ms),
                              ("customs", customs, (usage.cpu_ms + usage.child_ms) / max(customs.requests, 1))):
        table.add_row(name, f"{result.count(201)}/{result.requests}", f"{result.rate:,.0f}", f"{result.p50_ms:.1f}",
                      f"{result.p99_ms:.1f}", f"{cpu:.2f}")
    console = Console(width=140)
    console.print(table)
    console.print(cpu_table([usage], units=customs.count(201), unit="accepted declaration", floor_ms=echo.cpu_ms,
                            floor_label="echo floor: 1 bare echo request",
                            title="customs: CPU per accepted declaration, from /proc (warm-up excluded)"))
    console.print(f"ratio customs / echo: throughput {customs.rate / echo.load.rate:.2f}, CPU per request "
                  f"{(usage.cpu_ms + usage.child_ms) / max(customs.requests, 1) / echo.cpu_ms:.1f}x")
    other = {s: n for s, n in customs.statuses.items() if s != 201}
    if other or customs.errors:
        console.print(f"customs answers other than 201: {other} {customs.errors}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: the servers are stopped and the temporary files removed", file=sys.stderr)
        sys.exit(130)
