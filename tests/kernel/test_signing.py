"""Signed exchange documents: round trips, tampering, wrong keys, refused forms, interoperability,
and the key directory the keys come from."""

import base64
import hashlib
import hmac
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.kernel import canonical, keys, signing
from services.kernel.messages.exchange import Envelope, ErrorSignal, Receipt
from services.kernel.network import PARTICIPANTS
from services.kernel.signing import Reason, SignatureInvalid
from services.kernel.validation import validate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXCHANGE_FIXTURES = sorted(
    path for kind in ("exchange.envelope", "exchange.receipt", "exchange.error")
    for path in (FIXTURES / kind / "valid").glob("*.*") if path.suffix in (".json", ".xml")
)

Exchange = Envelope | Receipt | ErrorSignal
PrivateKeys = dict[str, Ed25519PrivateKey]
Lookup = Callable[[str], Ed25519PublicKey | None]

# RFC 8037 Appendix A: an Ed25519 key, its thumbprint and a JWS of "Example of Ed25519 signing"
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


@pytest.fixture(scope="module")
def private_keys() -> PrivateKeys:
    return {country: Ed25519PrivateKey.generate() for country in PARTICIPANTS}


@pytest.fixture(scope="module")
def public_key_for(private_keys: PrivateKeys) -> Lookup:
    return {country: key.public_key() for country, key in private_keys.items()}.get


def load(path: Path) -> Any:
    document = validate(path.read_bytes()).document
    assert isinstance(document, Envelope | Receipt | ErrorSignal), path
    return document


def signed_by_signer(document: Any, private_keys: PrivateKeys) -> Any:
    signer = signing.signer_of(document)
    return signing.sign(document, private_key=private_keys[signer], key_id=signer)


def refusal(document: Exchange, public_key_for: Lookup) -> SignatureInvalid:
    with pytest.raises(SignatureInvalid) as caught:
        signing.verify(document, public_key_for=public_key_for)
    return caught.value


def with_signature(document: Exchange, value: object) -> Any:
    return document.model_copy(update={"signature": value})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def header_part(header: dict[str, Any]) -> str:
    return b64(json.dumps(header).encode())


@pytest.fixture
def envelope(private_keys: PrivateKeys) -> Envelope:
    document: Envelope = signed_by_signer(
        load(FIXTURES / "exchange.envelope/valid/th-to-vn-acdd-natural-rubber-xml.json"), private_keys
    )
    return document


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXCHANGE_FIXTURES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_exchange_fixture_signed_by_its_signer_verifies(
    path: Path, private_keys: PrivateKeys, public_key_for: Lookup,
) -> None:
    document = load(path)
    signed = signed_by_signer(document, private_keys)
    signing.verify(signed, public_key_for=public_key_for)
    assert signed.model_copy(update={"signature": None}) == document.model_copy(update={"signature": None})


@pytest.mark.parametrize("path", EXCHANGE_FIXTURES[::2], ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_signature_survives_the_trip_through_xml(path: Path, private_keys: PrivateKeys, public_key_for: Lookup) -> None:
    report = validate(path.read_bytes())
    assert report.message_type is not None
    signed = signed_by_signer(load(path), private_keys)
    received = validate(canonical.xml_bytes(signed, report.message_type)).document
    assert isinstance(received, type(signed))
    signing.verify(received, public_key_for=public_key_for)


def test_signed_document_passes_its_own_schema_and_keeps_the_signature(envelope: Envelope) -> None:
    assert envelope.signature is not None
    again = Envelope.model_validate_json(canonical.json_text(envelope))
    assert again.signature == envelope.signature
    assert len(envelope.signature) < 200


def test_signature_is_a_detached_jws_with_eddsa_and_the_signers_kid(envelope: Envelope) -> None:
    assert envelope.signature is not None
    protected, payload, signature = envelope.signature.split(".")
    assert payload == ""
    assert json.loads(base64.urlsafe_b64decode(protected + "==")) == {"alg": "EdDSA", "kid": "TH"}
    assert len(base64.urlsafe_b64decode(signature + "==")) == 64


def test_signing_input_is_sorted_compact_utf8_json_without_the_signature(envelope: Envelope) -> None:
    document = envelope.model_copy(update={"payload": '{"city": "Hà Nội"}', "in_reply_to": None})
    data = signing.signing_input(document)
    expected = {k: v for k, v in json.loads(canonical.json_text(document)).items() if k != "signature"}
    assert json.loads(data) == expected
    assert data.startswith(b'{"conversation_id":')
    assert b"signature" not in data
    assert b"in_reply_to" not in data
    assert b'", "' not in data
    assert b'": "' not in data
    assert "Hà Nội".encode() in data


def test_sign_returns_a_copy_and_replaces_an_earlier_signature(private_keys: PrivateKeys) -> None:
    original = load(FIXTURES / "exchange.envelope/valid/th-to-vn-acdd-natural-rubber-xml.json")
    placeholder = original.signature
    assert placeholder is not None
    signed = signing.sign(original, private_key=private_keys["TH"], key_id="TH")
    assert original.signature == placeholder
    assert signed.signature != placeholder
    # the earlier signature is not part of what is signed, and Ed25519 is deterministic
    assert signing.sign(signed, private_key=private_keys["TH"], key_id="TH").signature == signed.signature


# --- what verification refuses -------------------------------------------------------------


def test_unsigned_document_is_refused(envelope: Envelope, public_key_for: Lookup) -> None:
    assert refusal(with_signature(envelope, None), public_key_for).reason is Reason.MISSING


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"payload": "<ACDD/>"}, Reason.DIGEST_MISMATCH),
        ({"payload": "<ACDD/>", "payload_digest": canonical.digest("<ACDD/>")}, Reason.BAD_SIGNATURE),
        ({"receiver": "JP"}, Reason.BAD_SIGNATURE),
        ({"created_at": "2026-11-16T15:42:31+07:00"}, Reason.BAD_SIGNATURE),
        ({"document_type": "customs.acdd/1.1"}, Reason.BAD_SIGNATURE),
        ({"message_id": "00000000-0000-4000-8000-000000000000"}, Reason.BAD_SIGNATURE),
        ({"in_reply_to": "00000000-0000-4000-8000-000000000000"}, Reason.BAD_SIGNATURE),
        ({"payload_format": "json"}, Reason.BAD_SIGNATURE),
    ],
    ids=["payload", "payload-and-digest", "receiver", "created_at", "document_type", "message_id",
         "in_reply_to", "payload_format"],
)
def test_tampered_envelope_is_refused(
    envelope: Envelope, public_key_for: Lookup, change: dict[str, str], reason: Reason,
) -> None:
    tampered = Envelope.model_validate_json(json.dumps({**json.loads(canonical.json_text(envelope)), **change}))
    assert refusal(tampered, public_key_for).reason is reason


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("exchange.receipt/valid/vn-acknowledges-acdd-natural-rubber-xml.json", "payload_digest", "0" * 64),
        ("exchange.receipt/valid/vn-acknowledges-acdd-natural-rubber-xml.json", "received_at",
         "2026-11-16T15:42:34+07:00"),
        ("exchange.error/valid/vn-rejects-manifest-with-invalid-nationality.json", "category", "transient"),
        ("exchange.error/valid/vn-rejects-manifest-with-invalid-nationality.json", "description", "All fine."),
    ],
    ids=["receipt-digest", "receipt-time", "error-category", "error-description"],
)
def test_tampered_receipt_or_error_signal_is_refused(
    path: str, field: str, value: str, private_keys: PrivateKeys, public_key_for: Lookup,
) -> None:
    signed = signed_by_signer(load(FIXTURES / path), private_keys)
    tampered = type(signed).model_validate_json(json.dumps({**json.loads(canonical.json_text(signed)), field: value}))
    assert refusal(tampered, public_key_for).reason is Reason.BAD_SIGNATURE


def test_envelope_signed_with_another_countrys_key_names_the_signer(
    envelope: Envelope, private_keys: PrivateKeys, public_key_for: Lookup,
) -> None:
    forged = signing.sign(envelope, private_key=private_keys["JP"], key_id="JP")
    error = refusal(forged, public_key_for)
    assert error.reason is Reason.WRONG_SIGNER
    assert "the key of JP" in error.detail
    assert "sender is TH" in error.detail


def test_envelope_claiming_the_senders_kid_with_another_key_is_a_bad_signature(
    envelope: Envelope, private_keys: PrivateKeys, public_key_for: Lookup,
) -> None:
    forged = signing.sign(envelope, private_key=private_keys["JP"], key_id="TH")
    assert refusal(forged, public_key_for).reason is Reason.BAD_SIGNATURE


def test_receipt_must_be_signed_by_its_receiver_not_the_original_sender(
    private_keys: PrivateKeys, public_key_for: Lookup,
) -> None:
    receipt = load(FIXTURES / "exchange.receipt/valid/vn-acknowledges-acdd-natural-rubber-xml.json")
    assert (receipt.sender, receipt.receiver) == ("TH", "VN")
    by_sender = signing.sign(receipt, private_key=private_keys["TH"], key_id="TH")
    error = refusal(by_sender, public_key_for)
    assert error.reason is Reason.WRONG_SIGNER
    assert "receiver (the issuer) is VN" in error.detail


def test_unknown_key_id_is_refused(envelope: Envelope, private_keys: PrivateKeys, public_key_for: Lookup) -> None:
    forged = signing.sign(envelope, private_key=Ed25519PrivateKey.generate(), key_id="US")
    error = refusal(forged, public_key_for)
    assert error.reason is Reason.UNKNOWN_KEY
    assert "'US'" in error.detail


def _forged_with_header(envelope: Envelope, header: dict[str, Any], secret: bytes) -> Any:
    protected = header_part(header)
    content = b64(signing.signing_input(envelope))
    mac = hmac.new(secret, f"{protected}.{content}".encode(), hashlib.sha256).digest()
    return with_signature(envelope, f"{protected}..{b64(mac)}")


@pytest.mark.parametrize(
    "header",
    [{"alg": "none", "kid": "TH"}, {"alg": "HS256", "kid": "TH"}, {"alg": "Ed25519", "kid": "TH"},
     {"alg": "eddsa", "kid": "TH"}, {"alg": ["EdDSA"], "kid": "TH"}, {"kid": "TH"}],
    ids=["none", "HS256", "Ed25519", "lower-case", "list", "absent"],
)
def test_any_algorithm_but_eddsa_is_refused(envelope: Envelope, public_key_for: Lookup, header: dict[str, Any]) -> None:
    # HS256 keyed with the sender's public key: the classic algorithm-confusion forgery
    public = public_key_for("TH")
    assert public is not None
    forged = _forged_with_header(envelope, header, public.public_bytes_raw())
    assert refusal(forged, public_key_for).reason is Reason.ALGORITHM
    assert refusal(with_signature(envelope, f"{header_part(header)}.."), public_key_for).reason is Reason.ALGORITHM


def test_attached_payload_is_refused(envelope: Envelope, private_keys: PrivateKeys, public_key_for: Lookup) -> None:
    attached = signing.compact_jws(signing.signing_input(envelope), private_key=private_keys["TH"],
                                   header={"alg": "EdDSA", "kid": "TH"}, detached=False)
    error = refusal(with_signature(envelope, attached), public_key_for)
    assert error.reason is Reason.MALFORMED
    assert "detached" in error.detail


BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _malformed_cases(envelope: Envelope) -> dict[str, object]:
    assert envelope.signature is not None
    protected, _, signature = envelope.signature.split(".")
    kid_th = header_part({"alg": "EdDSA", "kid": "TH"})
    # 64 bytes take 86 characters whose last one carries 4 unused bits: setting one gives a
    # second spelling of the same bytes, which a strict decoder refuses
    spare_bit = BASE64URL_ALPHABET[BASE64URL_ALPHABET.index(signature[-1]) + 1]
    duplicate_alg = b64(b'{"alg":"none","alg":"EdDSA","kid":"TH"}')
    return {
        "two parts": f"{protected}.{signature}",
        "four parts": f"{protected}...{signature}",
        "padded signature": f"{protected}..{signature}==",
        "standard base64": f"{protected}..{signature.replace('-', '+').replace('_', '/')}+",
        "spare bits set": f"{protected}..{signature[:-1]}{spare_bit}",
        "short signature": f"{protected}..{b64(bytes(63))}",
        "header not json": f"{b64(b'alg=EdDSA')}..{signature}",
        "header not utf-8": f"{b64(bytes([0xff, 0xfe]))}..{signature}",
        "header is a list": f"{b64(b'[1]')}..{signature}",
        "duplicate alg": f"{duplicate_alg}..{signature}",
        "no kid": f"{header_part({'alg': 'EdDSA'})}..{signature}",
        "kid not text": f"{header_part({'alg': 'EdDSA', 'kid': 7})}..{signature}",
        "crit": f"{header_part({'alg': 'EdDSA', 'kid': 'TH', 'crit': ['exp'], 'exp': 1})}..{signature}",
        "unencoded payload": f"{header_part({'alg': 'EdDSA', 'kid': 'TH', 'b64': False})}..{signature}",
        "too long": f"{kid_th}..{'A' * 5000}",
        "not text": 42,
    }


@pytest.mark.parametrize(
    "case", ["two parts", "four parts", "padded signature", "standard base64", "spare bits set", "short signature",
             "header not json", "header not utf-8", "header is a list", "duplicate alg", "no kid", "kid not text",
             "crit", "unencoded payload", "too long", "not text"],
)
def test_malformed_signature_is_refused_as_malformed(envelope: Envelope, public_key_for: Lookup, case: str) -> None:
    value = _malformed_cases(envelope)[case]
    assert refusal(with_signature(envelope, value), public_key_for).reason is Reason.MALFORMED


def test_lone_surrogate_in_payload_is_refused_not_crashed(envelope: Envelope, public_key_for: Lookup) -> None:
    broken = envelope.model_copy(update={"payload": "\ud800"})
    assert refusal(broken, public_key_for).reason is Reason.MALFORMED


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(
    st.text(max_size=300),
    st.from_regex(r"\A[A-Za-z0-9_-]{0,120}\.[A-Za-z0-9_-]{0,20}\.[A-Za-z0-9_-]{0,120}\Z"),
    st.builds(lambda header, sig: f"{b64(header)}..{b64(sig)}", st.binary(max_size=200), st.binary(max_size=80)),
    st.builds(lambda header, sig: f"{header_part(header)}..{b64(sig)}",
              st.dictionaries(st.sampled_from(["alg", "kid", "typ", "crit", "b64", "x"]),
                              st.one_of(st.sampled_from(["EdDSA", "TH", "JP", "none", ""]), st.integers(),
                                        st.none(), st.lists(st.text(max_size=5), max_size=3))),
              st.binary(min_size=60, max_size=68)),
))
def test_arbitrary_signature_values_raise_only_signature_invalid(
    envelope: Envelope, public_key_for: Lookup, value: str,
) -> None:
    with pytest.raises(SignatureInvalid):
        signing.verify(with_signature(envelope, value), public_key_for=public_key_for)


# --- standard form: known answers and another implementation ----------------------------------


def test_rfc8037_known_answer_for_the_jws_signer() -> None:
    private_key = Ed25519PrivateKey.from_private_bytes(signing.b64url_decode(RFC8037_D))
    jwk = keys.public_jwk(private_key.public_key(), key_id="rfc8037")
    assert jwk["x"] == RFC8037_X
    assert keys.jwk_thumbprint(jwk) == RFC8037_THUMBPRINT
    attached = signing.compact_jws(b"Example of Ed25519 signing", private_key=private_key, header={"alg": "EdDSA"},
                                   detached=False)
    assert attached == RFC8037_JWS
    protected, _, signature = RFC8037_JWS.split(".")
    assert signing.compact_jws(b"Example of Ed25519 signing", private_key=private_key,
                               header={"alg": "EdDSA"}) == f"{protected}..{signature}"


def test_signature_checks_out_with_cryptography_alone(envelope: Envelope, public_key_for: Lookup) -> None:
    """An independent reading of the format: RFC 7515 section 5.2 by hand, no swx code involved."""
    assert envelope.signature is not None
    protected, _, signature = envelope.signature.split(".")
    data = json.loads(envelope.model_dump_json(exclude_none=True, exclude={"signature"}))
    content = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    public = public_key_for("TH")
    assert public is not None
    public.verify(base64.urlsafe_b64decode(signature + "=="), f"{protected}.{b64(content)}".encode())


def test_joserfc_verifies_our_detached_signature_and_we_verify_its(
    envelope: Envelope, private_keys: PrivateKeys, public_key_for: Lookup,
) -> None:
    from joserfc import jwk, jws
    from joserfc.errors import SecurityWarning

    public = public_key_for("TH")
    assert public is not None
    our_jwk: dict[str, str | list[str]] = {**keys.public_jwk(public, key_id="TH")}
    key = jwk.OKPKey.import_key(our_jwk)
    assert envelope.signature is not None
    content = signing.signing_input(envelope)
    # RFC 9864 deprecates the polymorphic "EdDSA" name for "Ed25519"; joserfc says so
    with pytest.warns(SecurityWarning, match="9864"):
        verified = jws.deserialize_compact(envelope.signature, key, algorithms=["EdDSA"], payload=content)
    assert verified.headers() == {"alg": "EdDSA", "kid": "TH"}
    assert verified.payload == content

    private = jwk.OKPKey.import_key(private_keys["TH"])
    with pytest.warns(SecurityWarning, match="9864"):
        theirs = jws.serialize_compact({"alg": "EdDSA", "kid": "TH"}, content, private, algorithms=["EdDSA"])
    signing.verify(with_signature(envelope, jws.detach_content(theirs)), public_key_for=public_key_for)


# --- the key directory ---------------------------------------------------------------------


def test_key_directory_holds_a_key_pair_per_participant_with_private_keys_owner_only(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    written = keys.create_key_directory(directory)
    assert sorted(written) == sorted(PARTICIPANTS)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for country, entry in written.items():
        assert stat.S_IMODE(entry.private_key_file.stat().st_mode) == 0o600
        assert entry.private_key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
        assert entry.public_key_file.read_text().startswith("-----BEGIN PUBLIC KEY-----")
        assert entry.key_id == country
    key_set = json.loads((directory / "directory.json").read_text())
    assert [k["kid"] for k in key_set["keys"]] == list(PARTICIPANTS)
    assert all(set(k) == {"kty", "crv", "x", "kid", "use", "alg"} for k in key_set["keys"])


def test_keys_loaded_from_the_directory_sign_and_verify(tmp_path: Path) -> None:
    keys.create_key_directory(tmp_path)
    public_keys = {kid: keys.public_key_from_jwk(jwk) for kid, jwk in keys.load_public_jwks(tmp_path).items()}
    receipt = load(FIXTURES / "exchange.receipt/valid/jp-acknowledges-vessel-call-siam-harmony-xml.json")
    signed = signing.sign(receipt, private_key=keys.load_private_key(tmp_path, "JP"), key_id="JP")
    signing.verify(signed, public_key_for=public_keys.get)
    with pytest.raises(SignatureInvalid):
        signing.verify(signing.sign(receipt, private_key=keys.load_private_key(tmp_path, "TH"), key_id="JP"),
                       public_key_for=public_keys.get)


def test_existing_key_directory_is_kept_unless_forced(tmp_path: Path) -> None:
    first = keys.create_key_directory(tmp_path / "keys")
    with pytest.raises(keys.KeyDirectoryExists):
        keys.create_key_directory(tmp_path / "keys")
    kept = keys.load_public_jwks(tmp_path / "keys")
    assert {c: k.thumbprint for c, k in first.items()} == {c: keys.jwk_thumbprint(jwk) for c, jwk in kept.items()}
    replaced = keys.create_key_directory(tmp_path / "keys", force=True)
    assert all(replaced[c].thumbprint != first[c].thumbprint for c in PARTICIPANTS)
    assert stat.S_IMODE(replaced["VN"].private_key_file.stat().st_mode) == 0o600


def test_empty_existing_directory_is_used(tmp_path: Path) -> None:
    assert len(keys.create_key_directory(tmp_path)) == 6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["keys"].append(dict(s["keys"][0])), "used before"),
        (lambda s: s["keys"][1].update(d=RFC8037_D), "private key"),
        (lambda s: s["keys"][2].update(crv="Ed448"), "not an Ed25519 JWK"),
        (lambda s: s["keys"][3].update(x=RFC8037_X[:-2]), "32 bytes"),
        (lambda s: s.pop("keys"), "JWK Set"),
    ],
    ids=["duplicate-kid", "private-member", "wrong-curve", "short-x", "not-a-set"],
)
def test_broken_public_directory_is_refused(
    tmp_path: Path, change: Callable[[dict[str, Any]], Any], message: str,
) -> None:
    keys.create_key_directory(tmp_path)
    file = tmp_path / "directory.json"
    key_set = json.loads(file.read_text())
    change(key_set)
    file.write_text(json.dumps(key_set))
    with pytest.raises(keys.KeyDirectoryError, match=message):
        keys.load_public_jwks(tmp_path)


def test_missing_private_key_is_a_key_directory_error(tmp_path: Path) -> None:
    with pytest.raises(keys.KeyDirectoryError, match="TH.private.pem"):
        keys.load_private_key(tmp_path, "TH")


def test_public_directory_reads_as_a_jwk_set_in_joserfc(tmp_path: Path) -> None:
    from joserfc.jwk import KeySet

    written = keys.create_key_directory(tmp_path)
    key_set = KeySet.import_key_set(json.loads((tmp_path / "directory.json").read_text()))
    assert {k.kid: k.thumbprint() for k in key_set.keys} == {c: k.thumbprint for c, k in written.items()}
