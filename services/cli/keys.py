"""``swx keys``: a fresh network's Ed25519 key pairs and API tokens, in one directory.

The directory holds private keys and tokens: never commit it. The default, ``keys/``, is
in the repository's ``.gitignore``; keep any other choice out of version control too.
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.kernel.keys import DIRECTORY_FILE, KeyDirectoryExists, create_key_directory
from services.kernel.network import PARTICIPANTS, create_development_network

NETWORK_FILE = "network.json"

out = Console()
err = Console(stderr=True)


def keys_command(
    directory: Annotated[
        Path, typer.Argument(help="Where to write the keys and the network file (never commit it).")
    ] = Path("keys"),
    force: Annotated[
        bool, typer.Option("--force", help="Replace the keys and tokens of an existing directory.")
    ] = False,
    endpoint_template: Annotated[
        str | None, typer.Option("--endpoint-template", help="Each NSW endpoint's URL, with {country} (lower "
                                 "case) or {COUNTRY}: e.g. http://nsw-{country}:8000")
    ] = None,
) -> None:
    """Create Ed25519 key pairs and API tokens for the six participants of a fresh network."""
    endpoints = _endpoints(endpoint_template)
    try:
        written = create_key_directory(directory, force=force)
        create_development_network(directory / NETWORK_FILE, endpoints=endpoints)
    except KeyDirectoryExists:
        err.print(f"[red]error:[/] {directory} already holds files; pass --force to replace its keys and tokens "
                  "(every partner then needs the new public keys)", soft_wrap=True)
        raise typer.Exit(2) from None
    except OSError as error:
        err.print(f"[red]error:[/] cannot write {directory}: {error.strerror or error}", soft_wrap=True)
        raise typer.Exit(2) from None

    out.print(f"[bold]Key directory[/] {directory}", soft_wrap=True)
    out.print(f"  {directory / DIRECTORY_FILE}  public keys of every participant (JWK Set)", soft_wrap=True)
    out.print(f"  {directory / NETWORK_FILE}  participants: endpoints, document types, API tokens, public keys "
              "(mode 0600)", soft_wrap=True)
    for key in written.values():
        out.print(f"  {key.private_key_file}  {key.country} private key (mode 0600)", soft_wrap=True)
        out.print(f"  {key.public_key_file}  {key.country} public key", soft_wrap=True)
    table = Table("Participant", "Key id", "Public key thumbprint (RFC 7638)")
    table.columns[2].no_wrap = True
    for key in written.values():
        table.add_row(f"{key.country} {PARTICIPANTS[key.country]}", key.key_id, key.thumbprint)
    out.print(table)
    out.print("[yellow]Never commit this directory:[/] it holds private keys and API tokens.")


def _endpoints(template: str | None) -> dict[str, str] | None:
    if template is None:
        return None
    try:
        return {code: template.format(country=code.lower(), COUNTRY=code) for code in PARTICIPANTS}
    except (KeyError, IndexError, ValueError) as error:
        raise typer.BadParameter(f"{template!r} is not a template with {{country}}: {error}",
                                 param_hint="--endpoint-template") from None
