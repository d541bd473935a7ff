"""The Meeting record: one Indico event as the site needs it.

Records only; normalising Indico's JSON into them is `sync/normalise.py`, the config's policies
(protected meetings, overrides) `policy.py`, storing them `snapshot.py`, showing them `site/`.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo


class MeetingType(enum.Enum):
    """How people attend. Indico has no field for it: `sync/places.py` derives it from the
    room, location and description (`normalise_place`)."""

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


class Protection(enum.Enum):
    """What the site publishes of a protected event (`indico.protected`)."""

    TITLE = "title"  # title, date and time, status, the Indico link, "login required"
    HIDE = "hide"  # nothing: the meeting is not listed and not stored
    FULL = "full"  # everything the token can read (a deliberate choice)


class Status(enum.Enum):
    """Whether the meeting takes place. Cancelled meetings are kept and marked."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    name: str
    affiliation: str = ""


class MaterialKind(enum.Enum):
    """How a material is shown: derived from its type, URL and titles by the sync."""

    SLIDES = "slides"
    RECORDING = "recording"
    MINUTES = "minutes"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class Material:
    """One public attachment of a meeting or talk: a file or a link."""

    title: str  # plain text, escaped wherever it is shown
    url: str  # http(s) only: a link's link_url, a file's download_url
    kind: MaterialKind
    link: bool = False  # an Indico link (True) or a file (False)
    folder: str = ""  # the folder's title; "" for the default folder
    filename: str = ""  # files only
    content_type: str = ""  # files only
    size: int | None = None  # files only, in bytes
    # Flagged `is_protected` by Indico (or its folder): stored only under `indico.protected:
    # full`, and dropped by the build under any other policy (`policy.protect_meetings`)
    protected: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Minutes:
    """Indico's note of a meeting or talk."""

    html: str  # sanitised by the sync, as descriptions are
    url: str = ""  # the note's page on Indico (http(s)), or ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Talk:
    title: str
    speakers: tuple[Person, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    materials: tuple[Material, ...] = ()
    minutes: Minutes | None = None


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
    materials: tuple[Material, ...] = ()  # the event's own, not its talks'
    minutes: Minutes | None = None

    @property
    def key(self) -> str:
        """Identity across syncs: the event URL is unique across Indico instances."""
        return self.url

    @property
    def page_slug(self) -> str:
        """The meeting page's folder under `meetings/`: the Indico host and the event id,
        e.g. `indico-cern-ch-1500003`. Stable when the title or date changes in Indico,
        unique across sources (event ids are unique per Indico server)."""
        return _slug(self.url, self.id)

    @property
    def page_path(self) -> str:
        """The meeting page's folder under the site root: `meetings/{page_slug}/`."""
        return f"meetings/{self.page_slug}/"

    @property
    def zone(self) -> ZoneInfo:
        """The meeting's own zone (see `zone_or_utc`)."""
        return zone_or_utc(self.timezone)


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """A per-event correction from the config: what Indico's data cannot say."""

    type: MeetingType | None = None
    hidden: bool = False
    title: str | None = None
    materials: bool = True  # False: the event's materials and minutes are not published


@functools.lru_cache(maxsize=2**16)
def _slug(url: str, event_id: str) -> str:
    """`Meeting.page_slug`, made once per meeting: a build asks for it five times each."""
    host = urlsplit(url).netloc.lower() or "indico"
    return re.sub(r"[^a-z0-9]+", "-", f"{host}-{event_id}".lower()).strip("-")


def sort_meetings(meetings: Iterable[Meeting]) -> list[Meeting]:
    """Stable order: by start time, then URL, so same-day meetings never swap."""
    return sorted(meetings, key=lambda m: (m.start.timestamp(), m.url))


def find_zone(name: str) -> ZoneInfo | None:
    """The tz database zone called `name`, or None when there is none.

    ZoneInfo fails in several ways on a bad name: ZoneInfoNotFoundError (a KeyError),
    ValueError ("../x", "Europe/"), IsADirectoryError ("America").
    """
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return None


_UTC = ZoneInfo("UTC")


def zone_or_utc(name: str) -> ZoneInfo:
    """The zone called `name`; UTC when there is none (bad data), the one fallback
    every stage uses for a meeting's zone."""
    return find_zone(name) or _UTC
