"""Routing throughput end to end: signed envelopes into the hub's ``POST /messages``, out to
the receivers' NSW ``/inbox``, until every receipt is stored at the hub.

The hub and three receiving NSW endpoints (VN, TH, JP) run as uvicorn processes, one worker
each, through ``services.cli.launcher`` (as ``swx up`` starts them). The load is
``customs.response/1.0`` envelopes over six sender -> receiver links (TH->VN, KH->VN,
JP->TH, VN->TH, TH->JP, LA->JP), built and signed before the clock starts, each with a
fresh message id; a customs response needs no business answer, so nothing flows back. The
NSW would hand it over to its customs service: no customs service is configured here, so
each endpoint records the handover as not configured and the run measures routing only.

Per message, submit-to-delivered latency runs from just before its POST (wall clock) to
the hub's ``delivered_at`` (the hub stored the receiver's signed receipt); both clocks are
this machine's. Throughput is delivered messages / (first submit -> last delivered_at).
The same bodies also go to a bare FastAPI app under uvicorn that answers ``POST /messages``
with 202: the floor the framework, the loopback and this load generator give.

The load generator is a Python client (httpx, asyncio) on the same machine, keeping
``--concurrency`` requests in flight; its CPU is taken from the servers. Without ``--rate``
it submits as fast as the hub accepts (closed loop): when intake outruns delivery a
backlog builds and the latency shows it. ``--rate`` paces the submits (open loop) to read
the latency at a given load, e.g. the 300 messages/s of the target.

Run: ``python benchmarks/route.py [--messages 1000] [--concurrency 48] [--rate 0]
[--backends sqlite,postgresql]``. PostgreSQL runs on fresh databases with unique names,
created and dropped by the run, and is skipped with the reason when unreachable.
"""

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from services.cli.launcher import Component, LocalNetwork, free_base_port
from services.kernel import canonical
from services.kernel.messages.exchange import Envelope
from services.kernel.network import create_development_network, load_signing_keys
from services.kernel.signing import sign

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT / "fixtures" / "customs.response" / "valid"
DOCUMENT_TYPE = "customs.response/1.0"
LINKS = (("TH", "VN"), ("KH", "VN"), ("JP", "TH"), ("VN", "TH"), ("TH", "JP"), ("LA", "JP"))
RECEIVERS = sorted({receiver for _, receiver in LINKS})
STARTED = ("hub", *(f"nsw-{country.lower()}" for country in RECEIVERS))
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
TARGET_RATE, TARGET_P99 = 300.0, 500.0
# no agency service: the NSW endpoints record each handover as not configured instead of retrying one
NO_AGENCIES = {"SWX_CUSTOMS_URL": "", "SWX_IMMIGRATION_URL": "", "SWX_PORT_URL": ""}

ECHO_APP = """
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
app = FastAPI()

@app.post("/messages")
async def echo(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"status": "accepted"}, status_code=202)

@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
"""


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
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None


def envelopes(network_file: Path, count: int) -> list[Message]:
    """``count`` signed envelopes over ``LINKS`` in turn, payloads from the valid fixtures."""
    keys = load_signing_keys(network_file)
    payloads = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.json"))]
    messages = []
    for n in range(count):
        sender, receiver = LINKS[n % len(LINKS)]
        payload = payloads[n % len(payloads)]
        envelope = Envelope(message_id=str(uuid.uuid4()), conversation_id=str(uuid.uuid4()), sender=sender,
                            receiver=receiver, document_type=DOCUMENT_TYPE, created_at=datetime.now(UTC),
                            payload_format="json", payload=payload, payload_digest=canonical.digest(payload))
        signed = sign(envelope, private_key=keys[sender], key_id=sender)
        messages.append(Message(envelope.message_id, sender, canonical.json_text(signed).encode("utf-8")))
    return messages


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


def delivered_times(hub: str, *, token: str, expected: int, patience: float) -> tuple[dict[str, float], dict[str, int]]:
    """Wait until ``expected`` messages are settled at the hub (delivered, failed or rejected),
    or no progress for ``patience`` s; return delivered_at by message id and the count by state."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=hub, headers=headers, timeout=30) as client:
        def count(state: str) -> int:
            response = client.get("/messages", params={"state": state, "limit": 1})
            response.raise_for_status()
            return int(response.json()["total"])

        settled, last_change = -1, time.monotonic()
        while time.monotonic() - last_change < patience:
            now = sum(count(s) for s in ("DELIVERED", "ACKNOWLEDGED", "FAILED", "REJECTED"))
            if now >= expected:
                break
            if now != settled:
                settled, last_change = now, time.monotonic()
            time.sleep(0.5)
        times: dict[str, float] = {}
        states: dict[str, int] = {}
        offset = 0
        while True:
            page = client.get("/messages", params={"limit": 1000, "offset": offset}).json()
            for item in page["items"]:
                states[item["state"]] = states.get(item["state"], 0) + 1
                if item["delivered_at"]:
                    moment = datetime.fromisoformat(item["delivered_at"])
                    times[item["message_id"]] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return times, states


def route(network: LocalNetwork, messages: list[Message], *, warmup: int, concurrency: int, rate: float,
          outcome: Outcome) -> None:
    network.start(*STARTED)
    hub = network.url("hub")
    tokens = {sender: network.token(sender) for sender, _ in LINKS}
    operator = network.token("OPERATOR")
    done, _, _ = asyncio.run(submit(f"{hub}/messages", messages[:warmup], tokens=tokens,
                                    concurrency=concurrency, rate=0))
    delivered_times(hub, token=operator, expected=len(done), patience=30)
    submitted, _, failures = asyncio.run(submit(f"{hub}/messages", messages[warmup:], tokens=tokens,
                                                concurrency=concurrency, rate=rate))
    last_submit = max(submitted.values(), default=time.time())
    delivered, states = delivered_times(hub, token=operator, expected=len(done) + len(submitted), patience=30)
    latencies = [delivered[m] - at for m, at in submitted.items() if m in delivered]
    outcome.messages = len(latencies)
    outcome.failures = len(messages) - warmup - len(latencies)
    if latencies:
        first = min(submitted.values())
        outcome.rate = len(latencies) / (max(delivered[m] for m in submitted if m in delivered) - first)
        outcome.submit_rate = len(submitted) / (last_submit - first)
        outcome.p50, outcome.p99 = percentiles(latencies)
    if failures:
        outcome.notes.append(f"{len(failures)} POST(s) not accepted, e.g. {failures[0]}")
    pending = {s: n for s, n in states.items() if s not in ("DELIVERED", "ACKNOWLEDGED")}
    if pending:
        outcome.notes.append(f"hub states not delivered: {pending}")


def percentiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0] * 1000, values[0] * 1000
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def echo(messages: list[Message], *, work: Path, concurrency: int, rate: float) -> Outcome:
    (work / "echo_app.py").write_text(ECHO_APP)
    port = free_base_port(1)
    command = [sys.executable, "-m", "uvicorn", "--workers", "1", "--log-level", "warning", "--no-access-log",
               "--port", str(port), "echo_app:app"]
    process = subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    outcome = Outcome("bare FastAPI echo (202, no routing)")
    try:
        deadline = time.monotonic() + 60
        while not healthy(f"http://127.0.0.1:{port}"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the echo app did not start")
            time.sleep(0.1)
        url, tokens = f"http://127.0.0.1:{port}/messages", {m.sender: "unused" for m in messages}
        asyncio.run(submit(url, messages[:100], tokens=tokens, concurrency=concurrency, rate=0))  # warm-up
        began = time.perf_counter()
        submitted, latencies, failures = asyncio.run(submit(url, messages, tokens=tokens, concurrency=concurrency,
                                                            rate=rate))
        elapsed = time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=30)
    outcome.messages, outcome.failures = len(submitted), len(failures)
    outcome.rate = outcome.submit_rate = len(submitted) / elapsed
    outcome.p50, outcome.p99 = percentiles(latencies)
    return outcome


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


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


def drop_databases(components: list[Component]) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    urls = [make_url(v) for c in components for k, v in c.env.items() if k.endswith("_DATABASE_URL")]
    if not urls:
        return
    admin = create_engine(urls[0].set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for url in urls:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def run_backend(backend: str, *, count: int, warmup: int, concurrency: int, rate: float, server: str,
                console: Console) -> Outcome:
    outcome = Outcome(backend)
    if backend == "postgresql" and (reason := postgres_unreachable(server)) is not None:
        outcome.skipped = reason
        return outcome
    with tempfile.TemporaryDirectory(prefix=f"swx-route-{backend}-") as folder:
        # on PostgreSQL, fresh databases named for this run, dropped at its end
        database = {"database_url": server, "database_prefix": f"swx_bench_{uuid.uuid4().hex[:8]}"} \
            if backend == "postgresql" else {}
        network = LocalNetwork.prepare(data_dir=Path(folder), base_port=free_base_port(), extra_env=NO_AGENCIES,
                                       **database)
        try:
            messages = envelopes(network.network_file, warmup + count)
            route(network, messages, warmup=warmup, concurrency=concurrency, rate=rate, outcome=outcome)
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


def report(outcomes: list[Outcome], *, args: argparse.Namespace, console: Console) -> None:
    pace = f"paced at {args.rate:g}/s" if args.rate > 0 else "as fast as accepted"
    table = Table(title=f"Routing end to end: POST /messages -> NSW /inbox -> receipt stored at the hub; "
                        f"{args.concurrency} in flight, {pace}; uvicorn 1 worker per process; "
                        f"{os.cpu_count()} CPU cores shared by every process and the Python load client",
                  header_style="bold")
    for column in ("backend", "messages", "msgs/s", "submit/s", "p50 ms", "p99 ms", "failures"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for o in outcomes:
        if o.skipped:
            table.add_row(o.name, "-", "-", "-", "-", "-", "-")
            continue
        table.add_row(o.name, str(o.messages), f"{o.rate:,.0f}", f"{o.submit_rate:,.0f}", f"{o.p50:.0f}",
                      f"{o.p99:.0f}", str(o.failures))
    console.print(table)
    console.print("msgs/s: delivered / (first submit -> last delivered_at); submit/s: POSTs answered 202 per "
                  "second; p50/p99: submit -> delivered_at (echo: the POST round trip). customs.response "
                  f"over {', '.join(f'{s}->{r}' for s, r in LINKS)}; no customs service runs, so the NSW "
                  "endpoints record each handover as not configured.")
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
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(backends) - {"sqlite", "postgresql"}:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    # SIGTERM unwinds like Ctrl-C, through the finally blocks that stop processes and drop databases
    signal.signal(signal.SIGTERM, interrupted)
    console = Console(width=140)
    warmup = min(100, max(10, args.messages // 10))
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="swx-route-echo-") as folder:
        work = Path(folder)
        (work / "network").mkdir()
        create_development_network(work / "network" / "network.json")
        outcomes.append(echo(envelopes(work / "network" / "network.json", args.messages), work=work,
                             concurrency=args.concurrency, rate=args.rate))
    for backend in backends:
        console.print(f"[dim]{backend}: {args.messages} messages (+{warmup} warm-up) ...[/dim]")
        outcomes.append(run_backend(backend, count=args.messages, warmup=warmup, concurrency=args.concurrency,
                                    rate=args.rate, server=args.postgres_url.rstrip("/"), console=console))
    report(outcomes, args=args, console=console)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: the servers are stopped and the temporary files and databases removed", file=sys.stderr)
        sys.exit(130)
