"""``swx up``: the whole network on loopback until Ctrl-C, its data kept in one directory.

The network directory (keys, tokens, endpoints) is created on the first start and kept;
each component's SQLite database lives in the data directory, so whatever was accepted
before a stop is still there, and still delivered, after the next start.

Every component is supervised (``services.cli.supervisor``): one that dies is started again
on its port while the others keep running, and ``swx up`` says so on the console. It stops,
every component with it, on Ctrl-C or SIGTERM (exit 0), or when a component keeps failing
(exit 1, with the reason and the end of that component's log). Each component's pid is in
``<data-dir>/run/<name>.pid`` while it runs.
"""

import signal
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.status import Status

from services.cli.launcher import LaunchError, LocalNetwork
from services.cli.supervisor import GaveUp, RestartPolicy, Supervisor
from services.kernel.keys import token_file
from services.kernel.network import OPERATOR, secrets_directory

ROUND = 0.25
"""Seconds between two looks at the components."""


def run_up(console: Console, *, data_dir: Path, base_port: int, database_url: str | None,
           policy: RestartPolicy | None = None) -> int:
    try:
        net = LocalNetwork.prepare(data_dir=data_dir, base_port=base_port, database_url=database_url)
    except LaunchError as error:
        console.print(f"[red]error:[/] {error}", soft_wrap=True)
        return 1
    stopping = threading.Event()
    for name in (signal.SIGINT, signal.SIGTERM):
        signal.signal(name, lambda *_: stopping.set())

    def report(line: str) -> None:
        console.print(f"{time.strftime('%H:%M:%S')} [yellow]{escape(line)}[/]", soft_wrap=True)

    supervisor = Supervisor(net, policy=policy or RestartPolicy(), report=report)
    try:
        with Status("starting the hub, 3 agency services and 6 NSW endpoints ...", console=console):
            gave_up = supervisor.start_all()
            while gave_up is None and not stopping.is_set() and not supervisor.all_healthy:
                stopping.wait(ROUND)
                gave_up = supervisor.check()
        if gave_up is None and not stopping.is_set():
            _print_ready(console, net)
        while gave_up is None and not stopping.is_set():
            stopping.wait(ROUND)
            gave_up = supervisor.check()
    finally:
        with Status("stopping ...", console=console):
            started = time.monotonic()
            net.stop()
    if gave_up is not None:
        _print_gave_up(console, gave_up)
        return 1
    console.print(f"stopped in {time.monotonic() - started:.1f} s")
    return 0


def _print_ready(console: Console, net: LocalNetwork) -> None:
    # the network file lists only the tokens' hashes: each token is a file of its own beside it
    tokens = secrets_directory(net.network_file)
    console.print(f"data and logs in {net.data_dir}; network directory in {net.network_file}, "
                  f"keys and tokens beside it in {tokens} (JP.token ... VN.token)", soft_wrap=True)
    for component in net.components:
        console.print(f"  {component.name:<12} {component.url}   {component.url}/docs")
    console.print(f"[green]ready[/]: hub at {net.url('hub')}; operator token in {token_file(tokens, OPERATOR)}; "
                  "Ctrl-C stops", soft_wrap=True)


def _print_gave_up(console: Console, gave_up: GaveUp) -> None:
    console.print(f"[red]error:[/] {escape(gave_up.reason)}; the network is stopped", soft_wrap=True)
    if gave_up.log_tail:
        console.print(f"last lines of {gave_up.component}'s log:")
        for line in gave_up.log_tail:
            console.print(f"  {escape(line)}", soft_wrap=True, highlight=False)
