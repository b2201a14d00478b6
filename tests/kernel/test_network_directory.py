"""The network directory split into what is public and what each component holds.

The directory file lists a SHA-256 of each token, never a token; a component authenticates
callers by hash and sends with the tokens of its own secrets directory only. Network files
written before the split (tokens in clear) still load.
"""

import json
from pathlib import Path

import pytest

from services.kernel.keys import (
    create_database_secrets,
    create_key_directory,
    export_component_secrets,
    publish_directory,
    token_file,
)
from services.kernel.network import (
    HUB,
    OPERATOR,
    PARTICIPANTS,
    MissingSecret,
    create_development_network,
    load_network,
    load_or_create_network,
    load_signing_keys,
    set_endpoints,
    token_sha256,
)

IDENTITIES = (*PARTICIPANTS, OPERATOR, HUB)


@pytest.fixture
def whole(tmp_path: Path) -> Path:
    """The whole directory, as the embedded network and ``swx keys`` write it."""
    directory = tmp_path / "whole"
    create_development_network(directory / "network.json")
    return directory


def tokens_in(directory: Path) -> dict[str, str]:
    return {identity: token_file(directory, identity).read_text().strip() for identity in IDENTITIES}


def test_the_directory_file_lists_token_hashes_and_no_token(whole: Path) -> None:
    text = (whole / "network.json").read_text()
    data = json.loads(text)
    tokens = tokens_in(whole)
    assert not [identity for identity, token in tokens.items() if token in text]
    assert {c: p["token_sha256"] for c, p in data["participants"].items()} == {
        c: token_sha256(tokens[c]) for c in PARTICIPANTS}
    assert data["operator_token_sha256"] == token_sha256(tokens[OPERATOR])
    assert data["hub_token_sha256"] == token_sha256(tokens[HUB])


def test_a_component_without_tokens_authenticates_every_caller_by_hash(whole: Path, tmp_path: Path) -> None:
    nothing = tmp_path / "no-secrets"
    nothing.mkdir()
    network = load_network(whole / "network.json", secrets=nothing)
    assert network.tokens == {}
    for identity, token in tokens_in(whole).items():
        assert network.country_of(token) == identity
    assert network.country_of("swx-th-not-a-token") is None
    assert network.country_of("") is None
    # the hash is what the directory publishes: it is no credential
    assert network.country_of(network.participants["TH"].token_sha256) is None
    with pytest.raises(MissingSecret, match="no token for TH"):
        network.token_of("TH")
    with pytest.raises(MissingSecret):
        _ = network.hub_token


def test_the_embedded_directory_holds_every_token_beside_the_network_file(whole: Path) -> None:
    network = load_network(whole / "network.json")
    assert dict(network.tokens) == tokens_in(whole)
    assert network.operator_token == tokens_in(whole)[OPERATOR]
    assert network.participants["VN"].token == network.token_of("VN")
    assert sorted(load_signing_keys(whole / "network.json")) == sorted(PARTICIPANTS)


@pytest.fixture
def split(tmp_path: Path) -> tuple[Path, Path]:
    """``swx keys``' split: the public directory, and one secrets folder per component."""
    whole = tmp_path / "whole"
    create_key_directory(whole)
    create_development_network(whole / "network.json")
    create_database_secrets(whole)
    export_component_secrets(whole, tmp_path / "secrets")
    publish_directory(whole, tmp_path / "public")
    return tmp_path / "public", tmp_path / "secrets"


@pytest.mark.parametrize(("component", "signs", "sends"), [
    ("hub", set(), {HUB}),
    ("nsw-vn", {"VN"}, {"VN"}),
    ("customs", set(PARTICIPANTS), set(PARTICIPANTS)),
    ("port", set(PARTICIPANTS), set(PARTICIPANTS)),
])
def test_a_component_loads_the_public_directory_and_only_its_own_secrets(
        split: tuple[Path, Path], component: str, signs: set[str], sends: set[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    public, secrets = split
    assert not list(public.glob("*.private.pem")) + list(public.glob("*.token")) + list(public.glob("pgpass"))
    monkeypatch.setenv("SWX_SECRETS_DIR", str(secrets / component))
    network = load_or_create_network(public / "network.json")
    assert set(network.tokens) == sends
    assert set(load_signing_keys(public / "network.json")) == signs
    whole = public.parent / "whole"
    for identity, token in tokens_in(whole).items():
        assert network.country_of(token) == identity
    assert sorted(network.participants) == sorted(PARTICIPANTS)
    assert network.public_key_for("VN") is not None


def test_a_token_file_of_another_network_is_refused(split: tuple[Path, Path], tmp_path: Path) -> None:
    public, secrets = split
    other = tmp_path / "other"
    create_development_network(other / "network.json")
    (secrets / "nsw-vn" / "VN.token").write_text(token_file(other, "VN").read_text())
    with pytest.raises(ValueError, match="does not hold the token the directory"):
        load_network(public / "network.json", secrets=secrets / "nsw-vn")


def legacy_network_file(path: Path) -> dict[str, str]:
    """A network file as written before the split: every token in clear, keys beside it."""
    create_key_directory(path.parent)
    jwks = {jwk["kid"]: jwk for jwk in json.loads((path.parent / "directory.json").read_text())["keys"]}
    tokens = {identity: f"swx-{identity.lower()}-legacy-token" for identity in IDENTITIES}
    path.write_text(json.dumps({
        "participants": {code: {"name": name, "endpoint": f"http://127.0.0.1:81{i}", "accepts": ["customs.acdd/1.0"],
                                "token": tokens[code], "public_key": jwks[code]}
                         for i, (code, name) in enumerate(PARTICIPANTS.items())},
        "operator_token": tokens[OPERATOR], "hub_token": tokens[HUB]}))
    return tokens


def test_a_network_file_with_tokens_in_clear_still_loads_and_authenticates(tmp_path: Path) -> None:
    path = tmp_path / "data" / "network" / "network.json"
    tokens = legacy_network_file(path)
    network = load_or_create_network(path)
    for identity, token in tokens.items():
        assert network.country_of(token) == identity
        assert network.token_of(identity) == token
    assert network.hub_token == tokens[HUB]
    assert network.participants["TH"].token_sha256 == token_sha256(tokens["TH"])
    assert network.accepts("TH", "customs.acdd/1.0")
    assert sorted(load_signing_keys(path)) == sorted(PARTICIPANTS)
    # a restart on other ports keeps the identities
    moved = set_endpoints(path, {"VN": "http://127.0.0.1:9999"})
    assert moved.participants["VN"].endpoint == "http://127.0.0.1:9999"
    assert moved.country_of(tokens["VN"]) == "VN"
