"""``swx up``: the whole network on loopback until Ctrl-C, its data kept in one directory.

The network directory (keys, tokens, endpoints) is created on the first start and kept;
each component's SQLite database lives in the data directory, so whatever was accepted
before a stop is still there, and still delivered, after the next start.
"""

import signal
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.status import Status

from services.cli.launcher import LaunchError, LocalNetwork


def run_up(console: Console, *, data_dir: Path, base_port: int, database_url: str | None) -> int:
    try:
        net = LocalNetwork.prepare(data_dir=data_dir, base_port=base_port, database_url=database_url)
    except LaunchError as error:
        console.print(f"[red]error:[/] {error}", soft_wrap=True)
        return 1
    stopping = threading.Event()
    for name in (signal.SIGINT, signal.SIGTERM):
        signal.signal(name, lambda *_: stopping.set())
    try:
        with Status("starting the hub, 3 agency services and 6 NSW endpoints ...", console=console):
            net.start()
    except (RuntimeError, OSError) as error:
        console.print(f"[red]error:[/] the network did not start: {error}", soft_wrap=True)
        net.stop()
        return 1
    console.print(f"data and logs in {net.data_dir}; network directory (keys, tokens) in {net.network_file}",
                  soft_wrap=True)
    for component in net.components:
        console.print(f"  {component.name:<12} {component.url}   {component.url}/docs")
    console.print(f"[green]ready[/]: hub at {net.url('hub')}; operator token in {net.network_file}; Ctrl-C stops",
                  soft_wrap=True)
    while not stopping.is_set():
        for component in net.components:
            if not net.running(component.name):
                console.print(f"[red]{component.name} stopped[/]; see {net.log_file(component.name)}")
                stopping.set()
        stopping.wait(1.0)
    with Status("stopping ...", console=console):
        started = time.monotonic()
        net.stop()
    console.print(f"stopped in {time.monotonic() - started:.1f} s")
    return 0
