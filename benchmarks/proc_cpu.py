"""CPU time and memory of running processes, read from ``/proc``, as the benchmarks report them.

Wall time on a shared two-core machine says as much about the neighbours as about the code;
the CPU a process spent does not. ``CpuMeter`` takes a snapshot of a set of processes
(``utime + stime`` from ``/proc/<pid>/stat``, and ``cutime + cstime`` for children they
reaped; ``VmRSS`` and ``VmHWM`` from ``/proc/<pid>/status``) when the measured work begins
and another when it ends, so that start-up is left out; ``Usage`` is the difference for one
process, and ``cpu_table`` shows CPU milliseconds per unit of work (a declaration, a routed
message) per process and summed.

The kernel counts in clock ticks (``SC_CLK_TCK``, 100 per second here): each process's
figure is good to 10 ms over the whole run, so a run should last long enough that this is
small beside what it measures.
"""

import os
import resource
import time
from collections.abc import Mapping
from dataclasses import dataclass

from rich.table import Table

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


class ProcessGone(RuntimeError):
    """A measured process exited before its second snapshot."""


@dataclass(frozen=True)
class ProcSample:
    """One look at one process."""

    pid: int
    cpu_ticks: int
    """utime + stime: the process itself, all its threads."""
    child_ticks: int
    """cutime + cstime: children it waited for."""
    rss_kb: int
    peak_rss_kb: int
    at: float
    """time.monotonic() of the look."""


def sample(pid: int) -> ProcSample:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as file:
            stat = file.read()
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as file:
            status = file.read()
    except FileNotFoundError:
        raise ProcessGone(f"process {pid} is gone") from None
    # the command name, in parentheses, may hold spaces: the numbered fields follow its last ')'
    fields = stat[stat.rindex(")") + 2:].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    memory = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            memory[key] = int(value.split()[0])
    return ProcSample(pid=pid, cpu_ticks=utime + stime, child_ticks=cutime + cstime,
                      rss_kb=memory.get("VmRSS", 0), peak_rss_kb=memory.get("VmHWM", 0), at=time.monotonic())


@dataclass(frozen=True)
class Usage:
    """What one process spent between two snapshots."""

    name: str
    cpu_ms: float
    child_ms: float
    wall_s: float
    rss_kb: int
    """At the second snapshot."""
    peak_rss_kb: int
    """The process's high-water mark, since it started."""

    @property
    def cpu_share(self) -> float:
        """CPU seconds per wall second (1.0 = one core busy throughout)."""
        return (self.cpu_ms + self.child_ms) / 1000 / self.wall_s if self.wall_s > 0 else 0.0


class CpuMeter:
    """Before/after snapshots of named processes: ``start()`` when the measured work begins,
    ``stop()`` when it ends."""

    def __init__(self, pids: Mapping[str, int], *, include_self: bool = False) -> None:
        self.pids = dict(pids)
        self.include_self = include_self
        """Also count this process and the children it reaped in the meantime (a load generator)."""
        self.before: dict[str, ProcSample] = {}
        self.self_before: tuple[resource.struct_rusage, resource.struct_rusage] | None = None
        self.started = 0.0

    def start(self) -> None:
        self.before = {name: sample(pid) for name, pid in self.pids.items()}
        self.self_before = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
        self.started = time.monotonic()

    def stop(self) -> list[Usage]:
        usages = []
        for name, pid in self.pids.items():
            first, last = self.before[name], sample(pid)
            usages.append(Usage(name=name, cpu_ms=(last.cpu_ticks - first.cpu_ticks) * TICK_MS,
                                child_ms=(last.child_ticks - first.child_ticks) * TICK_MS,
                                wall_s=last.at - first.at, rss_kb=last.rss_kb, peak_rss_kb=last.peak_rss_kb))
        if self.include_self and self.self_before is not None:
            own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            own_before, children_before = self.self_before
            usages.append(Usage(
                name="(this process: load generator / observer)",
                cpu_ms=(own.ru_utime + own.ru_stime - own_before.ru_utime - own_before.ru_stime) * 1000,
                child_ms=(children.ru_utime + children.ru_stime - children_before.ru_utime
                          - children_before.ru_stime) * 1000,
                wall_s=time.monotonic() - self.started, rss_kb=own.ru_maxrss, peak_rss_kb=own.ru_maxrss))
        return usages


def server_usages(usages: list[Usage]) -> list[Usage]:
    """The measured servers only, without this process's own line."""
    return [u for u in usages if not u.name.startswith("(")]


def total_cpu_ms(usages: list[Usage]) -> float:
    return sum(u.cpu_ms + u.child_ms for u in server_usages(usages))


def cpu_table(usages: list[Usage], *, units: int, unit: str, title: str,
              floor_ms: float | None = None, floor_label: str = "echo floor") -> Table:
    """CPU ms per ``unit`` for each process and summed over the servers, with each one's share
    of a core and its memory; ``floor_ms`` (the same unit's cost on a bare echo) adds the ratio."""
    table = Table(title=title, header_style="bold")
    for column in ("process", f"CPU ms / {unit}", "CPU ms total", "core share", "RSS MB", "peak RSS MB"):
        table.add_column(column, justify="left" if column == "process" else "right")
    per = max(units, 1)
    for usage in usages:
        spent = usage.cpu_ms + usage.child_ms
        table.add_row(usage.name, f"{spent / per:.2f}", f"{spent:,.0f}", f"{usage.cpu_share:.2f}",
                      f"{usage.rss_kb / 1024:.0f}", f"{usage.peak_rss_kb / 1024:.0f}")
    total = total_cpu_ms(usages)
    table.add_row("[bold]servers summed[/bold]", f"[bold]{total / per:.2f}[/bold]", f"{total:,.0f}", "", "", "")
    if floor_ms is not None and floor_ms > 0:
        table.add_row(f"{floor_label}", f"{floor_ms:.2f}", "", "", "", "")
        table.add_row("ratio servers / floor", f"{total / per / floor_ms:.1f}x", "", "", "", "")
    return table
