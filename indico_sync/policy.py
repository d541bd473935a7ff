"""What the config lets the site publish of the meetings: pure functions on Meeting records.

The protected-meetings policy (`indico.protected`), the per-event overrides
(`indico.overrides`) and the materials switch (`indico.materials`). The sync applies them
before anything is stored, so what must not be published never reaches git; the build
applies them again (`snapshot.load_published`), for a config changed since the sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from indico_sync.config import IndicoConfig
from indico_sync.meetings import Material, Meeting, Override, Protection


def publishable(meetings: Iterable[Meeting], indico: IndicoConfig) -> list[Meeting]:
    """The meetings as the config lets the site publish them: every policy below, in order."""
    protected = protect_meetings(meetings, indico.protected)
    return apply_overrides(publish_materials(protected, indico.materials), indico.overrides)


def apply_overrides(
    meetings: Iterable[Meeting], overrides: Mapping[str, Override]
) -> list[Meeting]:
    """Apply the config's per-event corrections; keys are event URLs or event ids."""
    if not overrides:
        return list(meetings)
    by_key = {key.rstrip("/"): override for key, override in overrides.items()}
    result = []
    for meeting in meetings:
        override = by_key.get(meeting.url.rstrip("/")) or by_key.get(meeting.id)
        if override is None:
            result.append(meeting)
        elif not override.hidden:
            corrected = replace(
                meeting,
                type=override.type or meeting.type,
                title=override.title if override.title is not None else meeting.title,
            )
            result.append(corrected if override.materials else without_materials(corrected))
    return result


def publish_materials(meetings: Iterable[Meeting], enabled: bool) -> list[Meeting]:
    """The meetings as they are, or without materials and minutes (`indico.materials: false`)."""
    return list(meetings) if enabled else [without_materials(m) for m in meetings]


def without_materials(meeting: Meeting) -> Meeting:
    """`meeting` without its materials and minutes, nor its talks'."""
    if meeting.later is not None and not meeting.later.materials:
        return meeting  # not read yet, and it has none
    talks = meeting.talks
    if any(talk.materials or talk.minutes for talk in talks):
        talks = tuple(replace(talk, materials=(), minutes=None) for talk in talks)
    elif not (meeting.materials or meeting.minutes):
        return meeting  # nothing to remove: the common case, without a copy
    return replace(meeting, materials=(), minutes=None, talks=talks)


def protect_meetings(meetings: Iterable[Meeting], policy: Protection) -> list[Meeting]:
    """Apply the config's policy to protected meetings, before anything stores or shows them.

    `title` keeps what Indico's anonymous category page shows (the title, a lock) plus
    the date, time, status and link; talks, speakers, description, location, type,
    materials and minutes go. `hide` drops the meeting; `full` keeps everything. Under
    `title` and `hide`, a public meeting loses the materials Indico flags protected: a sync
    never stores them, but one made under `full` before the policy changed did.
    """
    if policy is Protection.FULL:
        return list(meetings)
    result = []
    for meeting in meetings:
        if not meeting.protected:
            result.append(without_protected_materials(meeting))
        elif policy is Protection.TITLE:
            result.append(title_only(meeting))
    return result


def without_protected_materials(meeting: Meeting) -> Meeting:
    """`meeting` without the materials flagged protected, its own and its talks'."""
    if meeting.later is not None and not meeting.later.protected:
        return meeting  # not read yet, and none is flagged
    talks = meeting.talks
    if any(m.protected for talk in talks for m in talk.materials):
        talks = tuple(replace(talk, materials=_public(talk.materials)) for talk in talks)
    elif not any(m.protected for m in meeting.materials):
        return meeting  # none: the common case, without a copy
    return replace(meeting, materials=_public(meeting.materials), talks=talks)


def _public(materials: tuple[Material, ...]) -> tuple[Material, ...]:
    return tuple(m for m in materials if not m.protected)


def title_only(meeting: Meeting) -> Meeting:
    """A protected meeting as the public may see it (see `protect_meetings`)."""
    if not (
        meeting.talks
        or meeting.description
        or meeting.location
        or meeting.type
        or meeting.materials
        or meeting.minutes
    ):
        return meeting  # already bare: the common case, without a copy
    return replace(
        meeting, type=None, location="", description="", talks=(), materials=(), minutes=None
    )


def unmatched_overrides(
    meetings: Iterable[Meeting], overrides: Mapping[str, Override]
) -> list[str]:
    """Keys of overrides that match no meeting (a typo, or an event of another category).

    Overrides that hide an event are left out: hidden events are never stored.
    """
    if not overrides:
        return []
    keys: set[str] = set()
    for meeting in meetings:
        keys.update((meeting.url.rstrip("/"), meeting.id))
    return [
        key
        for key, override in overrides.items()
        if not override.hidden and key.rstrip("/") not in keys
    ]
