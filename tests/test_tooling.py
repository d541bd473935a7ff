"""`python -m indico_sync` as a process: profiling it works, its exit flushes and keeps the status.

`__main__.py` leaves with `os._exit` to skip the interpreter's teardown. These tests pin what
that must not break: `python -m cProfile -o X` (how `python -m bench --profile` runs every
scenario) writes X, atexit hooks still run, piped output arrives, and the exit status is right.
"""

from __future__ import annotations

import os
import pstats
import subprocess
import sys
from pathlib import Path

import pytest

from bench.profile import _scenario

ROOT = Path(__file__).parent.parent
SOURCE = Path(__file__).parent / "golden" / "source"
NOW = "2026-11-22T12:00:00+00:00"


def build_args(out: Path, source: Path = SOURCE) -> list[str]:
    args = ["-m", "indico_sync", "build", "--source", str(source), "--out", str(out)]
    return [*args, "--templates", str(ROOT / "templates"), "--now", NOW]


def run_python(args: list[str]) -> subprocess.CompletedProcess[str]:
    """The worktree's indico_sync in a child Python, stdout and stderr piped."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_bench_profile_scenario_writes_the_cprofile_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m bench --profile` runs `cProfile -o X -m indico_sync build`: X is written."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    out = tmp_path / "_site"
    summary = _scenario(tmp_path, "build-cold", "build, cold", build_args(out), lambda: None)
    profile = tmp_path / "build-cold.prof"
    assert profile.is_file()
    functions = {(Path(file).name, name) for file, _, name in pstats.Stats(str(profile)).stats}  # type: ignore[attr-defined]
    assert ("build.py", "build") in functions
    assert "## build, cold" in summary
    assert "cumulative" in summary
    assert (out / "index.html").is_file()


def test_piped_output_and_exit_status(tmp_path: Path) -> None:
    """Piped, the result line arrives with status 0; a bad source gives status 1 and one line."""
    out = tmp_path / "_site"
    done = run_python(build_args(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"built {out}: ")
    assert done.stdout.endswith(" files\n")
    failed = run_python(build_args(out, source=tmp_path / "missing"))
    assert failed.returncode == 1
    assert failed.stdout == ""
    config = tmp_path / "missing" / "_config.yml"
    assert failed.stderr == f"error: {config}: not found (is --source the site folder?)\n"


def test_atexit_hooks_run_before_the_fast_exit(tmp_path: Path) -> None:
    """An atexit hook (as logging's flush and coverage's save are) runs before `os._exit`."""
    script = (
        "import atexit, runpy, sys\n"
        "atexit.register(print, 'atexit hook ran', flush=True)\n"
        f"sys.argv = ['indico_sync', *{build_args(tmp_path / '_site')[2:]!r}]\n"
        "runpy.run_module('indico_sync', run_name='__main__')\n"
    )
    done = run_python(["-c", script])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "atexit hook ran"
    assert done.stdout.startswith("built ")


def test_usage_error_exits_2(tmp_path: Path) -> None:
    """argparse's own exit (SystemExit inside main) is left alone: status 2 and the usage line."""
    done = run_python(["-m", "indico_sync", "build", "--no-such-option"])
    assert done.returncode == 2
    assert "unrecognized arguments: --no-such-option" in done.stderr


def test_the_build_cache_beside_the_output_is_ignored_by_git() -> None:
    """`._site.manifest.json`, `._site.rows`, `._site.calendar` and `._site.events` sit beside
    `_site` in the repository: a `git add -A` must never commit them (the scheduled job adds
    only the snapshot)."""
    import shutil

    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a clone of the repository")
    names = ["._site.manifest.json", "._site.rows", "._site.calendar", "._site.events"]
    names.append("_site/index.html")
    found = subprocess.run(
        [git, "check-ignore", *names], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert found.stdout.split() == names
