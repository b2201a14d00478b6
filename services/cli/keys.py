"""``swx keys``: a fresh network's Ed25519 key pairs, API tokens and database passwords, in
one directory, and each component's share of them in a directory of its own.

``DIR`` gets everything (what the embedded network reads, and where an operator finds the
operator token); ``DIR/secrets/<component>/`` (or ``--secrets-dir``) only what that
component signs and sends with plus its database role's password; ``--public-dir`` the
public directory alone. DIR holds private keys and tokens: never commit it. The default,
``keys/``, is in the repository's ``.gitignore``; keep any other choice out of version
control too.
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.kernel.keys import (
    DIRECTORY_FILE,
    NETWORK_FILE,
    KeyDirectoryError,
    KeyDirectoryExists,
    create_database_secrets,
    create_key_directory,
    export_component_secrets,
    publish_directory,
)
from services.kernel.network import PARTICIPANTS, create_development_network

out = Console()
err = Console(stderr=True)


def keys_command(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to write the keys and the network file (never commit it).")
    ] = Path("keys"),
    force: Annotated[
        bool, typer.Option("--force", help="Replace the keys and tokens of an existing directory.")
    ] = False,
    endpoint_template: Annotated[
        str | None, typer.Option("--endpoint-template", metavar="TEMPLATE", help="Each NSW endpoint's URL, with "
                                 "{country} (lower case) or {COUNTRY}: e.g. http://nsw-{country}:8000")
    ] = None,
    secrets_dir: Annotated[
        Path | None, typer.Option("--secrets-dir", metavar="DIR", help="Where to write each component's secrets, "
                                  "one directory per component (default: DIR/secrets).")
    ] = None,
    public_dir: Annotated[
        Path | None, typer.Option("--public-dir", metavar="DIR", help="Also copy the public directory (no secret) "
                                  "here.")
    ] = None,
) -> None:
    """Create Ed25519 key pairs, API tokens and database passwords for a fresh network, and
    give each component its own share."""
    endpoints = _endpoints(endpoint_template)
    secrets_root = secrets_dir or directory / "secrets"
    try:
        written = create_key_directory(directory, force=force)
        create_development_network(directory / NETWORK_FILE, endpoints=endpoints)
        create_database_secrets(directory)
        shares = export_component_secrets(directory, secrets_root)
        if public_dir is not None:
            publish_directory(directory, public_dir)
    except KeyDirectoryExists:
        err.print(f"[red]error:[/] {directory} already holds files; pass --force to replace its keys and tokens "
                  "(every partner then needs the new public keys)", soft_wrap=True)
        raise typer.Exit(2) from None
    except OSError as error:
        where = error.filename or directory
        err.print(f"[red]error:[/] cannot write {where}: {error.strerror or error}", soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyDirectoryError as error:
        err.print(f"[red]error:[/] {error}", soft_wrap=True)
        raise typer.Exit(2) from None

    out.print(f"[bold]Key directory[/] {directory}", soft_wrap=True)
    out.print(f"  {directory / DIRECTORY_FILE}  public keys of every participant (JWK Set)", soft_wrap=True)
    out.print(f"  {directory / NETWORK_FILE}  participants: endpoints, document types, public keys, SHA-256 "
              "of each API token", soft_wrap=True)
    for key in written.values():
        out.print(f"  {key.private_key_file}  {key.country} private key (mode 0600)", soft_wrap=True)
        out.print(f"  {key.public_key_file}  {key.country} public key", soft_wrap=True)
    out.print(f"  {directory}/*.token  API tokens, the operator's in OPERATOR.token (mode 0600)", soft_wrap=True)
    out.print(f"  {directory}/pgpass  every component's database password (mode 0600)", soft_wrap=True)
    for component, folder in shares.items():
        out.print(f"  {folder}/  {component}'s own secrets: {', '.join(sorted(p.name for p in folder.iterdir()))}",
                  soft_wrap=True)
    if public_dir is not None:
        out.print(f"  {public_dir}/  the public directory alone", soft_wrap=True)
    table = Table("Participant", "Key id", "Public key thumbprint (RFC 7638)")
    table.columns[2].no_wrap = True
    for key in written.values():
        table.add_row(f"{key.country} {PARTICIPANTS[key.country]}", key.key_id, key.thumbprint)
    out.print(table)
    out.print("[yellow]Never commit these directories:[/] they hold private keys, API tokens and passwords.")


def _endpoints(template: str | None) -> dict[str, str] | None:
    if template is None:
        return None
    try:
        return {code: template.format(country=code.lower(), COUNTRY=code) for code in PARTICIPANTS}
    except (KeyError, IndexError, ValueError) as error:
        raise typer.BadParameter(f"{template!r} is not a template with {{country}}: {error}",
                                 param_hint="--endpoint-template") from None
