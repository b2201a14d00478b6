"""``swx migrate``: a component's database brought to the current schema from the environment
its server reads, or every database of the network ``swx up`` runs; readable errors and exit
codes, never a traceback. And the other side: a server refuses a database not migrated."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from services.cli.launcher import LaunchError, LocalNetwork, free_base_port
from services.cli.main import app
from services.customs.app import SCHEMA as CUSTOMS
from services.kernel.migrate import behind, upgrade
from services.nsw.app import SCHEMA as NSW

runner = CliRunner()
NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"
"""A PostgreSQL URL nothing listens at (port 9, discard)."""


def swx(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["migrate", *args], env={"COLUMNS": "200", **(env or {})}, prog_name="swx")
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def test_a_component_is_migrated_from_its_servers_environment_and_again_changes_nothing(tmp_path: Path) -> None:
    env = {"SWX_CUSTOMS_DATA_DIR": str(tmp_path / "var")}
    code, output = swx("--component", "customs", env=env)
    database = tmp_path / "var" / "customs.db"
    assert code == 0, output
    assert f"customs: migrated sqlite:///{database}" in output
    assert "kernel outbox none -> outbox_0002, kernel answers none -> answers_0001, customs none -> 0006" in output
    assert behind(CUSTOMS, f"sqlite:///{database}") == []
    assert swx("--component", "customs", env=env) == (0, f"customs: sqlite:///{database} is current\n")


def test_database_url_wins_over_the_data_dir_as_for_the_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    code, output = swx("--component", "customs", env={"DATABASE_URL": url, "SWX_CUSTOMS_DATA_DIR": str(tmp_path)})
    assert code == 0, output
    assert (tmp_path / "elsewhere.db").exists()
    assert not (tmp_path / "customs.db").exists()


def test_an_nsw_endpoint_is_the_one_its_country_names(tmp_path: Path) -> None:
    env = {"SWX_NSW_DATA_DIR": str(tmp_path)}
    assert swx("--component", "nsw", env={**env, "SWX_NSW_COUNTRY": "VN"})[0] == 0
    assert swx("--component", "nsw-kh", env=env)[0] == 0
    assert behind(NSW, f"sqlite:///{tmp_path / 'nsw-vn.db'}") == []
    assert behind(NSW, f"sqlite:///{tmp_path / 'nsw-kh.db'}") == []
    code, output = swx("--component", "nsw", env=env)
    assert code == 2
    assert "SWX_NSW_COUNTRY" in output
    assert "--component nsw-vn" in output


@pytest.mark.parametrize(("args", "said"), [
    ((), "name what to migrate: --component NAME"),
    (("--component", "parcels"), "no component 'parcels': hub, customs, immigration, port, nsw, nsw-jp"),
    (("--component", "nsw-us"), "no component 'nsw-us'"),
    (("--component", "customs", "--database-url", NOWHERE), "--database-url goes with --data-dir"),
])
def test_usage_errors_exit_2_with_what_to_give(args: tuple[str, ...], said: str) -> None:
    code, output = swx(*args)
    assert code == 2
    assert said in " ".join(output.split())


def test_invalid_settings_are_a_usage_error_naming_the_setting(tmp_path: Path) -> None:
    code, output = swx("--component", "hub", env={"SWX_HUB_CONCURRENCY": "none", "SWX_HUB_DATA_DIR": str(tmp_path)})
    assert code == 2
    assert "the hub settings are not valid: concurrency:" in output


def test_an_unreachable_database_exits_1_with_the_reason(tmp_path: Path) -> None:
    code, output = swx("--component", "port", env={"SWX_PORT_DATABASE_URL": NOWHERE})
    assert code == 1
    assert "port: cannot migrate postgresql+psycopg://postgres@127.0.0.1:9/nowhere:" in output


def test_a_database_a_newer_swx_migrated_is_refused_not_broken(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'customs.db'}"
    upgrade(CUSTOMS, url)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    finally:
        engine.dispose()
    code, output = swx("--component", "customs", env={"SWX_CUSTOMS_DATA_DIR": str(tmp_path)})
    assert code == 1
    assert "customs: cannot migrate" in output
    assert "0099" in output


def test_a_data_dir_has_every_component_of_its_network_migrated(tmp_path: Path) -> None:
    code, output = swx("--data-dir", str(tmp_path))
    assert code == 0, output
    names = ["hub", "customs", "immigration", "port", *(f"nsw-{c}" for c in ("jp", "kh", "la", "mm", "th", "vn"))]
    assert [line.split(":")[0] for line in output.splitlines()] == names
    assert sorted(path.name for path in tmp_path.glob("*.db")) == sorted(f"{name}.db" for name in names)
    code, output = swx("--data-dir", str(tmp_path), "--component", "nsw-vn")
    assert (code, output) == (0, f"nsw-vn: sqlite:///{tmp_path.resolve() / 'nsw-vn.db'} is current\n")


def test_the_launcher_migrates_a_component_with_the_environment_it_launches_it_with(tmp_path: Path) -> None:
    net = LocalNetwork.prepare(data_dir=tmp_path, base_port=free_base_port())
    net.migrate("customs")
    assert behind(CUSTOMS, f"sqlite:///{tmp_path.resolve() / 'customs.db'}") == []
    with pytest.raises(LaunchError, match=r"^customs: cannot migrate postgresql\+psycopg://"):
        net.launch("customs", env={"SWX_CUSTOMS_DATABASE_URL": NOWHERE})
    assert not net.running("customs"), "a component whose database could not be migrated was started"


def test_a_server_refuses_a_database_not_migrated_in_one_line_and_exits_non_zero(
        tmp_path: Path, network_file: Path) -> None:
    command = [sys.executable, "-m", "services.kernel.web.server", "services.port.app:create_app", "--factory",
               "--port", str(free_base_port(1))]
    env = {**os.environ, "SWX_PORT_DATA_DIR": str(tmp_path), "SWX_NETWORK_FILE": str(network_file)}
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 3, output
    assert "Run `swx migrate --component port` with this server's settings" in output
    assert "Traceback" not in output
