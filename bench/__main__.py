"""`python -m bench`: build and sync benchmarks against Hugo, Jekyll and curl, in one run.

.venv/bin/python -m bench --sizes 100,1000,10000 --runs 5   # writes bench/RESULTS.md
.venv/bin/python -m bench --tiny                            # CI smoke run, bench/out/ only
.venv/bin/python -m bench --profile                         # profiles, bench/out/profile/
.venv/bin/python -m bench --profile --tiny                  # the same, 20 meetings (a test)
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import hugo_site, jekyll_site, machine, sync_bench
from bench.check import check_output, unlike
from bench.generate import FIRST_EVENT_ID, POSTS, generate_site
from bench.meeting_pages import change_one_title
from bench.report import render_results
from bench.timing import (
    KINDS,
    BenchError,
    Build,
    Summary,
    measure_builds,
    quiet_env,
    run_alternating,
    warm_up,
)

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
NOW = "2026-11-22T12:00:00+00:00"  # fixed: splits upcoming from past meetings
TOOLS = {"hugo": hugo_site, "jekyll": jekyll_site}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="meeting counts, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--events", type=int, default=10_000, help="events in the sync benchmark")
    parser.add_argument("--tiny", action="store_true", help="CI smoke run: 20 meetings, 1 run")
    parser.add_argument("--profile", action="store_true", help="profile the 1,000 site instead")
    parser.add_argument("--out", type=Path, default=BENCH / "out", help="scratch folder")
    parser.add_argument("--results", type=Path, help="default: bench/RESULTS.md")
    parser.add_argument(
        "--others-up-to",
        type=int,
        default=0,
        metavar="N",
        help="build with Hugo and Jekyll only up to N meetings (0: always)",
    )
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    if args.tiny:
        args.sizes, args.runs, args.events = [20], 1, 1000
    if args.results is None:
        args.results = args.out / "RESULTS.md" if args.tiny else BENCH / "RESULTS.md"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.profile:
        from bench.profile import profile

        try:
            meetings = args.sizes[0] if args.tiny else 1000
            return profile(args.out / "profile", now=NOW, meetings=meetings, events=args.events)
        except BenchError as exc:
            print(f"bench: error: {exc}", file=sys.stderr)
            return 1
    started, clock = datetime.now(UTC), time.perf_counter()
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python -m bench", *_shown_options(argv or sys.argv[1:])]),
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine.describe(),
        "runs": args.runs,
        "posts": POSTS,
        "notes": [],
    }
    tools = ["indico_sync"] + [name for name, module in TOOLS.items() if module.available()]
    for name in TOOLS.keys() - set(tools):
        results["notes"].append(f"{name}: `{TOOLS[name].COMMAND}` is not installed; skipped.")
    try:
        results["builds"] = {
            str(size): bench_builds(
                size, _tools_at(size, tools, args), args=args, notes=results["notes"]
            )
            for size in args.sizes
        }
        if args.others_up_to and max(args.sizes) > args.others_up_to:
            results["notes"].append(
                f"Hugo and Jekyll were built up to {args.others_up_to:,} meetings only "
                f"(`--others-up-to {args.others_up_to}`)."
            )
        results["startup"] = bench_startup(tools, runs=max(args.runs, 3))
        results.update(bench_sync(args))
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    results["machine"]["load average (1 min) at end"] = machine.load()
    results["duration_s"] = time.perf_counter() - clock
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(render_results(results), encoding="utf-8")
    (args.out / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"wrote {args.results}", file=sys.stderr)
    return 0


def _tools_at(size: int, tools: list[str], args: argparse.Namespace) -> list[str]:
    """indico_sync always; the others up to `--others-up-to` meetings (Jekyll takes minutes
    for 10,000 meeting pages)."""
    return tools if not args.others_up_to or size <= args.others_up_to else tools[:1]


def _shown_options(argv: Sequence[str]) -> list[str]:
    """The options as given (`--out` matters: a scratch folder on tmpfs measures no disk)."""
    return [shlex.quote(arg) for arg in argv]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_builds(
    size: int, tools: list[str], *, args: argparse.Namespace, notes: list[str]
) -> dict[str, Any]:
    """Generate the size-N site, build it with every tool interleaved, check the outputs."""
    progress(f"{size:,} meetings + {POSTS} posts: generating")
    work = args.out / "sites" / str(size)
    source = generate_site(work / "src", meetings=size)
    builds = [indico_sync_build(source, work / "indico_sync-out")]
    for name in tools[1:]:
        module = TOOLS[name]
        site, out = module.make_site(source, work / name), work / f"{name}-out"
        builds.append(Build.of(name, module.build_command(site, out), site=site, out=out))

    def optional(build: Build, error: BenchError) -> bool:
        if build.tool != "indico_sync":
            notes.append(f"{build.tool} at {size:,} meetings: the build failed, skipped: {error}")
        return build.tool != "indico_sync"

    builds = warm_up(builds, optional=optional)

    def edit() -> None:
        """One meeting's title changed in the snapshot, and in the other tools' sites."""
        changed = change_one_title(source)
        for build in builds[1:]:
            TOOLS[build.tool].change_meeting(source, build.site, changed)

    samples = measure_builds(builds, runs=args.runs, progress=progress, edit=edit)
    ids = range(FIRST_EVENT_ID, FIRST_EVENT_ID + size)
    outputs = {build.tool: check_output(build.out, event_ids=ids) for build in builds}
    unlikes = unlike(outputs, meetings=size)
    result = {}
    for tool, output in outputs.items():
        problems = output.problems(meetings=size, posts=POSTS) + unlikes.get(tool, [])
        if problems:
            notes.append(f"{tool} at {size:,} meetings: {'; '.join(problems)}.")
        result[tool] = {kind: asdict(Summary.of(samples[tool, kind])) for kind in KINDS} | {
            "output": asdict(output),
            "problems": problems,
        }
    return result


def indico_sync_build(source: Path, out: Path) -> Build:
    command = [sys.executable, "-m", "indico_sync", "build", "--source", str(source)]
    command += ["--out", str(out), "--templates", str(REPO / "templates"), "--now", NOW]
    return Build.of("indico_sync", command, site=source, out=out)


def bench_startup(tools: list[str], *, runs: int) -> dict[str, Any]:
    """Each tool's floor: start, load, print its version, exit."""
    commands = {
        "indico_sync": (sys.executable, "-m", "indico_sync", "--version"),
        "python": (sys.executable, "-c", "pass"),
        "hugo": ("hugo", "version"),
        "jekyll": ("jekyll", "--version"),
    }
    chosen = {name: (commands[name], _nothing) for name in ["python", *tools]}
    samples = run_alternating(chosen, runs=runs, env=quiet_env())
    return {
        name: asdict(Summary.of(found)) | {"command": " ".join(_short(commands[name]))}
        for name, found in samples.items()
    }


def _short(command: Sequence[str]) -> list[str]:
    return [".venv/bin/python" if part == sys.executable else part for part in command]


def _nothing() -> None:
    return None


def bench_sync(args: argparse.Namespace) -> dict[str, Any]:
    progress(f"sync: scaling the recorded category answer to {args.events:,} events")
    events = sync_bench.scale_events(args.events, seed=1)
    repeats = max(args.runs, 3)
    found: dict[str, Any] = {"normalise": {}, "normalise_rows": []}
    for name, data in (
        ("scaled (the sync benchmark's events)", events),
        ("the 8 recorded events, repeated", sync_bench.recorded_events(args.events)),
    ):
        rates = sync_bench.normalise_rates(data, repeats=repeats)
        row = {"name": name, "events": len(data), "talks": sync_bench.talks_per_event(data)}
        found["normalise_rows"].append(row | sync_bench.rate_summary(rates))
    found["normalise"] = found["normalise_rows"][0]
    if not sync_bench.curl_available():
        found["sync_skipped"] = "curl is not installed"
        return found
    measured = sync_bench.measure_sync(events, args.out / "sync", runs=args.runs, progress=progress)
    runs = {name: asdict(Summary.of(samples)) for name, samples in measured.pop("samples").items()}
    found["sync"] = measured | {"events": len(events), "runs": runs, "runs_each": args.runs}
    return found


if __name__ == "__main__":
    raise SystemExit(main())
