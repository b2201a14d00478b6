"""The restart policy of ``swx up`` (``services.cli.supervisor``), on a stand-in network and
a clock the test moves: backoff, its reset, the restart window, the start timeout."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from services.cli.supervisor import RestartPolicy, Supervisor


@dataclass
class StandInNetwork:
    """What the supervisor uses of a ``LocalNetwork``: processes are entries in ``exits``
    (None while running), health is ``unhealthy`` unless named there."""

    names: list[str]
    logs: Path
    exits: dict[str, int | None] = field(default_factory=dict)
    unhealthy: set[str] = field(default_factory=set)
    launches: list[str] = field(default_factory=list)

    @property
    def components(self) -> list[Any]:
        return [SimpleNamespace(name=name) for name in self.names]

    def launch(self, name: str) -> None:
        self.launches.append(name)
        self.exits[name] = None

    def relaunch(self, name: str) -> None:
        self.launch(name)

    def exit_code(self, name: str) -> int | None:
        return self.exits.get(name)

    def healthy(self, name: str) -> bool:
        return self.exits.get(name) is None and name not in self.unhealthy

    def url(self, name: str) -> str:
        return f"http://{name}"

    def pid(self, name: str) -> int:
        return len(self.launches)

    def log_file(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def stop(self, *names: str, kill: bool = False) -> None:
        for name in names:
            self.exits[name] = -9 if kill else -15


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def supervise(net: StandInNetwork, clock: Clock, reports: list[str], **policy: Any) -> Supervisor:
    supervisor = Supervisor(net, policy=RestartPolicy(**policy), report=reports.append, clock=clock)  # type: ignore[arg-type]
    assert supervisor.start_all() is None
    assert supervisor.check() is None
    assert supervisor.all_healthy
    return supervisor


def crash_and_restart(net: StandInNetwork, supervisor: Supervisor, clock: Clock, name: str, *, code: int) -> None:
    """The component exits; the clock runs until the supervisor has started it again."""
    net.exits[name] = code
    assert supervisor.check() is None
    launches = len(net.launches)
    while len(net.launches) == launches:
        clock.now += 0.25
        assert supervisor.check() is None
    assert supervisor.check() is None  # healthy again


def delays(reports: list[str]) -> list[float]:
    return [float(m.group(1)) for line in reports if (m := re.search(r"restarting it in ([\d.]+) s", line))]


def test_restart_delay_doubles_up_to_its_cap_and_only_the_dead_component_restarts(
        tmp_path: Path, clock: Clock) -> None:
    net, reports = StandInNetwork(["hub", "nsw-vn"], tmp_path), []
    supervisor = supervise(net, clock, reports, first_delay=0.5, max_delay=4, max_restarts=100)
    for _ in range(5):
        crash_and_restart(net, supervisor, clock, "nsw-vn", code=-9)
    assert delays(reports) == [0.5, 1, 2, 4, 4]
    assert net.launches.count("hub") == 1
    assert "nsw-vn exited (killed by SIGKILL); restarting it in 0.5 s; log: " + str(tmp_path / "nsw-vn.log") in reports
    assert "nsw-vn is back at http://nsw-vn (pid 3)" in reports  # its third launch, the hub's one included


def test_restart_delay_is_back_to_the_first_after_the_component_stayed_healthy(tmp_path: Path, clock: Clock) -> None:
    net, reports = StandInNetwork(["nsw-vn"], tmp_path), []
    supervisor = supervise(net, clock, reports, first_delay=0.5, stable_after=60, max_restarts=100)
    crash_and_restart(net, supervisor, clock, "nsw-vn", code=1)
    crash_and_restart(net, supervisor, clock, "nsw-vn", code=1)
    clock.now += 61
    assert supervisor.check() is None
    crash_and_restart(net, supervisor, clock, "nsw-vn", code=1)
    assert delays(reports) == [0.5, 1, 0.5]


def test_too_many_restarts_within_the_window_give_up_with_the_end_of_the_log(tmp_path: Path, clock: Clock) -> None:
    (tmp_path / "nsw-vn.log").write_text("starting\n\nERROR: [Errno 98] address already in use\n")
    net, reports = StandInNetwork(["hub", "nsw-vn"], tmp_path), []
    supervisor = supervise(net, clock, reports, max_restarts=2, window=100)
    crash_and_restart(net, supervisor, clock, "nsw-vn", code=3)
    crash_and_restart(net, supervisor, clock, "nsw-vn", code=3)
    net.exits["nsw-vn"] = 3
    gave_up = supervisor.check()
    assert gave_up is not None
    assert gave_up.component == "nsw-vn"
    assert gave_up.reason.startswith("nsw-vn keeps failing: it exited (exit code 3) after 2 restarts within 100 s")
    assert gave_up.log_tail == ["starting", "ERROR: [Errno 98] address already in use"]


def test_restarts_older_than_the_window_do_not_count(tmp_path: Path, clock: Clock) -> None:
    net, reports = StandInNetwork(["nsw-vn"], tmp_path), []
    supervisor = supervise(net, clock, reports, max_restarts=2, window=100)
    crash_and_restart(net, supervisor, clock, "nsw-vn", code=3)
    crash_and_restart(net, supervisor, clock, "nsw-vn", code=3)
    clock.now += 101
    crash_and_restart(net, supervisor, clock, "nsw-vn", code=3)
    assert len(delays(reports)) == 3


def test_a_component_never_healthy_after_a_start_is_killed_and_restarted(tmp_path: Path, clock: Clock) -> None:
    net, reports = StandInNetwork(["nsw-vn"], tmp_path), []
    supervisor = supervise(net, clock, reports, start_timeout=30, max_restarts=5)
    net.unhealthy.add("nsw-vn")
    crash_and_restart(net, supervisor, clock, "nsw-vn", code=1)
    clock.now += 31
    assert supervisor.check() is None
    assert net.exits["nsw-vn"] == -9
    assert reports[-1].startswith("nsw-vn was not healthy within 30 s; restarting it in 1 s")
    clock.now += 1
    assert supervisor.check() is None
    assert net.exits["nsw-vn"] is None
    assert net.launches.count("nsw-vn") == 3
