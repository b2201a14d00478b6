"""``swx demo`` as a user runs it: a subprocess on a fresh data directory, exit 0, four flows."""

import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_four_flows_and_exits_zero(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "demo", "--data-dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2],
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "160", "TERM": "dumb"},
    )
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-4000:]
    for title in ("1. Export with preferential origin", "2. Advance passenger information", "3. Vessel call",
                  "4. Outage drill"):
        assert title in finished.stdout
    assert "NO-BOARD WONGSAWAT" in finished.stdout
    # one passenger's expired passport refuses that passenger, not the flight
    assert "finding on /Person/8, decided by VN for that person only: DOCUMENT_EXPIRED" in finished.stdout
    assert "NO-BOARD LE VAN HUNG (DOCUMENT_EXPIRED)" in finished.stdout
    assert "6 of 9 persons may board" in finished.stdout
    assert "all 4 flows held" in finished.stdout
    assert (tmp_path / "demo" / "network" / "network.json").exists()


def test_up_and_demo_explain_a_data_directory_they_cannot_use(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from services.cli.main import app

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("taken")
    for command in (["up", "--data-dir", str(not_a_folder / "var"), "--base-port", "21000"],
                    ["demo", "--data-dir", str(not_a_folder / "var")]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 1, result.output
        assert "cannot prepare" in result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_demo_url_explains_a_file_that_is_not_a_network_directory(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from services.cli.main import app

    (tmp_path / "network.json").write_text("{}")
    result = CliRunner().invoke(app, ["demo", "--url", "http://127.0.0.1:1", "--network-file",
                                      str(tmp_path / "network.json")])
    assert result.exit_code == 2, result.output
    assert "no 'participants' in it" in result.output
