"""Scale-out on PostgreSQL: the hub's delivery with 1 and 2 ``swx hub-worker`` processes, and
its intake with 1 and 2 server processes, on the one database.

Four configurations, each on fresh databases (unique names, created and dropped by the run),
with the hub and three receiving NSW endpoints (VN, TH, JP) started through
``services.cli.launcher`` as ``swx up`` starts them:

a. the hub with its in-process delivery worker (the baseline, as ``route.py``);
b. the hub with ``SWX_HUB_RUN_WORKER=false`` and one ``swx hub-worker`` process;
c. the same with two ``swx hub-worker`` processes;
d. two hub server processes (two ports, the same database) and two ``swx hub-worker``.

Each configuration routes a warm-up batch end to end, then the operator suspends deliveries
to the three receivers (``POST /participants/{c}/suspend``) and runs two phases:

1. **intake**: ``--messages`` signed ``customs.response/1.0`` envelopes (built and signed
   before the clock starts, as in ``route.py``) posted to ``POST /messages`` by ``wrk``
   (``load.py``), ``--concurrency`` in flight; with two intake processes, two wrk runs at
   once, half the messages and half the connections each. Figures: messages accepted (202)
   per second and wrk's POST latency. Nothing is delivered meanwhile, so intake has the
   CPU to itself; in (a), though, the hub's own worker, woken by each message, runs a claim
   round that finds the receiver suspended, and its cost is in the hub's intake figure;
2. **drain**: the receivers are resumed and the batch, queued, is delivered; the run ends
   when the hub's database says every message is settled (``ledger.py``: watching costs the
   servers nothing). Figures: delivered messages per second from the first to the last
   ``delivered_at``, and the time from the resume to the last delivery (a ``swx
   hub-worker`` notices a resume at its next poll, ``SWX_HUB_POLL_INTERVAL``, 0.5 s).

CPU: each process's utime + stime from ``/proc`` (``proc_cpu.py``) over each phase, per
message: every hub intake, every hub-worker, each NSW endpoint and their sum, beside the
floor a bare FastAPI echo gives in the same run (``echo.py``: one echo request per message
in each phase, POST /messages at intake, POST /inbox in the drain).

What a 2-core machine can show, and what not: the hub, the workers, three NSW endpoints,
PostgreSQL and wrk share two cores, so a second worker or a second intake process competes
for the same CPU as the first instead of adding a core. Throughput can rise only while the
cores are not yet full (while a single process is bound by waiting: the database, the
receivers), and flattens or falls once they are. The figure that carries over to a bigger
machine is the CPU per message of each process and summed: when it stays flat from 1 to 2
processes, the work divides without overhead (no lock contention, no double claims, no
extra polling worth counting) and throughput grows with cores; when it rises, that is the
price of scaling out. The core share column says how close each run came to the cores.
PostgreSQL's own CPU is not in the tables (its backends are not the servers' processes);
wrk's is in this process's line (its child), not in the servers' sum. At the default 600 messages a phase lasts a
few seconds: ``/proc`` counts in 10 ms ticks, a few hundredths of a ms per message.

Run: ``python benchmarks/scale.py [--messages 600] [--warmup 60] [--concurrency 48]
[--configs a,b,c,d] [--postgres-url URL]``. Without PostgreSQL the run says so and stops.
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
from backlog import instant
from ledger import Ledger, database_url, drop_databases, wait_for_count
from load import LoadResult, run_load
from proc_cpu import CpuMeter, Usage, cpu_table, server_usages, total_cpu_ms
from rich.console import Console
from rich.table import Table
from route import (
    LINKS,
    NO_AGENCIES,
    POSTGRES_URL,
    RECEIVERS,
    Message,
    echo,
    envelopes,
    interrupted,
    percentiles,
    postgres_unreachable,
    requests_of,
    settled,
    submit,
)

from services.cli.launcher import LocalNetwork, free_base_port, nsw_name
from services.kernel.network import create_development_network

NSWS = tuple(nsw_name(country) for country in RECEIVERS)


@dataclass(frozen=True)
class Config:
    key: str
    intakes: int
    workers: int
    """``swx hub-worker`` processes; 0: the hub delivers from its own process."""

    @property
    def label(self) -> str:
        delivery = "in-process worker" if not self.workers else f"{self.workers} hub-worker"
        return f"{self.key}. {self.intakes} intake, {delivery}"


CONFIGS = {c.key: c for c in (Config("a", 1, 0), Config("b", 1, 1), Config("c", 1, 2), Config("d", 2, 2))}


@dataclass
class Phase:
    messages: int = 0
    rate: float = 0.0
    seconds: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    usages: list[Usage] = field(default_factory=list)


@dataclass
class Result:
    config: Config
    intake: Phase = field(default_factory=Phase)
    drain: Phase = field(default_factory=Phase)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None


class HubWorkers:
    """``swx hub-worker`` processes with the hub's environment, while the ``with`` block runs."""

    def __init__(self, network: LocalNetwork, count: int) -> None:
        self.network, self.count = network, count
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> "HubWorkers":
        env = {**os.environ, **self.network.component("hub").env}
        for n in range(1, self.count + 1):
            name = f"hub-worker-{n}"
            log = self.network.log_file(name)
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "ab") as output:
                self.processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "services.cli.main", "hub-worker"], env=env, stdout=output,
                    stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def pids(self) -> dict[str, int]:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {self.network.log_file(name)}")
        return {name: process.pid for name, process in self.processes.items()}


def second_intake(network: LocalNetwork, folder: Path) -> LocalNetwork:
    """The hub's app once more, on a port of its own, same environment and database: a second
    intake process (its logs and pid under ``folder``)."""
    hub = network.component("hub")
    return LocalNetwork(components=[replace(hub, port=free_base_port(1))], data_dir=folder)


def operator_post(hub: str, path: str, *, token: str) -> None:
    httpx.post(f"{hub}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30).raise_for_status()


def intake(hubs: list[str], messages: list[Message], *, tokens: dict[str, str], concurrency: int,
           work: Path) -> list[LoadResult]:
    """The messages posted by one wrk run per intake process, at once, each its share."""
    shares = [messages[n::len(hubs)] for n in range(len(hubs))]
    with ThreadPoolExecutor(len(hubs)) as pool:
        runs = [pool.submit(run_load, hub, requests_of(share, tokens), connections=max(1, concurrency // len(hubs)),
                            work=work / f"intake-{n}") for n, (hub, share) in enumerate(zip(hubs, shares, strict=True))]
        return [run.result() for run in runs]


def delivered_times(ledger: Ledger, messages: list[Message]) -> list[float]:
    """``delivered_at`` of those of ``messages`` delivered, as epoch seconds, in order."""
    rows = ledger.rows("SELECT delivered_at FROM hub_message WHERE delivered_at IS NOT NULL "
                       "AND message_id = ANY(:ids)", ids=[m.message_id for m in messages])
    return sorted(instant(at).timestamp() for (at,) in rows)


def measure(config: Config, network: LocalNetwork, workers: HubWorkers, extra: LocalNetwork | None,
            args: argparse.Namespace, work: Path, result: Result) -> None:
    hubs = [network.url("hub")] + ([extra.url("hub")] if extra else [])
    tokens = {sender: network.token(sender) for sender, _ in LINKS}
    operator = network.token("OPERATOR")
    messages = envelopes(network.network_file, args.warmup + args.messages)
    warmup, measured = messages[:args.warmup], messages[args.warmup:]
    ledger = Ledger(database_url(network, "hub"))
    try:
        # warm-up end to end, through every intake process and worker
        for n, hub in enumerate(hubs):
            asyncio.run(submit(f"{hub}/messages", warmup[n::len(hubs)], tokens=tokens, concurrency=8, rate=0))
        warmed = wait_for_count(lambda: settled(ledger), len(warmup), patience=30)
        if warmed < len(warmup):
            result.notes.append(f"warm-up: {warmed} of {len(warmup)} settled")
        for country in RECEIVERS:
            operator_post(hubs[0], f"/participants/{country}/suspend", token=operator)
        pids = {f"hub intake {n + 1}": pid for n, pid in enumerate(
            [network.pid("hub") or 0] + ([extra.pid("hub") or 0] if extra else []))}
        pids |= workers.pids() | {name: network.pid(name) or 0 for name in NSWS}

        meter = CpuMeter(pids, include_self=True)
        meter.start()
        loads = intake(hubs, measured, tokens=tokens, concurrency=args.concurrency, work=work)
        result.intake.usages = meter.stop()
        accepted = sum(load.count(202) for load in loads)
        result.intake.messages = accepted
        result.intake.seconds = max(load.seconds for load in loads)
        result.intake.rate = accepted / result.intake.seconds if result.intake.seconds else 0.0
        result.intake.p50 = max(load.p50_ms for load in loads)
        result.intake.p99 = max(load.p99_ms for load in loads)
        for load in loads:
            refused = {status: n for status, n in load.statuses.items() if status != 202}
            if refused or load.errors:
                result.notes.append(f"intake not accepted: {refused} {load.errors}".strip())

        meter = CpuMeter(pids, include_self=True)
        meter.start()
        resumed = time.time()
        for country in RECEIVERS:
            operator_post(hubs[0], f"/participants/{country}/resume", token=operator)
        done = wait_for_count(lambda: settled(ledger), len(warmup) + accepted, patience=30, interval=0.1)
        result.drain.usages = meter.stop()
        times = delivered_times(ledger, measured)
        result.drain.messages = len(times)
        if done < len(warmup) + accepted:
            result.notes.append(f"drain: {done - len(warmup)} of {accepted} settled")
        if len(times) >= 2:
            result.drain.seconds = times[-1] - resumed
            result.drain.rate = (len(times) - 1) / (times[-1] - times[0])
            result.drain.p50, result.drain.p99 = percentiles([t - resumed for t in times], scale=1000)
    finally:
        ledger.close()


def run_config(config: Config, args: argparse.Namespace, console: Console) -> Result:
    result = Result(config)
    with tempfile.TemporaryDirectory(prefix=f"swx-scale-{config.key}-") as folder:
        work = Path(folder)
        network = LocalNetwork.prepare(data_dir=work / "data", base_port=free_base_port(), extra_env=NO_AGENCIES,
                                       database_url=args.postgres_url.rstrip("/"),
                                       database_prefix=f"swx_bench_{uuid.uuid4().hex[:8]}")
        extra = second_intake(network, work / "hub-2") if config.intakes == 2 else None
        hub_env: Mapping[str, str] = {"SWX_HUB_RUN_WORKER": "false"} if config.workers else {}
        try:
            network.start(*NSWS)
            network.start("hub", env=hub_env)
            if extra is not None:
                extra.start("hub", env=hub_env)
            with HubWorkers(network, config.workers) as workers:
                measure(config, network, workers, extra, args, work, result)
        except Exception as error:
            result.skipped = f"failed: {error!r}"
            for log in sorted((work / "data" / "logs").glob("*.log")):
                console.print(f"--- {log.stem} log (tail)\n{log.read_text()[-1500:]}")
        finally:
            if extra is not None:
                extra.stop()
            network.stop()
            drop_databases(network.components)
    return result


def per_message(usages: list[Usage], units: int, *prefixes: str) -> float:
    chosen = [u for u in server_usages(usages) if u.name.startswith(prefixes)]
    return sum(u.cpu_ms + u.child_ms for u in chosen) / max(units, 1)


def report(results: list[Result], *, echo_ms: float, echo_rate: float, args: argparse.Namespace,
           console: Console) -> None:
    cores = os.cpu_count()
    intake = Table(title=f"Intake: POST /messages accepted (202), {args.concurrency} in flight in all, receivers "
                         f"suspended; PostgreSQL; {cores} CPU cores shared by every process", header_style="bold")
    for column in ("configuration", "accepted", "accepted/s", "POST p50 / p99 ms", "CPU ms/msg each intake",
                   "CPU ms/msg intakes", "CPU ms/msg servers", "x echo"):
        intake.add_column(column, justify="left" if column == "configuration" else "right")
    drain = Table(title=f"Drain: the queued batch delivered to NSW /inbox once the receivers are resumed; "
                        f"PostgreSQL; {cores} CPU cores shared by every process", header_style="bold")
    for column in ("configuration", "delivered", "msgs/s", "p50 / p99 ms from resume", "resume -> last s",
                   "CPU ms/msg each deliverer",
                   "CPU ms/msg deliverers", "CPU ms/msg NSW", "CPU ms/msg servers", "x echo"):
        drain.add_column(column, justify="left" if column == "configuration" else "right")
    for r in results:
        if r.skipped:
            intake.add_row(r.config.label, *["-"] * 7)
            drain.add_row(r.config.label, *["-"] * 9)
            continue
        i, d = r.intake, r.drain
        intakes = [u for u in i.usages if u.name.startswith("hub intake")]
        deliverers = [u for u in d.usages if u.name.startswith("hub-worker" if r.config.workers else "hub intake")]
        intake.add_row(r.config.label, str(i.messages), f"{i.rate:,.0f}", f"{i.p50:.0f} / {i.p99:.0f}",
                       " + ".join(f"{(u.cpu_ms + u.child_ms) / max(i.messages, 1):.2f}" for u in intakes),
                       f"{per_message(i.usages, i.messages, 'hub intake'):.2f}",
                       f"{total_cpu_ms(i.usages) / max(i.messages, 1):.2f}",
                       f"{total_cpu_ms(i.usages) / max(i.messages, 1) / echo_ms:.1f}x" if echo_ms else "-")
        delivering = per_message(d.usages, d.messages, "hub")
        drain.add_row(r.config.label, str(d.messages), f"{d.rate:,.0f}", f"{d.p50:.0f} / {d.p99:.0f}",
                      f"{d.seconds:.2f}",
                      " + ".join(f"{(u.cpu_ms + u.child_ms) / max(d.messages, 1):.2f}" for u in deliverers),
                      f"{delivering:.2f}", f"{per_message(d.usages, d.messages, 'nsw-'):.2f}",
                      f"{total_cpu_ms(d.usages) / max(d.messages, 1):.2f}",
                      f"{total_cpu_ms(d.usages) / max(d.messages, 1) / echo_ms:.1f}x" if echo_ms else "-")
    console.print(intake)
    console.print(drain)
    console.print(f"echo floor: {echo_ms:.3f} CPU ms per request ({echo_rate:,.0f} requests/s, same bodies, same "
                  "client); x echo: the servers' CPU per message over it (one request per message in each phase). "
                  "CPU ms/msg deliverers: the hub-workers, or the hub when it delivers itself, plus any idle hub "
                  "intake. msgs/s: (delivered - 1) / (first -> last delivered_at). Intake in a. includes the hub's own "
                  "worker, woken by each message to find its receiver suspended.")
    for r in results:
        if r.skipped:
            continue
        console.print(cpu_table(r.intake.usages, units=r.intake.messages, unit="accepted message", floor_ms=echo_ms,
                                floor_label="echo floor: 1 bare echo request",
                                title=f"{r.config.label}: intake, CPU per accepted message, from /proc"))
        console.print(cpu_table(r.drain.usages, units=r.drain.messages, unit="delivered message", floor_ms=echo_ms,
                                floor_label="echo floor: 1 bare echo request",
                                title=f"{r.config.label}: drain, CPU per delivered message, from /proc"))
    for r in results:
        if r.skipped:
            console.print(f"{r.config.label}: skipped, {r.skipped}")
        for note in r.notes:
            console.print(f"{r.config.label}: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=600, help="messages per configuration, after the warm-up")
    parser.add_argument("--warmup", type=int, default=60, help="messages routed end to end before measuring")
    parser.add_argument("--concurrency", type=int, default=48, help="POSTs in flight, over all intake processes")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated, of: a,b,c,d")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="server URL, without a database name")
    args = parser.parse_args()
    chosen = [k.strip() for k in args.configs.split(",") if k.strip()]
    if unknown := set(chosen) - set(CONFIGS):
        parser.error(f"unknown configuration(s): {', '.join(sorted(unknown))}")
    console = Console(width=200)
    if (reason := postgres_unreachable(args.postgres_url.rstrip("/"))) is not None:
        console.print(f"skipped: {reason}")
        return
    # SIGTERM unwinds like Ctrl-C, through the finally blocks that stop processes and drop databases
    signal.signal(signal.SIGTERM, interrupted)
    with tempfile.TemporaryDirectory(prefix="swx-scale-echo-") as folder:
        work = Path(folder)
        create_development_network(work / "network.json")
        floor, echo_ms = echo(envelopes(work / "network.json", args.messages), work=work,
                              args=argparse.Namespace(concurrency=args.concurrency, python_client=False, rate=0))
    results = []
    for key in chosen:
        config = CONFIGS[key]
        console.print(f"[dim]{config.label}: {args.messages} messages (+{args.warmup} warm-up) ...[/dim]")
        results.append(run_config(config, args, console))
    report(results, echo_ms=echo_ms, echo_rate=floor.rate, args=args, console=console)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: the servers are stopped and the temporary files and databases removed", file=sys.stderr)
        sys.exit(130)
