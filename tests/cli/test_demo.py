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
    assert "all 4 flows held" in finished.stdout
    assert (tmp_path / "demo" / "network" / "network.json").exists()
