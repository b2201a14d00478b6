"""``swx demo``: start the whole network on loopback, run the four flows, print every hop.

The network runs from a fresh data directory (a temporary one unless ``--data-dir`` is
given) on free ports, with retries tuned for a demonstration (the outage drill waits
seconds, not minutes). The exit code is 0 only when every expectation of every flow held.
"""

import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.status import Status

from services.cli.flows import FLOWS, Control, Exchange, FlowFailed, Step, SuspendAtHub
from services.cli.launcher import AGENCIES, LaunchError, LocalNetwork, free_base_port, nsw_name
from services.kernel.network import load_network
from services.kernel.participants import OPERATOR, PARTICIPANTS

DEMO_RETRIES = {"SWX_HUB_RETRY_BASE": "0.25", "SWX_HUB_RETRY_CAP": "1.5", "SWX_HUB_DELIVERY_TIMEOUT": "3"}
HOP_STYLES = {"hub": "magenta", "VN NSW": "cyan"}


def run_network_demo(console: Console, *, data_dir: Path | None, base_port: int | None) -> int:
    """Start a network of its own, run the four flows on it, stop it. Its data stay in
    ``data_dir`` when one is given; else they live in a temporary folder removed at the end,
    which the demo therefore does not name."""
    if data_dir is None:
        with tempfile.TemporaryDirectory(prefix="swx-demo-") as folder:
            return _run(console, Path(folder), base_port, kept=False)
    return _run(console, data_dir, base_port, kept=True)


def _run(console: Console, data_dir: Path, base_port: int | None, *, kept: bool) -> int:
    console.rule("[bold]swx demo[/]: the Mekong-Japan Single Window Exchange on loopback")
    try:
        net = LocalNetwork.prepare(data_dir=data_dir, base_port=base_port or free_base_port(), extra_env=DEMO_RETRIES)
    except LaunchError as error:
        console.print(f"[red]FAILED[/] the network cannot be prepared: {error}", soft_wrap=True)
        return 1
    failures: list[str] = []
    try:
        with Status("starting the hub, 3 agency services and 6 NSW endpoints ...", console=console):
            started = time.monotonic()
            net.start()
        where = f"data kept in {data_dir}" if kept else "data in a temporary folder, removed when the demo ends " \
            "(--data-dir keeps them)"
        console.print(f"network up in {time.monotonic() - started:.1f} s, {where}", soft_wrap=True)
        for component in net.components:
            console.print(f"  {component.name:<12} {component.url}")
        tokens = {country: net.token(country) for country in (*PARTICIPANTS, OPERATOR)}
        failures = _flows(console, tokens=tokens, urls={c.name: c.url for c in net.components}, control=net)
    except (RuntimeError, OSError) as error:
        failures.append(f"the network did not start: {error}")
    except KeyboardInterrupt:
        failures.append("interrupted")
    finally:
        with Status("stopping the network ...", console=console):
            net.stop()
    console.rule()
    if failures:
        for failure in failures:
            console.print(f"[red]FAILED[/] {failure}", soft_wrap=True)
        return 1
    console.print(f"[green]all {len(FLOWS)} flows held[/]: every message delivered once, signed, receipted and "
                  "answered")
    return 0


def run_demo_against(console: Console, *, hub_url: str, network_file: Path) -> int:
    """Run the flows against a network already running (``swx up``, docker compose): the
    agency services listen on the hub's port + 1, + 2, + 3 (as ``swx up`` starts them), the
    NSW endpoints where the network directory says. VN's endpoint is not the demo's to stop:
    for the outage drill the operator suspends deliveries to VN at the hub instead."""
    try:
        network = load_network(network_file)
    except (OSError, ValueError, KeyError) as error:
        reason = f"no {error} in it" if isinstance(error, KeyError) else str(error)
        console.print(f"[red]error:[/] cannot read the network directory {network_file}: {reason}", soft_wrap=True)
        return 2
    hub = httpx.URL(hub_url)
    if hub.port is None:
        console.print(f"[red]error:[/] give the hub's URL with its port, e.g. http://127.0.0.1:8100 (not {hub_url})")
        return 2
    urls = {"hub": str(hub).rstrip("/")}
    urls.update({agency: str(hub.copy_with(port=hub.port + 1 + i)).rstrip("/") for i, agency in enumerate(AGENCIES)})
    urls.update({nsw_name(c): p.endpoint.rstrip("/") for c, p in network.participants.items() if p.endpoint})
    tokens = {country: network.token_of(country) for country in PARTICIPANTS} | {OPERATOR: network.operator_token}
    console.rule(f"[bold]swx demo[/] against the network at {urls['hub']}")
    failures = _flows(console, tokens=tokens, urls=urls, control=None)
    console.rule()
    for failure in failures:
        console.print(f"[red]FAILED[/] {failure}", soft_wrap=True)
    return 1 if failures else 0


def _flows(console: Console, *, tokens: dict[str, str], urls: dict[str, str], control: Control | None) -> list[str]:
    failures: list[str] = []
    with httpx.Client(timeout=15) as client, Status("", console=console) as status:

        def report(step: Step) -> None:
            style = HOP_STYLES.get(step.hop, "green" if step.ok else "red")
            console.print(f"[dim]{step.elapsed:7.2f}s[/] [{style}]{step.hop:<15}[/] {step.what}", soft_wrap=True,
                          highlight=False)
            status.update(f"{step.flow}: waiting for the next hop ...")

        exchange = Exchange(urls=urls, tokens=tokens, client=client, report=report)
        for number, (title, flow) in enumerate(FLOWS, start=1):
            console.rule(f"[bold]{number}. {title}[/]")
            status.update(f"{title} ...")
            options = {"control": control or SuspendAtHub(exchange)} if flow.__name__ == "outage_drill" else {}
            try:
                flow(exchange, **options)
                console.print(f"[green]held[/]: {title}")
            except (FlowFailed, httpx.HTTPError) as error:
                console.print(f"[red]failed[/]: {title}: {error}", soft_wrap=True)
                failures.append(f"{title}: {error}")
    return failures
