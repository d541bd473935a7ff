"""Run whole processes and measure them: wall time, CPU time and peak memory.

Wall time is `time.perf_counter` around the process (finer than `time`'s 10 ms);
CPU time and peak RSS are what GNU `/usr/bin/time -v` reports for it. Builds of
several tools run interleaved (A B C A B C ...) so machine noise hits all of them alike.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

GNU_TIME = "/usr/bin/time"
PYCACHE = Path(__file__).resolve().parent / "out" / "pycache"
KINDS = ("cold", "rebuild", "changed")  # changed: a rebuild after one meeting was edited


class BenchError(Exception):
    """A measured command failed: the benchmark cannot report it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds
    rss_mb: float  # peak resident set size, 10^6 bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Build:
    """One tool building one site folder into `out`.

    A cold build starts from the site folder as generated: `out`, its hidden siblings
    `.<out>*` (indico_sync's build manifest) and anything a build left in the site
    folder (Jekyll's `.jekyll-cache`, Hugo's `resources/`) are deleted first.
    """

    tool: str
    command: tuple[str, ...]
    site: Path
    out: Path
    pristine: frozenset[str] = frozenset()

    @classmethod
    def of(cls, tool: str, command: Sequence[str], *, site: Path, out: Path) -> Build:
        names = frozenset(entry.name for entry in site.iterdir())
        return cls(tool=tool, command=tuple(command), site=site, out=out, pristine=names)

    def make_cold(self) -> None:
        shutil.rmtree(self.out, ignore_errors=True)
        for entry in self.out.parent.glob(f".{self.out.name}*"):
            _remove(entry)
        for entry in self.site.iterdir():
            if entry.name not in self.pristine:
                _remove(entry)
        os.sync()  # flush the deletions now, so no timed run pays for them


def run_timed(
    command: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Sample:
    """Run `command` under `/usr/bin/time`; raise BenchError (with its stderr) if it fails.

    Peak RSS must come from a process forked by a small parent: a child forked from
    this Python process inherits its resident pages into `ru_maxrss` until it execs.
    """
    if not Path(GNU_TIME).exists():
        return _run_without_gnu_time(command, env=env, cwd=cwd)
    with tempfile.TemporaryDirectory() as tmp:
        report, err = Path(tmp) / "time", Path(tmp) / "stderr"
        timed = [GNU_TIME, "--format", "%e %U %S %M", "--output", str(report), *command]
        with err.open("wb") as stderr:
            start = time.perf_counter()
            result = subprocess.run(
                timed, stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd=cwd, check=False
            )
            wall = time.perf_counter() - start
        if result.returncode != 0:
            tail = err.read_text(errors="replace").strip().splitlines()[-5:]
            raise BenchError(
                f"{' '.join(command)} exited with {result.returncode}: " + " | ".join(tail)
            )
        _, user, system, rss_kib = report.read_text().split()[-4:]
    return Sample(wall=wall, cpu=float(user) + float(system), rss_mb=int(rss_kib) * 1024 / 1e6)


def _run_without_gnu_time(
    command: Sequence[str], *, env: Mapping[str, str] | None, cwd: Path | None
) -> Sample:
    """Wall and CPU time from this process's own view of the child; no peak RSS (NaN)."""
    before = os.times()
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, env=env, cwd=cwd, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise BenchError(
            f"{' '.join(command)} exited with {result.returncode}: " + " | ".join(tail)
        )
    used = after.children_user + after.children_system
    cpu = used - before.children_user - before.children_system
    return Sample(wall=wall, cpu=cpu, rss_mb=math.nan)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def measure_builds(
    builds: Sequence[Build],
    *,
    runs: int,
    progress: Callable[[str], None],
    edit: Callable[[], None] | None = None,
) -> dict[tuple[str, str], list[Sample]]:
    """`runs` rounds of: every tool cold, then every tool rebuilding its own output with
    nothing changed, then (with `edit`) `edit()` untimed and every tool rebuilding again.

    Call `warm_up` first.
    """
    samples: dict[tuple[str, str], list[Sample]] = {}
    kinds = KINDS if edit else KINDS[:2]
    for round_ in range(1, runs + 1):
        for kind in kinds:
            if kind == "changed" and edit:
                edit()
            for build in builds:
                if kind == "cold":
                    build.make_cold()
                sample = run_timed(build.command, env=quiet_env())
                samples.setdefault((build.tool, kind), []).append(sample)
                progress(f"  round {round_}/{runs} {build.tool:<11} {kind:<7} {sample.wall:7.3f} s")
    return samples


def warm_up(
    builds: Sequence[Build], *, optional: Callable[[Build, BenchError], bool]
) -> list[Build]:
    """One unrecorded cold build per tool, so the page cache and Python's bytecode cache
    are warm for everyone. A tool that fails is dropped if `optional` says it may be."""
    ready = []
    for build in builds:
        build.make_cold()
        try:
            run_timed(build.command, env=quiet_env())
        except BenchError as exc:
            if not optional(build, exc):
                raise
            continue
        ready.append(build)
    return ready


def run_alternating(
    commands: Mapping[str, tuple[Sequence[str], Callable[[], None]]],
    *,
    runs: int,
    env: Mapping[str, str] | None = None,
) -> dict[str, list[Sample]]:
    """`runs` rounds of every command in turn; each command's setup runs untimed first."""
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, setup) in commands.items():
            setup()
            samples[name].append(run_timed(command, env=env))
    return samples


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """Medians (and spread) of a list of samples."""

    runs: int
    wall: float
    wall_min: float
    wall_max: float
    cpu: float
    rss_mb: float

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Summary:
        walls = [s.wall for s in samples]
        return cls(
            runs=len(samples),
            wall=statistics.median(walls),
            wall_min=min(walls),
            wall_max=max(walls),
            cpu=statistics.median(s.cpu for s in samples),
            rss_mb=statistics.median(s.rss_mb for s in samples),
        )


def quiet_env(**extra: str) -> dict[str, str]:
    """The environment for measured processes.

    No proxies (only 127.0.0.1 is ever contacted) and no Indico token. Python writes
    and reuses bytecode, as an installed package does, but under bench/out/pycache
    (`PYTHONPYCACHEPREFIX`), not in the source tree: with `PYTHONDONTWRITEBYTECODE`
    set, every run would recompile indico_sync from source.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy")
        and key not in ("INDICO_TOKEN", "PYTHONDONTWRITEBYTECODE")
    }
    env.update(
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONPYCACHEPREFIX=str(PYCACHE),
        **extra,
    )
    return env
