"""What a sync changed, as lines of text for the terminal, the commit and the job summary.

Pure: the changes and the site's zone go in, lines come out. One line per meeting,
`+` added, `~` updated (with what changed, old -> new), `-` removed, its start in the
site's zone (as the site shows it). Titles and URLs come from Indico and are printed
in CI logs, where a line starting with `::` is a workflow command (`::add-mask::`,
`::error::`) and an escape sequence can rewrite the terminal: `printable` strips every
control and bidi-override character from them first, so each meeting stays one line
that starts with its sign.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from indico_sync.meetings import Material, Meeting, Minutes, Talk

# C0 and C1 controls, DEL, and the characters that reorder or break text on display:
# bidi embeddings, overrides and isolates, marks, and the Unicode line separators.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]+")
_QUOTED = 60  # longest title quoted in full in a `~` line
_MARKS = 8  # most materials named in a `~` line; the rest are counted


def printable(text: str) -> str:
    """`text` with control and bidi-override characters removed (see the module doc)."""
    return _UNPRINTABLE.sub("", text)


def report_lines(
    added: Sequence[Meeting],
    updated: Sequence[Meeting],
    previous: Sequence[Meeting],
    removed: Sequence[Meeting],
    *,
    zone: ZoneInfo | None,
) -> list[str]:
    """`+`, `~` and `-` lines; `previous[i]` is `updated[i]` before the sync."""
    lines = [_line("+", m, zone) for m in added]
    lines += [
        _line("~", new, zone, details=describe_update(old, new, zone=zone))
        for old, new in zip(previous, updated, strict=True)
    ]
    lines += [_line("-", m, zone) for m in removed]
    return lines


def _line(sign: str, meeting: Meeting, zone: ZoneInfo | None, details: str = "") -> str:
    when = _when(meeting.start, zone, "%Y-%m-%d %H:%M %Z")
    extra = f"  ({details})" if details else ""
    return f"{sign} {when}  {printable(meeting.title)}{extra}  {printable(meeting.url)}"


def describe_update(old: Meeting, new: Meeting, *, zone: ZoneInfo | None) -> str:
    """What differs between two versions of a meeting: `time 14:00 → 15:00; talks: + 'X'`."""
    parts = []
    if old.title != new.title:
        parts.append(f"title {_quote(old.title)} → {_quote(new.title)}")
    parts += _times(old, new, zone)
    for name, before, after in (
        ("status", old.label or old.status.value, new.label or new.status.value),
        ("type", old.type.label if old.type else "none", new.type.label if new.type else "none"),
        ("location", _quote(old.location), _quote(new.location)),
        ("category", _quote(old.category), _quote(new.category)),
        ("protected", _yes(old.protected), _yes(new.protected)),
    ):
        if before != after:
            parts.append(f"{name} {before} → {after}")
    if _agenda(old.talks) != _agenda(new.talks):
        parts.append(_talks(old, new))
    parts += material_changes(old, new)
    if old.description != new.description:
        gone, came = not new.description, not old.description
        parts.append("description " + ("removed" if gone else "added" if came else "changed"))
    if not parts:  # a field the report does not describe (the source, the category id)
        parts.append("details changed")
    return "; ".join(parts)


def _times(old: Meeting, new: Meeting, zone: ZoneInfo | None) -> list[str]:
    parts = []
    for name, before, after in (("", old.start, new.start), ("ends ", old.end, new.end)):
        if before == after:
            continue
        same_day = _when(before, zone, "%Y-%m-%d") == _when(after, zone, "%Y-%m-%d")
        form = "%H:%M" if same_day else "%Y-%m-%d %H:%M"
        label = name or ("time " if same_day else "date ")
        parts.append(f"{label}{_when(before, zone, form)} → {_when(after, zone, form)}")
    if old.timezone != new.timezone:
        parts.append(f"zone {printable(old.timezone)} → {printable(new.timezone)}")
    return parts


def _talks(old: Meeting, new: Meeting) -> str:
    """Talks added (+), removed (-) and changed (~), by title.

    A protected meeting's talks are only counted: their titles may be what only members
    should see, and the report goes into the public commit history.
    """
    if old.protected or new.protected:
        return f"talks {len(old.talks)} → {len(new.talks)}"
    before = {talk.title: talk for talk in old.talks}
    after = {talk.title: talk for talk in new.talks}
    marks = [f"+ {_quote(t)}" for t in after if t not in before]
    marks += [f"- {_quote(t)}" for t in before if t not in after]
    marks += [
        f"~ {_quote(t)}" for t in after if t in before and _talk(before[t]) != _talk(after[t])
    ]
    if marks:
        return "talks: " + ", ".join(marks)
    return (
        f"talks {len(old.talks)} → {len(new.talks)}"
        if len(old.talks) != len(new.talks)
        else "talks changed"
    )


def _talk(talk: Talk) -> tuple[object, ...]:
    """A talk without its materials and minutes (`material_changes` names those)."""
    return talk.title, talk.speakers, talk.start, talk.end


def _agenda(talks: tuple[Talk, ...]) -> list[tuple[object, ...]]:
    return [_talk(talk) for talk in talks]


def material_changes(old: Meeting, new: Meeting) -> list[str]:
    """Materials and minutes added (+), removed (-) or changed (~), by kind and title:
    `+ slides 'Status' for 'Talk title'`, `+ minutes`. A protected meeting's are only
    said to have changed (their titles may be for members only), and a long list is cut."""
    holders = [("", old.materials, old.minutes, new.materials, new.minutes)]
    before = {talk.title: talk for talk in old.talks}
    for talk in new.talks:
        was = before.get(talk.title)
        was_materials, was_minutes = (was.materials, was.minutes) if was else ((), None)
        holders.append((talk.title, was_materials, was_minutes, talk.materials, talk.minutes))
    if all(h[1] == h[3] and h[2] == h[4] for h in holders):
        return []
    if old.protected or new.protected:
        return ["materials changed"]
    marks = [mark for holder in holders for mark in _material_marks(*holder)]
    if len(marks) > _MARKS:
        marks[_MARKS - 1 :] = [f"{len(marks) - _MARKS + 1} more material changes"]
    return marks or ["materials changed"]


def _material_marks(
    talk: str,
    old: tuple[Material, ...],
    old_minutes: Minutes | None,
    new: tuple[Material, ...],
    new_minutes: Minutes | None,
) -> list[str]:
    where = f" for {_quote(talk)}" if talk else ""
    before = {(m.folder, m.title): m for m in old}
    after = {(m.folder, m.title): m for m in new}
    marks = [
        f"+ {m.kind.value} {_quote(m.title)}{where}" for k, m in after.items() if k not in before
    ]
    marks += [
        f"- {m.kind.value} {_quote(m.title)}{where}" for k, m in before.items() if k not in after
    ]
    marks += [
        f"~ {m.kind.value} {_quote(m.title)}{where}"
        for k, m in after.items()
        if k in before and before[k] != m
    ]
    if old_minutes != new_minutes:
        sign = "+" if old_minutes is None else "-" if new_minutes is None else "~"
        marks.append(f"{sign} minutes{where}")
    return marks


def _when(moment: datetime, zone: ZoneInfo | None, form: str) -> str:
    """`moment` in the site's zone (or its own zone when the site has none)."""
    return (moment.astimezone(zone) if zone else moment).strftime(form)


def _quote(text: str) -> str:
    shown = printable(text)
    return f"'{shown[: _QUOTED - 1]}…'" if len(shown) > _QUOTED else f"'{shown}'"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
