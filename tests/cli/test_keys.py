"""``swx keys`` as an operator runs it: a fresh directory, a refusal to overwrite, --force."""

import json
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from services.cli.keys import keys_command
from services.kernel.keys import jwk_thumbprint, load_public_jwks
from services.kernel.network import PARTICIPANTS, load_network

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    # registered as services/cli/main.py does, so the command line reads ``swx keys DIR``
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("keys")(keys_command)
    return app


def thumbprints(directory: Path) -> dict[str, str]:
    key_set = json.loads((directory / "directory.json").read_text())
    return {jwk["kid"]: jwk_thumbprint(jwk) for jwk in key_set["keys"]}


def test_keys_writes_key_pairs_and_a_network_and_shows_thumbprints(app: typer.Typer, tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    result = runner.invoke(app, ["keys", str(directory)])
    assert result.exit_code == 0, result.output
    assert sorted(load_public_jwks(directory)) == sorted(PARTICIPANTS)
    network = load_network(directory / "network.json")
    assert sorted(network.participants) == sorted(PARTICIPANTS)
    assert stat.S_IMODE((directory / "network.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((directory / "TH.private.pem").stat().st_mode) == 0o600
    for country, thumbprint in thumbprints(directory).items():
        assert f"{country} {PARTICIPANTS[country]}" in result.output
        assert thumbprint in result.output
    assert str(directory / "network.json") in result.output
    assert str(directory / "VN.private.pem") in result.output
    assert "Never commit" in result.output


def test_keys_refuses_an_existing_directory_and_keeps_its_keys(app: typer.Typer, tmp_path: Path) -> None:
    assert runner.invoke(app, ["keys", str(tmp_path)]).exit_code == 0
    before = thumbprints(tmp_path), (tmp_path / "network.json").read_text()
    result = runner.invoke(app, ["keys", str(tmp_path)])
    assert result.exit_code == 2
    assert "--force" in result.output
    assert "Traceback" not in result.output
    assert (thumbprints(tmp_path), (tmp_path / "network.json").read_text()) == before


def test_keys_with_force_replaces_keys_and_tokens(app: typer.Typer, tmp_path: Path) -> None:
    assert runner.invoke(app, ["keys", str(tmp_path)]).exit_code == 0
    keys_before = thumbprints(tmp_path)
    tokens_before = load_network(tmp_path / "network.json").participants["TH"].token
    result = runner.invoke(app, ["keys", str(tmp_path), "--force"])
    assert result.exit_code == 0, result.output
    assert all(thumbprints(tmp_path)[c] != keys_before[c] for c in PARTICIPANTS)
    assert load_network(tmp_path / "network.json").participants["TH"].token != tokens_before


def test_keys_reports_a_path_it_cannot_write(app: typer.Typer, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = runner.invoke(app, ["keys", str(blocker / "keys")])
    assert result.exit_code == 2
    assert "cannot write" in result.output
