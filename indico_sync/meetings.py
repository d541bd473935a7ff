"""The Meeting record: one Indico event as the site needs it.

Records only; normalising Indico's JSON into them is `normalise.py`, storing them
`snapshot.py`, showing them `site.py`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo


class MeetingType(enum.Enum):
    """How people attend. Indico has no field for it: it is derived (see `detect_type`)."""

    ZOOM = "zoom"
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"

    @property
    def label(self) -> str:
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    MeetingType.ZOOM: "Zoom",
    MeetingType.ONLINE: "Online",
    MeetingType.IN_PERSON: "In person",
    MeetingType.HYBRID: "Hybrid",
}


class Status(enum.Enum):
    """Whether the meeting takes place. Cancelled meetings are kept and marked."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    name: str
    affiliation: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Talk:
    title: str
    speakers: tuple[Person, ...] = ()
    start: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Meeting:
    """One Indico event, as the site needs it. No e-mails, hashes or internal ids."""

    source: str
    id: str
    url: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    category: str = ""
    category_id: int | None = None
    type: MeetingType | None = None
    status: Status = Status.SCHEDULED
    label: str = ""
    label_message: str = ""  # Indico's label message, e.g. "Postponed to next month"
    location: str = ""
    description: str = ""
    protected: bool = False
    talks: tuple[Talk, ...] = ()

    @property
    def key(self) -> str:
        """Identity across syncs: the event URL is unique across Indico instances."""
        return self.url


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """A per-event correction from the config: what Indico's data cannot say."""

    type: MeetingType | None = None
    hidden: bool = False
    title: str | None = None


def sort_meetings(meetings: Iterable[Meeting]) -> list[Meeting]:
    """Stable order: by start time, then URL, so same-day meetings never swap."""
    return sorted(meetings, key=lambda m: (m.start.timestamp(), m.url))


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
            result.append(
                replace(
                    meeting,
                    type=override.type or meeting.type,
                    title=override.title if override.title is not None else meeting.title,
                )
            )
    return result


def find_zone(name: str) -> ZoneInfo | None:
    """The tz database zone called `name`, or None when there is none.

    ZoneInfo fails in several ways on a bad name: ZoneInfoNotFoundError (a KeyError),
    ValueError ("../x", "Europe/"), IsADirectoryError ("America").
    """
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return None
