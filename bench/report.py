"""RESULTS.md: the machine, a table per measurement (medians and ratios), the targets.

Everything here is a pure function of the results mapping that `bench/__main__.py`
collects (also saved as JSON next to it), so the report can be re-rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.format import NAMES, TARGET_SIZE, TOOLS, ratio, rss, table, wall, x
from bench.format import s as _s
from bench.targets import render_targets


def render_results(results: Mapping[str, Any]) -> str:
    parts = [
        "# Benchmark results: indico_sync vs Hugo vs Jekyll\n",
        f"Reproduce: `{results['command']}` (from the repository root; "
        f"took {results['duration_s'] / 60:.1f} min, started {results['started']}).\n",
        _machine(results["machine"]),
        render_targets(results),
        _builds(results),
        _ratios(results),
        _scaling(results),
        _startup(results),
        _sync(results),
        _method(results),
    ]
    return "\n".join(part for part in parts if part)


def _machine(machine: Mapping[str, str]) -> str:
    return "## Machine\n\n" + table(("", ""), list(machine.items()))


def _builds(results: Mapping[str, Any]) -> str:
    rows = []
    for size, tools in results["builds"].items():
        for tool in TOOLS:
            if tool not in tools:
                continue
            entry, out = tools[tool], tools[tool]["output"]
            cold, rebuild = entry["cold"], entry["rebuild"]
            rows.append(
                (
                    f"{int(size):,}",
                    NAMES[tool],
                    *(_spread(entry.get(kind)) for kind in ("cold", "rebuild", "changed")),
                    _s(cold["cpu"]),
                    f"{rss(cold['rss_mb'])} / {rss(rebuild['rss_mb'])}",
                    f"{out['files']} files, {out['kilobytes'] / 1000:.1f} MB",
                    f"{out['home_kilobytes']:.0f} KB, {out['meeting_rows']:,} rows",
                    _pages(out),
                    out["post_pages"],
                    "; ".join(entry["problems"]) or "ok",
                )
            )
    header = (
        "meetings",
        "tool",
        "cold wall s, median (min-max)",
        "rebuild wall s, nothing changed",
        "rebuild wall s, one meeting changed",
        "cold CPU s",
        "peak RSS MB cold / rebuild",
        "output",
        "home page",
        "meeting pages + .ics",
        "post pages",
        "same content?",
    )
    return (
        f"## Builds ({results['runs']} interleaved runs each, {results['posts']} posts)\n\n"
        + table(header, rows)
    )


def _pages(out: Mapping[str, Any]) -> str:
    """Meeting pages and the .ics beside them (not counted before the .ics were checked)."""
    pages, calendars = out.get("meeting_pages", 0), out.get("meeting_calendars")
    return f"{pages:,}" + ("" if calendars is None else f" + {calendars:,}")


def _spread(summary: Mapping[str, float] | None) -> str:
    if summary is None:
        return "-"
    return f"**{_s(summary['wall'])}** ({_s(summary['wall_min'])}-{_s(summary['wall_max'])})"


def _ratios(results: Mapping[str, Any]) -> str:
    rows = []
    for size in results["builds"]:
        walls = {
            (tool, kind): wall(results, int(size), tool, kind)
            for tool in TOOLS
            for kind in ("cold", "rebuild", "changed")
        }
        rows.append(
            (
                f"{int(size):,}",
                x(ratio(walls["indico_sync", "cold"], walls["hugo", "cold"])),
                x(ratio(walls["indico_sync", "cold"], walls["jekyll", "cold"])),
                x(ratio(walls["jekyll", "cold"], walls["indico_sync", "cold"])),
                x(ratio(walls["indico_sync", "rebuild"], walls["hugo", "rebuild"])),
                x(ratio(walls["indico_sync", "rebuild"], walls["jekyll", "rebuild"])),
                x(ratio(walls["indico_sync", "rebuild"], walls["indico_sync", "cold"])),
                *(x(ratio(walls[tool, "changed"], walls[tool, "cold"])) for tool in TOOLS),
            )
        )
    header = (
        "meetings",
        "indico_sync ÷ Hugo, cold",
        "indico_sync ÷ Jekyll, cold",
        "Jekyll ÷ indico_sync, cold (speed-up)",
        "indico_sync ÷ Hugo, rebuild",
        "indico_sync ÷ Jekyll, rebuild",
        "indico_sync rebuild ÷ its cold",
        *(f"{NAMES[tool]}: one meeting changed ÷ its cold" for tool in TOOLS),
    )
    return "## Ratios (medians; below 1x means indico_sync is faster)\n\n" + table(header, rows)


def _scaling(results: Mapping[str, Any]) -> str:
    sizes = [int(size) for size in results["builds"]]
    base = TARGET_SIZE if TARGET_SIZE in sizes else min(sizes)
    rows = []
    for size in sizes:
        row: list[object] = [f"{size:,}"]
        for tool in TOOLS:
            cold = wall(results, size, tool, "cold")
            row += [_s(cold), x(ratio(cold, wall(results, base, tool, "cold")))]
        rows.append(row)
    header = ["meetings"]
    for tool in TOOLS:
        header += [f"{NAMES[tool]} cold s", f"÷ {base:,}"]
    return f"## Scaling with the number of meetings (cold, vs {base:,})\n\n" + table(header, rows)


def _startup(results: Mapping[str, Any]) -> str:
    rows = [
        (f"`{entry['command']}`", _s(entry["wall"]), rss(entry["rss_mb"]))
        for entry in results["startup"].values()
    ]
    return "## Start-up floor (no site built)\n\n" + table(
        ("command", "wall s (median)", "peak RSS MB"), rows
    )


def _sync(results: Mapping[str, Any]) -> str:
    rows = [
        (
            f"`normalise_events`, in-process: {row['name']}",
            f"{row['events']:,}",
            f"{row['talks']:.1f}",
            f"**{row['median']:,.0f}**",
            f"{row['min']:,.0f}-{row['max']:,.0f}",
        )
        for row in results.get("normalise_rows", [results["normalise"]])
    ]
    header = ("measurement", "events", "talks per event", "median events/s", "min-max events/s")
    text = "## Sync\n\n" + table(header, rows)
    sync = results.get("sync")
    if not sync:
        return text + f"\nWhole-process sync not measured: {results.get('sync_skipped')}.\n"
    curl = sync["runs"]["curl"]["wall"]
    rows = [
        (
            name,
            f"**{_s(entry['wall'])}** ({_s(entry['wall_min'])}-{_s(entry['wall_max'])})",
            _s(entry["cpu"]),
            rss(entry["rss_mb"]),
            x(ratio(entry["wall"], curl)),
        )
        for name, entry in sync["runs"].items()
    ]
    return (
        text + f"\n{sync['events']:,} events in {len(sync['urls'])} requests (limit=500), "
        f"{sync['bytes'] / 1e6:.1f} MB of JSON, from a threaded `http.server` on 127.0.0.1; "
        f"the sync wrote {sync['meetings']:,} meetings. {sync['runs_each']} alternating runs.\n\n"
        + table(("command", "wall s, median (min-max)", "CPU s", "peak RSS MB", "÷ curl"), rows)
    )


def _method(results: Mapping[str, Any]) -> str:
    notes = "".join(f"- {note}\n" for note in results["notes"])
    return (
        "## How it was measured\n\n"
        "- Inputs from `bench/generate.py` (fixed seed): the repository's `index.md`, "
        "`about.md` and `_config.yml`, N meetings rendered by `indico_sync.snapshot."
        "render_snapshot` (1-5 talks, unicode names, 7 time zones; slides on most talks, a "
        "recording link on about half the meetings, minutes on a third, where the snapshot "
        "format stores them) and 200 Markdown posts. Hugo and Jekyll get the same files, "
        "converted by `bench/hugo_site.py` / `bench/jekyll_site.py`, plus a page per meeting "
        "at `/meetings/{slug}/` with its one-meeting `meeting.ics` beside it, as indico_sync "
        "writes (a content file per meeting: `bench/meeting_pages.py`).\n"
        "- Each build is a whole process. Wall time: `time.perf_counter()` around it; CPU and "
        "peak RSS: GNU `/usr/bin/time`. *cold* = the output folder, its hidden siblings "
        "`.<out>*` (indico_sync's build manifest) and everything a build left in the site "
        "folder (Jekyll's `.jekyll-cache`, Hugo's `resources/`) deleted first; "
        "*rebuild* = the same command again, nothing changed; *one meeting changed* = "
        "then the middle meeting's title edited (untimed: the snapshot rewritten as a sync "
        "does, and Hugo's and Jekyll's data file and that meeting's content file) and the "
        "same command again. One unrecorded warm-up build per tool, then rounds of "
        "`indico_sync, Hugo, Jekyll` cold, then the same order rebuilding, then changed.\n"
        "- Sync: `python -m indico_sync sync` (anonymous) against a threaded `http.server` "
        "on 127.0.0.1 serving the scaled recorded answer from precomputed bytes; curl "
        "fetches exactly the URLs the sync requested, one after another on one connection, "
        "in one process. Runs alternate sync (no snapshot), sync (snapshot unchanged), curl.\n"
        "- Python runs with its bytecode cache on (in `bench/out/pycache`, even if "
        "`PYTHONDONTWRITEBYTECODE` is set), as an installed package would; so do Jinja's "
        "compiled templates (its per-user cache in the temporary directory, kept across "
        "cold builds like Python's; compiling them costs a build process about 0.1 s).\n"
        "- *same content?* checks each output: every meeting on the home page (distinct "
        "event links), every meeting page (`meetings/*/index.html`) and its `meeting.ics`, "
        "every post page, a feed and a sitemap; while a tool builds fewer meeting pages or "
        ".ics than the others, none of them is marked ok (not like for like).\n" + notes
    )
