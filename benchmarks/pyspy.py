"""Sampling profiles of running components with py-spy, and their top entries.

``Profiles`` attaches ``py-spy record --format raw --nonblocking`` to each named process
for as long as its ``with`` block runs (py-spy reads the target's memory without pausing
it, so the profile costs the profiler's CPU, not the target's); the raw files are
collapsed stacks, one ``frame;frame;... count`` line per distinct stack, idle threads left
out. ``read_profile`` reads one: by **own** time (samples whose innermost frame is the
function) and by **total** time (samples with the function anywhere on the stack), each as
a share of the process's busy samples, functions merged over their lines, and own time by
package. Samples of threads that are only waiting (``IDLE_LEAVES``) are left out, and the
thread and event-loop machinery is left out of the total-time list.

py-spy is not a dependency of the project: ``pip install py-spy`` into the venv to
profile. Summarise saved files again with ``python benchmarks/pyspy.py FILE... [--top 10]``.
"""

import argparse
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

LINE_NUMBER = re.compile(r":\d+\)$")


def py_spy() -> str | None:
    """The py-spy executable beside this Python, or on the PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profiles:
    """py-spy recording each named process into ``folder/<name>.raw`` while the block runs.

    ``gil`` (the default) keeps only samples of the thread holding the GIL: on a loaded
    machine py-spy otherwise counts threads that are runnable but waiting for a core (or for
    the GIL) as busy, which buries the profile in wake-ups. C code that releases the GIL
    (SQLite executing a statement, a socket send) is then left out: the difference between
    the samples and the process's CPU time from ``/proc`` is the measure of it."""

    def __init__(self, pids: Mapping[str, int], folder: Path, *, rate: int = 100, gil: bool = True) -> None:
        self.pids, self.folder, self.rate, self.gil = dict(pids), folder, rate, gil
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def file(self, name: str) -> Path:
        return self.folder / f"{name}.raw"

    def __enter__(self) -> "Profiles":
        executable = py_spy()
        if executable is None:
            raise RuntimeError("py-spy is not installed: pip install py-spy (into the venv) to profile")
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            self.processes[name] = subprocess.Popen(
                [executable, "record", "--pid", str(pid), "--format", "raw", "--output", str(self.file(name)),
                 "--rate", str(self.rate), "--nonblocking", *(["--gil"] if self.gil else [])],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        for name, process in self.processes.items():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if not self.file(name).exists():
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                print(f"warning: py-spy wrote no profile for {name}: {error.strip()[-300:]}", file=sys.stderr)


IDLE_LEAVES = frozenset({
    "EpollSelector.select (selectors.py)", "Condition.wait (threading.py)", "Event.wait (threading.py)",
    "_worker (concurrent/futures/thread.py)", "_wait_for_tstate_lock (threading.py)", "Thread.join (threading.py)",
})
"""Innermost frames of a thread waiting, not working: the event loop in ``epoll_wait``, a
worker thread waiting for its queue. py-spy counts a thread active when the OS says it is
runnable, and on a loaded machine a woken thread stays runnable, waiting for a core, with
such a frame on top: those samples are left out (and counted apart)."""

SCAFFOLDING = ("threading.py", "asyncio/", "<frozen runpy>", "concurrent/futures/", "anyio/_backends/",
               "uvicorn/server.py", "uvicorn/_compat.py", "services/kernel/web/server.py", "selectors.py")
"""Frames under every sample (the thread and event-loop machinery): left out of the total-time list."""


@dataclass(frozen=True)
class Entry:
    frame: str
    share: float
    """Of the busy samples, 0..1."""


@dataclass(frozen=True)
class Profile:
    busy: int
    """Samples of threads working, not waiting."""
    idle: int
    """Samples of threads runnable but waiting (``IDLE_LEAVES``), left out."""
    own: list[Entry]
    total: list[Entry]
    packages: list[Entry]
    """Own time by package (``sqlalchemy``, ``services/hub``, ``asyncio`` ...)."""


def package(frame: str) -> str:
    """Where a frame's code lives, coarsely: ``sqlalchemy``, ``asyncio``, ``services/hub``,
    ``services/kernel/web`` (py-spy names files from the site-packages or the standard
    library folder on, so the two are not told apart)."""
    parts = frame.rpartition(" (")[2].rstrip(")").split("/")
    if parts[0] == "services" and len(parts) > 2:
        return "/".join(parts[:3] if parts[1] == "kernel" and len(parts) > 3 else parts[:2])
    return parts[0].removesuffix(".py")


def read_profile(path: Path, *, top: int = 10) -> Profile:
    """The busy samples of a raw file, and its ``top`` functions by own and total time and its packages."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    busy = idle = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [LINE_NUMBER.sub(")", frame) for frame in stack.split(";")]
        if frames[-1] in IDLE_LEAVES:
            idle += count
            continue
        busy += count
        own[frames[-1]] += count
        packages[package(frames[-1])] += count
        for frame in set(frames):
            if not any(marker in frame for marker in SCAFFOLDING) and not frame.startswith("<module>"):
                total[frame] += count
    per = max(busy, 1)
    return Profile(busy=busy, idle=idle, own=[Entry(f, n / per) for f, n in own.most_common(top)],
                   total=[Entry(f, n / per) for f, n in total.most_common(top)],
                   packages=[Entry(f, n / per) for f, n in packages.most_common(top)])


def short(frame: str) -> str:
    """``function (path/inside/site-packages.py)`` with the path cut to the part that says where."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})" if where else name


def profile_table(name: str, path: Path, *, top: int = 10, rate: int = 100) -> Table:
    found = read_profile(path, top=top)
    table = Table(title=f"{name}: py-spy at {rate} Hz, {found.busy} busy samples (~{found.busy / rate:.1f} s), "
                        f"{found.idle} waiting samples left out; shares of the busy samples", header_style="bold")
    table.add_column("#", justify="right")
    for column in ("own time: function (file)", "own", "total time: function (file)", "total", "own time by package",
                   "own"):
        table.add_column(column, justify="right" if column in ("own", "total") else "left")
    for n in range(top):
        row = [str(n + 1)]
        for entries, label in ((found.own, short), (found.total, short), (found.packages, str)):
            entry = entries[n] if n < len(entries) else None
            row += [label(entry.frame), f"{entry.share:.1%}"] if entry else ["", ""]
        table.add_row(*row)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path, help="py-spy raw (collapsed stack) files")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--rate", type=int, default=100, help="the sampling rate they were recorded at")
    args = parser.parse_args()
    console = Console(width=200)
    for path in args.files:
        console.print(profile_table(path.stem, path, top=args.top, rate=args.rate))


if __name__ == "__main__":
    main()
