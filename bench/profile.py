"""`python -m bench --profile`: where indico_sync's build and sync spend their time.

On the 1,000-meeting + 200-post site and the 10,000-event sync (`--tiny`: 20 meetings
and 1,000 events, the quick check that profiling still works): `-X importtime`
(start-up), cProfile of each run (exact call counts, but it inflates Python-heavy code
2-3x), and py-spy samples when py-spy is installed (true proportions of wall time, all
threads; `pip install --target bench/out/tools py-spy` is enough). Raw profiles and a
`summary.md` of the top entries go to bench/out/profile/.
"""

from __future__ import annotations

import pstats
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from io import StringIO
from pathlib import Path

from bench import sync_bench
from bench.generate import generate_site
from bench.timing import BenchError, quiet_env

REPO = Path(__file__).resolve().parent.parent
PYSPY_LOCAL = REPO / "bench" / "out" / "tools" / "bin" / "py-spy"
RATE = 1000  # py-spy samples per second
ROOT_FRAMES = re.compile(r"^(<module>|_run_code|_run_module_as_main|run_module|main|process) ")


def profile(out: Path, *, now: str, meetings: int = 1000, events: int = 10_000) -> int:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    source = generate_site(out / "site", meetings=meetings)
    site_out = out / "site-out"
    build = ["-m", "indico_sync", "build", "--source", str(source), "--out", str(site_out)]
    build += ["--templates", str(REPO / "templates"), "--now", now]
    stub = sync_bench.IndicoStub(sync_bench.scale_events(events, seed=1))
    sync_bench.serve(stub)
    try:
        site = sync_bench.write_sync_site(out / "sync-site", base_url=stub.base)
        snapshot = site / "_data" / "meetings.yml"
        sync = ["-m", "indico_sync", "sync", "--source", str(site)]
        built, synced = f"({meetings:,} meetings)", f"{events:,} events"
        scenarios: list[tuple[str, str, list[str], Callable[[], None]]] = [
            ("build-cold", f"build, cold {built}", build, lambda: _cold(site_out)),
            ("build-rebuild", f"build, rebuild {built}", build, lambda: None),
            ("sync-fresh", f"sync, {synced}, no snapshot", sync, lambda: _unlink(snapshot)),
            ("sync-same", f"sync, {synced}, snapshot unchanged", sync, lambda: None),
        ]
        _run(build)  # warm-up: bytecode cache and page cache, as in the timed runs
        _cold(site_out)
        sections = [_importtime(build, out)]
        sections += [_scenario(out, *scenario) for scenario in scenarios]
    finally:
        stub.shutdown()
        stub.server_close()
    (out / "summary.md").write_text("\n".join(sections), encoding="utf-8")
    print(f"wrote {out / 'summary.md'}", file=sys.stderr)
    return 0


def _cold(out: Path) -> None:
    """No output folder and no build manifest (`.<out>*` beside it)."""
    shutil.rmtree(out, ignore_errors=True)
    for entry in out.parent.glob(f".{out.name}*"):
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def _scenario(out: Path, stem: str, title: str, args: list[str], setup: Callable[[], None]) -> str:
    """cProfile, then py-spy, each from the same starting state."""
    print(f"profiling: {title}", file=sys.stderr)
    setup()
    _run(["-m", "cProfile", "-o", str(out / f"{stem}.prof"), *args])
    text = f"## {title}\n\n"
    pyspy = shutil.which("py-spy") or (str(PYSPY_LOCAL) if PYSPY_LOCAL.exists() else None)
    if pyspy:
        setup()
        text += _pyspy(pyspy, args, out / f"{stem}.pyspy.txt")
    else:
        text += "py-spy not installed: only cProfile.\n\n"
    return text + f"cProfile (`{stem}.prof`):\n\n" + _top(out / f"{stem}.prof") + "\n"


def _run(args: list[str], *, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [*(prefix or []), sys.executable, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=quiet_env())
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-5:])
        raise BenchError(f"{' '.join(command)} exited with {done.returncode}: {tail}")
    return done


def _importtime(build: list[str], out: Path) -> str:
    """Imports by cumulative time; top level only (no indentation in Python's report)."""
    stderr = _run(["-X", "importtime", *build]).stderr
    (out / "importtime.txt").write_text(stderr, encoding="utf-8")
    rows = []
    for line in stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if found:
            self_us, total_us, indent, name = found.groups()
            rows.append((int(total_us), int(self_us), len(indent) // 2, name))
    top = sorted((row for row in rows if row[2] <= 1), reverse=True)[:20]
    total = sum(row[0] for row in rows if row[2] == 0)
    lines = [f"all imports: {total / 1000:.0f} ms", "", "| module (depth) | cumulative ms |"]
    lines += ["| --- | --- |"]
    lines += [f"| {'  ' * depth}{name} ({depth}) | {us / 1000:.1f} |" for us, _, depth, name in top]
    return "## Start-up: `-X importtime` of a build\n\n" + "\n".join(lines) + "\n"


def _top(path: Path, count: int = 20) -> str:
    text = StringIO()
    stats = pstats.Stats(str(path), stream=text)
    stats.strip_dirs().sort_stats("cumulative").print_stats(count)
    stats.sort_stats("tottime").print_stats(count)
    body = text.getvalue()
    return "```\n" + body[body.find("   Ordered by") :].strip() + "\n```\n"


def _pyspy(pyspy: str, args: list[str], raw: Path) -> str:
    """py-spy's raw stacks (by function; all threads and forked children), as CPU ms."""
    record = [pyspy, "record", "--rate", str(RATE), "--function", "--subprocesses"]
    record += ["--format", "raw"]
    _run(args, prefix=[*record, "-o", str(raw), "--"])
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, weight = line.rpartition(" ")
        count = int(weight)
        frames = [re.sub(r" \((?:.*/)?([^/]*)\)$", r" (\1)", f) for f in stack.split(";") if f]
        if not frames:
            continue
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    samples = sum(own.values())
    ms = 1000 / RATE
    lines = [
        f"py-spy, {samples} samples at {RATE} Hz = {samples * ms:.0f} ms on CPU (`{raw.name}`)",
        "",
        "| function (file) | inclusive ms | % | self ms |",
        "| --- | --- | --- | --- |",
    ]
    for frame, count in total.most_common(60):
        if ROOT_FRAMES.match(frame) or len(lines) >= 34:
            continue
        share = 100 * count / samples
        lines.append(f"| {frame} | {count * ms:.0f} | {share:.0f} | {own[frame] * ms:.0f} |")
    lines += ["", "top self time:", ""]
    lines += [f"- {frame}: {count * ms:.0f} ms" for frame, count in own.most_common(12)]
    return "\n".join(lines) + "\n\n"
