"""Signatures on exchange documents: compact JWS (RFC 7515), EdDSA with Ed25519 (RFC 8037).

What is signed
    The document (an ``Envelope``, ``Receipt`` or ``ErrorSignal``) without its ``signature``
    field, as canonical JSON: the typed document's JSON data (``canonical.json_data``:
    absent values left out, date-times in ISO 8601 with their offset) written with sorted
    keys, no white space, UTF-8 and no ``\\u`` escapes beyond what JSON requires. For these
    documents (ASCII keys, string values only) that is the JSON Canonicalization Scheme
    (RFC 8785) byte for byte. The bytes come from the typed model, not from the wire, so a
    document signed as JSON verifies after travelling as XML. An envelope's signing input
    includes the payload and its ``payload_digest``; ``verify`` also checks the digest, so a
    receipt that repeats the digest binds exactly the payload that was signed.

The signature value
    ``BASE64URL(protected header) + ".." + BASE64URL(signature)``: a compact JWS with a
    detached payload (RFC 7515 Appendix F), the payload being the signing input above. The
    protected header is ``{"alg":"EdDSA","kid":"<country>"}``; the key id is the signing
    participant's country, whose public key the network directory lists.

Who signs
    An envelope is signed by its ``sender``; a receipt or an error signal by its
    ``receiver``, the participant that issues it (non-repudiation of receipt).

Errors: one exception, ``SignatureInvalid``, with a ``reason`` code (``Reason``) fit for an
error signal's ``code``. ``verify`` raises nothing else, whatever the input.
"""

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.kernel import canonical
from services.kernel.messages.exchange import Envelope, ErrorSignal, Receipt

ALGORITHM = "EdDSA"
MAX_SIGNATURE_LENGTH = 4096
"""As the ``signature`` field allows: a longer value is refused before it is parsed."""
ED25519_SIGNATURE_BYTES = 64

SignedDocument = TypeVar("SignedDocument", Envelope, Receipt, ErrorSignal)
PublicKeyLookup = Callable[[str], Ed25519PublicKey | None]

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_UNSUPPORTED_HEADERS = ("crit", "b64")
"""``crit`` names extensions a verifier must understand (RFC 7515 4.1.11); ``b64`` changes
what the payload is (RFC 7797). This verifier implements neither, so it refuses both."""


class Reason(StrEnum):
    """Why a signature is refused."""

    MISSING = "SIGNATURE_MISSING"
    MALFORMED = "SIGNATURE_MALFORMED"
    ALGORITHM = "SIGNATURE_ALGORITHM_REFUSED"
    UNKNOWN_KEY = "SIGNATURE_KEY_UNKNOWN"
    WRONG_SIGNER = "SIGNATURE_NOT_BY_SIGNER"
    BAD_SIGNATURE = "SIGNATURE_MISMATCH"
    DIGEST_MISMATCH = "PAYLOAD_DIGEST_MISMATCH"


class SignatureInvalid(Exception):
    """A document's signature does not prove that its signer issued it as it stands."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of ``b64url_encode``: ValueError on padding, other characters or
    non-zero spare bits, so that one value has exactly one encoding."""
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url without padding")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except binascii.Error as error:
        raise ValueError(f"not base64url: {error}") from None
    if b64url_encode(data) != text:
        raise ValueError("not the canonical base64url encoding")
    return data


def signer_of(document: Envelope | Receipt | ErrorSignal) -> str:
    """The participant whose key must have signed the document."""
    return document.sender if isinstance(document, Envelope) else document.receiver


def signing_input(document: Envelope | Receipt | ErrorSignal) -> bytes:
    """The canonical bytes a signature covers: the document without ``signature``."""
    data = canonical.json_data(document)
    data.pop("signature", None)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compact_jws(payload: bytes, *, private_key: Ed25519PrivateKey, header: Mapping[str, Any],
                detached: bool = True) -> str:
    """A compact JWS of ``payload``; detached (``header..signature``) unless asked otherwise.

    ``header`` is written as given, in compact JSON; it must name ``"alg": "EdDSA"``.
    """
    if header.get("alg") != ALGORITHM:
        raise ValueError(f"the header must name alg {ALGORITHM!r}")
    protected = b64url_encode(json.dumps(dict(header), separators=(",", ":")).encode("utf-8"))
    encoded_payload = b64url_encode(payload)
    signature = private_key.sign(f"{protected}.{encoded_payload}".encode("ascii"))
    return f"{protected}.{'' if detached else encoded_payload}.{b64url_encode(signature)}"


def sign(document: SignedDocument, *, private_key: Ed25519PrivateKey, key_id: str) -> SignedDocument:
    """A copy of ``document`` with ``signature`` set; any earlier signature is replaced.

    ``key_id`` should be the country of ``signer_of(document)``: ``verify`` refuses another.
    """
    value = compact_jws(signing_input(document), private_key=private_key, header={"alg": ALGORITHM, "kid": key_id})
    return document.model_copy(update={"signature": value})


def envelope_signer(private_keys: Mapping[str, Ed25519PrivateKey]) -> Callable[[Envelope], Envelope]:
    """A function that signs an envelope with its sender's key from ``private_keys``
    (by country); it raises ``LookupError`` for a sender whose key is not there."""

    def sign_envelope(envelope: Envelope) -> Envelope:
        key = private_keys.get(envelope.sender)
        if key is None:
            raise LookupError(f"no private key for {envelope.sender} beside the network file")
        return sign(envelope, private_key=key, key_id=envelope.sender)

    return sign_envelope


def verify(document: Envelope | Receipt | ErrorSignal, *, public_key_for: PublicKeyLookup) -> None:
    """Return if the document's signer signed it as it stands, else raise ``SignatureInvalid``.

    ``public_key_for`` maps a key id (a country) to its public key, None when unknown.
    The checks run from the cheapest: the JWS's form and algorithm, the envelope's payload
    digest, the key and signer, and last the Ed25519 signature itself.
    """
    value = document.signature
    if not value:
        raise SignatureInvalid(Reason.MISSING, "the document is not signed")
    protected, header, signature = _parse_detached(value)
    if isinstance(document, Envelope):
        _check_digest(document)
    key_id = header["kid"]
    public_key = public_key_for(key_id)
    if public_key is None:
        raise SignatureInvalid(Reason.UNKNOWN_KEY, f"no public key for key id {key_id!r} in the network directory")
    signer = signer_of(document)
    if key_id != signer:
        role = "sender" if isinstance(document, Envelope) else "receiver (the issuer)"
        raise SignatureInvalid(Reason.WRONG_SIGNER, f"signed with the key of {key_id}, but the {role} is {signer}")
    try:
        content = signing_input(document)
    except UnicodeEncodeError:
        raise SignatureInvalid(Reason.MALFORMED, "the document is not encodable as UTF-8") from None
    try:
        public_key.verify(signature, protected.encode("ascii") + b"." + b64url_encode(content).encode("ascii"))
    except InvalidSignature:
        detail = f"the signature does not match the document as it stands or {key_id}'s key"
        raise SignatureInvalid(Reason.BAD_SIGNATURE, detail) from None


def _check_digest(envelope: Envelope) -> None:
    try:
        actual = canonical.digest(envelope.payload)
    except UnicodeEncodeError:
        raise SignatureInvalid(Reason.MALFORMED, "the payload is not encodable as UTF-8") from None
    if actual != envelope.payload_digest:
        raise SignatureInvalid(Reason.DIGEST_MISMATCH, "payload_digest is not the SHA-256 of the payload's UTF-8 bytes")


def _parse_detached(value: object) -> tuple[str, dict[str, Any], bytes]:
    """The encoded protected header, the decoded header and the signature bytes."""
    if not isinstance(value, str) or len(value) > MAX_SIGNATURE_LENGTH:
        raise SignatureInvalid(Reason.MALFORMED, f"not a compact JWS of at most {MAX_SIGNATURE_LENGTH} characters")
    parts = value.split(".")
    if len(parts) != 3:
        raise SignatureInvalid(Reason.MALFORMED, "a compact JWS has three parts separated by '.'")
    protected, payload, encoded_signature = parts
    if payload:
        raise SignatureInvalid(Reason.MALFORMED, "the payload must be detached (header..signature), not attached")
    header = _decode_header(protected)
    try:
        signature = b64url_decode(encoded_signature)
    except ValueError as error:
        raise SignatureInvalid(Reason.MALFORMED, f"signature part: {error}") from None
    if len(signature) != ED25519_SIGNATURE_BYTES:
        raise SignatureInvalid(Reason.MALFORMED, f"an Ed25519 signature has {ED25519_SIGNATURE_BYTES} bytes")
    return protected, header, signature


def _decode_header(protected: str) -> dict[str, Any]:
    try:
        header = json.loads(b64url_decode(protected).decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise SignatureInvalid(Reason.MALFORMED, "the protected header is not base64url JSON") from None
    if not isinstance(header, dict):
        raise SignatureInvalid(Reason.MALFORMED, "the protected header is not a JSON object")
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise SignatureInvalid(Reason.ALGORITHM, f"algorithm {alg!r} refused: only {ALGORITHM} is accepted")
    for name in _UNSUPPORTED_HEADERS:
        if name in header:
            raise SignatureInvalid(Reason.MALFORMED, f"header parameter {name!r} is not supported")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise SignatureInvalid(Reason.MALFORMED, "the protected header has no key id (kid)")
    return header


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # two "alg" members could be read differently by two parsers: refuse them (RFC 7515 4)
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ValueError("duplicate member in the protected header")
    return data
