"""``swx demo`` as a user runs it: a subprocess on a fresh data directory, exit 0, four flows."""

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.cli.flows import Exchange, Step
from services.cli.words import plural


@pytest.mark.network
@pytest.mark.slow
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
    assert f"data kept in {tmp_path / 'demo'}" in finished.stdout
    assert not re.search(r"\b1 attempts\b", finished.stdout)
    assert (tmp_path / "demo" / "network" / "network.json").exists()


def test_the_hops_at_the_hub_are_shown_at_the_times_they_happened() -> None:
    """The demo reads a message's timeline after the fact: each retry is shown at the time the
    hub recorded it, not at the time it was read."""
    started = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)
    timeline = [{"state": "SENDING", "at": "2026-12-03T10:00:01.500000", "note": "attempt 1 to VN"},
                {"state": "WAITING_FOR_RETRY", "at": "2026-12-03T10:00:01.750000+00:00", "note": None},
                {"state": "SENDING", "at": "2026-12-03T17:00:04+07:00", "note": "attempt 2 to VN"}]
    record = {"message_id": "m-1", "document_type": "customs.acdd/1.0", "sender": "TH", "receiver": "VN",
              "state": "SENDING", "attempts": 2, "timeline": timeline}
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=record)))
    steps: list[Step] = []
    exchange = Exchange(urls={"hub": "http://hub"}, tokens={"TH": "t"}, client=client, report=steps.append,
                        started_at=started)

    followed = exchange.follow("4 outage VN", "m-1", country="TH")
    followed.poll()
    followed.poll()  # each state is reported once

    assert [round(step.elapsed, 2) for step in steps] == [1.5, 1.75, 4.0]
    assert steps[0].what == "customs.acdd/1.0 TH->VN: SENDING (attempt 1 to VN)"
    assert steps[1].what == "customs.acdd/1.0 TH->VN: WAITING_FOR_RETRY"


def test_counts_are_worded_in_the_right_number() -> None:
    assert [plural(n, "attempt") for n in (0, 1, 2)] == ["0 attempts", "1 attempt", "2 attempts"]


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
