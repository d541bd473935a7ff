"""What the benchmark ran on: cores, CPU, OS, and every measured tool's version."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import indico_sync

_GIT = ("git", "--no-optional-locks", "-C")  # read-only: never refresh the index


def describe() -> dict[str, str]:
    return {
        "nproc": _run("nproc") or str(os.cpu_count()),
        "CPU": _cpu_model(),
        "memory": _memory(),
        "OS": _os_name(),
        "Python": f"{platform.python_version()} ({sys.executable})",
        "indico_sync": f"{indico_sync.__version__} (git {_git_revision()})",
        "hugo": _run("hugo", "version") or "not installed",
        "jekyll": _run("jekyll", "--version") or "not installed",
        "curl": (_run("curl", "--version") or "not installed").split(" (")[0],
        "load average (1 min) at start": load(),
    }


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def _run(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""


def _cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    return "unknown"


def _os_name() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.partition("=")[2].strip('"')
    return platform.platform()


def _git_revision() -> str:
    repo = Path(__file__).resolve().parent.parent
    revision = _run(*_GIT, str(repo), "rev-parse", "--short", "HEAD") or "unknown"
    dirty = _run(*_GIT, str(repo), "status", "--porcelain", "--", "indico_sync", "templates")
    return f"{revision}{' + uncommitted changes' if dirty else ''}"


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
