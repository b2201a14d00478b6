"""``swx``: validate, convert and inspect swx messages; run the network; submit to it.

Exit codes: 0 valid / done, 1 invalid or refused document, 2 usage (bad option, missing
file, no network or token to use). Every command's help is rendered by ``services.cli.help``.
"""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from services.cli import render
from services.cli.documents import TARGETS, UsageProblem, check, convert, related_context, resolve_type
from services.cli.help import SwxCommand, SwxGroup
from services.cli.keys import keys_command
from services.cli.remote import NetworkProblem, locate
from services.cli.samples import run_samples
from services.kernel import schemagen
from services.kernel.registry import REGISTRY

app = typer.Typer(
    help="swx, the Mekong–Japan Single Window Exchange: validate, convert and exchange messages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=SwxGroup,
)
out = Console()
err = Console(stderr=True)

TypeOption = Annotated[
    str | None, typer.Option("--type", "-t", metavar="TYPE", help="Force the message type, e.g. "
                             "customs.declaration/1.0.")
]
DataDirOption = Annotated[Path, typer.Option("--data-dir", metavar="DIR", help="The folder `swx up` was started "
                                             "with: the network's URLs and the tokens are read there.")]
AsOption = Annotated[str | None, typer.Option("--as", metavar="CC", help="Call as this country (TH, VN ...) or "
                                              "OPERATOR, with its token from the data folder.")]
UrlOption = Annotated[str | None, typer.Option("--url", metavar="URL", help="The service's URL, for a network "
                                               "started elsewhere (default: where `swx up` started it).")]


def _usage(problem: UsageProblem) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(str(problem))}", soft_wrap=True)
    return typer.Exit(2)


@app.command("validate", cls=SwxCommand)
def validate_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="XML (WCO DM 3.6 too), JSON or "
                                                "UN/EDIFACT PAXLST files; - reads standard input.")],
    type_name: TypeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable findings.")] = False,
    related: Annotated[
        list[str] | None,
        typer.Option("--related", metavar="ROLE=FILE", help="A document this one refers to, e.g. "
                     "declaration=dec.xml."),
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


@app.command("convert", cls=SwxCommand)
def convert_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The document to convert.")],
    to: Annotated[str, typer.Option("--to", metavar="FORM", help="xml, json or wco (WCO DM 3.6 XML, for the 2.0 "
                                    "customs types).")],
    type_name: TypeOption = None,
) -> None:
    """Print a document in its canonical XML or JSON form, or as WCO DM 3.6 XML.

    Any form goes in, WCO DM XML included (it reads as customs.declaration/2.0 or
    customs.response/2.0). The document must pass the schema; business-rule findings do not
    stop the conversion (a manifest with an expired passport is still a manifest) and are
    shown on stderr.
    """
    if to not in TARGETS:
        raise _usage(UsageProblem(f"--to takes {', '.join(TARGETS[:-1])} or {TARGETS[-1]}, not {to!r}"))
    try:
        result = check(file, type_name=resolve_type(type_name), context=related_context([]))
        if result.report.document is None:
            render.report(err, result)
            raise typer.Exit(1)
        converted = convert(result.report, to)
    except UsageProblem as problem:
        raise _usage(problem) from None
    if result.report.findings:
        render.report(err, result)
    sys.stdout.write(converted)


@app.command("schemas", cls=SwxCommand)
def schemas_command(
    write: Annotated[bool, typer.Option("--write", help="Regenerate the schema files from the models.")] = False,
    check_only: Annotated[bool, typer.Option("--check", help="Exit 1 if a schema file is out of date.")] = False,
) -> None:
    """List message types and versions with their schema files."""
    if write:
        for path in schemagen.write_files(REGISTRY):
            out.print(f"wrote {path}", soft_wrap=True)
    if check_only:
        stale = [p for p, content in schemagen.expected_files(REGISTRY).items()
                 if not p.exists() or p.read_bytes() != content]
        for path in stale:
            err.print(f"[red]out of date:[/] {path}", soft_wrap=True)
        if stale:
            raise typer.Exit(1)
    render.schemas(out, REGISTRY)


@app.command("samples", cls=SwxCommand)
def samples_command(
    fixtures: Annotated[Path | None, typer.Option(metavar="DIR", help="Fixture folder to draw samples from "
                                                  "(default: the samples swx ships).")] = None,
) -> None:
    """Validate and convert one sample of every message type version, and show a refused one each."""
    raise typer.Exit(run_samples(out, fixtures))


@app.command("demo", cls=SwxCommand)
def demo_command(
    data_dir: Annotated[Path | None, typer.Option(metavar="DIR", help="Keep the network's data here (default: a "
                                                  "temporary folder, removed at the end).")] = None,
    base_port: Annotated[int | None, typer.Option(min=1024, max=65500, metavar="PORT", help="First port of the "
                                                  "network, 1024 to 65500 (default: a free range).")] = None,
    url: Annotated[str | None, typer.Option(metavar="URL", help="Use the network running at this hub URL (swx up) "
                                            "instead of starting one.")] = None,
    network_file: Annotated[Path, typer.Option(metavar="FILE", help="With --url: the running network's directory "
                                               "file.")] = Path("var/network/network.json"),
) -> None:
    """Start the whole network, run the four flows, print every hop; exit 0 when all held."""
    from services.cli.demo import run_demo_against, run_network_demo

    if url is not None:
        raise typer.Exit(run_demo_against(out, hub_url=url, network_file=network_file))
    raise typer.Exit(run_network_demo(out, data_dir=data_dir, base_port=base_port))


@app.command("up", cls=SwxCommand)
def up_command(
    data_dir: Annotated[Path, typer.Option(metavar="DIR", help="Where the databases, logs and network directory "
                                           "live.")] = Path("var"),
    base_port: Annotated[int, typer.Option(min=1024, max=65500, metavar="PORT", help="Hub port, 1024 to 65500; the "
                                           "others follow it.")] = 8100,
    database_url: Annotated[str | None, typer.Option(metavar="URL", help="A PostgreSQL server URL (each component "
                                                     "gets its own database there); SQLite files otherwise.")] = None,
    max_restarts: Annotated[int, typer.Option(min=0, metavar="N", help="Give up (stop everything, exit 1) when a "
                                              "component needs more restarts than this within "
                                              "--restart-window.")] = 5,
    restart_window: Annotated[float, typer.Option(min=1, metavar="SECONDS", help="Seconds over which restarts are "
                                                  "counted.")] = 120.0,
) -> None:
    """Start the hub, customs, immigration, port and six NSW endpoints on loopback until Ctrl-C.

    A component that dies is started again (after 0.5 s, doubling up to 30 s); the others
    keep running. Each one's log is in DATA_DIR/logs, its pid in DATA_DIR/run.
    """
    from services.cli.supervisor import RestartPolicy
    from services.cli.up import run_up

    policy = RestartPolicy(max_restarts=max_restarts, window=restart_window)
    raise typer.Exit(run_up(out, data_dir=data_dir, base_port=base_port, database_url=database_url, policy=policy))


@app.command("migrate", cls=SwxCommand)
def migrate_command(
    component: Annotated[str | None, typer.Option(metavar="NAME", help="hub, customs, immigration, port, nsw (the "
                                                  "endpoint SWX_NSW_COUNTRY names) or nsw-jp ... nsw-vn.")] = None,
    data_dir: Annotated[Path | None, typer.Option(metavar="DIR", help="The network `swx up --data-dir DIR` runs: "
                                                  "every component, or the one --component names.")] = None,
    database_url: Annotated[str | None, typer.Option(metavar="URL", help="With --data-dir: the PostgreSQL server "
                                                     "given to `swx up --database-url`.")] = None,
) -> None:
    """Bring a component's database to the current schema; running it again changes nothing.

    With --component alone, the database is the one the component's server opens, from the
    same environment: for customs SWX_CUSTOMS_DATABASE_URL, else DATABASE_URL, else the
    SQLite file in SWX_CUSTOMS_DATA_DIR (var), and so on. A server refuses to start on a
    database that is not current; `swx up` and `swx demo` migrate each component before
    they start it. Exit 0 migrated or already current, 1 a database could not be migrated,
    2 usage.
    """
    from services.cli.migrate import MigrationFailed, describe, migrate, network_targets, target

    if database_url is not None and data_dir is None:
        raise _usage(UsageProblem("--database-url goes with --data-dir; for one component, set its database URL "
                                  "as its server reads it (SWX_CUSTOMS_DATABASE_URL ..., or DATABASE_URL)"))
    failed = False
    try:
        if data_dir is not None:
            targets = network_targets(data_dir, database_url=database_url, component=component)
        elif component is not None:
            targets = [target(component)]
        else:
            raise UsageProblem("name what to migrate: --component NAME (from the environment its server reads), "
                           "or --data-dir DIR (the network `swx up` runs there)")
        for found in targets:
            try:
                out.print(escape(describe(found, migrate(found))), soft_wrap=True, highlight=False)
            except MigrationFailed as error:
                err.print(f"[red]error:[/] {escape(str(error))}", soft_wrap=True)
                failed = True
    except UsageProblem as problem:
        raise _usage(problem) from None
    except MigrationFailed as error:
        err.print(f"[red]error:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(1) from None
    raise typer.Exit(1 if failed else 0)


@contextmanager
def _remote_errors() -> Iterator[None]:
    """A usage fault exits 2 with the usage line; a network, file or token fault exits 2 with its reason."""
    try:
        yield
    except UsageProblem as problem:
        raise _usage(problem) from None
    except NetworkProblem as problem:
        err.print(f"[red]error:[/] {escape(str(problem))}", soft_wrap=True)
        raise typer.Exit(2) from None


@app.command("submit", cls=SwxCommand)
def submit_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A declaration, certificate of origin, passenger "
                                         "manifest or vessel call: JSON, XML, WCO DM 3.6 XML or UN/EDIFACT PAXLST.")],
    identity: AsOption = None,
    to: Annotated[str | None, typer.Option("--to", metavar="SERVICE", help="customs, immigration or port (default: "
                                           "the service the document's type goes to).")] = None,
    url: UrlOption = None,
    data_dir: DataDirOption = Path("var"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the service's answer as it came.")] = False,
) -> None:
    """Lodge a document with the service that takes it; print the record's id and status.

    The type and format are read from the file. Without --as, the document is lodged as
    the country it belongs to (an export declaration as the export country, a manifest as
    the departure country ...). Exit 0 accepted, 1 refused (the findings are shown), 2 the
    file, the network or a token is not there.
    """
    from services.cli.submit import prepare, run_submit

    with _remote_errors():
        submission = prepare(file, to=to)
        chosen = (identity or submission.country or "").upper()
        if not chosen:
            why = f" (it does not pass its schema: {submission.unread})" if submission.unread else ""
            raise UsageProblem(f"{file} does not tell which country lodges it{why}; give --as with the country "
                               "code")
        code = run_submit(out, submission=submission, identity=chosen, network=locate(data_dir), url=url,
                          as_json=as_json)
    raise typer.Exit(code)


@app.command("status", cls=SwxCommand)
def status_command(
    ident: Annotated[str, typer.Argument(metavar="ID", help="An MRN, or the id of a certificate of origin, "
                                         "manifest, vessel call or hub message.")],
    identity: AsOption = None,
    url: UrlOption = None,
    data_dir: DataDirOption = Path("var"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the service's answer as it came.")] = False,
) -> None:
    """Show a record and its history, or a hub message and its delivery timeline.

    An MRN is looked up at customs; any other id at customs, immigration, port and the hub
    in turn. Without --as, an MRN is read as its own country, anything else as the operator.
    """
    from services.cli.status import default_identity, run_status

    with _remote_errors():
        chosen = (identity or default_identity(ident)).upper()
        code = run_status(out, ident=ident, identity=chosen, network=locate(data_dir), url=url, as_json=as_json)
    raise typer.Exit(code)


@app.command("hub-worker", cls=SwxCommand)
def hub_worker_command() -> None:
    """Run a hub delivery worker (settings from SWX_HUB_* and DATABASE_URL, as the hub)."""
    import asyncio

    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from services.hub.app import SCHEMA
    from services.hub.config import HubSettings
    from services.hub.worker import run_worker
    from services.kernel.migrate import SchemaNotCurrent, require_current, shown_url

    try:
        settings = HubSettings()
    except ValidationError as error:
        err.print(f"[red]error:[/] the hub settings are not valid: {error}")
        raise typer.Exit(2) from None
    if settings.network_file is None or not settings.network_file.exists():
        err.print(f"[red]error:[/] no network file at {settings.network_file}: start the hub first or set "
                  "SWX_NETWORK_FILE")
        raise typer.Exit(2)
    # the worker claims from the hub's tables: they must be the ones this code knows
    url = settings.database_for("hub")
    try:
        require_current(SCHEMA, url, component="hub")
    except SchemaNotCurrent as error:
        err.print(f"[red]error:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as error:
        err.print(f"[red]error:[/] cannot reach the hub database ({escape(shown_url(url))}): "
                  f"{escape(str(error).splitlines()[0])}", soft_wrap=True)
        raise typer.Exit(1) from None
    asyncio.run(run_worker(settings))


app.command("keys", cls=SwxCommand,
            help="Create Ed25519 signing keys and tokens for a fresh network (never commit them).")(keys_command)


if __name__ == "__main__":
    app()
