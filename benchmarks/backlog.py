"""A receiver down with a large backlog at the hub: memory, the other receivers' latency, the drain.

VN's NSW endpoint is down (its process not started) while ``--count`` messages for it wait
at the hub; TH's endpoint is up. In turn:

1. **baseline**: ``--probe-rate`` messages per second to TH for ``--probe-seconds``, the
   backlog still empty: POST latency and intake -> delivered latency at the hub;
2. **fill**: the backlog for VN, ``customs.response/1.0`` envelopes signed by TH, KH, JP
   and LA. ``--fill database`` (the default) writes them straight into the hub's database
   through the hub's own tables (``HubMessage``, ``HubTransition``), as its intake would
   have stored them (``QUEUED``, with the ``RECEIVED`` and ``QUEUED`` steps), with the hub
   stopped: intake over HTTP runs at tens of messages a second here, so 100,000 would take
   most of an hour. ``--fill http`` posts them to ``POST /messages`` instead (wrk);
3. **outage**: the same probe to TH with the backlog there and the hub trying VN: the
   hub's CPU share and RSS, its delivery attempts to VN per second, the probe's latency
   (those still undelivered 30 s after the last delivery are looked at again after the
   drain), and the time one ``claim_due`` (the delivery round's query) takes, without and
   with the backlog;
4. **drain**: VN's endpoint starts; every second the count of VN messages delivered is
   read, until all are or ``--drain-seconds`` have passed: the drain rate, the hub's CPU per
   drained message and its RSS.

Progress and latencies are read from the hub's database (``ledger.py``), not asked of the
hub. Run: ``python benchmarks/backlog.py [--count 100000] [--fill database|http]
[--probe-rate 5] [--probe-seconds 20] [--drain-seconds 120] [--database-url URL]``.
"""

import argparse
import asyncio
import hashlib
import itertools
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger import Ledger, database_url, drop_databases, wait_for_count
from load import Request, run_load
from proc_cpu import CpuMeter, Usage, sample
from rich.console import Console
from rich.table import Table
from route import DOCUMENT_TYPE, NO_AGENCIES, interrupted, response_payloads, submit
from route import envelopes as signed_envelopes
from sqlalchemy import create_engine, insert

from services.cli.launcher import LocalNetwork, free_base_port
from services.hub.models import HubMessage, HubState, HubTransition
from services.kernel import canonical
from services.kernel.db import make_engine
from services.kernel.messages.exchange import Envelope
from services.kernel.network import load_signing_keys
from services.kernel.signing import sign, signing_input

DOWN, UP = "VN", "TH"
BACKLOG_SENDERS = ("TH", "KH", "JP", "LA")
PROBE_LINKS = (("KH", UP), ("JP", UP), ("LA", UP))
BATCH = 5000


def backlog_rows(network_file: Path, count: int) -> Iterator[tuple[dict[str, Any], bytes]]:
    """``count`` signed envelopes for VN as the hub's intake would store them, with their bodies."""
    keys = load_signing_keys(network_file)
    payloads = response_payloads()
    for n in range(count):
        sender = BACKLOG_SENDERS[n % len(BACKLOG_SENDERS)]
        payload = payloads[n % len(payloads)]
        envelope = Envelope(message_id=str(uuid.uuid4()), conversation_id=str(uuid.uuid4()), sender=sender,
                            receiver=DOWN, document_type=DOCUMENT_TYPE, created_at=datetime.now(UTC),
                            payload_format="json", payload=payload, payload_digest=canonical.digest(payload))
        signed = sign(envelope, private_key=keys[sender], key_id=sender)
        body = canonical.json_text(signed).encode("utf-8")
        yield ({
            "message_id": envelope.message_id, "conversation_id": envelope.conversation_id, "in_reply_to": None,
            "sender": sender, "receiver": DOWN, "document_type": DOCUMENT_TYPE, "created_at": envelope.created_at,
            "payload_format": "json", "payload": payload, "payload_digest": envelope.payload_digest,
            "signature": signed.signature or "", "envelope": body, "envelope_media_type": "application/json",
            "envelope_digest": hashlib.sha256(signing_input(signed)).hexdigest(), "findings": None,
            "state": HubState.QUEUED, "attempts": 0}, body)


def seed(url: str, rows: Iterator[tuple[dict[str, Any], bytes]]) -> float:
    """Write the backlog into the hub's tables (the hub stopped), signing as it goes; seconds it took."""
    engine = make_engine(url)
    began = time.perf_counter()
    try:
        while chunk := list(itertools.islice(rows, BATCH)):
            now = datetime.now(UTC)
            batch = [dict(row, received_at=now, next_attempt_at=now) for row, _ in chunk]
            with engine.begin() as connection:
                ids = connection.execute(insert(HubMessage.__table__).returning(  # type: ignore[attr-defined]
                    HubMessage.__table__.c.id, sort_by_parameter_order=True), batch).scalars().all()  # type: ignore[attr-defined]
                steps = [{"message_pk": pk, "state": state, "at": now, "note": note}
                         for pk, row in zip(ids, batch, strict=True)
                         for state, note in ((HubState.RECEIVED, f"signature of {row['sender']} verified; "
                                                                  "payload valid, no warnings"),
                                             (HubState.QUEUED, f"for {DOWN}"))]
                connection.execute(insert(HubTransition.__table__), steps)  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    return time.perf_counter() - began


@dataclass
class Probe:
    """Messages sent to TH at a steady rate, and what became of them."""

    sent: int
    submitted: dict[str, float]
    """Wall-clock submit time by message id, for those the hub accepted."""
    posts: list[float]
    refused: int

    def figures(self, ledger: Ledger) -> dict[str, float]:
        """POST latency, and intake -> delivered at the hub for those delivered by now (ms)."""
        rows = ledger.rows("SELECT message_id, delivered_at FROM hub_message WHERE receiver = :up "
                           "AND delivered_at IS NOT NULL", up=UP)
        delivered = {str(r[0]): instant(r[1]).timestamp() for r in rows}
        waits = [(delivered[m] - at) * 1000 for m, at in self.submitted.items() if m in delivered]
        return {"sent": self.sent, "accepted": len(self.submitted), "refused": self.refused,
                "delivered": len(waits), **quantiles("post", [p * 1000 for p in self.posts]),
                **quantiles("delivered", waits)}


def probe(network: LocalNetwork, *, rate: float, seconds: float, ledger: Ledger) -> Probe:
    """Send to TH at ``rate``/s for ``seconds``, then wait until those are delivered or none
    more is for 30 s."""
    count = max(1, int(rate * seconds))
    delivered_to_up = "SELECT count(*) FROM hub_message WHERE receiver = :up AND delivered_at IS NOT NULL"
    before = ledger.count(delivered_to_up, up=UP)
    messages = signed_envelopes(network.network_file, count, links=PROBE_LINKS)
    tokens = {sender: network.token(sender) for sender, _ in PROBE_LINKS}
    submitted, posts, failures = asyncio.run(submit(f"{network.url('hub')}/messages", messages, tokens=tokens,
                                                    concurrency=4, rate=rate))
    wait_for_count(lambda: ledger.count(delivered_to_up, up=UP), before + len(submitted), patience=30.0)
    return Probe(sent=count, submitted=submitted, posts=posts, refused=len(failures))


def claim_time(url: str, *, calls: int = 5) -> float:
    """Milliseconds one ``claim_due`` of the hub's repository takes now (the best of ``calls``),
    in a transaction rolled back: the query each delivery round runs."""
    from sqlmodel import Session

    from services.hub.repository import claim_due
    from services.kernel.clock import utcnow

    engine = create_engine(url)
    best = float("inf")
    try:
        for _ in range(calls):
            with Session(engine) as session:
                began = time.perf_counter()
                claim_due(session, limit=64, now=utcnow())
                best = min(best, time.perf_counter() - began)
                session.rollback()
    finally:
        engine.dispose()
    return best * 1000


def instant(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def quantiles(name: str, values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        value = values[0] if values else float("nan")
        return {f"{name}_p50": value, f"{name}_p99": value}
    cuts = statistics.quantiles(values, n=100)
    return {f"{name}_p50": cuts[49], f"{name}_p99": cuts[98]}


def attempts_to_down(ledger: Ledger) -> int:
    return ledger.count("SELECT coalesce(sum(attempts), 0) FROM hub_message WHERE receiver = :down", down=DOWN)


def delivered_to_down(ledger: Ledger) -> int:
    return ledger.count("SELECT count(*) FROM hub_message WHERE receiver = :down AND delivered_at IS NOT NULL",
                        down=DOWN)


def run(network: LocalNetwork, args: argparse.Namespace, work: Path, console: Console) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    network.start("hub", f"nsw-{UP.lower()}")
    ledger = Ledger(database_url(network, "hub"))
    try:
        console.print(f"[dim]baseline probe: {args.probe_rate:g}/s to {UP} for {args.probe_seconds:g} s ...[/dim]")
        figures["rss_empty_mb"] = sample(network.pid("hub") or 0).rss_kb / 1024
        figures["baseline"] = probe(network, rate=args.probe_rate, seconds=args.probe_seconds,
                                    ledger=ledger).figures(ledger)
        figures["claim_empty_ms"] = claim_time(database_url(network, "hub"))
        console.print(f"[dim]signing and filling {args.count:,} envelopes for {DOWN} ...[/dim]")
        rows = backlog_rows(network.network_file, args.count)
        if args.fill == "database":
            network.stop("hub")
            seconds = seed(database_url(network, "hub"), rows)
            figures["fill"] = f"signed and written into the hub's tables in {seconds:.1f} s"
            network.start("hub")
        else:
            requests = [Request("POST", "/messages", {"Authorization": f"Bearer {network.token(row['sender'])}",
                                                      "Content-Type": "application/json"}, body) for row, body in rows]
            result = run_load(network.url("hub"), requests, connections=32, work=work)
            figures["fill"] = (f"posted in {result.seconds:.0f} s ({result.rate:,.0f}/s, {result.count(202)} "
                               f"accepted) by {result.client}")
        hub = network.pid("hub") or 0
        time.sleep(3)
        figures["claim_backlog_ms"] = claim_time(database_url(network, "hub"))
        console.print(f"[dim]outage: {args.probe_seconds:g} s with the backlog ...[/dim]")
        meter, tried = CpuMeter({"hub": hub}), attempts_to_down(ledger)
        meter.start()
        outage_probe = probe(network, rate=args.probe_rate, seconds=args.probe_seconds, ledger=ledger)
        figures["outage"] = outage_probe.figures(ledger)
        (outage,) = meter.stop()
        figures["outage_usage"], figures["attempts_per_s"] = outage, (attempts_to_down(ledger) - tried) / outage.wall_s
        figures["rss_backlog_mb"] = sample(hub).rss_kb / 1024
        console.print(f"[dim]drain: {DOWN} back, up to {args.drain_seconds:g} s ...[/dim]")
        already = delivered_to_down(ledger)
        meter = CpuMeter({"hub": hub})
        meter.start()
        network.start(f"nsw-{DOWN.lower()}")
        began, curve, peak = time.monotonic(), [], 0.0
        while True:
            time.sleep(1)
            done = delivered_to_down(ledger) - already
            peak = max(peak, sample(hub).rss_kb / 1024)
            curve.append((time.monotonic() - began, done))
            if done >= args.count or time.monotonic() - began >= args.drain_seconds:
                break
        (drain,) = meter.stop()
        figures.update(drain_usage=drain, drained=curve[-1][1], drain_curve=curve, rss_drain_peak_mb=peak)
        figures["outage_after_drain"] = outage_probe.figures(ledger)
    finally:
        ledger.close()
    return figures


def report(figures: dict[str, Any], args: argparse.Namespace, console: Console) -> None:
    console.print(f"backlog: {args.count:,} messages for {DOWN}, {figures['fill']}")
    table = Table(title=f"Probe to {UP} ({args.probe_rate:g}/s for {args.probe_seconds:g} s) without and with "
                        f"the backlog for {DOWN}", header_style="bold")
    for column in ("phase", "accepted", "delivered", "POST p50 / p99 ms", "intake -> delivered p50 / p99 ms"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for phase, label in (("baseline", "baseline"), ("outage", "outage (until none more for 30 s)"),
                         ("outage_after_drain", "the same, at the end of the drain")):
        f = figures[phase]
        table.add_row(label, f"{f['accepted']}/{f['sent']}", str(f["delivered"]),
                      f"{f['post_p50']:.0f} / {f['post_p99']:.0f}", f"{f['delivered_p50']:.0f} / "
                                                                      f"{f['delivered_p99']:.0f}")
    console.print(table)
    outage: Usage = figures["outage_usage"]
    drain: Usage = figures["drain_usage"]
    drained, curve = figures["drained"], figures["drain_curve"]
    console.print(f"hub RSS: {figures['rss_empty_mb']:.0f} MB empty, {figures['rss_backlog_mb']:.0f} MB with the "
                  f"backlog, peak {figures['rss_drain_peak_mb']:.0f} MB while draining (high-water mark "
                  f"{drain.peak_rss_kb / 1024:.0f} MB)")
    console.print(f"one claim_due (the delivery round's query, limit 64): {figures['claim_empty_ms']:.1f} ms with "
                  f"no backlog, {figures['claim_backlog_ms']:.1f} ms with it")
    console.print(f"outage: the hub used {outage.cpu_share:.2f} of a core and made {figures['attempts_per_s']:.0f} "
                  f"delivery attempts per second to {DOWN}")
    rate = drained / curve[-1][0] if curve and curve[-1][0] > 0 else 0.0
    first = next(((t, n) for t, n in curve if t >= 10), curve[-1] if curve else (0.0, 0))
    console.print(f"drain: {drained:,} of {args.count:,} delivered in {curve[-1][0]:.0f} s: {rate:,.1f} msgs/s "
                  f"overall, {first[1] / max(first[0], 1e-9):,.1f} msgs/s over the first {first[0]:.0f} s; hub "
                  f"{(drain.cpu_ms + drain.child_ms) / max(drained, 1):.2f} CPU ms per drained message, "
                  f"{drain.cpu_share:.2f} of a core")
    if drained < args.count and rate > 0:
        console.print(f"at that rate the whole backlog would take {(args.count / rate) / 60:.0f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="messages queued for the receiver that is down")
    parser.add_argument("--fill", choices=("database", "http"), default="database")
    parser.add_argument("--probe-rate", type=float, default=5.0, help="messages per second to the receiver that is up")
    parser.add_argument("--probe-seconds", type=float, default=20.0)
    parser.add_argument("--drain-seconds", type=float, default=120.0, help="longest wait for the drain")
    parser.add_argument("--database-url", help="a PostgreSQL server URL without a database name; default SQLite")
    args = parser.parse_args()
    if args.count < 1 or args.probe_rate <= 0 or args.probe_seconds <= 0:
        parser.error("--count, --probe-rate and --probe-seconds must be positive")
    signal.signal(signal.SIGTERM, interrupted)
    console = Console(width=150)
    with tempfile.TemporaryDirectory(prefix="swx-backlog-") as folder:
        database = {"database_url": args.database_url.rstrip("/"),
                    "database_prefix": f"swx_bench_{uuid.uuid4().hex[:8]}"} if args.database_url else {}
        network = LocalNetwork.prepare(data_dir=Path(folder) / "data", base_port=free_base_port(),
                                       extra_env=NO_AGENCIES, **database)
        try:
            figures = run(network, args, Path(folder), console)
        finally:
            network.stop()
            if args.database_url:
                drop_databases(network.components)
    report(figures, args, console)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: the servers are stopped and the temporary files and databases removed", file=sys.stderr)
        sys.exit(130)
