"""A page per meeting for Hugo and Jekyll, like indico_sync's `/meetings/{slug}/`.

Hugo 0.111 and Jekyll cannot make pages from a data file without a plugin, so each
meeting becomes a content file whose front matter holds the meeting (read from the
snapshot, so every tool gets the same data); the tools' templates render the page:
title, date and time, type, location, status, the agenda with speakers, affiliations
and materials, event materials, minutes, JSON-LD and links to the previous and next
meeting. Each meeting also gets a one-event calendar, `/meetings/{slug}/meeting.ics`,
like indico_sync's "Add to calendar" file: Hugo renders it from the same content file (a
second output format), Jekyll from a second document per meeting (`calendar_matter`).
`change_one_title` is the "one meeting changed" scenario's edit.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

from indico_sync.meetings import Material, Meeting, MeetingType, Status
from indico_sync.site.calendar import event_uid
from indico_sync.site.meeting_pages import ICS
from indico_sync.snapshot import load_snapshot, render_snapshot

FOLDER = "meetings"
EDITED = " (edited)"
LABELS = {"slides": "Slides", "recording": "Recording", "minutes": "Minutes", "other": "Other"}
SCHEMA_STATUS = {
    Status.SCHEDULED: "EventScheduled",
    Status.CANCELLED: "EventCancelled",
    Status.POSTPONED: "EventPostponed",
}
ATTENDANCE: dict[MeetingType | None, str] = {
    MeetingType.HYBRID: "Mixed",
    MeetingType.IN_PERSON: "Offline",
}


def front_matter(meeting: Meeting) -> dict[str, Any]:
    """The meeting as page data (lower-case keys: Hugo lower-cases `.Params` keys)."""
    return {
        "title": meeting.title,
        "date": meeting.start.isoformat(),
        "start": meeting.start.isoformat(),
        "end": meeting.end.isoformat(),
        "indico": meeting.url,
        "meeting_type": meeting.type.value if meeting.type else "",
        "location": meeting.location,
        "label": meeting.label,
        "schema_status": SCHEMA_STATUS.get(meeting.status, "EventScheduled"),
        "attendance": ATTENDANCE.get(meeting.type, "Online"),
        "talks": [
            {
                "title": talk.title,
                "start": talk.start.isoformat() if talk.start else "",
                "speakers": [{"name": p.name, "affiliation": p.affiliation} for p in talk.speakers],
                "materials": _materials(talk.materials),
            }
            for talk in meeting.talks
        ],
        "materials": _materials(meeting.materials),
        "minutes": meeting.minutes.html if meeting.minutes else "",
    }


def calendar_matter(meeting: Meeting) -> dict[str, Any]:
    """What the one-event calendar needs: indico_sync's VEVENT fields. The templates
    escape, fold and convert to UTC (Hugo; Liquid cannot, so Jekyll reads `start_utc`);
    the UID is indico_sync's, so the events are the same events."""
    return {
        "title": meeting.title,
        "start": meeting.start.isoformat(),
        "end": meeting.end.isoformat(),
        "start_utc": meeting.start.astimezone(UTC).isoformat(),  # Liquid cannot convert
        "end_utc": meeting.end.astimezone(UTC).isoformat(),
        "indico": meeting.url,
        "uid": event_uid(meeting.url, meeting.id),
        "category": meeting.category,
        "status": meeting.status.value,
        "label": meeting.label,
        "label_message": meeting.label_message,
        "location": meeting.location,
        "type_label": meeting.type.label if meeting.type else "",
        "protected": meeting.protected,
        "talks": [
            {"title": talk.title, "speakers": [{"name": p.name} for p in talk.speakers]}
            for talk in meeting.talks
        ],
    }


def _materials(materials: tuple[Material, ...]) -> list[dict[str, str]]:
    return [{"label": LABELS[m.kind.value], "title": m.title, "url": m.url} for m in materials]


def write_pages(source: Path, folder: Path, *, fence: bool, calendars: Path | None = None) -> None:
    """One `{slug}.md` per snapshot meeting in `folder`; JSON front matter (YAML reads
    it too), inside `---` lines when `fence` (Jekyll) or bare (Hugo). The calendar's
    data goes in a `{slug}.ics` of its own in `calendars` (Jekyll: one output per
    source file) or, when None, in the page's front matter too (Hugo)."""
    for path in (folder, calendars):
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
    for meeting in load_snapshot(source):
        write_page(meeting, folder, fence=fence, calendars=calendars)


def write_page(
    meeting: Meeting, folder: Path, *, fence: bool, calendars: Path | None = None
) -> None:
    slug = meeting.page_slug
    if calendars is None:
        _write(folder / f"{slug}.md", front_matter(meeting) | calendar_matter(meeting), fence)
    else:
        _write(folder / f"{slug}.md", front_matter(meeting), fence)
        _write(calendars / f"{slug}.ics", calendar_matter(meeting), fence)


def _write(path: Path, matter: dict[str, Any], fence: bool) -> None:
    front = json.dumps(matter, ensure_ascii=False, indent=1)
    text = f"---\n{front}\n---\n" if fence else f"{front}\n"
    path.write_text(text, encoding="utf-8", newline="\n")


def change_one_title(source: Path) -> Meeting:
    """Edit the middle meeting's title in the snapshot, as a sync would (the whole file
    rewritten); the next call restores it. Returns the edited meeting."""
    meetings = load_snapshot(source)
    index = len(meetings) // 2
    meeting = meetings[index]
    title = meeting.title.removesuffix(EDITED)
    meetings[index] = replace(meeting, title=title if title != meeting.title else title + EDITED)
    text = render_snapshot(meetings)
    (source / "_data" / "meetings.yml").write_text(text, encoding="utf-8", newline="\n")
    return meetings[index]


def count_pages(out: Path) -> int:
    """Meeting pages in a built site: `meetings/*/index.html`."""
    return sum(1 for _ in (out / FOLDER).glob("*/index.html"))


def count_calendars(out: Path) -> int:
    """One-meeting calendars in a built site beside a meeting page: `meetings/*/meeting.ics`."""
    return sum(
        1 for path in (out / FOLDER).glob(f"*/{ICS}") if (path.parent / "index.html").is_file()
    )
