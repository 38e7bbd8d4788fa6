"""Run metadata of a bench: when, where (machine, packages, git commit) and with which command."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

# The checkout: bench/ and razor_lava/ live here (the reports show paths relative to it).
REPO = Path(__file__).resolve().parents[2]


def log(tag: str):
    """A logger printing ``[tag HH:MM:SS] msg`` (flushed: benches run for hours under nohup)."""
    def say(msg: str) -> None:
        print(f"[{tag} {time.strftime('%H:%M:%S')}] {msg}", flush=True)
    return say


def minutes_log(t0: float | None = None):
    """A logger printing ``[  1.5 min] msg``: minutes since ``t0`` (default: now)."""
    t0 = time.perf_counter() if t0 is None else t0
    return lambda msg: print(f"[{(time.perf_counter() - t0) / 60:5.1f} min] {msg}", flush=True)


def shown_path(path) -> str:
    """``path`` relative to the repository when it lies inside or beside it (``../shared/data/...``): reports
    are committed, so no machine paths."""
    p = Path(path).resolve()
    if p.is_relative_to(REPO):
        return str(p.relative_to(REPO))
    if p.is_relative_to(REPO.parent):
        return os.path.relpath(p, REPO)
    return str(path)


def command_line(script: str, argv=None) -> str:
    """The command that produced this run: as typed (interpreter included when known) when ``argv`` is None,
    else ``<python> <script> argv...``."""
    if argv is None:
        return shlex.join(getattr(sys, "orig_argv", None) or [sys.executable] + sys.argv)
    return shlex.join([sys.executable, script, *argv])


def short_command(script: str, argv=None) -> str:
    """``python <script> args...`` (the arguments of this process when ``argv`` is None), shell-quoted."""
    return shlex.join(["python", script, *(sys.argv[1:] if argv is None else argv)])


def today() -> str:
    """The UTC date, ``YYYY-MM-DD``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def now() -> str:
    """The local time with its offset, to the second (ISO 8601)."""
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def git_commit(repo: Path = REPO) -> str | None:
    """The checkout's commit (``abc1234``, ``+dirty`` when files differ from it); None outside a git checkout."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10)
        if head.returncode:
            return None
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return head.stdout.strip() + ("+dirty" if dirty else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip().strip(chr(34))} ({platform.platform()})"
    except OSError:
        pass
    return platform.platform()


def version(dist: str) -> str:
    """An installed distribution's version, or ``"not installed"``."""
    from importlib.metadata import PackageNotFoundError, version as _version

    try:
        return _version(dist)
    except PackageNotFoundError:
        return "not installed"


def machine_info() -> dict:
    """Where the bench ran: CPU, cores, RAM, OS, Python and package versions, date (all strings)."""
    import psutil

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "date": now(),
        "cpu": _cpu_model(),
        "cores": f"{os.cpu_count()} logical ({psutil.cpu_count(logical=False)} physical, {usable} usable)",
        "ram": f"{psutil.virtual_memory().total / 2 ** 30:.1f} GiB",
        "os": _os_name(),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "torch": version("torch"),
        "lava-nc": version("lava-nc"),
        "lava-dl": version("lava-dl"),
        "razor_lava": version("razor_lava"),
        "load_average": " ".join(f"{v:.2f}" for v in load),
    }


def short_machine() -> str:
    """One line: ``x86_64, 2 CPU cores, Python 3.10.13``."""
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"


@dataclass(frozen=True)
class Measured:
    """When, where and by which command a bench's result (or one section of it) was measured."""

    date: str
    machine: str
    command: str
    minutes: float
    seeds: list[int] | None = None
    commit: str | None = None

    @classmethod
    def now(cls, script: str, argv, t0: float, seeds=None) -> "Measured":
        """This call's record: ``script`` run with ``argv`` (this process's when None) since ``t0``
        (``time.perf_counter()``)."""
        return cls(date=today(), machine=short_machine(), command=short_command(script, argv),
                   minutes=(time.perf_counter() - t0) / 60, seeds=None if seeds is None else list(seeds),
                   commit=git_commit())

    def line(self) -> str:
        """``Measured <date> on <machine> (<m> min)[, seeds [...]]: `<command>` ``: a report's line."""
        seeds = "" if self.seeds is None else f", seeds {self.seeds}"
        return f"Measured {self.date} on {self.machine} ({self.minutes:.0f} min){seeds}: `{self.command}`"
