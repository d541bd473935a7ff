"""Check that every tool built the same content, so the timings compare like with like.

Counted from the output folder: the meeting rows on the home page (distinct event
links), the meeting pages (`meetings/*/index.html`) and the one-meeting calendars beside
them (`meetings/*/meeting.ics`), the post pages, and whether a feed and a sitemap were
written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.meeting_pages import count_calendars, count_pages

_EVENT_LINK = re.compile(rb"indico\.cern\.ch/event/(\d+)")
FEEDS = ("feed.xml", "index.xml", "atom.xml", "feed.atom")


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    files: int
    kilobytes: float
    home_kilobytes: float
    meeting_rows: int
    meeting_pages: int
    meeting_calendars: int  # meeting.ics beside a meeting page
    post_pages: int
    feed: bool
    sitemap: bool

    def problems(self, *, meetings: int, posts: int) -> list[str]:
        """What is missing compared with the content the tool was given."""
        found = []
        if self.meeting_rows < meetings:
            found.append(f"home shows {self.meeting_rows} of {meetings} meetings")
        if self.meeting_pages < meetings:
            found.append(f"{self.meeting_pages} of {meetings} meeting pages")
        if self.meeting_calendars < self.meeting_pages:
            found.append(f"{self.meeting_calendars} .ics for {self.meeting_pages} meeting pages")
        if self.post_pages < posts:
            found.append(f"{self.post_pages} of {posts} post pages")
        if not self.feed:
            found.append("no feed")
        if not self.sitemap:
            found.append("no sitemap.xml")
        return found


def check_output(out: Path, *, event_ids: range) -> Output:
    """Measure the built site in `out`; the snapshot's meetings have `event_ids`."""
    files = [path for path in out.rglob("*") if path.is_file()]
    home = out / "index.html"
    text = home.read_bytes() if home.is_file() else b""
    ids = {int(found) for found in _EVENT_LINK.findall(text)}
    return Output(
        files=len(files),
        kilobytes=sum(path.stat().st_size for path in files) / 1000,
        home_kilobytes=len(text) / 1000,
        meeting_rows=sum(1 for event_id in ids if event_id in event_ids),
        meeting_pages=count_pages(out),
        meeting_calendars=count_calendars(out),
        post_pages=sum(
            1 for path in files if path.suffix == ".html" and "news-" in path.as_posix()
        ),
        feed=any((out / name).is_file() for name in FEEDS),
        sitemap=(out / "sitemap.xml").is_file(),
    )


def unlike(outputs: Mapping[str, Output], *, meetings: int) -> dict[str, list[str]]:
    """Per tool, what makes its output not comparable with another tool's: a tool that
    builds every meeting page (and its .ics) is measured doing more work than one that
    builds none."""
    counts = {
        "meeting pages": {tool: output.meeting_pages for tool, output in outputs.items()},
        "meeting .ics": {tool: output.meeting_calendars for tool, output in outputs.items()},
    }
    found: dict[str, list[str]] = {}
    for what, made in counts.items():
        short = sorted(tool for tool, count in made.items() if count < meetings)
        if not short:
            continue
        for tool in sorted(made.keys() - set(short)):
            found.setdefault(tool, []).append(
                f"not like for like: fewer {what} from {', '.join(short)}"
            )
    return found
