"""The key directory of a network: one Ed25519 key pair per participant, the API tokens,
and each component's share of them.

Layout (the directory holds private keys: never commit it; ``.gitignore`` has ``keys/``)::

    <directory>/
        directory.json       every participant's public key, as a JWK Set (RFC 7517 section 5)
        network.json         the public directory (``network.py``): endpoints, types, keys, token hashes
        JP.private.pem       Ed25519 private key, PKCS#8 PEM, unencrypted, mode 0600
        JP.public.pem        its public key, SubjectPublicKeyInfo PEM
        JP.token             JP's API token, mode 0600 (also HUB.token, OPERATOR.token)
        ...                  the same for KH, LA, MM, TH and VN
        pgpass               (``swx keys``) every database role's password, a libpq password file
        postgres-password    (``swx keys``) the database server administrator's password

This whole directory is what the embedded development network reads (every component in
one process tree holds everything). A deployment gives each component only its share:
``export_component_secrets`` writes ``<root>/<component>/`` with the files of
``COMPONENT_SECRETS`` (and the component's own ``pgpass`` line), and
``publish_directory`` copies the public files alone.

Each JWK in ``directory.json`` is ``{"kty":"OKP","crv":"Ed25519","x":..., "kid":<country>,
"use":"sig","alg":"EdDSA"}`` (RFC 8037), so a partner can load the set with any JOSE
library and pick a key by the ``kid`` of a signature's header.
"""

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.kernel.participants import COMPONENT_SECRETS, PARTICIPANTS, database_role
from services.kernel.signing import ALGORITHM, b64url_decode, b64url_encode

DIRECTORY_FILE = "directory.json"
NETWORK_FILE = "network.json"
PGPASS_FILE = "pgpass"
POSTGRES_PASSWORD_FILE = "postgres-password"
DATABASE_ADMIN_ROLE = "swx"
"""The database server's administrator (``POSTGRES_USER`` of the compose file)."""
DATABASE_INIT = "init-databases"
"""The step that creates every component's role and database: it holds every role's password."""
DATABASE_SERVER = "postgres"
"""The database server: it holds its administrator's password."""
ED25519_KEY_BYTES = 32


class KeyDirectoryError(ValueError):
    """A key directory or one of its keys cannot be read as written by ``create_key_directory``."""


class KeyDirectoryExists(FileExistsError):
    """The directory already holds files; replacing keys needs ``force``."""


@dataclass(frozen=True)
class ParticipantKey:
    """What ``create_key_directory`` wrote for one participant."""

    country: str
    private_key_file: Path
    public_key_file: Path
    jwk: dict[str, str]

    @property
    def key_id(self) -> str:
        return self.jwk["kid"]

    @property
    def thumbprint(self) -> str:
        return jwk_thumbprint(self.jwk)


def private_key_file(directory: Path, country: str) -> Path:
    return directory / f"{country}.private.pem"


def public_key_file(directory: Path, country: str) -> Path:
    return directory / f"{country}.public.pem"


def token_file(directory: Path, identity: str) -> Path:
    """Where a directory of secrets keeps the API token of ``identity`` (a country, HUB or OPERATOR)."""
    return directory / f"{identity}.token"


def write_secret(file: Path, content: str, *, mode: int = 0o600) -> None:
    _write(file, content.encode("utf-8"), mode=mode)


def public_jwk(public_key: Ed25519PublicKey, *, key_id: str) -> dict[str, str]:
    """The public key as a JWK (RFC 8037 section 2), named by ``key_id``."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw), "kid": key_id, "use": "sig", "alg": ALGORITHM}


def public_key_from_jwk(jwk: Any) -> Ed25519PublicKey:
    """The Ed25519 public key a JWK holds; KeyDirectoryError when it holds none."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise KeyDirectoryError("not an Ed25519 JWK (kty OKP, crv Ed25519)")
    if "d" in jwk:
        raise KeyDirectoryError("a private key has no place in the public directory")
    x = jwk.get("x")
    try:
        raw = b64url_decode(x) if isinstance(x, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != ED25519_KEY_BYTES:
        raise KeyDirectoryError(f"x must be {ED25519_KEY_BYTES} bytes in base64url")
    return Ed25519PublicKey.from_public_bytes(raw)


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint: base64url SHA-256 of the required members in canonical JSON."""
    required = {name: jwk[name] for name in ("crv", "kty", "x")}
    text = json.dumps(required, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b64url_encode(hashlib.sha256(text.encode("utf-8")).digest())


def create_key_directory(path: Path, *, force: bool = False) -> dict[str, ParticipantKey]:
    """Write fresh key pairs for the six participants and ``directory.json``.

    A directory that exists and is not empty is refused (``KeyDirectoryExists``) unless
    ``force``: replacing keys invalidates every partner's copy of the public keys.
    """
    if path.exists() and not force and (not path.is_dir() or any(path.iterdir())):
        raise KeyDirectoryExists(f"{path} already exists and is not empty")
    if not path.exists():
        path.mkdir(mode=0o700, parents=True)
    written: dict[str, ParticipantKey] = {}
    for country in PARTICIPANTS:
        private_key = Ed25519PrivateKey.generate()
        private_pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        public_pem = private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _write(private_key_file(path, country), private_pem, mode=0o600)
        _write(public_key_file(path, country), public_pem, mode=0o644)
        written[country] = ParticipantKey(
            country=country,
            private_key_file=private_key_file(path, country),
            public_key_file=public_key_file(path, country),
            jwk=public_jwk(private_key.public_key(), key_id=country),
        )
    key_set = {"keys": [key.jwk for key in written.values()]}
    _write(path / DIRECTORY_FILE, (json.dumps(key_set, indent=2) + "\n").encode("utf-8"), mode=0o644)
    return written


def load_private_key(path: Path, country: str) -> Ed25519PrivateKey:
    """The participant's private key from its PEM file in the key directory."""
    file = private_key_file(path, country)
    try:
        key = serialization.load_pem_private_key(file.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise KeyDirectoryError(f"{file}: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyDirectoryError(f"{file}: not an Ed25519 private key")
    return key


def load_public_jwks(path: Path) -> dict[str, dict[str, Any]]:
    """Every participant's public key from ``directory.json`` as its JWK, by key id (the
    country); KeyDirectoryError unless each is an Ed25519 public key under a key id of its own."""
    file = path / DIRECTORY_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise KeyDirectoryError(f"{file}: {error}") from None
    entries = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise KeyDirectoryError(f"{file}: not a JWK Set (an object with a list of keys)")
    jwks: dict[str, dict[str, Any]] = {}
    for index, jwk in enumerate(entries):
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        if not isinstance(kid, str) or not kid or kid in jwks:
            raise KeyDirectoryError(f"{file}: key {index} has no key id, or one used before")
        try:
            public_key_from_jwk(jwk)
        except KeyDirectoryError as error:
            raise KeyDirectoryError(f"{file}: key {kid}: {error}") from None
        jwks[kid] = jwk
    return jwks


def _write(file: Path, content: bytes, *, mode: int) -> None:
    # open with the final mode, and set it again in case the file existed (force) with another
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), mode)
    with os.fdopen(fd, "wb") as stream:
        os.fchmod(stream.fileno(), mode)
        stream.write(content)


def create_database_secrets(directory: Path) -> None:
    """A fresh password for each component's database role and one for the server's
    administrator: ``pgpass`` (libpq's password file format, every role) and
    ``postgres-password`` in ``directory``."""
    passwords = {database_role(component): secrets.token_urlsafe(24) for component in COMPONENT_SECRETS}
    passwords[DATABASE_ADMIN_ROLE] = secrets.token_urlsafe(24)
    write_secret(directory / PGPASS_FILE, "".join(_pgpass_line(role, pw) for role, pw in passwords.items()))
    write_secret(directory / POSTGRES_PASSWORD_FILE, passwords[DATABASE_ADMIN_ROLE] + "\n")


def _pgpass_line(role: str, password: str) -> str:
    # any host and port, the role's own database (the administrator's: any); token_urlsafe
    # passwords hold no ':' or '\' to escape
    database = "*" if role == DATABASE_ADMIN_ROLE else role
    return f"*:*:{database}:{role}:{password}\n"


def database_passwords(pgpass: Path) -> dict[str, str]:
    """Each role's password in a libpq password file (``host:port:database:role:password``)."""
    try:
        lines = pgpass.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise KeyDirectoryError(f"{pgpass}: {error.strerror or error}") from None
    found: dict[str, str] = {}
    for line in lines:
        fields = line.split(":")
        if line.strip() and not line.startswith("#"):
            if len(fields) != 5:
                raise KeyDirectoryError(f"{pgpass}: not a password file line (host:port:database:role:password)")
            found[fields[3]] = fields[4]
    return found


def component_share(master: Path, component: str) -> dict[str, bytes]:
    """The files, by name, that ``component`` is given from the full directory ``master``."""
    plan = COMPONENT_SECRETS.get(component)
    if component == DATABASE_SERVER:
        files = [master / POSTGRES_PASSWORD_FILE]
    elif component == DATABASE_INIT:
        files = [master / PGPASS_FILE]
    elif plan is not None:
        files = [*(private_key_file(master, c) for c in plan.signs_as),
                 *(token_file(master, identity) for identity in plan.sends_as), master / PGPASS_FILE]
    else:
        raise KeyDirectoryError(f"{component} is not a component of the network")
    share = {file.name: _read(file) for file in files}
    if plan is not None:
        role = database_role(component).encode()
        own = [line for line in share[PGPASS_FILE].splitlines(keepends=True) if line.split(b":")[3:4] == [role]]
        if not own:
            raise KeyDirectoryError(f"{master / PGPASS_FILE}: no password for {component}'s role")
        share[PGPASS_FILE] = b"".join(own)
    return share


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        raise KeyDirectoryError(f"{file}: {error.strerror or error}") from None


def export_component_secrets(master: Path, root: Path) -> dict[str, Path]:
    """Write each component's share of ``master`` into ``root/<component>/`` (which may be
    mount points: they are emptied, never removed), and nothing else there."""
    written: dict[str, Path] = {}
    for component in (*COMPONENT_SECRETS, DATABASE_INIT, DATABASE_SERVER):
        folder = root / component
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        share = component_share(master, component)
        for stale in folder.iterdir():
            if stale.name not in share and (stale.is_file() or stale.is_symlink()):
                stale.unlink()
        for name, content in share.items():
            # the server reads its password as its own user (postgres), not as the one writing it
            _write(folder / name, content, mode=0o644 if component == DATABASE_SERVER else 0o600)
        written[component] = folder
    return written


def publish_directory(master: Path, public: Path) -> None:
    """Copy the public files of ``master`` (no private key, token or password) into ``public``,
    the network file last: a reader that finds it finds the rest."""
    public.mkdir(parents=True, exist_ok=True)
    names = [DIRECTORY_FILE, *(public_key_file(master, c).name for c in PARTICIPANTS), NETWORK_FILE]
    for name in names:
        _write(public / name, (master / name).read_bytes(), mode=0o644)
