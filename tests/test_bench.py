"""The benchmark compares like with like: Hugo's and Jekyll's sites write the same
one-meeting `meeting.ics` as indico_sync, the content check counts them, and the
targets read the memory figure at the size the issue sets it."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bench import hugo_site, jekyll_site
from bench.check import Output, check_output, unlike
from bench.generate import FIRST_EVENT_ID, generate_site
from bench.meeting_pages import change_one_title
from bench.targets import evaluate_targets
from indico_sync.meetings import MeetingType, Status
from indico_sync.site.build import build
from indico_sync.snapshot import load_snapshot, render_snapshot

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
MEETINGS = 4


def unfolded(path: Path) -> list[str]:
    """The calendar's content lines, unfolded, without PRODID (it names the tool).
    Hugo and Jekyll fold by characters, indico_sync by octets: compared unfolded."""
    text = path.read_bytes().decode().replace("\r\n ", "")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return [line for line in text.split("\r\n") if not line.startswith("PRODID:")]


def edge_cases(source: Path) -> None:
    """A cancelled meeting with RFC 5545 special characters, a postponed one in a room."""
    meetings = load_snapshot(source)
    meetings[1] = replace(
        meetings[1],
        title="A, b; c \\ d",
        status=Status.CANCELLED,
        label="Cancelled",
        label_message="Clash; see list, \\ note",
    )
    meetings[2] = replace(
        meetings[2],
        status=Status.POSTPONED,
        label="Postponed",
        location="CERN, 4/3-006",
        type=MeetingType.HYBRID,
    )
    text = render_snapshot(meetings)
    (source / "_data" / "meetings.yml").write_text(text, encoding="utf-8", newline="\n")


@pytest.mark.parametrize("module", [hugo_site, jekyll_site], ids=["hugo", "jekyll"])
def test_the_other_tools_write_indico_syncs_meeting_ics(tmp_path: Path, module: ModuleType) -> None:
    if shutil.which(module.COMMAND) is None:
        pytest.skip(f"{module.COMMAND} is not installed")
    source = generate_site(tmp_path / "src", meetings=MEETINGS, posts=1)
    edge_cases(source)
    ours = tmp_path / "ours"
    build(source, ours, templates=ROOT / "templates", now=NOW)
    site, out = module.make_site(source, tmp_path / "site"), tmp_path / "out"
    done = subprocess.run(module.build_command(site, out), capture_output=True, check=False)
    if b"Dependency Error" in done.stderr:  # Jekyll without minima or a plugin: see README
        pytest.skip(done.stderr.decode(errors="replace").split("Dependency Error:")[1][:160])
    assert done.returncode == 0, done.stderr.decode(errors="replace")

    found = check_output(out, event_ids=range(FIRST_EVENT_ID, FIRST_EVENT_ID + MEETINGS))
    assert found.meeting_pages == found.meeting_calendars == MEETINGS
    for ics in sorted(ours.glob("meetings/*/meeting.ics")):
        assert unfolded(out / ics.relative_to(ours)) == unfolded(ics)
    cancelled = out / load_snapshot(source)[1].page_path / "meeting.ics"
    assert "SUMMARY:CANCELLED: A\\, b\\; c \\\\ d" in unfolded(cancelled)
    assert b".ics" not in (out / "sitemap.xml").read_bytes()

    changed = change_one_title(source)  # the "one meeting changed" scenario reaches the .ics
    module.change_meeting(source, site, changed)
    subprocess.run(module.build_command(site, out), check=True, capture_output=True)
    build(source, ours, templates=ROOT / "templates", now=NOW)
    edited = changed.page_path + "meeting.ics"
    assert unfolded(out / edited) == unfolded(ours / edited)
    assert any(line.endswith(f": {changed.title}") for line in unfolded(out / edited))


def output(pages: int, calendars: int) -> Output:
    return Output(
        files=0,
        kilobytes=0,
        home_kilobytes=0,
        meeting_rows=10,
        meeting_pages=pages,
        meeting_calendars=calendars,
        post_pages=1,
        feed=True,
        sitemap=True,
    )


def test_a_tool_without_the_ics_makes_the_others_not_like_for_like() -> None:
    outputs = {"indico_sync": output(10, 10), "hugo": output(10, 0), "jekyll": output(10, 10)}
    assert output(10, 0).problems(meetings=10, posts=1) == ["0 .ics for 10 meeting pages"]
    assert output(10, 10).problems(meetings=10, posts=1) == []
    assert unlike(outputs, meetings=10) == {
        "indico_sync": ["not like for like: fewer meeting .ics from hugo"],
        "jekyll": ["not like for like: fewer meeting .ics from hugo"],
    }
    assert unlike({tool: output(10, 10) for tool in outputs}, meetings=10) == {}


def entry(*, wall: float, rss: float, meetings: int = 1000, ics: int = 1000) -> dict[str, Any]:
    run = {"wall": wall, "rss_mb": rss}
    output = {"meeting_pages": meetings, "meeting_calendars": ics}
    return {"cold": run, "rebuild": run | {"wall": wall / 10}, "changed": run, "output": output}


def results(builds: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"builds": builds, "normalise": {"events": 0}}


def test_the_memory_target_is_read_at_10000_meetings_beside_the_1000_row() -> None:
    builds = {
        "1000": {
            "indico_sync": entry(wall=3.0, rss=66.0),
            "hugo": entry(wall=2.0, rss=140.0),
            "jekyll": entry(wall=20.0, rss=120.0, ics=999),
        },
        "10000": {"indico_sync": entry(wall=30.0, rss=345.0, meetings=10_000, ics=10_000)},
    }
    rows = {target: row for target, *row in evaluate_targets(results(builds))}
    memory = "peak memory ≤ 100 MB (10,000 meetings, cold build: the issue's target)"
    assert rows[memory] == ["345 MB", False, ""]  # the 10,000 build is indico_sync's alone
    caveat = "not like for like: Jekyll built fewer meeting .ics"
    assert rows["peak memory ≤ 100 MB (1,000 meetings, cold or rebuild)"] == ["66 MB", True, caveat]
    changed = rows["rebuild after one meeting changed ≤ 0.3x own cold"]
    assert changed[0] == "1.00x (Hugo 1.00x, Jekyll 1.00x)"

    del builds["10000"]  # not run: not measured (the 1,000 figure does not stand in)
    rows = {target: row for target, *row in evaluate_targets(results(builds))}
    assert rows[memory] == ["-", None, ""]
