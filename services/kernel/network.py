"""The network directory: who the participants are, where they listen and how they prove it.

One JSON file (``SWX_NETWORK_FILE``, never committed) lists the six participants, each with
its NSW endpoint URL, the document types it accepts, its API token and its Ed25519 public
key (a JWK), plus the operator's and the hub's tokens. The participants' private keys sit
beside it, in the same directory (``keys.py`` writes them). A development network writes
the whole directory with fresh keys and tokens the first time a service starts without it.

    {"participants": {"VN": {"name": "Viet Nam", "endpoint": "http://127.0.0.1:8116",
                             "accepts": ["customs.acdd/1.0", ...], "token": "swx-vn-...",
                             "public_key": {"kty": "OKP", "crv": "Ed25519", "x": "...", "kid": "VN"}},
                      ...},
     "operator_token": "swx-operator-...", "hub_token": "swx-hub-..."}
"""

import fcntl
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
    private_key_file,
    public_key_from_jwk,
)
from services.kernel.participants import OPERATOR, PARTICIPANTS
from services.kernel.registry import REGISTRY

__all__ = ["HUB", "OPERATOR", "PARTICIPANTS", "Network", "Participant", "load_network", "load_or_create_network",
           "create_development_network", "business_document_types", "load_signing_keys", "set_endpoints"]

HUB = "HUB"
"""What ``country_of`` says for the hub's own token (the hub calling an NSW endpoint)."""


def business_document_types() -> tuple[str, ...]:
    """Every registered type a participant can be sent, as ``id/version`` (not the exchange's own)."""
    return tuple(t.key for t in REGISTRY if not t.type_id.startswith("exchange."))


@dataclass(frozen=True)
class Participant:
    country: str
    name: str
    token: str
    endpoint: str | None = None
    accepts: frozenset[str] = field(default_factory=lambda: frozenset(business_document_types()))
    public_key: Mapping[str, str] | None = None
    """The participant's Ed25519 public key as a JWK (RFC 8037), key id = country."""

    def as_entry(self) -> dict[str, Any]:
        """The participant as the directory lists it, without its secret token."""
        return {"country": self.country, "name": self.name, "endpoint": self.endpoint,
                "accepts": sorted(self.accepts), "public_key": dict(self.public_key or {})}


@dataclass(frozen=True)
class Network:
    participants: dict[str, Participant]
    operator_token: str
    hub_token: str

    def country_of(self, token: str) -> str | None:
        """The country a token belongs to, ``OPERATOR`` or ``HUB`` for those, None if unknown."""
        found = None
        for participant in self.participants.values():
            # compare with every token, in constant time, so timing says nothing
            if hmac.compare_digest(participant.token.encode(), token.encode()):
                found = participant.country
        if hmac.compare_digest(self.operator_token.encode(), token.encode()):
            found = OPERATOR
        if hmac.compare_digest(self.hub_token.encode(), token.encode()):
            found = HUB
        return found

    def token_of(self, country: str) -> str:
        return self.participants[country].token

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


def load_network(path: Path) -> Network:
    data = json.loads(path.read_text(encoding="utf-8"))
    participants = {}
    for code, entry in data["participants"].items():
        accepts = entry.get("accepts")
        participants[code] = Participant(
            country=code, name=entry["name"], token=entry["token"], endpoint=entry.get("endpoint"),
            accepts=frozenset(accepts) if accepts is not None else frozenset(business_document_types()),
            public_key=entry.get("public_key"),
        )
    return Network(participants=participants, operator_token=data["operator_token"], hub_token=data["hub_token"])


def create_development_network(path: Path, *, endpoints: Mapping[str, str] | None = None) -> Network:
    """Write a network file with fresh tokens (readable by its owner only), and key pairs
    beside it unless the directory already has them. ``endpoints`` maps a country to its
    NSW endpoint's base URL."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / DIRECTORY_FILE).exists():
        create_key_directory(directory, force=True)
    keys = json.loads((directory / DIRECTORY_FILE).read_text(encoding="utf-8"))
    jwks = {jwk["kid"]: jwk for jwk in keys["keys"]}
    data = {
        "participants": {
            code: {"name": name, "endpoint": (endpoints or {}).get(code), "accepts": list(business_document_types()),
                   "token": f"swx-{code.lower()}-{secrets.token_urlsafe(24)}", "public_key": jwks.get(code)}
            for code, name in PARTICIPANTS.items()
        },
        "operator_token": f"swx-operator-{secrets.token_urlsafe(24)}",
        "hub_token": f"swx-hub-{secrets.token_urlsafe(24)}",
    }
    _write(path, data)
    return load_network(path)


def load_or_create_network(path: Path, *, endpoints: Mapping[str, str] | None = None) -> Network:
    """The network in ``path``; created first when absent. Services starting together
    (``swx up``) create it once: the creation holds a lock file beside it."""
    if path.exists():
        return load_network(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(path.with_name(f".{path.name}.lock")):
        if path.exists():
            return load_network(path)
        return create_development_network(path, endpoints=endpoints)


def load_signing_keys(network_file: Path, countries: Iterator[str] | tuple[str, ...] | None = None,
                      ) -> dict[str, Ed25519PrivateKey]:
    """The private keys found beside the network file, by country (those of ``countries``
    or of every participant); a country whose key file is absent is left out."""
    directory = network_file.parent
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
