"""Keeps the components of a ``LocalNetwork`` running, as ``swx up`` promises.

A component whose process exits, or that does not become healthy after a start, is started
again after a delay that doubles from ``first_delay`` to ``max_delay``; once it has stayed
healthy for ``stable_after`` seconds the delay is back to ``first_delay``. The others keep
running throughout. A component that needs more than ``max_restarts`` restarts within
``window`` seconds is broken, not unlucky (its port is taken, its database is gone): the
supervisor gives up and says why, with the last lines of its log, and the caller stops the
network. Like systemd's ``Restart=always`` with ``StartLimitBurst``/``StartLimitIntervalSec``.
"""

import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from services.cli.launcher import LaunchError, LocalNetwork


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 0.5
    max_delay: float = 30.0
    stable_after: float = 60.0
    """Seconds of health after which a component's restart delay is back to ``first_delay``."""
    max_restarts: int = 5
    window: float = 120.0
    start_timeout: float = 60.0
    """Seconds a started component has to answer ``/healthz`` before it counts as failed."""


class Phase(Enum):
    STARTING = "starting"
    HEALTHY = "healthy"
    WAITING = "waiting to restart"


@dataclass
class Watch:
    """What the supervisor knows of one component."""

    phase: Phase
    since: float
    """When the component entered its phase."""
    delay: float
    restarts: deque[float] = field(default_factory=deque)
    """When it was restarted, within the policy's window."""
    restart_at: float = 0.0


@dataclass(frozen=True)
class GaveUp:
    """A component that keeps failing: the network cannot be kept up."""

    component: str
    reason: str
    log_tail: list[str]


def describe_exit(code: int) -> str:
    """``exit code 3`` or ``killed by SIGKILL``, from a ``Popen.returncode``."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Supervisor:
    """Starts every component and, round after round (``check``), restarts those that died."""

    def __init__(self, net: LocalNetwork, *, policy: RestartPolicy, report: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic, log_lines: int = 12) -> None:
        self.net, self.policy, self.report, self.clock, self.log_lines = net, policy, report, clock, log_lines
        self.watches: dict[str, Watch] = {}

    @property
    def all_healthy(self) -> bool:
        return bool(self.watches) and all(w.phase is Phase.HEALTHY for w in self.watches.values())

    def start_all(self) -> GaveUp | None:
        """Launch every component without waiting; ``check`` follows them from there."""
        for component in self.net.components:
            self.watches[component.name] = Watch(Phase.STARTING, self.clock(), self.policy.first_delay)
            try:
                self.net.launch(component.name)
            except (OSError, LaunchError) as error:  # LaunchError: its database could not be migrated
                if gave_up := self._failed(component.name, f"could not be started: {error}"):
                    return gave_up
        return None

    def check(self) -> GaveUp | None:
        """One round: notice exits and health, restart what is due. A ``GaveUp`` when a
        component keeps failing (the caller stops the network)."""
        for name, watch in self.watches.items():
            if gave_up := self._check_one(name, watch):
                return gave_up
        return None

    def _check_one(self, name: str, watch: Watch) -> GaveUp | None:
        now = self.clock()
        if watch.phase is Phase.WAITING:
            if now >= watch.restart_at:
                watch.phase, watch.since = Phase.STARTING, now
                try:
                    self.net.relaunch(name)
                except (OSError, LaunchError) as error:
                    return self._failed(name, f"could not be started: {error}")
            return None
        code = self.net.exit_code(name)
        if code is not None:
            return self._failed(name, f"exited ({describe_exit(code)})")
        if watch.phase is Phase.STARTING:
            if self.net.healthy(name):
                watch.phase, watch.since = Phase.HEALTHY, now
                if watch.restarts:
                    self.report(f"{name} is back at {self.net.url(name)} (pid {self.net.pid(name)})")
            elif now - watch.since > self.policy.start_timeout:
                self.net.stop(name, kill=True)
                return self._failed(name, f"was not healthy within {self.policy.start_timeout:g} s")
        elif now - watch.since >= self.policy.stable_after:
            watch.delay = self.policy.first_delay
        return None

    def _failed(self, name: str, what: str) -> GaveUp | None:
        watch, now, policy = self.watches[name], self.clock(), self.policy
        while watch.restarts and now - watch.restarts[0] > policy.window:
            watch.restarts.popleft()
        log = self.net.log_file(name)
        if len(watch.restarts) >= policy.max_restarts:
            count = len(watch.restarts)
            reason = (f"{name} keeps failing: it {what} after {count} restart{'' if count == 1 else 's'} "
                      f"within {policy.window:g} s; log: {log}")
            return GaveUp(component=name, reason=reason, log_tail=self._log_tail(name))
        watch.restarts.append(now)
        watch.phase, watch.since, watch.restart_at = Phase.WAITING, now, now + watch.delay
        self.report(f"{name} {what}; restarting it in {watch.delay:g} s; log: {log}")
        watch.delay = min(watch.delay * 2, policy.max_delay)
        return None

    def _log_tail(self, name: str) -> list[str]:
        try:
            text = self.net.log_file(name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if line.strip()][-self.log_lines:]
