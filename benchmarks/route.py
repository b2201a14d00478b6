"""Routing throughput end to end: signed envelopes into the hub's ``POST /messages``, out to
the receivers' NSW ``/inbox``, until every receipt is stored at the hub.

The hub and three receiving NSW endpoints (VN, TH, JP) run as processes of their own
through ``services.cli.launcher`` (as ``swx up`` starts them). The load is
``customs.response/1.0`` envelopes over six sender -> receiver links (TH->VN, KH->VN,
JP->TH, VN->TH, TH->JP, LA->JP), built and signed before the clock starts, each with a
fresh message id; a customs response needs no business answer, so nothing flows back. The
NSW would hand it over to its customs service: no customs service is configured here, so
each endpoint records the handover as not configured and the run measures routing only.

Without ``--rate`` the load comes from ``wrk`` (``load.py``: a C client, which leaves the
servers the CPU) as fast as the hub accepts, ``--concurrency`` requests in flight (closed
loop): when intake outruns delivery a backlog builds and the latency shows it. Latency is
then the hub's own, ``received_at -> delivered_at``, beside wrk's POST round trip. With
``--rate``, or without wrk, a Python client (httpx, asyncio) submits, paced at that rate
(open loop) to read the latency at a given load, e.g. the 300 messages/s of the target;
latency then runs from just before each POST to the hub's ``delivered_at``, and the
client's CPU is taken from the servers. Throughput is delivered messages / (first submit
-> last ``delivered_at``).

CPU: each process's utime + stime from ``/proc`` (``proc_cpu.py``) from the end of the
warm-up to the last delivery, per delivered message: the hub, each NSW endpoint and their
sum. The same bodies go to a bare FastAPI echo served the same way (``echo.py``), with the
same client: its CPU per request, twice (POST /messages and POST /inbox per routed
message), is the floor the framework and the loopback give. The end of the run is read
from the hub's database, not asked of the hub, so that watching adds nothing to its CPU.

Run: ``python benchmarks/route.py [--messages 1000] [--concurrency 48] [--rate 0]
[--backends sqlite,postgresql] [--python-client] [--profile DIR]``. PostgreSQL runs on fresh
databases with unique names, created and dropped by the run, and is skipped with the reason
when unreachable. ``--profile DIR`` sends a second batch through the SQLite network with
py-spy on the hub and the VN endpoint, after the measured run, and prints their top
functions.
"""

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from echo import measure_echo
from ledger import Ledger, database_url, drop_databases, wait_for_count
from load import Request, load_client, run_load
from proc_cpu import CpuMeter, Usage, cpu_table
from pyspy import Profiles, profile_table
from rich.console import Console
from rich.table import Table

from services.cli.launcher import LocalNetwork, free_base_port
from services.kernel import canonical
from services.kernel.messages.exchange import Envelope
from services.kernel.network import create_development_network, load_signing_keys
from services.kernel.signing import sign
from services.kernel.validation import validate

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT / "fixtures" / "customs.response" / "valid"
DOCUMENT_TYPE = "customs.response/1.0"
LINKS = (("TH", "VN"), ("KH", "VN"), ("JP", "TH"), ("VN", "TH"), ("TH", "JP"), ("LA", "JP"))
RECEIVERS = sorted({receiver for _, receiver in LINKS})
STARTED = ("hub", *(f"nsw-{country.lower()}" for country in RECEIVERS))
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
TARGET_RATE, TARGET_P99 = 300.0, 500.0
HOPS = 2
"""HTTP requests per routed message: POST /messages, and POST /inbox."""
SETTLED = ("DELIVERED", "ACKNOWLEDGED", "FAILED", "REJECTED")
# no agency service: the NSW endpoints record each handover as not configured instead of retrying one
NO_AGENCIES = {"SWX_CUSTOMS_URL": "", "SWX_IMMIGRATION_URL": "", "SWX_PORT_URL": ""}


@dataclass(frozen=True)
class Message:
    message_id: str
    sender: str
    body: bytes


@dataclass
class Outcome:
    name: str
    messages: int = 0
    rate: float = 0.0
    submit_rate: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    failures: int = 0
    client: str = ""
    latency: str = ""
    post_p50: float = 0.0
    post_p99: float = 0.0
    usages: list[Usage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
def response_payloads() -> list[str]:
    """The valid ``customs.response/1.0`` fixtures as JSON text (the folder holds the 2.0 WCO
    responses too: an envelope saying 1.0 must carry a 1.0 payload)."""
    return [text for p in sorted(FIXTURES.glob("*.json"))
            if (found := validate((text := p.read_text(encoding="utf-8")).encode()).message_type) is not None
            and found.key == DOCUMENT_TYPE]


def envelopes(network_file: Path, count: int, *,
              links: tuple[tuple[str, str], ...] = LINKS) -> list[Message]:
    """``count`` signed envelopes over ``links`` in turn, payloads from the valid 1.0 fixtures."""
    keys = load_signing_keys(network_file)
    payloads = response_payloads()
    messages = []
    for n in range(count):
        sender, receiver = links[n % len(links)]
        payload = payloads[n % len(payloads)]
        envelope = Envelope(message_id=str(uuid.uuid4()), conversation_id=str(uuid.uuid4()), sender=sender,
                            receiver=receiver, document_type=DOCUMENT_TYPE, created_at=datetime.now(UTC),
                            payload_format="json", payload=payload, payload_digest=canonical.digest(payload))
        signed = sign(envelope, private_key=keys[sender], key_id=sender)
        messages.append(Message(envelope.message_id, sender, canonical.json_text(signed).encode("utf-8")))
    return messages


def requests_of(messages: list[Message], tokens: dict[str, str]) -> list[Request]:
    return [Request("POST", "/messages", {"Authorization": f"Bearer {tokens[m.sender]}",
                                          "Content-Type": "application/json"}, m.body) for m in messages]


async def submit(url: str, messages: list[Message], *, tokens: dict[str, str], concurrency: int,
                 rate: float) -> tuple[dict[str, float], list[float], list[str]]:
    """POST every message, ``concurrency`` in flight (paced at ``rate``/s when > 0); return the
    wall-clock submit time of each accepted one, the POST latencies and the failures."""
    submitted: dict[str, float] = {}
    latencies: list[float] = []
    failures: list[str] = []
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        async def one(n: int, message: Message) -> None:
            async with gate:
                if rate > 0:
                    await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
                headers = {"Authorization": f"Bearer {tokens[message.sender]}", "Content-Type": "application/json"}
                at, began = time.time(), time.perf_counter()
                try:
                    response = await client.post(url, content=message.body, headers=headers)
                except httpx.HTTPError as error:
                    failures.append(f"{type(error).__name__}")
                    return
                latencies.append(time.perf_counter() - began)
                if response.status_code == 202:
                    submitted[message.message_id] = at
                else:
                    failures.append(f"{response.status_code} {response.text[:200]}")

        start = time.perf_counter()
        await asyncio.gather(*(one(n, m) for n, m in enumerate(messages)))
    return submitted, latencies, failures


def settled(ledger: Ledger) -> int:
    """Messages the hub is done with: delivered, acknowledged, failed or rejected."""
    return ledger.count("SELECT count(*) FROM hub_message WHERE state IN ('DELIVERED', 'ACKNOWLEDGED', "
                        "'FAILED', 'REJECTED')")


def hub_times(hub: str, *, token: str) -> tuple[dict[str, tuple[float, float | None]], dict[str, int]]:
    """(received_at, delivered_at) by message id, and the count by state, over HTTP."""
    times: dict[str, tuple[float, float | None]] = {}
    states: dict[str, int] = {}
    with httpx.Client(base_url=hub, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        offset = 0
        while True:
            page = client.get("/messages", params={"limit": 1000, "offset": offset}).raise_for_status().json()
            for item in page["items"]:
                states[item["state"]] = states.get(item["state"], 0) + 1
                delivered = timestamp(item["delivered_at"]) if item["delivered_at"] else None
                times[item["message_id"]] = (timestamp(item["received_at"]), delivered)
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return times, states


def timestamp(text: str) -> float:
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def route(network: LocalNetwork, messages: list[Message], *, warmup: int, args: argparse.Namespace,
          work: Path, outcome: Outcome) -> None:
    network.start(*STARTED)
    hub = network.url("hub")
    tokens = {sender: network.token(sender) for sender, _ in LINKS}
    operator = network.token("OPERATOR")
    ledger = Ledger(database_url(network, "hub"))
    try:
        done, _, _ = asyncio.run(submit(f"{hub}/messages", messages[:warmup], tokens=tokens,
                                        concurrency=args.concurrency, rate=0))
        wait_for_count(lambda: settled(ledger), len(done), patience=30)
        measured = messages[warmup:]
        meter = CpuMeter({name: network.pid(name) or 0 for name in STARTED}, include_self=True)
        meter.start()
        if args.rate > 0 or load_client(python=args.python_client) == "python":
            outcome.client, outcome.latency = "python httpx", "POST sent -> delivered_at"
            submitted, posts, failures = asyncio.run(submit(f"{hub}/messages", measured, tokens=tokens,
                                                            concurrency=args.concurrency, rate=args.rate))
            outcome.post_p50, outcome.post_p99 = percentiles(posts, scale=1000)
            accepted = len(submitted)
        else:
            outcome.client, outcome.latency = "wrk", "hub received_at -> delivered_at"
            result = run_load(hub, requests_of(measured, tokens), connections=args.concurrency, work=work)
            outcome.post_p50, outcome.post_p99 = result.p50_ms, result.p99_ms
            accepted, submitted = result.count(202), {}
            failures = [f"{n} x {status}" for status, n in result.statuses.items() if status != 202]
            if result.errors:
                failures.append(result.errors)
        wait_for_count(lambda: settled(ledger), len(done) + accepted, patience=30)
        outcome.usages = meter.stop()
    finally:
        ledger.close()
    times, states = hub_times(hub, token=operator)
    ours = [m.message_id for m in measured if m.message_id in times]
    starts = {m: submitted.get(m, times[m][0]) for m in ours}
    delivered = {m: d for m in ours if (d := times[m][1]) is not None}
    latencies = [delivered[m] - starts[m] for m in delivered]
    outcome.messages = len(latencies)
    outcome.failures = len(measured) - len(latencies)
    if latencies:
        first = min(starts.values())
        outcome.rate = len(latencies) / (max(delivered.values()) - first)
        outcome.submit_rate = len(ours) / (max(starts.values()) - first)
        outcome.p50, outcome.p99 = percentiles(latencies, scale=1000)
    if failures:
        outcome.notes.append(f"{len(failures)} kind(s) of POST not accepted, e.g. {failures[0]}")
    pending = {s: n for s, n in states.items() if s not in ("DELIVERED", "ACKNOWLEDGED")}
    if pending:
        outcome.notes.append(f"hub states not delivered: {pending}")
    if args.profile:
        profile(network, envelopes(network.network_file, args.profile_messages), tokens=tokens, args=args,
                work=work)


def profile(network: LocalNetwork, messages: list[Message], *, tokens: dict[str, str], args: argparse.Namespace,
            work: Path) -> None:
    """A second batch under py-spy: the hub and the VN endpoint's top functions."""
    folder = Path(args.profile)
    pids = {"hub": network.pid("hub") or 0, "nsw-vn": network.pid("nsw-vn") or 0}
    ledger = Ledger(database_url(network, "hub"))
    before = settled(ledger)
    with Profiles(pids, folder, rate=args.profile_rate):
        time.sleep(1)  # py-spy attaches
        result = run_load(network.url("hub"), requests_of(messages, tokens), connections=args.concurrency,
                          work=work, python=args.python_client)
        wait_for_count(lambda: settled(ledger), before + result.count(202), patience=30)
    ledger.close()
    console = Console(width=200)
    for name in pids:
        if (folder / f"{name}.raw").exists():
            console.print(profile_table(name, folder / f"{name}.raw", top=args.top, rate=args.profile_rate))


def percentiles(values: list[float], *, scale: float = 1.0) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    if len(values) < 2:
        return values[0] * scale, values[0] * scale
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * scale, cuts[98] * scale


def echo(messages: list[Message], *, work: Path, args: argparse.Namespace) -> tuple[Outcome, float]:
    """The bare echo with the same bodies and client, answering 202: its outcome and CPU ms per request."""
    requests = requests_of(messages, {m.sender: "unused" for m in messages})
    floor = measure_echo([Request(r.method, r.path, {**r.headers, "X-Echo-Status": "202"}, r.body)
                          for r in requests], connections=args.concurrency, work=work, port=free_base_port(1),
                         python=args.python_client or args.rate > 0)
    load = floor.load
    outcome = Outcome("bare FastAPI echo (202, no routing)", messages=load.count(202),
                      failures=load.requests - load.count(202), rate=load.rate, submit_rate=load.rate,
                      p50=load.p50_ms, p99=load.p99_ms, client=load.client, latency="POST round trip",
                      post_p50=load.p50_ms, post_p99=load.p99_ms, usages=[floor.usage])
    return outcome, floor.cpu_ms


def postgres_unreachable(server: str) -> str | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(f"{server}/postgres", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except SQLAlchemyError as error:
        return f"PostgreSQL is not reachable at {server}: {str(error).splitlines()[0][:160]}"
    finally:
        engine.dispose()


def run_backend(backend: str, *, count: int, warmup: int, args: argparse.Namespace, console: Console) -> Outcome:
    outcome = Outcome(backend)
    server = args.postgres_url.rstrip("/")
    if backend == "postgresql" and (reason := postgres_unreachable(server)) is not None:
        outcome.skipped = reason
        return outcome
    with tempfile.TemporaryDirectory(prefix=f"swx-route-{backend}-") as folder:
        # on PostgreSQL, fresh databases named for this run, dropped at its end
        database = {"database_url": server, "database_prefix": f"swx_bench_{uuid.uuid4().hex[:8]}"} \
            if backend == "postgresql" else {}
        network = LocalNetwork.prepare(data_dir=Path(folder) / "data", base_port=free_base_port(),
                                       extra_env=NO_AGENCIES, **database)
        try:
            messages = envelopes(network.network_file, warmup + count)
            route(network, messages, warmup=warmup, args=args if backend == "sqlite" else
                  argparse.Namespace(**{**vars(args), "profile": None}), work=Path(folder), outcome=outcome)
        except Exception as error:
            outcome.skipped = f"failed: {error!r}"
            for name in STARTED:
                if network.log_file(name).exists():
                    console.print(f"--- {name} log (tail)\n{network.log_file(name).read_text()[-1500:]}")
        finally:
            network.stop()
            if backend == "postgresql":
                drop_databases(network.components)
    return outcome


def report(outcomes: list[Outcome], *, echo_ms: float, args: argparse.Namespace, console: Console) -> None:
    pace = f"paced at {args.rate:g}/s" if args.rate > 0 else "as fast as accepted"
    table = Table(title=f"Routing end to end: POST /messages -> NSW /inbox -> receipt stored at the hub; "
                        f"{args.concurrency} in flight, {pace}; one process per component; "
                        f"{os.cpu_count()} CPU cores shared by every process and the load client",
                  header_style="bold")
    for column in ("backend", "client", "messages", "msgs/s", "submit/s", "p50 ms", "p99 ms", "latency from",
                   "POST p50/p99 ms", "failures"):
        table.add_column(column, justify="left" if column in ("backend", "client", "latency from") else "right")
    for o in outcomes:
        if o.skipped:
            table.add_row(o.name, *["-"] * 9)
            continue
        table.add_row(o.name, o.client, str(o.messages), f"{o.rate:,.0f}", f"{o.submit_rate:,.0f}", f"{o.p50:.0f}",
                      f"{o.p99:.0f}", o.latency, f"{o.post_p50:.0f} / {o.post_p99:.0f}", str(o.failures))
    console.print(table)
    console.print("msgs/s: delivered / (first submit -> last delivered_at); submit/s: POSTs answered 202 per "
                  "second. customs.response "
                  f"over {', '.join(f'{s}->{r}' for s, r in LINKS)}; no customs service runs, so the NSW "
                  "endpoints record each handover as not configured.")
    for o in outcomes:
        if o.usages and not o.name.startswith("bare"):
            console.print(cpu_table(o.usages, units=o.messages, unit="routed message", floor_ms=echo_ms * HOPS,
                                    floor_label=f"echo floor: {HOPS} bare echo requests",
                                    title=f"{o.name}: CPU per routed message, from /proc (warm-up excluded)"))
    console.print(f"echo: {echo_ms:.3f} CPU ms per request")
    for o in outcomes:
        if o.skipped:
            console.print(f"{o.name}: skipped, {o.skipped}")
        for note in o.notes:
            console.print(f"{o.name}: {note}")
    sqlite = next((o for o in outcomes if o.name == "sqlite" and not o.skipped), None)
    if sqlite is not None:
        met = sqlite.rate >= TARGET_RATE and sqlite.p99 < TARGET_P99 and sqlite.failures == 0
        console.print(f"target (SQLite >= {TARGET_RATE:.0f} msgs/s end to end, p99 < {TARGET_P99:.0f} ms): "
                      f"{'met' if met else 'NOT met'} ({sqlite.rate:,.0f} msgs/s, p99 {sqlite.p99:.0f} ms)")


def interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000, help="messages per backend, after the warm-up")
    parser.add_argument("--concurrency", type=int, default=48, help="POSTs in flight")
    parser.add_argument("--rate", type=float, default=0, help="submits per second (0: as fast as accepted)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="server URL, without a database name")
    parser.add_argument("--python-client", action="store_true", help="load from the Python client, not wrk")
    parser.add_argument("--profile", metavar="DIR", help="profile a second SQLite batch with py-spy, raw files in DIR")
    parser.add_argument("--profile-messages", type=int, default=1000)
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=10, help="functions listed per profiled component")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(backends) - {"sqlite", "postgresql"}:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    # SIGTERM unwinds like Ctrl-C, through the finally blocks that stop processes and drop databases
    signal.signal(signal.SIGTERM, interrupted)
    console = Console(width=160)
    warmup = min(100, max(10, args.messages // 10))
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="swx-route-echo-") as folder:
        work = Path(folder)
        (work / "network").mkdir()
        create_development_network(work / "network" / "network.json")
        echo_outcome, echo_ms = echo(envelopes(work / "network" / "network.json", args.messages), work=work,
                                     args=args)
        outcomes.append(echo_outcome)
    for backend in backends:
        console.print(f"[dim]{backend}: {args.messages} messages (+{warmup} warm-up) ...[/dim]")
        outcomes.append(run_backend(backend, count=args.messages, warmup=warmup, args=args, console=console))
    report(outcomes, echo_ms=echo_ms, args=args, console=console)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: the servers are stopped and the temporary files and databases removed", file=sys.stderr)
        sys.exit(130)
