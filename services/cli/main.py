"""``swx``: validate, convert and inspect swx messages.

Exit codes: 0 valid / done, 1 invalid document, 2 usage (bad option, missing file).
"""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from services.cli import render
from services.cli.demo import run_demo_against, run_network_demo
from services.cli.documents import UsageProblem, check, convert, related_context, resolve_type
from services.cli.keys import keys_command
from services.cli.samples import run_samples
from services.kernel import schemagen
from services.kernel.registry import REGISTRY

app = typer.Typer(
    help="swx, the Mekong–Japan Single Window Exchange: validate, convert and exchange messages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

TypeOption = Annotated[
    str | None, typer.Option("--type", "-t", help="Force the message type, e.g. customs.declaration/1.0.")
]


def _usage(problem: UsageProblem) -> typer.Exit:
    err.print(f"[red]error:[/] {problem}")
    return typer.Exit(2)


@app.command("validate")
def validate_command(
    files: Annotated[list[Path], typer.Argument(help="XML, JSON or UN/EDIFACT PAXLST files.")],
    type_name: TypeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable findings.")] = False,
    related: Annotated[
        list[str] | None,
        typer.Option("--related", help="A document this one refers to, as ROLE=FILE (declaration=dec.xml)."),
    ] = None,
) -> None:
    """Validate documents: transport, syntax, schema and business rules."""
    try:
        forced = resolve_type(type_name)
        context = related_context(related or [])
        results = [check(path, type_name=forced, context=context) for path in files]
    except UsageProblem as problem:
        raise _usage(problem) from None
    if as_json:
        sys.stdout.write(json.dumps([render.as_json(r) for r in results], indent=2) + "\n")
    else:
        for result in results:
            render.report(out, result)
    raise typer.Exit(0 if all(r.report.valid for r in results) else 1)


@app.command("convert")
def convert_command(
    file: Annotated[Path, typer.Argument(help="The document to convert.")],
    to: Annotated[str, typer.Option("--to", help="xml or json.")],
    type_name: TypeOption = None,
) -> None:
    """Print a document in its canonical XML or JSON form.

    The document must pass the schema; business-rule findings do not stop the conversion
    (a manifest with an expired passport is still a manifest) and are shown on stderr.
    """
    if to not in ("xml", "json"):
        raise _usage(UsageProblem(f"--to takes xml or json, not {to!r}"))
    try:
        result = check(file, type_name=resolve_type(type_name), context=related_context([]))
    except UsageProblem as problem:
        raise _usage(problem) from None
    if result.report.document is None:
        render.report(err, result)
        raise typer.Exit(1)
    if result.report.findings:
        render.report(err, result)
    sys.stdout.write(convert(result.report, to))


@app.command("schemas")
def schemas_command(
    write: Annotated[bool, typer.Option("--write", help="Regenerate the schema files from the models.")] = False,
    check_only: Annotated[bool, typer.Option("--check", help="Exit 1 if a schema file is out of date.")] = False,
) -> None:
    """List message types and versions with their schema files."""
    if write:
        for path in schemagen.write_files(REGISTRY):
            out.print(f"wrote {path}")
    if check_only:
        stale = [p for p, content in schemagen.expected_files(REGISTRY).items()
                 if not p.exists() or p.read_bytes() != content]
        for path in stale:
            err.print(f"[red]out of date:[/] {path}")
        if stale:
            raise typer.Exit(1)
    render.schemas(out, REGISTRY)


@app.command("demo")
def demo_command(
    data_dir: Annotated[Path | None, typer.Option(help="Keep the network's data here (default: a fresh "
                                                       "temporary directory).")] = None,
    base_port: Annotated[int | None, typer.Option(min=1024, max=65500, help="First port of the network "
                                                  "(default: a free range).")] = None,
    url: Annotated[str | None, typer.Option(help="Use the network running at this hub URL (swx up) instead "
                                                 "of starting one.")] = None,
    network_file: Annotated[Path, typer.Option(help="With --url: the running network's directory file.")] = Path(
        "var/network/network.json"),
) -> None:
    """Start the whole network, run the four flows, print every hop; exit 0 when all held."""
    if url is not None:
        raise typer.Exit(run_demo_against(out, hub_url=url, network_file=network_file))
    raise typer.Exit(run_network_demo(out, data_dir=data_dir, base_port=base_port))


@app.command("up")
def up_command(
    data_dir: Annotated[Path, typer.Option(help="Where the databases, logs and network directory live.")] = Path(
        "var"),
    base_port: Annotated[int, typer.Option(min=1024, max=65500, help="Hub port; the others follow it.")] = 8100,
    database_url: Annotated[str | None, typer.Option(help="A PostgreSQL server URL (each component gets its own "
                                                          "database there); SQLite files otherwise.")] = None,
    max_restarts: Annotated[int, typer.Option(min=0, help="Give up (stop everything, exit 1) when a component needs "
                                                          "more restarts than this within --restart-window.")] = 5,
    restart_window: Annotated[float, typer.Option(min=1, help="Seconds over which restarts are counted.")] = 120.0,
) -> None:
    """Start the hub, customs, immigration, port and six NSW endpoints on loopback until Ctrl-C.

    A component that dies is started again (after 0.5 s, doubling up to 30 s); the others
    keep running. Each one's log is in DATA_DIR/logs, its pid in DATA_DIR/run.
    """
    from services.cli.supervisor import RestartPolicy
    from services.cli.up import run_up

    policy = RestartPolicy(max_restarts=max_restarts, window=restart_window)
    raise typer.Exit(run_up(out, data_dir=data_dir, base_port=base_port, database_url=database_url, policy=policy))


@app.command("samples")
def samples_command(
    fixtures: Annotated[Path, typer.Option(help="Fixture folder to draw samples from.")] = Path("fixtures"),
) -> None:
    """Validate and convert one sample of every message type, and show a refused one each."""
    raise typer.Exit(run_samples(out, fixtures))


@app.command("hub-worker")
def hub_worker_command() -> None:
    """Run a hub delivery worker (settings from SWX_HUB_* and DATABASE_URL, as the hub)."""
    import asyncio

    from pydantic import ValidationError

    from services.hub.config import HubSettings
    from services.hub.worker import run_worker

    try:
        settings = HubSettings()
    except ValidationError as error:
        err.print(f"[red]error:[/] the hub settings are not valid: {error}")
        raise typer.Exit(2) from None
    if settings.network_file is None or not settings.network_file.exists():
        err.print(f"[red]error:[/] no network file at {settings.network_file}: start the hub first or set "
                  "SWX_NETWORK_FILE")
        raise typer.Exit(2)
    asyncio.run(run_worker(settings))


app.command("keys", help="Create Ed25519 signing keys and tokens for a fresh network (never commit them).")(
    keys_command
)


if __name__ == "__main__":
    app()
