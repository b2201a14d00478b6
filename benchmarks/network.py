"""The whole network's cost of one exported declaration, end to end, per process and summed.

The network runs as ``swx up`` runs it: every component of ``services.cli.launcher``'s
topology (the hub, three agency services, six NSW endpoints) as a process of its own,
started by ``LocalNetwork`` on free loopback ports with a scratch data directory (without
``swx up``'s supervisor, which only watches). Each declaration takes the path of the demo's
export flow::

    TH exporter -> customs (lodged, ACDD queued) -> hub -> VN NSW (receipt; customs response)
    -> hub (ACDD ACKNOWLEDGED once the response is delivered) -> TH NSW -> customs (outcome)

six HTTP requests, each carrying a signed envelope or the declaration. The declarations are
the demo's TH->VN rubber export grown to ``--items`` goods items, each with its own LRN,
lodged as XML by the load generator (``load.py``: wrk, or the Python client) with
``--in-flight`` requests open. A declaration is done when TH customs holds VN's answer.

Figures, all from one run:

- CPU milliseconds per declaration for each process (``/proc/<pid>/stat``, snapshots after
  the warm-up and when the last answer is in) and summed over the network;
- idle CPU: what the network spends per second with nothing to do, over ``--idle-seconds``;
- wall: intake rate, end-to-end throughput (declarations / first lodging -> last answer),
  latency p50/p99 from lodging to ACKNOWLEDGED at the hub and to the answer at customs;
- the floor: a bare FastAPI echo (``echo.py``), served the same way, answering six requests
  per declaration with the same bodies and client; the network's CPU / the floor's.

Progress is read from the customs database directly (read-only counts, twice a second), so
that watching costs the servers nothing; the latencies are read once the CPU is measured.

Run: ``python benchmarks/network.py [--count 200] [--in-flight 16] [--items 10]
[--database-url postgresql+psycopg://postgres@127.0.0.1:5432] [--profile DIR]``. With a
database URL the components use fresh PostgreSQL databases with unique names, dropped at the
end. ``--profile DIR`` runs a second batch with py-spy on the hub, customs and the two NSW
endpoints, and prints their top functions.
"""

import argparse
import json
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from echo import measure_echo
from ledger import Ledger, database_url, drop_databases, wait_for_count
from load import LoadResult, Request, load_client, run_load
from proc_cpu import CpuMeter, Usage, cpu_table, server_usages, total_cpu_ms
from pyspy import Profiles, profile_table
from rich.console import Console
from rich.table import Table
from validate import grow

from services.cli.flows import DECLARATION
from services.cli.launcher import LocalNetwork, free_base_port
from services.kernel import canonical
from services.kernel.validation import validate

HOPS = 6
"""HTTP requests per declaration: lodging, customs -> hub, hub -> VN NSW, VN NSW -> hub,
hub -> TH NSW, TH NSW -> customs."""
PROFILED = ("hub", "customs", "nsw-vn", "nsw-th")
INVOLVED = PROFILED


def declarations(count: int, *, items: int, run: str) -> list[bytes]:
    """``count`` distinct TH->VN export declarations (the demo's) with ``items`` goods items, as XML."""
    report = validate(DECLARATION.read_bytes())
    if report.document is None or report.message_type is None:
        raise SystemExit(f"the demo declaration {DECLARATION.name} is not valid")
    base = grow("customs.declaration", canonical.json_data(report.document), items)
    bodies = []
    for n in range(count):
        grown = validate(json.dumps(dict(base, FunctionalReferenceID=f"BENCH-{run}-{n:06d}")).encode())
        if not grown.valid or grown.document is None:
            raise SystemExit(f"declaration {n} is not valid: {[f.code for f in grown.errors]}")
        bodies.append(canonical.xml_bytes(grown.document, report.message_type))
    return bodies


def lodgings(bodies: list[bytes], token: str) -> list[Request]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
    return [Request("POST", "/declarations", headers, body) for body in bodies]


class CustomsLedger(Ledger):
    """The customs database: how many of a batch's declarations have VN's answer, and when."""

    def answered(self, prefix: str) -> int:
        return self.count("SELECT count(*) FROM declaration WHERE lrn LIKE :prefix AND outcome IS NOT NULL",
                          prefix=f"{prefix}%")

    def timings(self, prefix: str) -> dict[str, tuple[datetime, datetime]]:
        """Lodged and answered times by conversation id."""
        rows = self.rows("SELECT d.conversation_id, d.lodged_at, min(e.at) FROM declaration d JOIN declaration_event e "
                         "ON e.mrn = d.mrn WHERE d.lrn LIKE :prefix AND e.status LIKE 'response:%' "
                         "GROUP BY d.conversation_id, d.lodged_at", prefix=f"{prefix}%")
        return {str(r[0]): (instant(r[1]), instant(r[2])) for r in rows}

    def wait(self, prefix: str, expected: int, *, patience: float = 60.0) -> int:
        """Until ``expected`` are answered, or none more for ``patience`` seconds; how many are."""
        return wait_for_count(lambda: self.answered(prefix), expected, patience=patience)


def instant(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def acknowledged(hub: str, *, token: str) -> dict[str, datetime]:
    """When the hub marked each ACDD ACKNOWLEDGED, by conversation id."""
    found: dict[str, datetime] = {}
    with httpx.Client(base_url=hub, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        offset = 0
        while True:
            page = client.get("/messages", params={"document_type": "customs.acdd/1.0", "limit": 1000,
                                                   "offset": offset}).raise_for_status().json()
            for item in page["items"]:
                if item["acknowledged_at"]:
                    found[item["conversation_id"]] = instant(item["acknowledged_at"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return found


def percentiles(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    if len(values) < 2:
        return values[0], values[0]
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[98]


@dataclass
class Outcome:
    declarations: int
    answered: int
    intake: LoadResult
    usages: list[Usage]
    idle: list[Usage]
    throughput: float
    to_ack: tuple[float, float]
    to_answer: tuple[float, float]


def run_network(network: LocalNetwork, args: argparse.Namespace, work: Path, console: Console) -> Outcome:
    network.start()
    pids = {c.name: network.pid(c.name) or 0 for c in network.components}
    customs, token = network.url("customs"), network.token("TH")
    ledger = CustomsLedger(database_url(network, "customs"))
    run = uuid.uuid4().hex[:8].upper()
    console.print(f"[dim]warm-up: {args.warmup} declarations ...[/dim]")
    warmup = f"BENCH-{run}W"
    run_load(customs, lodgings(declarations(args.warmup, items=args.items, run=f"{run}W"), token),
             connections=min(args.in_flight, args.warmup), work=work, python=args.python_client)
    if ledger.wait(warmup, args.warmup) < args.warmup:
        raise RuntimeError(f"the warm-up declarations were not all answered; logs in {network.data_dir / 'logs'}")
    time.sleep(2)  # the last handovers' follow-up rounds
    idle = []
    if args.idle_seconds > 0:
        console.print(f"[dim]idle: {args.idle_seconds:g} s ...[/dim]")
        meter = CpuMeter(pids)
        meter.start()
        time.sleep(args.idle_seconds)
        idle = meter.stop()
    bodies = declarations(args.count, items=args.items, run=run)
    requests = lodgings(bodies, token)
    console.print(f"[dim]measured: {args.count} declarations, {args.in_flight} in flight ...[/dim]")
    meter = CpuMeter(pids, include_self=True)
    meter.start()
    intake = run_load(customs, requests, connections=args.in_flight, work=work, python=args.python_client)
    answered = ledger.wait(f"BENCH-{run}-", args.count)
    usages = meter.stop()
    timings = ledger.timings(f"BENCH-{run}-")
    acks = acknowledged(network.url("hub"), token=network.token("OPERATOR"))
    to_ack = [(acks[c] - lodged).total_seconds() * 1000 for c, (lodged, _) in timings.items() if c in acks]
    to_answer = [(answer - lodged).total_seconds() * 1000 for lodged, answer in timings.values()]
    first = min((lodged for lodged, _ in timings.values()), default=None)
    last = max((answer for _, answer in timings.values()), default=None)
    span = (last - first).total_seconds() if first and last else 0.0
    if args.profile:
        profile(network, args, work, console, run=run)
    return Outcome(declarations=args.count, answered=answered, intake=intake, usages=usages, idle=idle,
                   throughput=len(timings) / span if span > 0 else 0.0, to_ack=percentiles(to_ack),
                   to_answer=percentiles(to_answer))


def profile(network: LocalNetwork, args: argparse.Namespace, work: Path, console: Console, *, run: str) -> None:
    """A second batch under py-spy, then the top functions of each profiled component."""
    folder = Path(args.profile)
    console.print(f"[dim]profile: {args.profile_count} more declarations under py-spy ...[/dim]")
    pids = {name: network.pid(name) or 0 for name in PROFILED}
    bodies = declarations(args.profile_count, items=args.items, run=f"{run}P")
    with Profiles(pids, folder, rate=args.profile_rate):
        time.sleep(1)  # py-spy attaches
        run_load(network.url("customs"), lodgings(bodies, network.token("TH")), connections=args.in_flight,
                 work=work, python=args.python_client)
        CustomsLedger(database_url(network, "customs")).wait(f"BENCH-{run}P-", args.profile_count)
    for name in PROFILED:
        path = folder / f"{name}.raw"
        if path.exists():
            console.print(profile_table(name, path, top=args.top, rate=args.profile_rate))


def report(outcome: Outcome, floor: float, args: argparse.Namespace, console: Console) -> None:
    count = max(outcome.answered, 1)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    console.print(cpu_table(outcome.usages, units=count, unit="declaration", floor_ms=floor * HOPS,
                            floor_label=f"echo floor: {HOPS} bare echo requests",
                            title=f"Whole network, {backend}: CPU per exported declaration (TH->VN, {args.items} "
                                  f"items, {outcome.answered}/{outcome.declarations} answered, "
                                  f"{args.in_flight} in flight, start-up and warm-up excluded)"))
    servers = server_usages(outcome.usages)
    involved = sum(u.cpu_ms + u.child_ms for u in servers if u.name in INVOLVED)
    console.print(f"the four processes on the path ({', '.join(INVOLVED)}): {involved / count:.2f} ms per "
                  f"declaration; the other six: {(total_cpu_ms(servers) - involved) / count:.2f} ms")
    if outcome.idle:
        idle_table = Table(title=f"Idle network: CPU ms per second over {args.idle_seconds:g} s", header_style="bold")
        idle_table.add_column("process")
        idle_table.add_column("CPU ms / s", justify="right")
        for usage in outcome.idle:
            idle_table.add_row(usage.name, f"{(usage.cpu_ms + usage.child_ms) / usage.wall_s:.1f}")
        idle_total = sum((u.cpu_ms + u.child_ms) / u.wall_s for u in outcome.idle)
        idle_table.add_row("[bold]network[/bold]", f"[bold]{idle_total:.1f}[/bold]")
        console.print(idle_table)
    wall = Table(title="Wall clock (noisy on a shared machine)", header_style="bold")
    for column in ("intake (POST /declarations)", "POST p50 / p99 ms", "end to end decl/s",
                   "lodged -> ACKNOWLEDGED p50 / p99 ms", "lodged -> answer at customs p50 / p99 ms"):
        wall.add_column(column, justify="right")
    intake = outcome.intake
    wall.add_row(f"{intake.rate:,.1f}/s ({intake.count(201)} x 201, by {intake.client})",
                 f"{intake.p50_ms:.0f} / {intake.p99_ms:.0f}", f"{outcome.throughput:,.1f}",
                 "{:.0f} / {:.0f}".format(*outcome.to_ack), "{:.0f} / {:.0f}".format(*outcome.to_answer))
    console.print(wall)
    other = {s: n for s, n in intake.statuses.items() if s != 201}
    if other or intake.errors:
        console.print(f"[red]intake answers other than 201: {other} {intake.errors}[/red]")


def interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="declarations measured (after the warm-up)")
    parser.add_argument("--in-flight", type=int, default=16, help="lodging requests open at once")
    parser.add_argument("--items", type=int, default=10, help="goods items per declaration")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="idle measurement (0: none)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL without a database name; default SQLite")
    parser.add_argument("--python-client", action="store_true", help="load from the Python client, not wrk")
    parser.add_argument("--profile", metavar="DIR", help="profile a second batch with py-spy, raw files into DIR")
    parser.add_argument("--profile-count", type=int, default=100)
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=10, help="functions listed per profiled component")
    args = parser.parse_args()
    if args.count < 1 or args.in_flight < 1 or args.warmup < 1:
        parser.error("--count, --in-flight and --warmup must be at least 1")
    signal.signal(signal.SIGTERM, interrupted)  # unwinds through the finally blocks below
    console = Console(width=160)
    load_client(python=args.python_client)
    with tempfile.TemporaryDirectory(prefix="swx-network-") as folder:
        work = Path(folder)
        database = {"database_url": args.database_url.rstrip("/"),
                    "database_prefix": f"swx_bench_{uuid.uuid4().hex[:8]}"} if args.database_url else {}
        network = LocalNetwork.prepare(data_dir=work / "data", base_port=free_base_port(), **database)
        try:
            outcome = run_network(network, args, work, console)
        except Exception:
            for name in PROFILED:
                log = network.log_file(name)
                if log.exists():
                    console.print(f"--- {name} log (tail)\n{log.read_text(errors='replace')[-1500:]}")
            raise
        finally:
            network.stop()
            if args.database_url:
                drop_databases(network.components)
        console.print(f"[dim]echo floor: {HOPS * args.count} requests ...[/dim]")
        bodies = declarations(args.count, items=args.items, run="ECHO")
        requests = [r for r in lodgings(bodies, "unused") for _ in range(HOPS)]
        floor = measure_echo(requests, connections=args.in_flight, work=work, port=free_base_port(1),
                             python=args.python_client)
    report(outcome, floor.cpu_ms, args, console)
    console.print(f"echo: {floor.cpu_ms:.3f} CPU ms per request, {floor.load.rate:,.0f} requests/s, p50 "
                  f"{floor.load.p50_ms:.1f} ms, p99 {floor.load.p99_ms:.1f} ms ({floor.load.client})")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: the network is stopped and its temporary files and databases removed", file=sys.stderr)
        sys.exit(130)
