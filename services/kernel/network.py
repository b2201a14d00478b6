"""The network directory: who the participants are, where they listen and how they prove it.

One JSON file (``SWX_NETWORK_FILE``, never committed) lists the six participants, each with
its NSW endpoint URL, the document types it accepts, the SHA-256 of its API token and its
Ed25519 public key (a JWK), plus the SHA-256 of the operator's and the hub's tokens. It
holds no secret: a service authenticates a caller by hashing the presented token and
comparing hashes, so it never needs the callers' tokens.

    {"participants": {"VN": {"name": "Viet Nam", "endpoint": "http://127.0.0.1:8116",
                             "accepts": ["customs.acdd/1.0", ...], "token_sha256": "9f2c...",
                             "public_key": {"kty": "OKP", "crv": "Ed25519", "x": "...", "kid": "VN"}},
                      ...},
     "operator_token_sha256": "...", "hub_token_sha256": "..."}

The secrets sit in a secrets directory (``keys.py``): ``<ID>.token`` and
``<COUNTRY>.private.pem``, only those the component sends and signs with. It is
``SWX_SECRETS_DIR`` when set (a container's own secrets, mounted read-only), else the
network file's own directory: the embedded development network keeps everything in one
directory, written with fresh keys and tokens the first time a service starts without it.
A network file written before the split (each ``token`` in clear, ``operator_token``,
``hub_token``) still loads: its tokens count as held, and their hashes are computed.
"""

import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.kernel.keys import (
    DIRECTORY_FILE,
    KeyDirectoryError,
    create_key_directory,
    load_private_key,
    load_public_jwks,
    private_key_file,
    public_key_from_jwk,
    token_file,
    write_secret,
)
from services.kernel.participants import HUB, OPERATOR, PARTICIPANTS
from services.kernel.registry import REGISTRY

__all__ = ["HUB", "OPERATOR", "PARTICIPANTS", "MissingSecret", "Network", "Participant", "load_network",
           "load_or_create_network", "create_development_network", "business_document_types", "load_signing_keys",
           "secrets_directory", "set_endpoints", "token_sha256"]

SECRETS_DIR_VARIABLE = "SWX_SECRETS_DIR"


class MissingSecret(LookupError):
    """This component was not given a token it is asked to send with."""


def business_document_types() -> tuple[str, ...]:
    """Every registered type a participant can be sent, as ``id/version`` (not the exchange's own)."""
    return tuple(t.key for t in REGISTRY if not t.type_id.startswith("exchange."))


def token_sha256(token: str) -> str:
    """What the directory lists for a token. A plain SHA-256 is enough: the tokens are random
    with 192 bits of entropy, so there is nothing to guess that a slow hash would protect."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def secrets_directory(network_file: Path) -> Path:
    """Where this component's secrets are: ``SWX_SECRETS_DIR``, else beside the network file."""
    configured = os.environ.get(SECRETS_DIR_VARIABLE)
    return Path(configured) if configured else network_file.parent


@dataclass(frozen=True)
class Participant:
    country: str
    name: str
    token_sha256: str
    endpoint: str | None = None
    accepts: frozenset[str] = field(default_factory=lambda: frozenset(business_document_types()))
    public_key: Mapping[str, str] | None = None
    """The participant's Ed25519 public key as a JWK (RFC 8037), key id = country."""
    token: str | None = None
    """The token itself, only where this component holds it (its own secrets)."""

    def as_entry(self) -> dict[str, Any]:
        """The participant as the directory lists it, without its secret token."""
        return {"country": self.country, "name": self.name, "endpoint": self.endpoint,
                "accepts": sorted(self.accepts), "public_key": dict(self.public_key or {})}


@dataclass(frozen=True)
class Network:
    participants: dict[str, Participant]
    operator_token_sha256: str
    hub_token_sha256: str
    tokens: Mapping[str, str] = field(default_factory=dict)
    """The tokens this component sends with, by identity (a country, ``HUB``, ``OPERATOR``)."""

    def country_of(self, token: str) -> str | None:
        """The country a token belongs to, ``OPERATOR`` or ``HUB`` for those, None if unknown."""
        presented = token_sha256(token).encode()
        found = None
        # compare with every hash, in constant time, so timing says nothing
        for identity, expected in self._token_hashes.items():
            if hmac.compare_digest(expected, presented):
                found = identity
        return found

    @cached_property
    def _token_hashes(self) -> dict[str, bytes]:
        hashes = {code: p.token_sha256 for code, p in self.participants.items()}
        hashes |= {OPERATOR: self.operator_token_sha256, HUB: self.hub_token_sha256}
        return {identity: digest.encode("ascii", "replace") for identity, digest in hashes.items()}

    def token_of(self, identity: str) -> str:
        """The token to send as ``identity``; MissingSecret when this component was not given it."""
        token = self.tokens.get(identity)
        if token is None:
            raise MissingSecret(f"this component holds no token for {identity} (see {SECRETS_DIR_VARIABLE})")
        return token

    @property
    def operator_token(self) -> str:
        return self.token_of(OPERATOR)

    @property
    def hub_token(self) -> str:
        return self.token_of(HUB)

    @cached_property
    def _public_keys(self) -> dict[str, Ed25519PublicKey]:
        keys: dict[str, Ed25519PublicKey] = {}
        for country, participant in self.participants.items():
            if participant.public_key is not None:
                keys[country] = public_key_from_jwk(dict(participant.public_key))
        return keys

    def public_key_for(self, key_id: str) -> Ed25519PublicKey | None:
        """The public key a signature's ``kid`` names, None when the directory has none."""
        return self._public_keys.get(key_id)

    def accepts(self, country: str, document_type: str) -> bool:
        participant = self.participants.get(country)
        return participant is not None and document_type in participant.accepts


def load_network(path: Path, *, secrets: Path | None = None) -> Network:
    """The directory in ``path`` with the tokens found in ``secrets`` (``secrets_directory``
    by default). A token file that does not match the directory's hash is an error: a
    component given another network's secrets would otherwise fail every call it makes."""
    data = json.loads(path.read_text(encoding="utf-8"))
    folder = secrets if secrets is not None else secrets_directory(path)
    held = _legacy_tokens(data)
    hashes = {identity: token_sha256(token) for identity, token in held.items()}
    hashes |= {code: entry["token_sha256"] for code, entry in data["participants"].items() if "token_sha256" in entry}
    for identity, key in ((OPERATOR, "operator_token_sha256"), (HUB, "hub_token_sha256")):
        if key in data:
            hashes[identity] = data[key]
    for identity in hashes:
        file = token_file(folder, identity)
        if identity not in held and file.is_file():
            token = file.read_text(encoding="utf-8").strip()
            if not hmac.compare_digest(token_sha256(token).encode(), str(hashes[identity]).encode()):
                raise ValueError(f"{file} does not hold the token the directory {path} lists for {identity}")
            held[identity] = token
    participants = {}
    for code, entry in data["participants"].items():
        accepts = entry.get("accepts")
        participants[code] = Participant(
            country=code, name=entry["name"], token_sha256=hashes[code], endpoint=entry.get("endpoint"),
            accepts=frozenset(accepts) if accepts is not None else frozenset(business_document_types()),
            public_key=entry.get("public_key"), token=held.get(code),
        )
    return Network(participants=participants, operator_token_sha256=hashes[OPERATOR],
                   hub_token_sha256=hashes[HUB], tokens=held)


def _legacy_tokens(data: dict[str, Any]) -> dict[str, str]:
    """The tokens a network file written before the split lists in clear."""
    held = {code: entry["token"] for code, entry in data["participants"].items() if "token" in entry}
    for identity, key in ((OPERATOR, "operator_token"), (HUB, "hub_token")):
        if key in data:
            held[identity] = data[key]
    return held


def create_development_network(path: Path, *, endpoints: Mapping[str, str] | None = None) -> Network:
    """Write a network file with fresh tokens, each token in a file of its own beside it
    (readable by its owner only), and key pairs beside it unless the directory already has
    them. ``endpoints`` maps a country to its NSW endpoint's base URL."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / DIRECTORY_FILE).exists():
        create_key_directory(directory, force=True)
    jwks = load_public_jwks(directory)
    tokens = {identity: f"swx-{identity.lower()}-{secrets.token_urlsafe(24)}"
              for identity in (*PARTICIPANTS, OPERATOR, HUB)}
    # the tokens first: the network file, written last, says the directory is complete
    for identity, token in tokens.items():
        write_secret(token_file(directory, identity), token + "\n")
    data = {
        "participants": {
            code: {"name": name, "endpoint": (endpoints or {}).get(code), "accepts": list(business_document_types()),
                   "token_sha256": token_sha256(tokens[code]), "public_key": jwks.get(code)}
            for code, name in PARTICIPANTS.items()
        },
        "operator_token_sha256": token_sha256(tokens[OPERATOR]),
        "hub_token_sha256": token_sha256(tokens[HUB]),
    }
    _write(path, data)
    return load_network(path, secrets=directory)


def load_or_create_network(path: Path, *, endpoints: Mapping[str, str] | None = None) -> Network:
    """The network in ``path``; created first when absent. Services starting together
    (``swx up``) create it once: the creation holds a lock file beside it."""
    if path.exists():
        return load_network(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(path.with_name(f".{path.name}.lock")):
        if path.exists():
            return load_network(path)
        create_development_network(path, endpoints=endpoints)
        return load_network(path)


def load_signing_keys(network_file: Path, countries: Iterator[str] | tuple[str, ...] | None = None,
                      ) -> dict[str, Ed25519PrivateKey]:
    """The private keys found in the secrets directory of the network file
    (``secrets_directory``), by country (those of ``countries`` or of every participant); a
    country whose key file is absent is left out: this component does not sign as it."""
    directory = secrets_directory(network_file)
    found: dict[str, Ed25519PrivateKey] = {}
    for country in countries if countries is not None else PARTICIPANTS:
        if private_key_file(directory, country).exists():
            try:
                found[country] = load_private_key(directory, country)
            except KeyDirectoryError:
                continue
    return found


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def set_endpoints(path: Path, endpoints: Mapping[str, str]) -> Network:
    """Point the directory's participants at ``endpoints`` (country -> base URL), keeping
    their tokens and keys: a network restarted on other ports keeps its identities."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if all(data["participants"].get(c, {}).get("endpoint") == url for c, url in endpoints.items()):
        return load_network(path)
    for country, url in endpoints.items():
        data["participants"][country]["endpoint"] = url
    _write(path, data)
    return load_network(path)


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write a temporary file (owner-only) and rename it: no reader ever sees half a network."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(json.dumps(data, indent=2) + "\n")
    partial.replace(path)
